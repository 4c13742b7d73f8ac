//! Storage of ccemu: one sqlx repository over SQLite (embedded default) and PostgreSQL.
//!
//! The SQL is portable (`$n` placeholders, `ON CONFLICT`, BIGINT milliseconds, TEXT JSON), so a single
//! implementation runs on both backends through sqlx's `Any` driver; only the migration folders differ.
//! The store holds no business rules: the engine decides, the store makes it durable.

use ccemu_core::{
    clock::Clock, event::EventRecord, timer::Timer, Credentials, Entity, Tenant, TenantId,
};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::time::Duration;

mod directory;
pub mod outbox;
pub mod query;
mod typed;
pub use typed::Pruned;

use ccemu_core::interaction::Interaction;
use ccemu_core::{Agent, AgentStateLog, Contact, Queue, Skill, Team};
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
    /// that are not stored yet (see `messages_stored`).
    pub interactions: Vec<Interaction>,
    /// How many messages of each open interaction are stored: [`Changes::put`] copies only the
    /// later ones. The engine keeps this from one command to the next; without an entry the
    /// whole transcript is written (a stored message is kept as it is), which is correct, only
    /// slower.
    pub messages_stored: HashMap<String, u32>,
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

impl Changes {
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

    /// Records an agent whose state (its own row) changed, and nothing else.
    pub fn put_agent_state(&mut self, agent: &Agent) {
        self.agents.push(agent.clone());
    }

    /// The interaction as this command last wrote it (with the messages it added).
    pub fn interaction(&self, id: &str) -> Option<&Interaction> {
        self.interactions.iter().rev().find(|i| i.id == id)
    }

