//! Timers on the tenant clock: everything that happens "later" (wrap-up end, ring timeout, scheduled
//! call, ...) is a timer, persisted so that it is re-armed after a restart.

use serde::{Deserialize, Serialize};

/// A pending timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    /// Id, unique within the tenant and increasing in creation order (the tie break for equal deadlines).
    pub id: i64,
    /// Tenant time at which it fires, epoch milliseconds.
    pub due_ms: i64,
    /// What happens when it fires.
    pub action: TimerAction,
}

/// What a timer does when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimerAction {
    /// An agent's timed state (wrap-up, break with a duration) ends and the agent becomes available.
    AgentStateEnds {
        /// Agent id.
        agent_id: String,
    },
    /// The simulated agent device answers the offer it is ringing with.
    SimAnswer {
        /// Interaction id.
        interaction_id: String,
        /// Agent id.
        agent_id: String,
    },
    /// The simulated talk time is over: the agent hangs up.
    SimHangup {
        /// Interaction id.
        interaction_id: String,
        /// The agent whose talk time it is; after a transfer the next agent's timer takes over.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent_id: Option<String>,
    },
    /// The simulated callee of an outbound dial answers, or the dial fails (outcome drawn then).
    SimDialResult {
        /// Interaction id of the dial.
        interaction_id: String,
    },
    /// The simulated customer runs out of patience and hangs up while waiting.
    SimAbandon {
        /// Interaction id.
        interaction_id: String,
    },
    // --- ujet-sched ---
    /// A scheduled interaction (a callback) is due: it enters its queue and is routed.
    StartScheduled {
        /// Interaction id.
        interaction_id: String,
    },
}
