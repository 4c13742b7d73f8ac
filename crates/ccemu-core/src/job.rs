//! Background jobs a surface runs for a tenant (bulk imports): what was uploaded, how far the job
//! got and what went wrong, kept so that clients can poll them.

use serde::{Deserialize, Serialize};

/// Where a job stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Accepted, not checked yet.
    #[default]
    Created,
    /// The input passed validation; waits to be carried out (or is about to be).
    Validated,
    /// The input failed validation; `errors` says why.
    Invalid,
    /// Being carried out.
    Running,
    /// Done; `result` says what it did.
    Finished,
}

/// One job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Decimal id assigned by the engine, increasing per tenant.
    pub id: String,
    /// What the job does, named by the surface (`campaign_contacts_import`, `bulk_users`).
    pub kind: String,
    /// The record the job works on, if any (a campaign id).
    #[serde(default)]
    pub owner: Option<String>,
    /// Status.
    #[serde(default)]
    pub status: JobStatus,
    /// The input as uploaded.
    #[serde(default)]
    pub input: serde_json::Value,
    /// Validation and processing errors, in the surface's own shape.
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
    /// What the job did, in the surface's own shape.
    #[serde(default)]
    pub result: serde_json::Value,
    /// Creation time, tenant epoch ms.
    #[serde(default)]
    pub created_at_ms: i64,
    /// Last change, tenant epoch ms.
    #[serde(default)]
    pub updated_at_ms: i64,
}
crate::entity!(Job, "job");

impl Job {
    /// A new job of `kind` with its input; id and times are set by the engine.
    pub fn new(kind: &str, owner: Option<String>, input: serde_json::Value) -> Self {
        Self {
            id: String::new(),
            kind: kind.to_owned(),
            owner,
            status: JobStatus::Created,
            input,
            errors: Vec::new(),
            result: serde_json::Value::Null,
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }
}
