//! The repository: tenants, one transaction per command, documents, events and timers, and the
//! upgrade of an earlier release's documents. Compiled once per backend (see [`crate::sqlite`]).

use super::{directory, typed, DbRow, Repo, Tx};
use crate::sql::{after_tenant, plain_insert_sql, upsert_sql, BATCH};
use crate::{
    is_typed, last_writes, Changes, Document, Result, StoreError, TenantRecord, TENANT_TABLES,
    TYPED_KINDS,
};
use ccemu_core::interaction::Interaction;
use ccemu_core::{
    clock::Clock, event::EventRecord, timer::Timer, Agent, AgentStateLog, Contact, Credentials,
    Entity, Queue, Skill, Team, Tenant, TenantId,
};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

impl Repo {
    /// A transaction that writes (every transaction of the store does).
    pub(crate) async fn write(&self) -> Result<Tx<'static>> {
        Ok(self.writer.begin_with(super::BEGIN_WRITE).await?)
    }

    /// Moves the records that an earlier release kept as documents in `entities` into the typed
    /// tables (history, and the directory of agents, teams, skills and queues), numbering interactions in creation order. Runs at every start and does nothing
    /// once no such document is left (a database this release wrote never has one).
    pub(crate) async fn upgrade_documents(&self) -> Result<()> {
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
        let mut tx = self.write().await?;
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
                directory::put_agent(&mut tx, &tenant, a, true).await?;
            }
            for q in &seeded.queues {
                directory::put_queue(&mut tx, &tenant, q).await?;
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
            }
            let interactions: Vec<&Interaction> = interactions.iter().collect();
            typed::put_interactions(&mut tx, &tenant, &interactions).await?;
            let logs: Vec<&AgentStateLog> = logs.iter().collect();
            typed::put_state_logs(&mut tx, &tenant, &logs).await?;
            for c in &contacts {
                typed::put_contact(&mut tx, &tenant, c).await?;
            }
            typed::recount(&mut tx, &tenant).await?;
        }
        sqlx::query(&format!("DELETE FROM entities WHERE {typed}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The event sequence number of each `interaction.created` in a tenant's log, by interaction id.
    async fn creation_seqs(tx: &mut Tx<'_>, tenant: &str) -> Result<HashMap<String, i64>> {
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
        let mut tx = self.write().await?;
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
        let mut tx = self.write().await?;
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
            directory::put_agent(&mut tx, t, a, whole).await?;
        }
        let queues = last_writes(seeded.queues.iter().chain(&changes.queues), |q: &Queue| {
            q.id.as_str()
        });
        for q in queues {
            directory::put_queue(&mut tx, t, q).await?;
        }
        let contacts = last_writes(
            seeded.contacts.iter().chain(&changes.contacts),
            |c: &Contact| c.id.as_str(),
        );
        for c in contacts {
            typed::put_contact(&mut tx, t, c).await?;
        }
        let interactions = last_writes(
            seeded.interactions.iter().chain(&changes.interactions),
            |i: &Interaction| i.id.as_str(),
        );
        let added =
            typed::new_by_channel(&mut tx, t, &interactions, changes.numbered_before()).await?;
        typed::put_interactions(&mut tx, t, &interactions).await?;
        typed::add_counts(&mut tx, t, &added).await?;
        let logs: Vec<&AgentStateLog> = seeded.logs.iter().chain(&changes.state_logs).collect();
        typed::put_state_logs(&mut tx, t, &logs).await?;
        // A timer armed and done within the same changes never reaches the table.
        let done: HashSet<i64> = changes.timers_done.iter().copied().collect();
        let armed = last_writes(
            changes.timers_armed.iter().filter(|x| !done.contains(&x.id)),
            |x: &Timer| x.id,
        );
        let columns = ["tenant_id", "id", "due_ms", "action"];
        for chunk in armed.chunks(BATCH) {
            let sql = upsert_sql(super::MARKS, "timers", &columns, &["tenant_id", "id"], chunk.len());
            let mut q = sqlx::query(&sql);
            for timer in chunk {
                q = q
                    .bind(t)
                    .bind(timer.id)
                    .bind(timer.due_ms)
                    .bind(serde_json::to_string(&timer.action)?);
            }
            q.execute(&mut *tx).await?;
        }
        let armed_here: HashSet<i64> = changes.timers_armed.iter().map(|x| x.id).collect();
        let stored_done: Vec<i64> = changes
            .timers_done
            .iter()
            .copied()
            .filter(|id| !armed_here.contains(id))
            .collect();
        for chunk in stored_done.chunks(BATCH) {
            let marks = after_tenant(chunk.len());
            let sql = format!(
                "DELETE FROM timers WHERE tenant_id = $1 AND id IN ({})",
                marks
            );
            let mut q = sqlx::query(&sql).bind(t);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in changes.events.chunks(BATCH) {
            let columns = ["tenant_id", "seq", "at_ms", "kind", "data"];
            let sql = plain_insert_sql(super::MARKS, "events", &columns, chunk.len());
            let mut q = sqlx::query(&sql);
            for record in chunk {
                let value = serde_json::to_value(&record.event)?;
                let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
                let data = value.get("data").cloned().unwrap_or_default();
                q = q
                    .bind(t)
                    .bind(record.seq)
                    .bind(record.at_ms)
                    .bind(kind.to_owned())
                    .bind(data.to_string());
            }
            q.execute(&mut *tx).await?;
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
    /// interactions that have not ended and the directory; never ended interactions, state logs
    /// or contacts.
    pub async fn live_documents(&self, tenant: &TenantId) -> Result<Vec<Document>> {
        let mut docs = self.documents(tenant).await?;
        for i in self.open_interactions(tenant).await? {
            docs.push(Document::from_entity(&i)?);
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

fn tenant_from_row(row: &DbRow) -> Result<TenantRecord> {
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

fn event_from_row(row: &DbRow) -> Result<EventRecord> {
    let kind: String = row.try_get(2)?;
    let data: serde_json::Value = serde_json::from_str(&row.try_get::<String, _>(3)?)?;
    let event = serde_json::from_value(serde_json::json!({ "kind": kind, "data": data }))?;
    Ok(EventRecord {
        seq: row.try_get(0)?,
        at_ms: row.try_get(1)?,
        event,
    })
}
