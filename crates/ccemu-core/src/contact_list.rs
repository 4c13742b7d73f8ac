//! Custom contact lists: named lists of people and numbers a tenant keeps (UJET "Contact Lists").

use serde::{Deserialize, Serialize};

use crate::validate::{check_not_blank, invalid};
use crate::DomainError;

/// One person on a contact list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactListEntry {
    /// Entry id, unique within its list, increasing.
    pub id: u64,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Phone number.
    #[serde(default)]
    pub phone_number: String,
    /// Email.
    #[serde(default)]
    pub email: String,
    /// Client's key.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Creation time, tenant epoch ms.
    #[serde(default)]
    pub created_at_ms: i64,
    /// Last change, tenant epoch ms.
    #[serde(default)]
    pub updated_at_ms: i64,
}

impl ContactListEntry {
    /// Checks the number (and that there is one).
    pub fn validate(&self) -> Result<(), DomainError> {
        crate::dnc::normalize_phone(&self.phone_number).map(|_| ())
    }
}

/// A named list of contacts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactList {
    /// Decimal id assigned by the engine, increasing per tenant.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// The entries, oldest first.
    #[serde(default)]
    pub entries: Vec<ContactListEntry>,
    /// Highest entry id given out, so that ids of removed entries are not reused.
    #[serde(default)]
    pub last_entry_id: u64,
    /// Creation time, tenant epoch ms.
    #[serde(default)]
    pub created_at_ms: i64,
    /// Last change, tenant epoch ms.
    #[serde(default)]
    pub updated_at_ms: i64,
}
crate::entity!(ContactList, "contact_list");

impl ContactList {
    /// Most entries on one list.
    pub const MAX_ENTRIES: usize = 10_000;

    /// Checks the name and the entries.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_not_blank("name", &self.name)?;
        if self.entries.len() > Self::MAX_ENTRIES {
            return Err(invalid(
                "contacts",
                format!("at most {} contacts per list", Self::MAX_ENTRIES),
            ));
        }
        self.entries.iter().try_for_each(ContactListEntry::validate)
    }
}
