//! Storage of ccemu: one sqlx repository over SQLite (embedded default) and PostgreSQL.
//!
//! The SQL is written once (`$n` placeholders, `ON CONFLICT`, BIGINT milliseconds, multi-row
//! writes whose parameters are `?` on SQLite) and compiled once per backend with its native sqlx
//! driver (see [`sqlite`] and [`postgres`]): JSON columns are JSONB on PostgreSQL and TEXT on
//! SQLite, booleans are native, SQLite runs in WAL mode. Only the migration folders differ. The
//! store holds no business rules: the engine decides, the store makes it durable.

// `repo/` is compiled once per backend on purpose: each gets its native driver's types.
#![allow(clippy::duplicate_mod)]

use ccemu_core::{clock::Clock, event::EventRecord, timer::Timer, Entity, Tenant, TenantId};
use std::str::FromStr;
use std::time::Duration;

/// What a backend module holds besides its own SQL words: its types and the repository of
/// `repo/`, compiled for its database `$db` with rows `$row`.
macro_rules! backend_repo {
    ($db:ty, $row:ty) => {
        /// The database of this backend.
        pub(crate) type Db = $db;
        /// A row of this backend.
        pub(crate) type DbRow = $row;
        /// A transaction of this backend.
        pub(crate) type Tx<'a> = sqlx::Transaction<'a, Db>;
        /// A query built at run time on this backend.
        pub(crate) type Query<'q> =
            sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>;

        /// The repository: the pool of this backend's connections.
        #[derive(Debug, Clone)]
        pub(crate) struct Repo {
            pub(crate) pool: sqlx::Pool<Db>,
            /// Where transactions that write run: `pool` itself, or on SQLite (one writer at a
            /// time anyway) a pool of one connection whose page cache holds what writes walk.
            pub(crate) writer: sqlx::Pool<Db>,
        }

        #[path = "repo/base.rs"]
        mod base;
        #[path = "repo/directory.rs"]
        mod directory;
        #[path = "repo/outbox.rs"]
        mod outbox;
        #[path = "repo/typed.rs"]
        mod typed;
    };
}

pub mod outbox;
mod postgres;
pub mod query;
mod sql;
mod sqlite;
pub use sql::Pruned;

use outbox::{DeliveryRecord, DeliveryState, DueDelivery, NextStep};
use query::{ContactKey, InteractionFilter, Page, ServiceLevel, StateLogFilter};

use ccemu_core::interaction::Interaction;
use ccemu_core::{Agent, AgentState, AgentStateLog, Contact, Queue, Retention, Skill, Team};
use std::collections::{HashMap, HashSet};

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Name used in health output and logs.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names no supported backend.
    #[error("unsupported database URL (expected sqlite: or postgres:)")]
    UnsupportedUrl,
    /// The database refused or failed the operation.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying migrations failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A kind kept in a typed table was asked for as a document.
    #[error("{0} records are not documents: read them with their own queries")]
    NotADocument(&'static str),
    /// A stored document could not be read back.
    #[error("corrupt stored document: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// A commit shared by several commands failed; the first of them gets the error itself,
    /// the others this copy of its text.
    #[error("the commit of this command and others failed: {0}")]
    SharedCommit(String),
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A tenant as stored, with its clock.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantRecord {
    /// The tenant.
    pub tenant: Tenant,
    /// Its clock settings.
    pub clock: Clock,
}

/// A generic stored document, for code that handles every kind alike (seeding, reset, export).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Record kind ([`Entity::KIND`]).
    pub kind: String,
    /// Record id.
    pub id: String,
    /// The record as JSON.
    pub data: serde_json::Value,
}

impl Document {
    /// Turns a typed record into a document.
    pub fn from_entity<E: Entity>(entity: &E) -> Result<Self> {
        Ok(Self {
            kind: E::KIND.to_owned(),
            id: entity.id().to_owned(),
            data: serde_json::to_value(entity)?,
        })
    }
}

