//! What a history read asks for: filters, order and page of interactions, agent state logs and
//! contacts. The store answers each with `WHERE`/`ORDER BY`/`LIMIT` on an index, so a read costs
//! what its page costs, not what the tenant's history holds.

use ccemu_core::interaction::{Channel, Direction, InteractionState};

/// One page of a list and how many rows match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows of this page, in the order asked for.
    pub items: Vec<T>,
    /// How many rows match the filter across every page.
    pub total: u64,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            total: 0,
        }
    }
}

/// The order of an interaction list; ties of time are broken by the tenant number ascending,
/// in both directions (as vendors' lists break ties by id).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InteractionOrder {
    /// By tenant number (creation order), oldest first.
    #[default]
    NumberAsc,
    /// By tenant number, newest first.
    NumberDesc,
    /// By creation time, oldest first.
    CreatedAsc,
    /// By creation time, newest first.
    CreatedDesc,
    /// By last change, oldest first.
    UpdatedAsc,
    /// By last change, newest first.
    UpdatedDesc,
}

impl InteractionOrder {
    /// The same order read from the other end (by time: the time reversed; ties then come by
    /// number descending, which the reader reverses back).
    pub fn reversed(self) -> Self {
        match self {
            Self::NumberAsc => Self::NumberDesc,
            Self::NumberDesc => Self::NumberAsc,
            Self::CreatedAsc => Self::CreatedDesc,
            Self::CreatedDesc => Self::CreatedAsc,
            Self::UpdatedAsc => Self::UpdatedDesc,
            Self::UpdatedDesc => Self::UpdatedAsc,
        }
    }
}

/// Which interactions a list wants. Empty vectors and `None` mean "any"; time bounds are
/// inclusive, tenant epoch milliseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InteractionFilter {
    /// Channels to keep.
    pub channels: Vec<Channel>,
    /// States to keep.
    pub states: Vec<InteractionState>,
    /// Direction to keep.
    pub direction: Option<Direction>,
    /// The agent that owns or last owned it.
    pub agent_id: Option<String>,
    /// The current or last queue.
    pub queue_id: Option<String>,
    /// The campaign that dialled it.
    pub campaign_id: Option<String>,
    /// Created at or after.
    pub created_from_ms: Option<i64>,
    /// Created at or before.
    pub created_to_ms: Option<i64>,
    /// Last changed at or after.
    pub updated_from_ms: Option<i64>,
    /// Last changed at or before.
    pub updated_to_ms: Option<i64>,
    /// Ended at or after.
    pub ended_from_ms: Option<i64>,
    /// Ended at or before.
    pub ended_to_ms: Option<i64>,
    /// Only interactions that have ended (`ended_at_ms` set) or, with `Some(false)`, only open ones.
    pub ended: Option<bool>,
    /// Order of the rows.
    pub order: InteractionOrder,
    /// Include each interaction's transcript (one more query for the whole page).
    pub with_messages: bool,
    /// Leave [`Page::total`] at 0, for a read that shows no count: counting reads every
    /// matching row, the page only its own.
    pub without_total: bool,
    /// Rows to skip.
    pub offset: u64,
    /// Most rows to return.
    pub limit: u64,
}

impl InteractionFilter {
    /// A filter for the first `limit` rows of every interaction.
    pub fn first(limit: u64) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }
}

/// Which agent state logs a list wants: one agent or all, periods inside a window; ordered by
/// start time, then agent and sequence (or by agent and sequence alone, `by_agent`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateLogFilter {
    /// The agent, or every agent.
    pub agent_id: Option<String>,
    /// Periods that started at or after.
    pub start_from_ms: Option<i64>,
    /// Periods that started at or before.
    pub start_to_ms: Option<i64>,
    /// Periods that ended at or after.
    pub end_from_ms: Option<i64>,
    /// Periods that ended at or before.
    pub end_to_ms: Option<i64>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    /// Each agent's periods together, in the agent's order, instead of by start time.
    pub by_agent: bool,
    /// Rows to skip.
    pub offset: u64,
    /// Most rows to return.
    pub limit: u64,
}

/// Service-level counts of one queue's contacts so far (every channel), against a threshold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceLevel {
    /// Contacts that waited in the queue.
    pub offered: u64,
    /// Of those, answered.
    pub answered: u64,
    /// Answered within the threshold of their wait.
    pub answered_within: u64,
    /// Abandoned before an answer.
    pub abandoned: u64,
}

/// How a contact is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactKey {
    /// By contact id.
    Id(String),
    /// By the caller-chosen identifier (UJET end user `identifier`).
    Identifier(String),
    /// By the id in the client's CRM.
    ExternalId(String),
    /// By phone number, exactly as stored.
    Phone(String),
    /// By email, ignoring ASCII case.
    Email(String),
}
