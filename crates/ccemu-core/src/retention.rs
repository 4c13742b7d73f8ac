//! How much history a tenant keeps: the newest N of each growing kind, the rest pruned in the
//! background. Live state (open interactions, pending deliveries, timers) is never pruned.

use serde::{Deserialize, Serialize};

/// The newest rows of each kind a tenant keeps; 0 keeps every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Ended interactions (with their participants, transcripts, transfers and recordings).
    pub ended_interactions: u64,
    /// Finished agent state periods.
    pub agent_state_logs: u64,
    /// Entries of the event log.
    pub events: u64,
    /// Outbox deliveries that are done (delivered or given up), with their attempts.
    pub finished_deliveries: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            ended_interactions: 100_000,
            agent_state_logs: 200_000,
            events: 200_000,
            finished_deliveries: 10_000,
        }
    }
}

/// A tenant's own limits; a limit it leaves out is the server's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRetention {
    /// Always [`TenantRetention::ID`].
    pub id: String,
    /// See [`Retention::ended_interactions`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_interactions: Option<u64>,
    /// See [`Retention::agent_state_logs`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_state_logs: Option<u64>,
    /// See [`Retention::events`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<u64>,
    /// See [`Retention::finished_deliveries`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_deliveries: Option<u64>,
}
crate::entity!(TenantRetention, "retention");

impl TenantRetention {
    /// The one record id.
    pub const ID: &'static str = "retention";

    /// The limits in force: the tenant's own, else `defaults`.
    pub fn over(&self, defaults: Retention) -> Retention {
        Retention {
            ended_interactions: self
                .ended_interactions
                .unwrap_or(defaults.ended_interactions),
            agent_state_logs: self.agent_state_logs.unwrap_or(defaults.agent_state_logs),
            events: self.events.unwrap_or(defaults.events),
            finished_deliveries: self
                .finished_deliveries
                .unwrap_or(defaults.finished_deliveries),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_limit_wins_over_the_default_and_the_rest_stay() {
        let own = TenantRetention {
            id: TenantRetention::ID.into(),
            events: Some(5),
            ..Default::default()
        };
        let d = Retention::default();
        let got = own.over(d);
        assert_eq!(got.events, 5);
        assert_eq!(got.ended_interactions, d.ended_interactions);
        assert_eq!(got.finished_deliveries, d.finished_deliveries);
    }
}
