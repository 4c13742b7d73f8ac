//! Background jobs of a tenant (bulk imports): what was uploaded, how far the job got and what
//! went wrong, kept so that clients can poll them.
//!
//! A surface checks and compiles an upload up front into [`JobWork`]: domain steps the engine
//! carries out later, a bounded batch per transaction, writing the job's progress in the same
//! transaction as the steps' own writes. So a job survives a restart and resumes where it
//! stopped, and no step is applied twice or skipped.

use serde::{Deserialize, Serialize};

use crate::agent::{Agent, AgentPatch};
use crate::campaign::CampaignContact;
use crate::DomainError;

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
    /// What the engine carries out for the job; `None`: the surface keeps the job itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<JobWork>,
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
            work: None,
        }
    }

    /// Whether the engine has something to do for the job now: record a verdict, or run steps.
    pub fn has_work(&self) -> bool {
        self.work.is_some() && matches!(self.status, JobStatus::Created | JobStatus::Running)
    }
}

/// The part of a job the engine carries out.
///
/// A job in `created` first gets its verdict: with validation errors it becomes `invalid`, with
/// none `validated`, and waits there until its surface starts it (`running`, with its steps).
/// Without a verdict it runs at once. A running job applies its steps in order and is
/// `finished` after the last one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobWork {
    /// Validation errors the surface found up front, in its own shape; recorded as the job's
    /// `errors` when the engine takes the job up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Vec<serde_json::Value>>,
    /// What the job does, in order.
    #[serde(default)]
    pub steps: Vec<JobStep>,
    /// How many steps have been carried out (applied or failed): the index of the next one.
    #[serde(default)]
    pub done: usize,
    /// The steps that failed, in order.
    #[serde(default)]
    pub failures: Vec<StepFailure>,
}

impl JobWork {
    /// Work that records `verdict` and waits to be started.
    pub fn validation(verdict: Vec<serde_json::Value>) -> Self {
        Self {
            verdict: Some(verdict),
            ..Self::default()
        }
    }

    /// Work that applies `steps`.
    pub fn steps(steps: Vec<JobStep>) -> Self {
        Self {
            steps,
            ..Self::default()
        }
    }

    /// Steps carried out without failing.
    pub fn applied(&self) -> usize {
        self.done.saturating_sub(self.failures.len())
    }
}

/// One step of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobStep {
    /// What the surface calls the item the step comes from (the 1-based row of an upload); a
    /// failure names it.
    pub item: u64,
    /// What the step does.
    pub action: StepAction,
}

/// A domain change a job step makes; each is one command of the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum StepAction {
    /// Creates an agent, logged out.
    CreateAgent {
        /// The agent; state and times are set by the engine.
        agent: Box<Agent>,
    },
    /// Changes an agent's profile.
    UpdateAgent {
        /// The agent.
        agent_id: String,
        /// What changes.
        patch: AgentPatch,
    },
    /// Appends a contact to a campaign that still dials.
    AddCampaignContact {
        /// The campaign.
        campaign_id: String,
        /// The contact; id, status and times are set by the engine.
        contact: Box<CampaignContact>,
    },
}

/// A step that failed and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFailure {
    /// The step's [`JobStep::item`].
    pub item: u64,
    /// Why.
    pub error: StepError,
}

/// Why a step failed: a [`DomainError`] in a form that can be stored, so that a surface maps it
/// to its own message when it reports the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepError {
    /// A record the step names does not exist.
    NotFound {
        /// The domain's text.
        message: String,
    },
    /// A value is malformed or out of range.
    Invalid {
        /// The offending field.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The step conflicts with the records as they are (exists already, in use, a limit, a
    /// transition the state machine refuses).
    Refused {
        /// The domain's text.
        message: String,
    },
    /// Not a domain rule: the engine failed to apply the step (logged where it happened).
    Failed,
}

impl From<&DomainError> for StepError {
    fn from(error: &DomainError) -> Self {
        match error {
            DomainError::NotFound { .. } => Self::NotFound {
                message: error.to_string(),
            },
            DomainError::Invalid { field, reason } => Self::Invalid {
                field: (*field).to_owned(),
                reason: reason.clone(),
            },
            DomainError::AlreadyExists { .. }
            | DomainError::IllegalTransition { .. }
            | DomainError::Conflict(_)
            | DomainError::InUse { .. }
            | DomainError::LimitExceeded(_) => Self::Refused {
                message: error.to_string(),
            },
        }
    }
}
