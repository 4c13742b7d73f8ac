//! Runtime of ccemu: one contact center per tenant, its clock and timers, and the durable event log.
//!
//! Each tenant is owned by one task (its [`center`]) that applies commands one at a time, writes
//! every change to the store before it answers, and appends the resulting domain events to the
//! tenant's event log. Everything else reaches a tenant through an [`Engine`] handle.
//!
//! Vendor surfaces turn events into HTTP notifications through a [`Notifier`]; those are committed
//! to the durable outbox with the events and sent by the engine's [`delivery`] worker.

mod center;
pub mod credentials;
pub mod delivery;
pub mod feed;
pub mod notify;
mod query;
pub mod retention;
pub mod sim;
mod state;
pub mod vendor;

use ccemu_core::clock::{Clock, ClockMode};
use ccemu_core::event::EventRecord;
use ccemu_core::{Credentials, DomainError, Tenant, TenantId};
use ccemu_store::{Store, StoreError};
use center::{CenterHandle, Command};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tokio::sync::oneshot;

/// The routing engine, re-exported for tools that drive it directly (`ccemu sim erlang`).
pub use ccemu_acd as acd;
pub use ccemu_store::outbox::{DeliveryRecord, DeliveryState, Notification};
pub use ccemu_store::Backend;
pub use center::{wall_ms, ClockView};
pub use delivery::DeliveryConfig;
pub use feed::EventFeed;
pub use notify::{EventsEdit, Notifier, Numbering, SubscriptionPatch, View, SUBSCRIPTION_NAME};
pub use query::{
    ConfigRecord, ContactKey, InteractionFilter, InteractionOrder, Page, ServiceLevel,
    StateLogFilter,
};
pub use retention::RetentionConfig;
pub use state::recording_path;
pub use state::{
    acd_strategy, AgentContact, AgentPatch, AgentView, Annotation, CampaignAction,
    CampaignContactPatch, CampaignView, ContactListEdit, ContactListEntryPatch, NewExtension,
    NewMessage, QueueLimits, QueuePatch, SettingsEntry, Stats, TransferTarget, ANSWERED_PRIORITY,
    MAX_EXTENSIONS_PER_AGENT, USER_DATA_KEY,
};

/// What an engine operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The tenant does not exist.
    #[error("tenant not found")]
    TenantNotFound,
    /// A tenant with that id already exists.
    #[error("tenant already exists")]
    TenantExists,
    /// The command broke a domain rule.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The store failed; nothing was acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The tenant's task stopped (tenant deleted or server shutting down).
    #[error("tenant is shutting down")]
    Unavailable,
}

/// Result of engine operations.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Settings the engine needs from the server's configuration.
#[derive(Clone, Default)]
pub struct EngineConfig {
    /// Credentials of the `demo` tenant; `None` disables the demo tenant.
    pub demo_credentials: Option<Credentials>,
    /// What turns events into HTTP notifications (vendor surfaces, ccemu's own webhooks).
    pub notifiers: Vec<Arc<dyn Notifier>>,
    /// How notifications are delivered and retried.
    pub delivery: DeliveryConfig,
    /// How much history tenants keep, and how often the rest is pruned.
    pub retention: RetentionConfig,
    /// How background jobs are carried out.
    pub jobs: JobConfig,
    /// Settings of the vendor surfaces, by type (read back with [`Engine::vendor_setting`]).
    pub vendor: vendor::VendorSettings,
}

/// How each tenant's owner carries out background jobs (see [`ccemu_core::JobWork`]).
#[derive(Debug, Clone, Copy)]
pub struct JobConfig {
    /// Steps of a job applied per transaction, which also writes the job's progress: a larger
    /// batch writes the job record less often, a smaller one lets commands in sooner.
    pub batch_steps: usize,
    /// Test aid: each tenant stops carrying out jobs after this many steps, as if the process
    /// had stopped there, so that a test can restart the engine at an exact point of a job.
    #[cfg(feature = "testing")]
    pub halt_after_steps: Option<usize>,
}

impl Default for JobConfig {
    fn default() -> Self {
        Self {
            batch_steps: 100,
            #[cfg(feature = "testing")]
            halt_after_steps: None,
        }
    }
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("demo_credentials", &self.demo_credentials.is_some())
            .field("notifiers", &self.notifiers.len())
            .field("delivery", &self.delivery)
            .field("retention", &self.retention)
            .field("jobs", &self.jobs)
            .field("vendor", &self.vendor)
            .finish()
    }
}

