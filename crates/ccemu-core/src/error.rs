//! The one error type of the domain.

/// A rule of the domain was broken; vendor surfaces map each variant to their own error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A referenced record does not exist (in this tenant).
    #[error("{kind} {id} not found")]
    NotFound {
        /// Kind of record, e.g. `agent`.
        kind: &'static str,
        /// The id that was looked up.
        id: String,
    },
    /// A record with the same key already exists.
    #[error("{kind} {id} already exists")]
    AlreadyExists {
        /// Kind of record.
        kind: &'static str,
        /// The duplicate id.
        id: String,
    },
    /// A value is malformed or out of range.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// A state machine was asked for a transition it does not allow.
    #[error("illegal transition of {kind} from {from} to {to}")]
    IllegalTransition {
        /// Kind of state machine, e.g. `agent`.
        kind: &'static str,
        /// Current state.
        from: String,
        /// Requested state.
        to: String,
    },
    /// The record is still referenced and cannot be changed that way (e.g. delete a bound extension).
    #[error("{0}")]
    Conflict(String),
    /// The record is still bound to another one (an extension to an agent, an agent to a queue,
    /// a queue to its members); typed so that each surface can answer its own "in use" code.
    #[error("{kind} {id} is in use: {reason}")]
    InUse {
        /// Kind of the record that cannot be changed, e.g. `extension`.
        kind: &'static str,
        /// Its id.
        id: String,
        /// What still holds it.
        reason: String,
    },
    /// A configured limit would be exceeded (queue length, queues per tenant, ...).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
}