/// Everything one engine command changed in one tenant, written in one transaction.
///
/// Records of the typed history tables (interactions, agent state logs, contacts) are kept typed;
/// every other kind is a document. A record written several times in one command is stored once,
/// as last written.
#[derive(Debug, Default, Clone)]
pub struct Changes {
    /// Documents to insert or replace.
    pub puts: Vec<Document>,
    /// Interactions to insert or replace, with their child rows; each holds only the messages
    /// that are not stored yet (see `messages_stored`). A new interaction is numbered above
    /// every one the tenant has stored (the engine's sequence): that is how it is counted.
    pub interactions: Vec<Interaction>,
    /// How many messages of each open interaction are stored: [`Changes::put`] copies only the
    /// later ones. The engine keeps this from one command to the next; without an entry the
    /// whole transcript is written (a stored message is kept as it is), which is correct, only
    /// slower.
    pub messages_stored: HashMap<String, u32>,
    /// The highest interaction number the tenant has stored, when the caller knows it (the
    /// engine keeps it from one command to the next): the interactions above it are new and
    /// counted without a look-up. Without it the store looks the highest number up.
    pub numbered_to: Option<u64>,
    /// Agents written whole (profile, skills, teams) in this command; the others changed only
    /// their own row (their state), so their skills and team rows are left alone.
    pub agents_whole: HashSet<String>,
    /// Agent state logs to append.
    pub state_logs: Vec<AgentStateLog>,
    /// Contacts to insert or replace.
    pub contacts: Vec<Contact>,
    /// Agents to insert or replace, with their skills and team memberships.
    pub agents: Vec<Agent>,
    /// Queues to insert or replace, with their members and required skills.
    pub queues: Vec<Queue>,
    /// Documents to delete, by `(kind, id)`.
    pub deletes: Vec<(String, String)>,
    /// Events to append.
    pub events: Vec<EventRecord>,
    /// Timers to arm.
    pub timers_armed: Vec<Timer>,
    /// Timers that fired or were cancelled.
    pub timers_done: Vec<i64>,
    /// New clock settings.
    pub clock: Option<Clock>,
    /// Remove every document, event, timer and outbox delivery of the tenant first (reset).
    pub wipe: bool,
    /// HTTP notifications to deliver, appended to the durable outbox.
    pub notifications: Vec<outbox::Notification>,
}

/// How many rows of each kind a [`Changes`] held at one point (see [`Changes::mark`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark([usize; 11]);

impl Changes {
    /// The highest interaction number stored when these changes are written: 0 after a wipe,
    /// whatever the caller knew before it; `None` when the caller does not know.
    pub fn numbered_before(&self) -> Option<u64> {
        if self.wipe {
            Some(0)
        } else {
            self.numbered_to
        }
    }

    /// The highest interaction number stored once these changes are written, when known.
    pub fn numbered_after(&self) -> Option<u64> {
        self.numbered_before()
            .map(|n| self.interactions.iter().map(|i| i.number).fold(n, u64::max))
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty()
            && self.interactions.is_empty()
            && self.state_logs.is_empty()
            && self.contacts.is_empty()
            && self.agents.is_empty()
            && self.queues.is_empty()
            && self.deletes.is_empty()
            && self.events.is_empty()
            && self.timers_armed.is_empty()
            && self.timers_done.is_empty()
            && self.clock.is_none()
            && !self.wipe
            && self.notifications.is_empty()
    }

    /// Records a typed entity to insert or replace.
    pub fn put<E: Entity>(&mut self, entity: &E) -> Result<()> {
        let any: &dyn std::any::Any = entity;
        if let Some(i) = any.downcast_ref::<Interaction>() {
            let stored = self.messages_stored.get(&i.id).copied().unwrap_or(0);
            self.interactions
                .push(i.copy_after_messages(stored as usize));
        } else if let Some(log) = any.downcast_ref::<AgentStateLog>() {
            self.state_logs.push(log.clone());
        } else if let Some(c) = any.downcast_ref::<Contact>() {
            self.contacts.push(c.clone());
        } else if let Some(a) = any.downcast_ref::<Agent>() {
            self.agents_whole.insert(a.id.clone());
            self.agents.push(a.clone());
        } else if let Some(q) = any.downcast_ref::<Queue>() {
            self.queues.push(q.clone());
        } else {
            self.puts.push(Document::from_entity(entity)?);
        }
        Ok(())
    }