/// Handle to the running engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    // std RwLock: held only to clone a handle out or to insert/remove one, never across an await.
    // Shared with the delivery worker, which reads a tenant's credentials to sign its requests.
    centers: Centers,
    notifiers: Arc<notify::Notifiers>,
    delivery: delivery::Worker,
    /// Set once [`Engine::shutdown`] begins, so listeners whose feed ends can tell why.
    stopping: std::sync::atomic::AtomicBool,
    retention: RetentionConfig,
    jobs: JobConfig,
    /// The background pruning task, aborted at shutdown.
    pruner: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Settings the vendor surfaces were started with.
    vendor: vendor::VendorSettings,
}

impl Engine {
    /// Starts the engine: opens every stored tenant, re-arms its timers, and creates `demo` if missing.
    /// Starts the delivery worker, which picks up every delivery still pending.
    pub async fn start(store: Store, config: EngineConfig) -> Result<Self> {
        let notifiers = Arc::new(notify::Notifiers::new(config.notifiers));
        let centers: Centers = Arc::default();
        let delivery = delivery::Worker::start(
            store.clone(),
            config.delivery,
            notifiers.clone(),
            centers.clone(),
        );
        let engine = Self {
            inner: Arc::new(Inner {
                store,
                centers,
                notifiers,
                delivery,
                stopping: std::sync::atomic::AtomicBool::new(false),
                retention: config.retention,
                jobs: config.jobs,
                pruner: std::sync::Mutex::new(None),
                vendor: config.vendor,
            }),
        };
        for record in engine.inner.store.list_tenants().await? {
            engine.open(record.tenant, record.clock).await?;
        }
        if let Some(credentials) = config.demo_credentials {
            let demo = TenantId::parse(TenantId::DEMO)?;
            if engine.center(&demo).is_err() {
                engine
                    .create_tenant_with(demo, "Demo contact center".into(), credentials)
                    .await?;
            }
        }
        if !config.retention.interval.is_zero() {
            let task = tokio::spawn(retention::run(engine.clone(), config.retention.interval));
            *engine.lock_pruner() = Some(task);
        }
        Ok(engine)
    }

    fn lock_pruner(&self) -> std::sync::MutexGuard<'_, Option<tokio::task::JoinHandle<()>>> {
        // Held only to put or take the handle; a poisoned lock still holds a valid Option.
        self.inner
            .pruner
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The store behind the engine, for the engine's own tests only: everyone else reads
    /// through the query API.
    #[cfg(feature = "testing")]
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Which database the engine keeps its tenants in.
    pub fn backend(&self) -> Backend {
        self.inner.store.backend()
    }

    /// Creates a tenant with fresh random credentials.
    pub async fn create_tenant(&self, name: Option<String>) -> Result<Tenant> {
        let id = credentials::new_tenant_id();
        let name = name.unwrap_or_else(|| format!("Tenant {id}"));
        let credentials = credentials::generate(id.as_str());
        self.create_tenant_with(id, name, credentials).await
    }

    /// Creates a tenant with fresh credentials that `adjust` may change first (a vendor surface
    /// that creates tenants itself, like Udesk's `POST apps`, which names the new app's keys);
    /// `TenantExists` if another tenant already uses one of the resulting vendor keys.
    pub async fn create_tenant_from(
        &self,
        name: String,
        adjust: impl FnOnce(&mut Credentials),
    ) -> Result<Tenant> {
        let id = credentials::new_tenant_id();
        let mut fresh = credentials::generate(id.as_str());
        adjust(&mut fresh);
        let taken = |c: &Credentials| {
            c.udesk.app_id == fresh.udesk.app_id
                || c.ujet.subdomain == fresh.ujet.subdomain
                || c.genesys.contact_center_id == fresh.genesys.contact_center_id
                || c.cention.workspace == fresh.cention.workspace
        };
        if self.find_tenant(taken).is_some() {
            return Err(EngineError::TenantExists);
        }
        self.create_tenant_with(id, name, fresh).await
    }

    async fn create_tenant_with(
        &self,
        id: TenantId,
        name: String,
        credentials: Credentials,
    ) -> Result<Tenant> {
        let tenant = Tenant {
            id,
            name,
            created_at_ms: center::wall_ms(),
            credentials,
        };
        let clock = Clock::default();
        if !self.inner.store.insert_tenant(&tenant, &clock).await? {
            return Err(EngineError::TenantExists);
        }
        let handle = self.open(tenant.clone(), clock).await?;
        handle.call(|reply| Command::Initialize { reply }).await??;
        Ok(tenant)
    }

    async fn open(&self, tenant: Tenant, clock: Clock) -> Result<CenterHandle> {
        let handle = center::spawn(
            self.inner.store.clone(),
            tenant,
            clock,
            self.inner.notifiers.clone(),
            self.inner.jobs,
        )
        .await?;
        self.write_centers()
            .insert(handle.tenant.id.clone(), handle.clone());
        Ok(handle)
    }

