//! Pruning of history beyond each tenant's retention limits, in the background: the oldest ended
//! interactions, state logs, events and finished deliveries go; live state never does.

use crate::{Engine, Result};
use ccemu_core::{Retention, TenantId, TenantRetention};
use std::time::Duration;

/// Retention defaults and how often pruning runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionConfig {
    /// Limits of a tenant that sets none of its own.
    pub defaults: Retention,
    /// Time between two pruning passes over every tenant; zero never prunes in the background.
    pub interval: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            defaults: Retention::default(),
            interval: Duration::from_secs(60),
        }
    }
}

impl Engine {
    /// The limits in force for a tenant: its own, else the server's defaults.
    pub async fn retention(&self, id: &TenantId) -> Result<Retention> {
        let own: Option<TenantRetention> = self.record(id, TenantRetention::ID).await?;
        Ok(own.unwrap_or_default().over(self.inner.retention.defaults))
    }

    /// Prunes every tenant's history beyond its limits now; what each tenant lost, by tenant.
    pub async fn prune(&self) -> Result<Vec<(TenantId, ccemu_store::Pruned)>> {
        let mut out = Vec::new();
        for tenant in self.tenants() {
            let limits = self.retention(&tenant.id).await?;
            let pruned = self.inner.store.prune(&tenant.id, &limits).await?;
            if pruned != ccemu_store::Pruned::default() {
                tracing::info!(
                    tenant.id = %tenant.id,
                    interactions = pruned.ended_interactions,
                    state_logs = pruned.agent_state_logs,
                    events = pruned.events,
                    deliveries = pruned.finished_deliveries,
                    "pruned history beyond retention"
                );
            }
            out.push((tenant.id, pruned));
        }
        Ok(out)
    }
}

/// Prunes every `interval` until the task is aborted at shutdown.
pub(crate) async fn run(engine: Engine, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(error) = engine.prune().await {
            tracing::error!(%error, "pruning history failed");
        }
    }
}