    /// How much has been recorded so far, for [`Changes::truncate`].
    pub fn mark(&self) -> Mark {
        Mark([
            self.puts.len(),
            self.interactions.len(),
            self.state_logs.len(),
            self.contacts.len(),
            self.agents.len(),
            self.queues.len(),
            self.deletes.len(),
            self.events.len(),
            self.timers_armed.len(),
            self.timers_done.len(),
            self.notifications.len(),
        ])
    }

    /// Drops what was recorded after `mark` (a command that failed half-way), keeping what the
    /// commands before it recorded. An agent it wrote whole may stay in `agents_whole`: that only
    /// writes an earlier command's copy of it whole, which is still correct.
    pub fn truncate(&mut self, mark: &Mark) {
        let [puts, interactions, logs, contacts, agents, queues, deletes, events, armed, done, notes] =
            mark.0;
        self.puts.truncate(puts);
        self.interactions.truncate(interactions);
        self.state_logs.truncate(logs);
        self.contacts.truncate(contacts);
        self.agents.truncate(agents);
        self.queues.truncate(queues);
        self.deletes.truncate(deletes);
        self.events.truncate(events);
        self.timers_armed.truncate(armed);
        self.timers_done.truncate(done);
        self.notifications.truncate(notes);
    }

    /// Records an agent whose state (its own row) changed, and nothing else.
    pub fn put_agent_state(&mut self, agent: &Agent) {
        self.agents.push(agent.clone());
    }

    /// The interaction as this command last wrote it (with the messages it added).
    pub fn interaction(&self, id: &str) -> Option<&Interaction> {
        self.interactions.iter().rev().find(|i| i.id == id)
    }

    /// Documents of the typed kinds (a seed, a test, an earlier release's rows), typed.
    pub(crate) fn typed_documents(&self) -> Result<Seeded> {
        let mut s = Seeded::default();
        for doc in &self.puts {
            let data = || doc.data.clone();
            match doc.kind.as_str() {
                k if k == Interaction::KIND => s.interactions.push(serde_json::from_value(data())?),
                k if k == AgentStateLog::KIND => s.logs.push(serde_json::from_value(data())?),
                k if k == Contact::KIND => s.contacts.push(serde_json::from_value(data())?),
                k if k == Agent::KIND => s.agents.push(serde_json::from_value(data())?),
                k if k == Queue::KIND => s.queues.push(serde_json::from_value(data())?),
                k if k == Team::KIND => s.teams.push(serde_json::from_value(data())?),
                k if k == Skill::KIND => s.skills.push(serde_json::from_value(data())?),
                _ => {}
            }
        }
        Ok(s)
    }

    /// Records a typed entity to delete.
    pub fn delete<E: Entity>(&mut self, id: &str) {
        self.deletes.push((E::KIND.to_owned(), id.to_owned()));
    }
}

/// Records of the typed kinds that arrived as documents.
#[derive(Default)]
pub(crate) struct Seeded {
    interactions: Vec<Interaction>,
    logs: Vec<AgentStateLog>,
    contacts: Vec<Contact>,
    agents: Vec<Agent>,
    queues: Vec<Queue>,
    teams: Vec<Team>,
    skills: Vec<Skill>,
}

/// The kinds kept in typed tables rather than as documents.
pub(crate) const TYPED_KINDS: [&str; 7] = [
    Interaction::KIND,
    AgentStateLog::KIND,
    Contact::KIND,
    Agent::KIND,
    Queue::KIND,
    Team::KIND,
    Skill::KIND,
];

/// Whether a kind is kept in a typed table rather than as a document.
pub(crate) fn is_typed(kind: &str) -> bool {
    TYPED_KINDS.contains(&kind)
}

/// The last write of each record, in the order first written: `key` names a record.
pub(crate) fn last_writes<'a, T, K: std::hash::Hash + Eq>(
    items: impl DoubleEndedIterator<Item = &'a T>,
    key: impl Fn(&'a T) -> K,
) -> Vec<&'a T>
where
    T: 'a,
{
    let mut seen = HashSet::new();
    let mut out: Vec<&T> = items.rev().filter(|x| seen.insert(key(x))).collect();
    out.reverse();
    out
}