    /// Every tenant, oldest first.
    pub fn tenants(&self) -> Vec<Tenant> {
        let mut all: Vec<Tenant> = self
            .read_centers()
            .values()
            .map(|c| (*c.tenant).clone())
            .collect();
        all.sort_by(|a, b| (a.created_at_ms, &a.id).cmp(&(b.created_at_ms, &b.id)));
        all
    }

    /// One tenant.
    pub fn tenant(&self, id: &TenantId) -> Result<Tenant> {
        Ok((*self.center(id)?.tenant).clone())
    }

    /// Finds the tenant whose credentials satisfy `matches` (used by vendor auth extractors); when
    /// several do (the apps of one Udesk account), the oldest, so the answer never depends on luck.
    pub fn find_tenant(&self, matches: impl Fn(&Credentials) -> bool) -> Option<Tenant> {
        self.read_centers()
            .values()
            .filter(|c| matches(&c.tenant.credentials))
            .min_by(|a, b| {
                (a.tenant.created_at_ms, &a.tenant.id).cmp(&(b.tenant.created_at_ms, &b.tenant.id))
            })
            .map(|c| (*c.tenant).clone())
    }

    /// Deletes a tenant and all of its data.
    pub async fn delete_tenant(&self, id: &TenantId) -> Result<()> {
        let handle = self
            .write_centers()
            .remove(id)
            .ok_or(EngineError::TenantNotFound)?;
        // Let the owner finish the command it is applying so no write lands after the delete.
        let _ = handle.call(|reply| Command::Shutdown { reply }).await;
        self.inner.store.delete_tenant(id).await?;
        Ok(())
    }

    /// Removes every record of a tenant but keeps its credentials (the demo tenant is re-seeded),
    /// and the vendor surfaces' state of it. The clock is kept, or with `clock` a new one starts
    /// in that mode at that time (default: now), earlier or not: any clock can be replaced.
    pub async fn reset_tenant(
        &self,
        id: &TenantId,
        clock: Option<(ClockMode, Option<i64>)>,
    ) -> Result<()> {
        let handle = self.center(id)?;
        handle
            .call(|reply| Command::Reset { clock, reply })
            .await??;
        handle.vendor.clear();
        Ok(())
    }

    /// The vendor setting of type `T` the engine was started with ([`EngineConfig::vendor`]).
    pub fn vendor_setting<T: std::any::Any + Send + Sync>(&self) -> Option<&T> {
        self.inner.vendor.get()
    }