    /// Documents of the typed kinds (a seed, a test, an earlier release's rows), typed.
    fn typed_documents(&self) -> Result<Seeded> {
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
struct Seeded {
    interactions: Vec<Interaction>,
    logs: Vec<AgentStateLog>,
    contacts: Vec<Contact>,
    agents: Vec<Agent>,
    queues: Vec<Queue>,
    teams: Vec<Team>,
    skills: Vec<Skill>,
}

/// The kinds kept in typed tables rather than as documents.
const TYPED_KINDS: [&str; 7] = [
    Interaction::KIND,
    AgentStateLog::KIND,
    Contact::KIND,
    Agent::KIND,
    Queue::KIND,
    Team::KIND,
    Skill::KIND,
];

/// Whether a kind is kept in a typed table rather than as a document.
fn is_typed(kind: &str) -> bool {
    TYPED_KINDS.contains(&kind)
}

/// The last write of each record, in the order first written: `key` names a record.
fn last_writes<'a, T, K: std::hash::Hash + Eq>(
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
const TENANT_TABLES: &[&str] = &[
    "participants",
    "messages",
    "transfers",
    "recordings",
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

/// The repository: a connection pool and the backend it talks to.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://...`) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let pool = match backend {
            Backend::Sqlite => {
                options
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL with synchronous=NORMAL survives a crash of the process (the
                            // durability we promise); only an OS crash could lose the last commit.
                            // Foreign keys make DELETE of a tenant cascade to all of its rows.
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = NORMAL",
                                "PRAGMA foreign_keys = ON",
                                "PRAGMA busy_timeout = 10000",
                            ] {
                                sqlx::Executor::execute(&mut *conn, pragma).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
            Backend::Postgres => options.max_connections(16).connect(url).await?,
        };
        match backend {
            Backend::Sqlite => sqlx::migrate!("../../migrations/sqlite").run(&pool).await?,
            Backend::Postgres => {
                sqlx::migrate!("../../migrations/postgres")
                    .run(&pool)
                    .await?
            }
        }
        let store = Self { pool, backend };
        store.upgrade_documents().await?;
        Ok(store)
    }

    /// Moves the records that an earlier release kept as documents in `entities` into the typed
    /// tables (history, and the directory of agents, teams, skills and queues), numbering interactions in creation order. Runs at every start and does nothing
    /// once no such document is left (a database this release wrote never has one).
    async fn upgrade_documents(&self) -> Result<()> {
        let kinds: Vec<String> = TYPED_KINDS.iter().map(|k| format!("'{k}'")).collect();
        let typed = format!("kind IN ({})", kinds.join(", "));
        let left: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM entities WHERE {typed}"))
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        if left == 0 {
            return Ok(());
        }
        tracing::info!(
            documents = left,
            "moving history documents into the typed tables"
        );
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(&format!(
            "SELECT tenant_id, kind, data FROM entities WHERE {typed} ORDER BY tenant_id, kind, id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let mut by_tenant: std::collections::BTreeMap<String, Changes> = Default::default();
        for row in &rows {
            let tenant: String = row.try_get(0)?;
            let kind: String = row.try_get(1)?;
            let data: serde_json::Value = serde_json::from_str(&row.try_get::<String, _>(2)?)?;
            by_tenant.entry(tenant).or_default().puts.push(Document {
                kind,
                id: String::new(),
                data,
            });
        }
        for (tenant, changes) in by_tenant {
            let seeded = changes.typed_documents()?;
            for team in &seeded.teams {
                directory::put_team(&mut tx, &tenant, team).await?;
            }
            for skill in &seeded.skills {
                directory::put_skill(&mut tx, &tenant, skill).await?;
            }
            for a in &seeded.agents {
                directory::put_agent(&mut tx, self.backend, &tenant, a, true).await?;
            }
            for q in &seeded.queues {
                directory::put_queue(&mut tx, self.backend, &tenant, q).await?;
            }
            let (mut interactions, logs, contacts) =
                (seeded.interactions, seeded.logs, seeded.contacts);
            let last: Option<i64> =
                sqlx::query("SELECT MAX(number) FROM interactions WHERE tenant_id = $1")
                    .bind(&tenant)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
            let mut next = u64::try_from(last.unwrap_or(0)).unwrap_or(0);
            // Creation order is the order of the `interaction.created` events: interactions made in
            // the same tenant millisecond (routine on a manual clock) share `created_at_ms`, and
            // their ids are random UUIDs. One without its event (none is ever deleted alone)
            // comes after those of its millisecond that have one, then by id.
            let created = Self::creation_seqs(&mut tx, &tenant).await?;
            let seq = |i: &Interaction| created.get(&i.id).copied().unwrap_or(i64::MAX);
            interactions.sort_by(|a, b| {
                (a.created_at_ms, seq(a), &a.id).cmp(&(b.created_at_ms, seq(b), &b.id))
            });
            for i in &mut interactions {
                if i.number == 0 {
                    next += 1;
                    i.number = next;
                }
                typed::put_interaction(&mut tx, self.backend, &tenant, i).await?;
            }
            for log in &logs {
                typed::put_state_log(&mut tx, self.backend, &tenant, log).await?;
            }
            for c in &contacts {
                typed::put_contact(&mut tx, self.backend, &tenant, c).await?;
            }
        }
        sqlx::query(&format!("DELETE FROM entities WHERE {typed}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The event sequence number of each `interaction.created` in a tenant's log, by interaction id.
    async fn creation_seqs(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        tenant: &str,
    ) -> Result<HashMap<String, i64>> {
        let rows = sqlx::query(
            "SELECT seq, data FROM events WHERE tenant_id = $1 AND kind = 'interaction.created'",
        )
        .bind(tenant)
        .fetch_all(&mut **tx)
        .await?;
        let mut seqs = HashMap::with_capacity(rows.len());
        for row in &rows {
            let data: serde_json::Value = serde_json::from_str(&row.try_get::<String, _>(1)?)?;
            if let Some(id) = data.get("interaction_id").and_then(|v| v.as_str()) {
                seqs.insert(id.to_owned(), row.try_get::<i64, _>(0)?);
            }
        }
        Ok(seqs)
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Inserts a new tenant; returns false if the id is taken.
    pub async fn insert_tenant(&self, tenant: &Tenant, clock: &Clock) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO tenants (id, name, created_at_ms, credentials, clock) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(tenant.id.as_str())
        .bind(&tenant.name)
        .bind(tenant.created_at_ms)
        .bind(serde_json::to_string(&tenant.credentials)?)
        .bind(serde_json::to_string(clock)?)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// All tenants, oldest first.
    pub async fn list_tenants(&self) -> Result<Vec<TenantRecord>> {
        let rows = sqlx::query(
            "SELECT id, name, created_at_ms, credentials, clock FROM tenants \
             ORDER BY created_at_ms, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(tenant_from_row).collect()
    }

    /// One tenant, if it exists.
    pub async fn get_tenant(&self, id: &TenantId) -> Result<Option<TenantRecord>> {
        let row = sqlx::query(
            "SELECT id, name, created_at_ms, credentials, clock FROM tenants WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    /// Deletes a tenant and every row that belongs to it; returns false if it did not exist.
    pub async fn delete_tenant(&self, id: &TenantId) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        // Explicit deletes rather than relying on ON DELETE CASCADE alone: a SQLite connection
        // opened without the foreign_keys pragma would otherwise leave orphans behind.
        for table in TENANT_TABLES {
            sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
        }
        Self::delete_outbox(&mut tx, id.as_str()).await?;
        let done = sqlx::query("DELETE FROM tenants WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Writes everything one command changed, atomically.
    pub async fn commit(&self, tenant: &TenantId, changes: &Changes) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let t = tenant.as_str();
        let mut tx = self.pool.begin().await?;
        if changes.wipe {
            for table in TENANT_TABLES {
                sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
                    .bind(t)
                    .execute(&mut *tx)
                    .await?;
            }
            // A reset also drops deliveries not yet made: a test that resets starts clean.
            Self::delete_outbox(&mut tx, t).await?;
        }
        if let Some(clock) = &changes.clock {
            sqlx::query("UPDATE tenants SET clock = $2 WHERE id = $1")
                .bind(t)
                .bind(serde_json::to_string(clock)?)
                .execute(&mut *tx)
                .await?;
        }
        for (kind, id) in &changes.deletes {
            match kind.as_str() {
                k if k == Interaction::KIND => typed::delete_interaction(&mut tx, t, id).await?,
                k if k == AgentStateLog::KIND => typed::delete_state_log(&mut tx, t, id).await?,
                k if k == Contact::KIND => typed::delete_contact(&mut tx, t, id).await?,
                k if k == Agent::KIND => directory::delete_agent(&mut tx, t, id).await?,
                k if k == Queue::KIND => directory::delete_queue(&mut tx, t, id).await?,
                k if k == Team::KIND => directory::delete_row(&mut tx, "teams", t, id).await?,
                k if k == Skill::KIND => directory::delete_row(&mut tx, "skills", t, id).await?,
                _ => {
                    sqlx::query(
                        "DELETE FROM entities WHERE tenant_id = $1 AND kind = $2 AND id = $3",
                    )
                    .bind(t)
                    .bind(kind)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        let seeded = changes.typed_documents()?;
        let docs = last_writes(
            changes.puts.iter().filter(|d| !is_typed(&d.kind)),
            |d: &Document| (d.kind.as_str(), d.id.as_str()),
        );
        for doc in docs {
            sqlx::query(
                "INSERT INTO entities (tenant_id, kind, id, data) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant_id, kind, id) DO UPDATE SET data = excluded.data",
            )
            .bind(t)
            .bind(&doc.kind)
            .bind(&doc.id)
            .bind(doc.data.to_string())
            .execute(&mut *tx)
            .await?;
        }
        for team in last_writes(seeded.teams.iter(), |x: &Team| x.id.as_str()) {
            directory::put_team(&mut tx, t, team).await?;
        }
        for skill in last_writes(seeded.skills.iter(), |x: &Skill| x.id.as_str()) {
            directory::put_skill(&mut tx, t, skill).await?;
        }
        let agents = last_writes(seeded.agents.iter().chain(&changes.agents), |a: &Agent| {
            a.id.as_str()
        });
        for a in agents {
            let whole =
                changes.agents_whole.contains(&a.id) || seeded.agents.iter().any(|s| s.id == a.id);
            directory::put_agent(&mut tx, self.backend, t, a, whole).await?;
        }
        let queues = last_writes(seeded.queues.iter().chain(&changes.queues), |q: &Queue| {
            q.id.as_str()
        });
        for q in queues {
            directory::put_queue(&mut tx, self.backend, t, q).await?;
        }
        let contacts = last_writes(
            seeded.contacts.iter().chain(&changes.contacts),
            |c: &Contact| c.id.as_str(),
        );
        for c in contacts {
            typed::put_contact(&mut tx, self.backend, t, c).await?;
        }
        let interactions = last_writes(
            seeded.interactions.iter().chain(&changes.interactions),
            |i: &Interaction| i.id.as_str(),
        );
        for i in interactions {
            typed::put_interaction(&mut tx, self.backend, t, i).await?;
        }
        for log in seeded.logs.iter().chain(&changes.state_logs) {
            typed::put_state_log(&mut tx, self.backend, t, log).await?;
        }
        for timer in &changes.timers_armed {
            sqlx::query(
                "INSERT INTO timers (tenant_id, id, due_ms, action) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant_id, id) DO UPDATE SET due_ms = excluded.due_ms, \
                 action = excluded.action",
            )
            .bind(t)
            .bind(timer.id)
            .bind(timer.due_ms)
            .bind(serde_json::to_string(&timer.action)?)
            .execute(&mut *tx)
            .await?;
        }
        for id in &changes.timers_done {
            sqlx::query("DELETE FROM timers WHERE tenant_id = $1 AND id = $2")
                .bind(t)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        for record in &changes.events {
            let value = serde_json::to_value(&record.event)?;
            let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
            let data = value
                .get("data")
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            sqlx::query(
                "INSERT INTO events (tenant_id, seq, at_ms, kind, data) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(t)
            .bind(record.seq)
            .bind(record.at_ms)
            .bind(kind)
            .bind(data.to_string())
            .execute(&mut *tx)
            .await?;
        }
        Self::insert_notifications(&mut tx, t, &changes.notifications).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Refuses a kind kept in a typed table: those are read with their own queries.
    fn document_kind<E: Entity>() -> Result<()> {
        if is_typed(E::KIND) {
            return Err(StoreError::NotADocument(E::KIND));
        }
        Ok(())
    }

    /// One record of a document kind.
    pub async fn get<E: Entity>(&self, tenant: &TenantId, id: &str) -> Result<Option<E>> {
        Self::document_kind::<E>()?;
        let row =
            sqlx::query("SELECT data FROM entities WHERE tenant_id = $1 AND kind = $2 AND id = $3")
                .bind(tenant.as_str())
                .bind(E::KIND)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some(row) => Ok(Some(serde_json::from_str(&row.try_get::<String, _>(0)?)?)),
            None => Ok(None),
        }
    }

    /// All records of one document kind in a tenant, ordered by id.
    pub async fn list<E: Entity>(&self, tenant: &TenantId) -> Result<Vec<E>> {
        Self::document_kind::<E>()?;
        let rows =
            sqlx::query("SELECT data FROM entities WHERE tenant_id = $1 AND kind = $2 ORDER BY id")
                .bind(tenant.as_str())
                .bind(E::KIND)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| Ok(serde_json::from_str(&row.try_get::<String, _>(0)?)?))
            .collect()
    }

    /// What a tenant's contact center needs in memory after a restart: every document, the
    /// interactions that have not ended and the contacts; never ended interactions or state logs.
    pub async fn live_documents(&self, tenant: &TenantId) -> Result<Vec<Document>> {
        let mut docs = self.documents(tenant).await?;
        for i in self.open_interactions(tenant).await? {
            docs.push(Document::from_entity(&i)?);
        }
        for c in self.contacts(tenant, 0, u64::MAX >> 1).await?.items {
            docs.push(Document::from_entity(&c)?);
        }
        let directory = self.directory(tenant).await?;
        for a in &directory.agents {
            docs.push(Document::from_entity(a)?);
        }
        for q in &directory.queues {
            docs.push(Document::from_entity(q)?);
        }
        for team in &directory.teams {
            docs.push(Document::from_entity(team)?);
        }
        for skill in &directory.skills {
            docs.push(Document::from_entity(skill)?);
        }
        Ok(docs)
    }

    /// Every document (configuration record) of a tenant, by kind and id.
    pub async fn documents(&self, tenant: &TenantId) -> Result<Vec<Document>> {
        let rows = sqlx::query(
            "SELECT kind, id, data FROM entities WHERE tenant_id = $1 ORDER BY kind, id",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Document {
                    kind: row.try_get(0)?,
                    id: row.try_get(1)?,
                    data: serde_json::from_str(&row.try_get::<String, _>(2)?)?,
                })
            })
            .collect()
    }

    /// Events after `after` in order, at most `limit`.
    pub async fn list_events(
        &self,
        tenant: &TenantId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<EventRecord>> {
        let rows = sqlx::query(
            "SELECT seq, at_ms, kind, data FROM events WHERE tenant_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(tenant.as_str())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The highest event sequence number of a tenant (0 when it has none).
    pub async fn last_event_seq(&self, tenant: &TenantId) -> Result<i64> {
        let row = sqlx::query("SELECT MAX(seq) FROM events WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?.unwrap_or(0))
    }

    /// Pending timers of a tenant, in firing order.
    pub async fn list_timers(&self, tenant: &TenantId) -> Result<Vec<Timer>> {
        let rows = sqlx::query(
            "SELECT id, due_ms, action FROM timers WHERE tenant_id = $1 ORDER BY due_ms, id",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Timer {
                    id: row.try_get(0)?,
                    due_ms: row.try_get(1)?,
                    action: serde_json::from_str(&row.try_get::<String, _>(2)?)?,
                })
            })
            .collect()
    }

    /// The highest timer id of a tenant ever still pending (0 when none).
    pub async fn last_timer_id(&self, tenant: &TenantId) -> Result<i64> {
        let row = sqlx::query("SELECT MAX(id) FROM timers WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?.unwrap_or(0))
    }

    /// Counts the rows a tenant owns in every table (used to prove deletes are complete).
    pub async fn count_rows(&self, tenant: &TenantId) -> Result<i64> {
        let mut total = 0;
        for table in TENANT_TABLES {
            let row = sqlx::query(&format!(
                "SELECT COUNT(*) FROM {table} WHERE tenant_id = $1"
            ))
            .bind(tenant.as_str())
            .fetch_one(&self.pool)
            .await?;
            total += row.try_get::<i64, _>(0)?;
        }
        total += self.count_outbox_rows(tenant.as_str()).await?;
        let row = sqlx::query("SELECT COUNT(*) FROM tenants WHERE id = $1")
            .bind(tenant.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(total + row.try_get::<i64, _>(0)?)
    }
}

fn tenant_from_row(row: &AnyRow) -> Result<TenantRecord> {
    let id: String = row.try_get(0)?;
    let credentials: Credentials = serde_json::from_str(&row.try_get::<String, _>(3)?)?;
    Ok(TenantRecord {
        tenant: Tenant {
            // Ids were validated before they were stored; a bad one is a corrupt row.
            id: TenantId::parse(&id)
                .map_err(|e| StoreError::Database(sqlx::Error::Decode(e.to_string().into())))?,
            name: row.try_get(1)?,
            created_at_ms: row.try_get(2)?,
            credentials,
        },
        clock: serde_json::from_str(&row.try_get::<String, _>(4)?)?,
    })
}

fn event_from_row(row: &AnyRow) -> Result<EventRecord> {
    let kind: String = row.try_get(2)?;
    let data: serde_json::Value = serde_json::from_str(&row.try_get::<String, _>(3)?)?;
    let event = serde_json::from_value(serde_json::json!({ "kind": kind, "data": data }))?;
    Ok(EventRecord {
        seq: row.try_get(0)?,
        at_ms: row.try_get(1)?,
        event,
    })
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;