/// Tables that hold a tenant's rows directly, children before parents.
pub(crate) const TENANT_TABLES: &[&str] = &[
    "participants",
    "messages",
    "transfers",
    "recordings",
    "interaction_counts",
    "interactions",
    "agent_state_logs",
    "contacts",
    "agent_skills",
    "team_members",
    "agents",
    "teams",
    "skills",
    "queue_members",
    "queue_skills",
    "queues",
    "entities",
    "events",
    "timers",
];

/// The repository of one backend, with the pool of its native driver.
#[derive(Debug, Clone)]
enum Repo {
    Sqlite(sqlite::Repo),
    Postgres(postgres::Repo),
}

/// The repository: a connection pool of the configured backend.
#[derive(Debug, Clone)]
pub struct Store {
    repo: Repo,
    statistics: std::sync::Arc<Statistics>,
}

/// When the planner's statistics are refreshed (PostgreSQL). PostgreSQL plans a connection's
/// prepared statements once; on a fresh database that happens while the tables are empty, and
/// such a plan takes any index that starts with `tenant_id`, so a primary-key look-up (the
/// foreign-key check of every new participant, say) scans the tenant's whole history until
/// autovacuum analyzes the table, a minute or more later. The store analyzes a family of
/// tables itself each time the rows written to it since start double, from
/// [`Growth::FIRST`]: every cached plan is then made again on statistics that know its size.
#[derive(Debug)]
struct Statistics([Growth; 3]);

/// The families of tables whose growth is followed, each analyzed together.
const FAMILIES: [&[&str]; 3] = [
    &[
        "interactions",
        "participants",
        "messages",
        "transfers",
        "recordings",
        "interaction_counts",
        "timers",
    ],
    &["events"],
    &["agent_state_logs", "contacts"],
];

impl Statistics {
    fn new() -> Self {
        Self(std::array::from_fn(|_| Growth::new()))
    }

    /// The statements that refresh the statistics of the families `changes` made grow enough.
    fn due(&self, changes: &Changes) -> Vec<String> {
        let rows = [
            changes.interactions.len() + changes.timers_armed.len(),
            changes.events.len(),
            changes.state_logs.len() + changes.contacts.len(),
        ];
        self.0
            .iter()
            .zip(rows)
            .zip(FAMILIES)
            .filter(|((growth, rows), _)| growth.wrote(*rows as u64))
            .map(|(_, tables)| format!("ANALYZE {}", tables.join(", ")))
            .collect()
    }
}

/// Rows written to a family of tables since start, and the count at which it is next analyzed.
#[derive(Debug)]
struct Growth {
    written: std::sync::atomic::AtomicU64,
    next: std::sync::atomic::AtomicU64,
}

impl Growth {
    /// Rows written before the first refresh.
    const FIRST: u64 = 1_000;

    fn new() -> Self {
        Self {
            written: 0.into(),
            next: Self::FIRST.into(),
        }
    }

    /// Counts `rows` more written; true when that reaches the next refresh (and moves it to
    /// twice the rows written so far).
    fn wrote(&self, rows: u64) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let written = self.written.fetch_add(rows, Relaxed) + rows;
        let next = self.next.load(Relaxed);
        written >= next
            && self
                .next
                .compare_exchange(next, written.saturating_mul(2), Relaxed, Relaxed)
                .is_ok()
    }
}

