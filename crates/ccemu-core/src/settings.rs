//! Settings a vendor surface keeps for a tenant that mean nothing to the domain (Udesk app `Memo`,
//! `Type`, `IsHideUserNum`): the engine stores them for the surface and never reads them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::validate::check_id;
use crate::DomainError;

/// One surface's own settings for a tenant; the record id is the surface name (`udesk`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SurfaceSettings {
    /// The surface that owns them.
    pub id: String,
    /// The values, by the surface's own names.
    #[serde(default)]
    pub values: BTreeMap<String, serde_json::Value>,
    /// Last change, tenant epoch ms.
    #[serde(default)]
    pub updated_at_ms: i64,
}
crate::entity!(SurfaceSettings, "surface_settings");

impl SurfaceSettings {
    /// Checks the surface name.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_id("surface", &self.id)
    }
}