    /// The tenant's instance of a vendor surface's own state type `T`, created with
    /// `T::default()` on first use and dropped when the tenant is deleted or reset. `T` does its
    /// own locking; a std `Mutex` inside is right as long as it is never held across an await.
    pub fn vendor_state<T: Default + Send + Sync + 'static>(
        &self,
        id: &TenantId,
    ) -> Result<Arc<T>> {
        Ok(self.center(id)?.vendor.get_or_default())
    }

    /// The tenant's clock.
    pub async fn clock(&self, id: &TenantId) -> Result<ClockView> {
        Ok(self.center(id)?.clock_view())
    }

    /// Switches the clock mode and/or sets its time; due timers fire in order.
    pub async fn set_clock(
        &self,
        id: &TenantId,
        mode: ClockMode,
        now_ms: Option<i64>,
    ) -> Result<ClockView> {
        self.center(id)?
            .call(|reply| Command::SetClock {
                mode,
                now_ms,
                reply,
            })
            .await?
    }

    /// Advances a manual clock, firing every timer that falls due, in order.
    pub async fn advance_clock(&self, id: &TenantId, ms: i64) -> Result<ClockView> {
        self.center(id)?
            .call(|reply| Command::Advance { ms, reply })
            .await?
    }

    /// Domain events of a tenant after `after`, at most `limit`.
    pub async fn events(&self, id: &TenantId, after: i64, limit: i64) -> Result<Vec<EventRecord>> {
        self.center(id)?;
        Ok(self.inner.store.list_events(id, after, limit).await?)
    }

    /// The live feed of a tenant's events, from the next one committed on (see [`EventFeed`]).
    pub async fn watch(&self, id: &TenantId) -> Result<EventFeed> {
        let (rx, last_seq) = self
            .center(id)?
            .call(|reply| Command::Watch { reply })
            .await?;
        Ok(EventFeed::new(
            rx,
            self.inner.store.clone(),
            id.clone(),
            last_seq,
        ))
    }

    /// Runs a command against a tenant's contact center (for agents, interactions, ...).
    pub async fn execute(&self, id: &TenantId, op: center::Op) -> Result<center::OpOutput> {
        self.center(id)?
            .call(|reply| Command::Op { op, reply })
            .await?
    }

    /// The contacts waiting in a queue, in routing order.
    pub async fn waiting(&self, id: &TenantId, queue_id: &str) -> Result<Vec<String>> {
        let queue_id = queue_id.to_owned();
        self.center(id)?
            .call(|reply| Command::Waiting { queue_id, reply })
            .await?
    }

    /// The tenant's simulation settings.
    pub async fn sim_settings(&self, id: &TenantId) -> Result<sim::SimSettings> {
        self.center(id)?
            .call(|reply| Command::GetSim { reply })
            .await
    }

    /// The tenant's agents (or the one named) with their queues and extensions, by id.
    pub async fn agents(&self, id: &TenantId, agent_id: Option<&str>) -> Result<Vec<AgentView>> {
        let agent_id = agent_id.map(str::to_owned);
        self.center(id)?
            .call(|reply| Command::Agents { agent_id, reply })
            .await?
    }

    /// The tenant's queues (or the one named), by id.
    pub async fn queues(
        &self,
        id: &TenantId,
        queue_id: Option<&str>,
    ) -> Result<Vec<ccemu_core::Queue>> {
        let queue_id = queue_id.map(str::to_owned);
        self.center(id)?
            .call(|reply| Command::Queues { queue_id, reply })
            .await?
    }

    /// The tenant's extensions, by number.
    pub async fn extensions(&self, id: &TenantId) -> Result<Vec<ccemu_core::telephony::Extension>> {
        self.center(id)?
            .call(|reply| Command::Extensions { reply })
            .await
    }

    /// Every outbound campaign of a tenant, by id, with its contacts and counters.
    pub async fn campaigns(&self, id: &TenantId) -> Result<Vec<CampaignView>> {
        self.center(id)?
            .call(|reply| Command::Campaigns {
                campaign_id: None,
                reply,
            })
            .await?
    }

    /// One outbound campaign with its contacts and counters.
    pub async fn campaign(&self, id: &TenantId, campaign_id: &str) -> Result<CampaignView> {
        let campaign_id = Some(campaign_id.to_owned());
        let mut views = self
            .center(id)?
            .call(|reply| Command::Campaigns { campaign_id, reply })
            .await??;
        views.pop().ok_or(EngineError::Unavailable)
    }

    /// Counts over all tenants, for metrics.
    pub async fn stats(&self) -> Stats {
        let handles: Vec<CenterHandle> = self.read_centers().values().cloned().collect();
        let mut stats = Stats {
            tenants: handles.len(),
            ..Stats::default()
        };
        for handle in handles {
            if let Ok(part) = handle.call(|reply| Command::Stats { reply }).await {
                for (k, v) in part.agents_by_state {
                    *stats.agents_by_state.entry(k).or_default() += v;
                }
                for (k, v) in part.interactions_by_state {
                    *stats.interactions_by_state.entry(k).or_default() += v;
                }
                stats.routed_contacts += part.routed_contacts;
            }
        }
        stats
    }

    /// Whether the engine is shutting down: a feed that ends now ends for that, not because its
    /// tenant was deleted.
    pub fn is_stopping(&self) -> bool {
        self.inner
            .stopping
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Stops every tenant task, letting in-flight commands finish.
    /// Then stops the delivery worker once its requests in flight are done.
    pub async fn shutdown(&self) {
        self.inner
            .stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(task) = self.lock_pruner().take() {
            task.abort();
        }
        let handles: Vec<CenterHandle> = self.write_centers().drain().map(|(_, h)| h).collect();
        for handle in handles {
            let _ = handle.call(|reply| Command::Shutdown { reply }).await;
        }
        self.inner.delivery.stop().await;
    }

    /// A tenant's webhook subscriptions (every surface's), ordered by id.
    pub async fn subscriptions(&self, id: &TenantId) -> Result<Vec<ccemu_core::Subscription>> {
        self.records(id).await
    }

    /// A tenant's outbox deliveries, newest first, with their attempts.
    pub async fn deliveries(
        &self,
        id: &TenantId,
        state: Option<DeliveryState>,
        limit: i64,
    ) -> Result<Vec<DeliveryRecord>> {
        self.center(id)?;
        Ok(self.inner.store.list_deliveries(id, state, limit).await?)
    }

    fn center(&self, id: &TenantId) -> Result<CenterHandle> {
        self.read_centers()
            .get(id)
            .cloned()
            .ok_or(EngineError::TenantNotFound)
    }

    fn read_centers(&self) -> std::sync::RwLockReadGuard<'_, HashMap<TenantId, CenterHandle>> {
        // A poisoned lock only means another thread panicked while holding it; the map itself is
        // still consistent because every critical section is a single insert/remove/clone.
        self.inner
            .centers
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn write_centers(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<TenantId, CenterHandle>> {
        self.inner
            .centers
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

pub use center::{Op, OpOutput};

/// Every open tenant's owner task, by tenant id.
pub(crate) type Centers = Arc<RwLock<HashMap<TenantId, CenterHandle>>>;

/// Reply channel type used by commands.
type Reply<T> = oneshot::Sender<T>;