/// Runs the same call on whichever backend's repository the store holds.
macro_rules! on {
    ($self:ident, $r:ident => $call:expr) => {
        match &$self.repo {
            Repo::Sqlite($r) => $call,
            Repo::Postgres($r) => $call,
        }
    };
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://...`) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let timeout = Duration::from_secs(10);
        let repo = if url.starts_with("sqlite:") {
            // WAL with synchronous=NORMAL survives a crash of the process (the durability we
            // promise); only an OS crash could lose the last commit. Foreign keys make DELETE of
            // a tenant cascade to all of its rows.
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(timeout)
                // Statement journals of multi-row upserts stay in memory instead of temporary
                // files opened and unlinked during a write.
                .pragma("temp_store", "memory");
            // Page caches are a memory budget: readers keep SQLite's default 2 MiB each, the
            // one writer 8 MiB, so the index pages a write walks stay in memory on a long
            // history (8 MiB on every connection held 60 MB more under the soak).
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(timeout)
                .connect_with(options.clone().pragma("cache_size", "-2048"))
                .await?;
            sqlx::migrate!("../../migrations/sqlite").run(&pool).await?;
            let writer = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(timeout)
                .connect_with(options.pragma("cache_size", "-8192"))
                .await?;
            Repo::Sqlite(sqlite::Repo { pool, writer })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(timeout)
                .connect(url)
                .await?;
            sqlx::migrate!("../../migrations/postgres")
                .run(&pool)
                .await?;
            Repo::Postgres(postgres::Repo {
                writer: pool.clone(),
                pool,
            })
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let store = Self {
            repo,
            statistics: std::sync::Arc::new(Statistics::new()),
        };
        on!(store, r => r.upgrade_documents().await)?;
        Ok(store)
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        match self.repo {
            Repo::Sqlite(_) => Backend::Sqlite,
            Repo::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        on!(self, r => {
            r.writer.close().await;
            r.pool.close().await
        })
    }

    /// Inserts a new tenant; returns false if the id is taken.
    pub async fn insert_tenant(&self, tenant: &Tenant, clock: &Clock) -> Result<bool> {
        on!(self, r => r.insert_tenant(tenant, clock).await)
    }

    /// All tenants, oldest first.
    pub async fn list_tenants(&self) -> Result<Vec<TenantRecord>> {
        on!(self, r => r.list_tenants().await)
    }

    /// One tenant, if it exists.
    pub async fn get_tenant(&self, id: &TenantId) -> Result<Option<TenantRecord>> {
        on!(self, r => r.get_tenant(id).await)
    }

    /// Deletes a tenant and every row that belongs to it; returns false if it did not exist.
    pub async fn delete_tenant(&self, id: &TenantId) -> Result<bool> {
        on!(self, r => r.delete_tenant(id).await)
    }

    /// Writes everything one command changed, atomically.
    pub async fn commit(&self, tenant: &TenantId, changes: &Changes) -> Result<()> {
        on!(self, r => r.commit(tenant, changes).await)?;
        if let Repo::Postgres(r) = &self.repo {
            for sql in self.statistics.due(changes) {
                let pool = r.pool.clone();
                // In the background: the commit is done, and ANALYZE only reads.
                tokio::spawn(async move {
                    if let Err(error) = sqlx::query(&sql).execute(&pool).await {
                        tracing::warn!(%error, "refreshing the planner's statistics failed");
                    }
                });
            }
        }
        Ok(())
    }

    /// One record of a document kind.
    pub async fn get<E: Entity>(&self, tenant: &TenantId, id: &str) -> Result<Option<E>> {
        on!(self, r => r.get(tenant, id).await)
    }

    /// All records of one document kind in a tenant, ordered by id.
    pub async fn list<E: Entity>(&self, tenant: &TenantId) -> Result<Vec<E>> {
        on!(self, r => r.list(tenant).await)
    }

    /// What a tenant's contact center needs in memory after a restart: every document, the
    /// interactions that have not ended and the directory; never ended interactions, state logs
    /// or contacts.
    pub async fn live_documents(&self, tenant: &TenantId) -> Result<Vec<Document>> {
        on!(self, r => r.live_documents(tenant).await)
    }

    /// Every document (configuration record) of a tenant, by kind and id.
    pub async fn documents(&self, tenant: &TenantId) -> Result<Vec<Document>> {
        on!(self, r => r.documents(tenant).await)
    }

    /// Events after `after` in order, at most `limit`.
    pub async fn list_events(
        &self,
        tenant: &TenantId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<EventRecord>> {
        on!(self, r => r.list_events(tenant, after, limit).await)
    }

    /// The highest event sequence number of a tenant (0 when it has none).
    pub async fn last_event_seq(&self, tenant: &TenantId) -> Result<i64> {
        on!(self, r => r.last_event_seq(tenant).await)
    }

    /// Pending timers of a tenant, in firing order.
    pub async fn list_timers(&self, tenant: &TenantId) -> Result<Vec<Timer>> {
        on!(self, r => r.list_timers(tenant).await)
    }

    /// The highest timer id of a tenant ever still pending (0 when none).
    pub async fn last_timer_id(&self, tenant: &TenantId) -> Result<i64> {
        on!(self, r => r.last_timer_id(tenant).await)
    }

    /// Counts the rows a tenant owns in every table (used to prove deletes are complete).
    pub async fn count_rows(&self, tenant: &TenantId) -> Result<i64> {
        on!(self, r => r.count_rows(tenant).await)
    }

    /// One interaction with its participants, transfers, recordings and transcript.
    pub async fn interaction(&self, tenant: &TenantId, id: &str) -> Result<Option<Interaction>> {
        on!(self, r => r.interaction(tenant, id).await)
    }

    /// One interaction by its per-tenant number.
    pub async fn interaction_by_number(
        &self,
        tenant: &TenantId,
        number: u64,
    ) -> Result<Option<Interaction>> {
        on!(self, r => r.interaction_by_number(tenant, number).await)
    }

    /// The interactions that have not ended, whole, by number (what start-up loads).
    pub async fn open_interactions(&self, tenant: &TenantId) -> Result<Vec<Interaction>> {
        on!(self, r => r.open_interactions(tenant).await)
    }

    /// The highest interaction number of a tenant (0 when it has none).
    pub async fn last_interaction_number(&self, tenant: &TenantId) -> Result<u64> {
        on!(self, r => r.last_interaction_number(tenant).await)
    }

    /// A page of interactions that match `filter`, with transcripts if it asks for them.
    pub async fn interactions(
        &self,
        tenant: &TenantId,
        filter: &InteractionFilter,
    ) -> Result<Page<Interaction>> {
        on!(self, r => r.interactions(tenant, filter).await)
    }

    /// A page of agent state logs that match `filter`, by start time, agent and sequence.
    pub async fn state_logs(
        &self,
        tenant: &TenantId,
        filter: &StateLogFilter,
    ) -> Result<Page<AgentStateLog>> {
        on!(self, r => r.state_logs(tenant, filter).await)
    }

    /// For each log, the state its agent was in during the period before it (`None` for an
    /// agent's first period): one query for the whole list.
    pub async fn previous_states(
        &self,
        tenant: &TenantId,
        logs: &[AgentStateLog],
    ) -> Result<Vec<Option<AgentState>>> {
        on!(self, r => r.previous_states(tenant, logs).await)
    }

    /// Service-level counts of each `(queue, threshold_ms)` over the tenant's history.
    pub async fn service_levels(
        &self,
        tenant: &TenantId,
        queues: &[(String, i64)],
    ) -> Result<Vec<ServiceLevel>> {
        on!(self, r => r.service_levels(tenant, queues).await)
    }

    /// The contact a key names (the oldest by id when several match).
    pub async fn contact(&self, tenant: &TenantId, key: &ContactKey) -> Result<Option<Contact>> {
        on!(self, r => r.contact(tenant, key).await)
    }

    /// The highest numeric contact id of a tenant (0 when it has none).
    pub async fn last_contact_id(&self, tenant: &TenantId) -> Result<u64> {
        on!(self, r => r.last_contact_id(tenant).await)
    }

    /// The contacts with these ids (those that exist), by id.
    pub async fn contacts_by_id(&self, tenant: &TenantId, ids: &[String]) -> Result<Vec<Contact>> {
        on!(self, r => r.contacts_by_id(tenant, ids).await)
    }

    /// The numbers of the interactions with these ids (those that exist), as `(id, number)`.
    pub async fn interaction_numbers(
        &self,
        tenant: &TenantId,
        ids: &[String],
    ) -> Result<Vec<(String, u64)>> {
        on!(self, r => r.interaction_numbers(tenant, ids).await)
    }

    /// A page of contacts, by id.
    pub async fn contacts(
        &self,
        tenant: &TenantId,
        offset: u64,
        limit: u64,
    ) -> Result<Page<Contact>> {
        on!(self, r => r.contacts(tenant, offset, limit).await)
    }

    /// Deletes a tenant's history beyond `limits`, the oldest first, in one transaction; open
    /// interactions, pending deliveries and timers are never touched.
    pub async fn prune(&self, tenant: &TenantId, limits: &Retention) -> Result<Pruned> {
        on!(self, r => r.prune(tenant, limits).await)
    }

    /// A tenant's agents as stored, with their skills and teams, by id (the engine answers from
    /// its working set instead).
    pub async fn agents(&self, tenant: &TenantId) -> Result<Vec<Agent>> {
        on!(self, r => r.agents(tenant).await)
    }

    /// A tenant's teams, by id.
    pub async fn teams(&self, tenant: &TenantId) -> Result<Vec<Team>> {
        on!(self, r => r.teams(tenant).await)
    }

    /// A tenant's skills, by id.
    pub async fn skills(&self, tenant: &TenantId) -> Result<Vec<Skill>> {
        on!(self, r => r.skills(tenant).await)
    }

    /// Pending deliveries due at `now_ms` that are at the head of their (tenant, URL) queue, oldest
    /// first, at most `limit`.
    pub async fn due_deliveries(&self, now_ms: i64, limit: i64) -> Result<Vec<DueDelivery>> {
        on!(self, r => r.due_deliveries(now_ms, limit).await)
    }

    /// The earliest time after `now_ms` at which some queue head falls due (`None`: nothing waits).
    pub async fn next_delivery_due(&self, now_ms: i64) -> Result<Option<i64>> {
        on!(self, r => r.next_delivery_due(now_ms).await)
    }

    /// Records one attempt and what follows from it, in one transaction. Returns false (and writes
    /// nothing) when the delivery no longer exists or is no longer pending.
    pub async fn record_attempt(
        &self,
        id: i64,
        attempt: &outbox::Attempt,
        next: NextStep,
    ) -> Result<bool> {
        on!(self, r => r.record_attempt(id, attempt, next).await)
    }

    /// A tenant's deliveries, newest first, at most `limit`, optionally only those in `state`,
    /// each with its attempt log.
    pub async fn list_deliveries(
        &self,
        tenant: &TenantId,
        state: Option<DeliveryState>,
        limit: i64,
    ) -> Result<Vec<DeliveryRecord>> {
        on!(self, r => r.list_deliveries(tenant, state, limit).await)
    }
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod statistics_tests {
    use super::{Changes, Growth, Statistics};
    use ccemu_core::event::{DomainEvent, EventRecord};

    #[test]
    fn a_family_is_analyzed_each_time_the_rows_written_to_it_double() {
        let g = Growth::new();
        let mut due = Vec::new();
        for n in 1..=10_000u64 {
            if g.wrote(1) {
                due.push(n);
            }
        }
        assert_eq!(due, [1_000, 2_000, 4_000, 8_000]);
        // A large write that passes several thresholds refreshes once.
        assert!(g.wrote(100_000));
        assert!(!g.wrote(1));
    }

    #[test]
    fn events_growing_do_not_use_up_the_refresh_of_the_interactions() {
        let s = Statistics::new();
        let events = Changes {
            events: vec![
                EventRecord {
                    seq: 1,
                    at_ms: 0,
                    event: DomainEvent::TenantReset,
                };
                5_000
            ],
            ..Changes::default()
        };
        assert_eq!(s.due(&events), ["ANALYZE events"]);
        let call = ccemu_core::interaction::Interaction::new(
            "c1",
            ccemu_core::interaction::Channel::Voice,
            ccemu_core::interaction::Direction::Inbound,
            0,
        );
        let mut calls = Changes {
            interactions: vec![call; 999],
            ..Changes::default()
        };
        assert!(s.due(&calls).is_empty());
        calls.interactions.truncate(1);
        let due = s.due(&calls);
        assert_eq!(due.len(), 1);
        assert!(
            due[0].starts_with("ANALYZE interactions, participants"),
            "{due:?}"
        );
    }
}
