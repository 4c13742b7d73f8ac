//! The typed tables of what grows with history: interactions with their participants, transcript,
//! transfers and recordings; agent state logs; contacts. Each record is written as the rows it
//! changes (a message is one insert) and read back with indexed queries.

use super::{DbRow, Query, Repo, Tx};
use crate::query::{
    ContactKey, InteractionFilter, InteractionOrder, Page, ServiceLevel, StateLogFilter,
};
use crate::sql::{
    after_tenant, corrupt, ended_beyond, i64_of, insert_new_sql, name, parse, parse_opt, state_columns,
    state_from, upsert_sql, Bind, Pruned, BATCH,
};
use crate::Result;
use ccemu_core::interaction::{Attachment, Interaction, Message, Participant, Recording, Transfer};
use ccemu_core::{AgentState, AgentStateLog, Contact, TenantId};
use serde::de::DeserializeOwned;
use sqlx::types::Json;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// A JSON column (JSONB on PostgreSQL, TEXT on SQLite), parsed.
pub(crate) fn json<T: DeserializeOwned>(row: &DbRow, column: &str) -> Result<T> {
    Ok(row.try_get::<Json<T>, _>(column)?.0)
}

const INTERACTION_COLUMNS: &[&str] = &[
    "tenant_id",
    "id",
    "number",
    "channel",
    "direction",
    "state",
    "state_since_ms",
    "queue_id",
    "agent_id",
    "contact_id",
    "from_address",
    "to_address",
    "subject",
    "priority",
    "lang",
    "parent_id",
    "campaign_id",
    "created_at_ms",
    "scheduled_at_ms",
    "queued_at_ms",
    "queue_seq",
    "offered_at_ms",
    "answered_at_ms",
    "ended_at_ms",
    "hold_ms",
    "ended_by",
    "end_reason",
    "updated_at_ms",
    "custom_data",
];

/// Writes interactions' own rows, their participants, transfers and recordings, and the messages
/// they hold (a message already stored is kept as it is: the transcript is append-only). Each
/// table is written with multi-row statements across all of `all`, whose ids must be distinct:
/// a group of commands costs a few statements, not a few per interaction.
pub(crate) async fn put_interactions(tx: &mut Tx<'_>, t: &str, all: &[&Interaction]) -> Result<()> {
    for chunk in all.chunks(BATCH) {
        let sql = upsert_sql(super::MARKS, "interactions", INTERACTION_COLUMNS, &["tenant_id", "id"], chunk.len());
        let mut q = sqlx::query(&sql);
        for i in chunk {
            q = q
                .bind(t)
                .bind(&i.id)
                .bind(i64_of(i.number))
                .bind(name(&i.channel)?)
                .bind(name(&i.direction)?)
                .bind(i.state.name())
                .bind(i.state_since_ms)
                .bind(i.queue_id.as_deref())
                .bind(i.agent_id.as_deref())
                .bind(i.contact_id.as_deref())
                .bind(&i.from)
                .bind(&i.to)
                .bind(&i.subject)
                .bind(i64::from(i.priority))
                .bind(i.lang.as_deref())
                .bind(i.parent_id.as_deref())
                .bind(i.campaign_id.as_deref())
                .bind(i.created_at_ms)
                .bind(i.scheduled_at_ms)
                .bind(i.queued_at_ms)
                .bind(i64_of(i.queue_seq))
                .bind(i.offered_at_ms)
                .bind(i.answered_at_ms)
                .bind(i.ended_at_ms)
                .bind(i.hold_ms)
                .bind(i.ended_by.as_ref().map(name).transpose()?)
                .bind(i.end_reason.as_ref().map(name).transpose()?)
                .bind(i.updated_at_ms)
                .bind(Json(&i.custom_data));
        }
        q.execute(&mut **tx).await?;
    }
    put_participants(tx, t, &children(all, |i| &i.participants)).await?;
    put_transfers(tx, t, &children(all, |i| &i.transfers)).await?;
    put_recordings(tx, t, &children(all, |i| &i.recordings)).await?;
    insert_messages(tx, t, &children(all, |i| &i.messages)).await
}

/// An interaction's child row: the interaction's id, the row's position from 1, the row.
type Child<'a, T> = (&'a str, i64, &'a T);

/// Every child row of `all` that `rows` picks, with its interaction and position.
fn children<'a, T>(
    all: &[&'a Interaction],
    rows: impl Fn(&'a Interaction) -> &'a [T],
) -> Vec<Child<'a, T>> {
    all.iter()
        .flat_map(|i| {
            rows(i)
                .iter()
                .enumerate()
                .map(|(n, row)| (i.id.as_str(), n as i64 + 1, row))
        })
        .collect()
}

/// Keys of an interaction's child rows.
const CHILD_KEYS: &[&str] = &["tenant_id", "interaction_id", "id"];

const PARTICIPANT_COLUMNS: &[&str] = &[
    "tenant_id",
    "interaction_id",
    "id",
    "position",
    "kind",
    "agent_id",
    "contact_id",
    "nickname",
    "address",
    "state",
    "joined_at_ms",
    "connected_at_ms",
    "left_at_ms",
    "left_reason",
];

async fn put_participants(tx: &mut Tx<'_>, t: &str, all: &[Child<'_, Participant>]) -> Result<()> {
    for chunk in all.chunks(BATCH) {
        let sql = upsert_sql(super::MARKS, "participants", PARTICIPANT_COLUMNS, CHILD_KEYS, chunk.len());
        let mut q = sqlx::query(&sql);
        for (interaction_id, position, p) in chunk {
            q = q
                .bind(t)
                .bind(*interaction_id)
                .bind(&p.id)
                .bind(*position)
                .bind(name(&p.kind)?)
                .bind(p.agent_id.as_deref())
                .bind(p.contact_id.as_deref())
                .bind(&p.nickname)
                .bind(p.address.as_deref())
                .bind(name(&p.state)?)
                .bind(p.joined_at_ms)
                .bind(p.connected_at_ms)
                .bind(p.left_at_ms)
                .bind(p.left_reason.as_ref().map(name).transpose()?);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

const TRANSFER_COLUMNS: &[&str] = &[
    "tenant_id",
    "interaction_id",
    "id",
    "position",
    "status",
    "from_agent_id",
    "to_agent_id",
    "from_queue_id",
    "to_queue_id",
    "to_number",
    "created_at_ms",
];

async fn put_transfers(tx: &mut Tx<'_>, t: &str, all: &[Child<'_, Transfer>]) -> Result<()> {
    for chunk in all.chunks(BATCH) {
        let sql = upsert_sql(super::MARKS, "transfers", TRANSFER_COLUMNS, CHILD_KEYS, chunk.len());
        let mut q = sqlx::query(&sql);
        for (interaction_id, position, x) in chunk {
            q = q
                .bind(t)
                .bind(*interaction_id)
                .bind(&x.id)
                .bind(*position)
                .bind(name(&x.status)?)
                .bind(x.from_agent_id.as_deref())
                .bind(x.to_agent_id.as_deref())
                .bind(x.from_queue_id.as_deref())
                .bind(x.to_queue_id.as_deref())
                .bind(x.to_number.as_deref())
                .bind(x.created_at_ms);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

const RECORDING_COLUMNS: &[&str] = &[
    "tenant_id",
    "interaction_id",
    "id",
    "position",
    "url",
    "started_at_ms",
    "ended_at_ms",
];

async fn put_recordings(tx: &mut Tx<'_>, t: &str, all: &[Child<'_, Recording>]) -> Result<()> {
    for chunk in all.chunks(BATCH) {
        let sql = upsert_sql(super::MARKS, "recordings", RECORDING_COLUMNS, CHILD_KEYS, chunk.len());
        let mut q = sqlx::query(&sql);
        for (interaction_id, position, r) in chunk {
            q = q
                .bind(t)
                .bind(*interaction_id)
                .bind(&r.id)
                .bind(*position)
                .bind(&r.url)
                .bind(r.started_at_ms)
                .bind(r.ended_at_ms);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

const MESSAGE_COLUMNS: &[&str] = &[
    "tenant_id",
    "interaction_id",
    "idx",
    "id",
    "kind",
    "from_participant_id",
    "from_kind",
    "text",
    "subject",
    "html",
    "visibility",
    "attachments",
    "sent_at_ms",
];

/// Inserts messages, several rows a statement; a message already stored is left as it is (the
/// transcript is append-only).
async fn insert_messages(tx: &mut Tx<'_>, t: &str, messages: &[Child<'_, Message>]) -> Result<()> {
    for chunk in messages.chunks(BATCH) {
        let keys = ["tenant_id", "interaction_id", "idx"];
        let sql = insert_new_sql(super::MARKS, "messages", MESSAGE_COLUMNS, &keys, chunk.len());
        let mut query = sqlx::query(&sql);
        for (interaction_id, _, m) in chunk {
            query = query
                .bind(t)
                .bind(*interaction_id)
                .bind(i64::from(m.index))
                .bind(&m.id)
                .bind(name(&m.kind)?)
                .bind(m.from_participant_id.as_deref())
                .bind(name(&m.from_kind)?)
                .bind(&m.text)
                .bind(m.subject.as_deref())
                .bind(m.html.as_deref())
                .bind(name(&m.visibility)?)
                .bind(Json(&m.attachments))
                .bind(m.sent_at_ms);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Deletes an interaction and (by cascade) its child rows.
pub(crate) async fn delete_interaction(tx: &mut Tx<'_>, t: &str, id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE interaction_counts SET n = n - 1 WHERE tenant_id = $1 AND channel = \
         (SELECT channel FROM interactions WHERE tenant_id = $1 AND id = $2)",
    )
    .bind(t)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    for table in ["participants", "messages", "transfers", "recordings"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE tenant_id = $1 AND interaction_id = $2"
        ))
        .bind(t)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM interactions WHERE tenant_id = $1 AND id = $2")
        .bind(t)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many of `interactions` are not stored yet, by channel (call before writing them). A new
/// interaction is numbered above every stored one (see [`crate::Changes::interactions`]), so the
/// highest stored number tells, whatever the size of the group: `numbered_to` when the caller
/// knows it, else one indexed look-up.
pub(crate) async fn new_by_channel(
    tx: &mut Tx<'_>,
    t: &str,
    interactions: &[&Interaction],
    numbered_to: Option<u64>,
) -> Result<BTreeMap<String, i64>> {
    let mut added = BTreeMap::new();
    if interactions.is_empty() {
        return Ok(added);
    }
    let last = match numbered_to {
        Some(n) => i64_of(n),
        None => {
            let last: Option<i64> =
                sqlx::query("SELECT MAX(number) FROM interactions WHERE tenant_id = $1")
                    .bind(t)
                    .fetch_one(&mut **tx)
                    .await?
                    .try_get(0)?;
            last.unwrap_or(0)
        }
    };
    for i in interactions.iter().filter(|i| i64_of(i.number) > last) {
        *added.entry(name(&i.channel)?).or_insert(0) += 1;
    }
    Ok(added)
}

/// Adds `delta` (negative: removes) to a tenant's interaction counts by channel.
pub(crate) async fn add_counts(
    tx: &mut Tx<'_>,
    t: &str,
    delta: &BTreeMap<String, i64>,
) -> Result<()> {
    for (channel, n) in delta.iter().filter(|(_, n)| **n != 0) {
        sqlx::query(
            "INSERT INTO interaction_counts (tenant_id, channel, n) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id, channel) DO UPDATE SET n = interaction_counts.n + excluded.n",
        )
        .bind(t)
        .bind(channel.as_str())
        .bind(*n)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Counts a tenant's interactions by channel again from its rows (after an upgrade).
pub(crate) async fn recount(tx: &mut Tx<'_>, t: &str) -> Result<()> {
    sqlx::query("DELETE FROM interaction_counts WHERE tenant_id = $1")
        .bind(t)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO interaction_counts (tenant_id, channel, n) \
         SELECT tenant_id, channel, COUNT(*) FROM interactions WHERE tenant_id = $1 \
         GROUP BY tenant_id, channel",
    )
    .bind(t)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const STATE_LOG_COLUMNS: &[&str] = &[
    "tenant_id",
    "agent_id",
    "seq",
    "from_state",
    "from_reason",
    "from_sub_state",
    "from_until_ms",
    "to_state",
    "to_reason",
    "to_sub_state",
    "to_until_ms",
    "start_ms",
    "end_ms",
    "duration_ms",
];

/// Appends agent state logs, several rows a statement (a log is never changed once written).
pub(crate) async fn put_state_logs(
    tx: &mut Tx<'_>,
    t: &str,
    logs: &[&AgentStateLog],
) -> Result<()> {
    let keys = ["tenant_id", "agent_id", "seq"];
    for chunk in logs.chunks(BATCH) {
        let sql = upsert_sql(super::MARKS, "agent_state_logs", STATE_LOG_COLUMNS, &keys, chunk.len());
        let mut q = sqlx::query(&sql);
        for log in chunk {
            let (fs, fr, fsub, fu) = state_columns(&log.from)?;
            let (ts, tr, tsub, tu) = state_columns(&log.to)?;
            q = q
                .bind(t)
                .bind(&log.agent_id)
                .bind(i64_of(log.seq()))
                .bind(fs)
                .bind(fr)
                .bind(fsub)
                .bind(fu)
                .bind(ts)
                .bind(tr)
                .bind(tsub)
                .bind(tu)
                .bind(log.start_ms)
                .bind(log.end_ms)
                .bind(log.duration_ms);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

fn state_log_from_row(row: &DbRow) -> Result<AgentStateLog> {
    let agent_id: String = row.try_get("agent_id")?;
    let seq: i64 = row.try_get("seq")?;
    Ok(AgentStateLog {
        id: format!("{agent_id}-{seq}"),
        agent_id,
        from: state_from(
            row.try_get("from_state")?,
            row.try_get("from_reason")?,
            row.try_get("from_sub_state")?,
            row.try_get("from_until_ms")?,
        )?,
        to: state_from(
            row.try_get("to_state")?,
            row.try_get("to_reason")?,
            row.try_get("to_sub_state")?,
            row.try_get("to_until_ms")?,
        )?,
        start_ms: row.try_get("start_ms")?,
        end_ms: row.try_get("end_ms")?,
        duration_ms: row.try_get("duration_ms")?,
    })
}

/// Deletes one agent state log by its id (`{agent}-{seq}`).
pub(crate) async fn delete_state_log(tx: &mut Tx<'_>, t: &str, id: &str) -> Result<()> {
    let Some((agent, seq)) = id.rsplit_once('-') else {
        return Ok(());
    };
    let seq: i64 = seq.parse().unwrap_or(-1);
    sqlx::query("DELETE FROM agent_state_logs WHERE tenant_id = $1 AND agent_id = $2 AND seq = $3")
        .bind(t)
        .bind(agent)
        .bind(seq)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

const CONTACT_COLUMNS: &[&str] = &[
    "tenant_id",
    "id",
    "identifier",
    "external_id",
    "name",
    "email",
    "phone",
    "attributes",
    "created_at_ms",
    "updated_at_ms",
];

/// Inserts or replaces a contact.
pub(crate) async fn put_contact(tx: &mut Tx<'_>, t: &str, c: &Contact) -> Result<()> {
    let sql = upsert_sql(super::MARKS, "contacts", CONTACT_COLUMNS, &["tenant_id", "id"], 1);
    sqlx::query(&sql)
        .bind(t)
        .bind(&c.id)
        .bind(c.identifier.as_deref())
        .bind(c.external_id.as_deref())
        .bind(&c.name)
        .bind(&c.email)
        .bind(&c.phone)
        .bind(Json(&c.attributes))
        .bind(c.created_at_ms)
        .bind(c.updated_at_ms)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes a contact.
pub(crate) async fn delete_contact(tx: &mut Tx<'_>, t: &str, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM contacts WHERE tenant_id = $1 AND id = $2")
        .bind(t)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn contact_from_row(row: &DbRow) -> Result<Contact> {
    Ok(Contact {
        id: row.try_get("id")?,
        identifier: row.try_get("identifier")?,
        external_id: row.try_get("external_id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        attributes: json(row, "attributes")?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

fn interaction_from_row(row: &DbRow) -> Result<Interaction> {
    let state: String = row.try_get("state")?;
    let number: i64 = row.try_get("number")?;
    let priority: i64 = row.try_get("priority")?;
    Ok(Interaction {
        id: row.try_get("id")?,
        number: u64::try_from(number).unwrap_or(0),
        channel: parse(row.try_get("channel")?)?,
        direction: parse(row.try_get("direction")?)?,
        state: parse(state)?,
        state_since_ms: row.try_get("state_since_ms")?,
        queue_id: row.try_get("queue_id")?,
        agent_id: row.try_get("agent_id")?,
        contact_id: row.try_get("contact_id")?,
        from: row.try_get("from_address")?,
        to: row.try_get("to_address")?,
        subject: row.try_get("subject")?,
        priority: i32::try_from(priority).unwrap_or(0),
        lang: row.try_get("lang")?,
        parent_id: row.try_get("parent_id")?,
        campaign_id: row.try_get("campaign_id")?,
        created_at_ms: row.try_get("created_at_ms")?,
        scheduled_at_ms: row.try_get("scheduled_at_ms")?,
        queued_at_ms: row.try_get("queued_at_ms")?,
        queue_seq: u64::try_from(row.try_get::<i64, _>("queue_seq")?).unwrap_or(0),
        offered_at_ms: row.try_get("offered_at_ms")?,
        answered_at_ms: row.try_get("answered_at_ms")?,
        ended_at_ms: row.try_get("ended_at_ms")?,
        hold_ms: row.try_get("hold_ms")?,
        ended_by: parse_opt(row.try_get("ended_by")?)?,
        end_reason: parse_opt(row.try_get("end_reason")?)?,
        participants: Vec::new(),
        transfers: Vec::new(),
        messages: Vec::new(),
        recordings: Vec::new(),
        custom_data: json(row, "custom_data")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

fn participant_from_row(row: &DbRow) -> Result<Participant> {
    Ok(Participant {
        id: row.try_get("id")?,
        kind: parse(row.try_get("kind")?)?,
        agent_id: row.try_get("agent_id")?,
        contact_id: row.try_get("contact_id")?,
        nickname: row.try_get("nickname")?,
        address: row.try_get("address")?,
        state: parse(row.try_get("state")?)?,
        joined_at_ms: row.try_get("joined_at_ms")?,
        connected_at_ms: row.try_get("connected_at_ms")?,
        left_at_ms: row.try_get("left_at_ms")?,
        left_reason: parse_opt(row.try_get("left_reason")?)?,
    })
}

fn transfer_from_row(row: &DbRow) -> Result<Transfer> {
    Ok(Transfer {
        id: row.try_get("id")?,
        status: parse(row.try_get("status")?)?,
        from_agent_id: row.try_get("from_agent_id")?,
        to_agent_id: row.try_get("to_agent_id")?,
        from_queue_id: row.try_get("from_queue_id")?,
        to_queue_id: row.try_get("to_queue_id")?,
        to_number: row.try_get("to_number")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

fn recording_from_row(row: &DbRow) -> Result<Recording> {
    Ok(Recording {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        started_at_ms: row.try_get("started_at_ms")?,
        ended_at_ms: row.try_get("ended_at_ms")?,
    })
}

fn message_from_row(row: &DbRow) -> Result<Message> {
    let idx: i64 = row.try_get("idx")?;
    let attachments: Vec<Attachment> = json(row, "attachments")?;
    Ok(Message {
        id: row.try_get("id")?,
        index: u32::try_from(idx).unwrap_or(0),
        kind: parse(row.try_get("kind")?)?,
        from_participant_id: row.try_get("from_participant_id")?,
        from_kind: parse(row.try_get("from_kind")?)?,
        text: row.try_get("text")?,
        subject: row.try_get("subject")?,
        html: row.try_get("html")?,
        visibility: parse(row.try_get("visibility")?)?,
        attachments,
        sent_at_ms: row.try_get("sent_at_ms")?,
    })
}

/// Reads of the typed tables.
impl Repo {
    fn interaction_select(&self) -> String {
        format!(
            "SELECT {} FROM interactions",
            INTERACTION_COLUMNS.join(", ")
        )
    }

    /// Fills in the child rows of interactions read without them: one query per child table for
    /// the whole page, never one per interaction.
    async fn attach_children(
        &self,
        t: &str,
        items: &mut [Interaction],
        with_messages: bool,
    ) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        let marks = after_tenant(ids.len());
        let within = format!(
            "tenant_id = $1 AND interaction_id IN ({})",
            marks
        );
        let fetch = |sql: String| self.children(sql, t, &ids);
        let index: std::collections::HashMap<String, usize> = ids
            .iter()
            .enumerate()
            .map(|(n, id)| (id.clone(), n))
            .collect();
        let position = |rows: &Vec<DbRow>, r: usize| -> Result<usize> {
            let id: String = rows[r].try_get("interaction_id")?;
            index
                .get(&id)
                .copied()
                .ok_or_else(|| corrupt(format!("child row of unknown interaction {id}")))
        };
        let rows = fetch(format!(
            "SELECT * FROM participants WHERE {within} ORDER BY interaction_id, position"
        ))
        .await?;
        for r in 0..rows.len() {
            let at = position(&rows, r)?;
            items[at].participants.push(participant_from_row(&rows[r])?);
        }
        let rows = fetch(format!(
            "SELECT * FROM transfers WHERE {within} ORDER BY interaction_id, position"
        ))
        .await?;
        for r in 0..rows.len() {
            let at = position(&rows, r)?;
            items[at].transfers.push(transfer_from_row(&rows[r])?);
        }
        let rows = fetch(format!(
            "SELECT * FROM recordings WHERE {within} ORDER BY interaction_id, position"
        ))
        .await?;
        for r in 0..rows.len() {
            let at = position(&rows, r)?;
            items[at].recordings.push(recording_from_row(&rows[r])?);
        }
        if with_messages {
            let rows = fetch(format!(
                "SELECT interaction_id, idx, id, kind, from_participant_id, from_kind, text, \
                 subject, html, visibility, attachments, sent_at_ms \
                 FROM messages WHERE {within} ORDER BY interaction_id, idx"
            ))
            .await?;
            for r in 0..rows.len() {
                let at = position(&rows, r)?;
                items[at].messages.push(message_from_row(&rows[r])?);
            }
        }
        Ok(())
    }

    /// The rows of one child table for a page of interactions.
    async fn children(&self, sql: String, t: &str, ids: &[String]) -> Result<Vec<DbRow>> {
        let mut q = sqlx::query(&sql).bind(t);
        for id in ids {
            q = q.bind(id.as_str());
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Interactions of one query, whole (with transcripts when `with_messages`).
    async fn fetch_interactions(
        &self,
        t: &str,
        condition: &str,
        binds: Vec<Bind>,
        tail: &str,
        with_messages: bool,
    ) -> Result<Vec<Interaction>> {
        let sql = format!(
            "{} WHERE tenant_id = $1{condition} {tail}",
            self.interaction_select()
        );
        let mut q = sqlx::query(&sql).bind(t);
        for b in binds {
            q = bind(q, b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut items = rows
            .iter()
            .map(interaction_from_row)
            .collect::<Result<Vec<_>>>()?;
        self.attach_children(t, &mut items, with_messages).await?;
        Ok(items)
    }

    /// One interaction with its participants, transfers, recordings and transcript.
    pub async fn interaction(&self, tenant: &TenantId, id: &str) -> Result<Option<Interaction>> {
        let mut found = self
            .fetch_interactions(
                tenant.as_str(),
                " AND id = $2",
                vec![Bind::Text(id.to_owned())],
                "",
                true,
            )
            .await?;
        Ok(found.pop())
    }

    /// One interaction by its per-tenant number.
    pub async fn interaction_by_number(
        &self,
        tenant: &TenantId,
        number: u64,
    ) -> Result<Option<Interaction>> {
        let mut found = self
            .fetch_interactions(
                tenant.as_str(),
                " AND number = $2",
                vec![Bind::Int(i64_of(number))],
                "",
                true,
            )
            .await?;
        Ok(found.pop())
    }

    /// The interactions that have not ended, whole, by number (what start-up loads).
    pub async fn open_interactions(&self, tenant: &TenantId) -> Result<Vec<Interaction>> {
        self.fetch_interactions(
            tenant.as_str(),
            " AND state NOT IN ('ended', 'abandoned', 'failed')",
            Vec::new(),
            "ORDER BY number",
            true,
        )
        .await
    }

    /// The highest interaction number of a tenant (0 when it has none).
    pub async fn last_interaction_number(&self, tenant: &TenantId) -> Result<u64> {
        let row = sqlx::query("SELECT MAX(number) FROM interactions WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_one(&self.pool)
            .await?;
        let n: Option<i64> = row.try_get(0)?;
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    /// A page of interactions that match `filter`, with transcripts if it asks for them.
    pub async fn interactions(
        &self,
        tenant: &TenantId,
        filter: &InteractionFilter,
    ) -> Result<Page<Interaction>> {
        let f = filter;
        let mut condition = String::new();
        let mut binds = Vec::new();
        if !f.channels.is_empty() {
            let mut marks = Vec::new();
            for c in &f.channels {
                binds.push(Bind::Text(name(c)?));
                marks.push(format!("${}", binds.len() + 1));
            }
            condition.push_str(&format!(" AND channel IN ({})", marks.join(", ")));
        }
        let channels_condition_len = condition.len();
        let mut add = |sql: &str, value: Bind| {
            binds.push(value);
            condition.push_str(&sql.replace('?', &format!("${}", binds.len() + 1)));
        };
        if let Some(d) = &f.direction {
            add(" AND direction = ?", Bind::Text(name(d)?));
        }
        if let Some(a) = &f.agent_id {
            add(" AND agent_id = ?", Bind::Text(a.clone()));
        }
        if let Some(q) = &f.queue_id {
            add(" AND queue_id = ?", Bind::Text(q.clone()));
        }
        if let Some(c) = &f.campaign_id {
            add(" AND campaign_id = ?", Bind::Text(c.clone()));
        }
        if let Some(v) = f.created_from_ms {
            add(" AND created_at_ms >= ?", Bind::Int(v));
        }
        if let Some(v) = f.created_to_ms {
            add(" AND created_at_ms <= ?", Bind::Int(v));
        }
        if let Some(v) = f.updated_from_ms {
            add(" AND updated_at_ms >= ?", Bind::Int(v));
        }
        if let Some(v) = f.updated_to_ms {
            add(" AND updated_at_ms <= ?", Bind::Int(v));
        }
        if let Some(v) = f.ended_from_ms {
            add(" AND ended_at_ms >= ?", Bind::Int(v));
        }
        if let Some(v) = f.ended_to_ms {
            add(" AND ended_at_ms <= ?", Bind::Int(v));
        }
        if !f.states.is_empty() {
            let names: Vec<String> = f.states.iter().map(|s| format!("'{}'", s.name())).collect();
            // The names are the enum's own fixed words, never client text.
            condition.push_str(&format!(" AND state IN ({})", names.join(", ")));
        }
        match f.ended {
            Some(true) => condition.push_str(" AND ended_at_ms IS NOT NULL"),
            Some(false) => condition.push_str(" AND ended_at_ms IS NULL"),
            None => {}
        }
        let total = if f.without_total {
            0
        } else if condition.len() == channels_condition_len && f.states.is_empty() {
            // Only channels: the kept counts answer without counting the history.
            let channels: BTreeSet<String> = f.channels.iter().map(name).collect::<Result<_>>()?;
            let mut sql = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM interaction_counts \
                           WHERE tenant_id = $1"
                .to_owned();
            if !channels.is_empty() {
                let marks = after_tenant(channels.len());
                sql.push_str(&format!(" AND channel IN ({})", marks));
            }
            let mut q = sqlx::query(&sql).bind(tenant.as_str());
            for c in channels {
                q = q.bind(c);
            }
            let n: i64 = q.fetch_one(&self.pool).await?.try_get(0)?;
            u64::try_from(n).unwrap_or(0)
        } else {
            let count_sql =
                format!("SELECT COUNT(*) FROM interactions WHERE tenant_id = $1{condition}");
            let mut q = sqlx::query(&count_sql).bind(tenant.as_str());
            for b in &binds {
                q = bind(q, b.clone());
            }
            let n: i64 = q.fetch_one(&self.pool).await?.try_get(0)?;
            u64::try_from(n).unwrap_or(0)
        };
        // A page past the middle is read from the other end: OFFSET steps over every row it
        // skips, so the last page costs what the first does.
        let from_end = total > 0 && f.offset.saturating_add(f.limit / 2) > total / 2;
        let (order, offset, limit) = if from_end {
            let end = f.offset.saturating_add(f.limit).min(total);
            (
                f.order.reversed(),
                total - end,
                end.saturating_sub(f.offset),
            )
        } else {
            (f.order, f.offset, f.limit)
        };
        let (time, dir) = match order {
            InteractionOrder::NumberAsc => ("", "ASC"),
            InteractionOrder::NumberDesc => ("", "DESC"),
            InteractionOrder::CreatedAsc => ("created_at_ms ASC, ", "ASC"),
            InteractionOrder::CreatedDesc => ("created_at_ms DESC, ", "ASC"),
            InteractionOrder::UpdatedAsc => ("updated_at_ms ASC, ", "ASC"),
            InteractionOrder::UpdatedDesc => ("updated_at_ms DESC, ", "ASC"),
        };
        // Ties of time go by number ascending in both directions; read from the end, they are
        // the reverse of that.
        let dir = match (from_end, time.is_empty(), dir) {
            (true, false, _) => "DESC",
            (_, _, d) => d,
        };
        let tail = format!(
            "ORDER BY {time}number {dir} LIMIT {} OFFSET {}",
            i64_of(limit),
            i64_of(offset)
        );
        let mut items = self
            .fetch_interactions(tenant.as_str(), &condition, binds, &tail, f.with_messages)
            .await?;
        if from_end {
            items.reverse();
        }
        Ok(Page { items, total })
    }

    /// A page of agent state logs that match `filter`, by end time, agent and sequence.
    pub async fn state_logs(
        &self,
        tenant: &TenantId,
        filter: &StateLogFilter,
    ) -> Result<Page<AgentStateLog>> {
        let f = filter;
        let mut condition = String::new();
        let mut binds = Vec::new();
        if let Some(a) = &f.agent_id {
            binds.push(Bind::Text(a.clone()));
            condition.push_str(&format!(" AND agent_id = ${}", binds.len() + 1));
        }
        if let Some(v) = f.start_from_ms {
            binds.push(Bind::Int(v));
            condition.push_str(&format!(" AND start_ms >= ${}", binds.len() + 1));
        }
        if let Some(v) = f.start_to_ms {
            binds.push(Bind::Int(v));
            condition.push_str(&format!(" AND start_ms <= ${}", binds.len() + 1));
        }
        if let Some(v) = f.end_from_ms {
            binds.push(Bind::Int(v));
            condition.push_str(&format!(" AND end_ms >= ${}", binds.len() + 1));
        }
        if let Some(v) = f.end_to_ms {
            binds.push(Bind::Int(v));
            condition.push_str(&format!(" AND end_ms <= ${}", binds.len() + 1));
        }
        let dir = if f.newest_first { "DESC" } else { "ASC" };
        let order = if f.by_agent {
            format!("agent_id {dir}, seq {dir}")
        } else {
            format!("start_ms {dir}, agent_id {dir}, seq {dir}")
        };
        let count_sql =
            format!("SELECT COUNT(*) FROM agent_state_logs WHERE tenant_id = $1{condition}");
        let mut q = sqlx::query(&count_sql).bind(tenant.as_str());
        for b in &binds {
            q = bind(q, b.clone());
        }
        let total: i64 = q.fetch_one(&self.pool).await?.try_get(0)?;
        let sql = format!(
            "SELECT * FROM agent_state_logs WHERE tenant_id = $1{condition} \
             ORDER BY {order} LIMIT {} OFFSET {}",
            i64_of(f.limit),
            i64_of(f.offset)
        );
        let mut q = sqlx::query(&sql).bind(tenant.as_str());
        for b in binds {
            q = bind(q, b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        Ok(Page {
            items: rows.iter().map(state_log_from_row).collect::<Result<_>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    /// For each log, the state its agent was in during the period before it (`None` for an
    /// agent's first period): one query for the whole list.
    pub async fn previous_states(
        &self,
        tenant: &TenantId,
        logs: &[AgentStateLog],
    ) -> Result<Vec<Option<AgentState>>> {
        if logs.is_empty() {
            return Ok(Vec::new());
        }
        let mut pairs = Vec::new();
        for n in 0..logs.len() {
            pairs.push(format!(
                "(agent_id = ${} AND seq = ${})",
                2 * n + 2,
                2 * n + 3
            ));
        }
        let sql = format!(
            "SELECT agent_id, seq, from_state, from_reason, from_sub_state, from_until_ms              FROM agent_state_logs WHERE tenant_id = $1 AND ({})",
            pairs.join(" OR ")
        );
        let mut q = sqlx::query(&sql).bind(tenant.as_str());
        for log in logs {
            q = q.bind(log.agent_id.as_str()).bind(i64_of(log.seq()) - 1);
        }
        let mut found = std::collections::HashMap::new();
        for row in q.fetch_all(&self.pool).await? {
            let agent: String = row.try_get("agent_id")?;
            let seq: i64 = row.try_get("seq")?;
            let state = state_from(
                row.try_get("from_state")?,
                row.try_get("from_reason")?,
                row.try_get("from_sub_state")?,
                row.try_get("from_until_ms")?,
            )?;
            found.insert((agent, seq), state);
        }
        Ok(logs
            .iter()
            .map(|l| found.remove(&(l.agent_id.clone(), i64_of(l.seq()) - 1)))
            .collect())
    }

    /// Service-level counts of each `(queue, threshold_ms)`: one aggregate over the queue's
    /// index each, no row read into memory.
    pub async fn service_levels(
        &self,
        tenant: &TenantId,
        queues: &[(String, i64)],
    ) -> Result<Vec<ServiceLevel>> {
        let mut levels = Vec::with_capacity(queues.len());
        for (queue, threshold_ms) in queues {
            let row = sqlx::query(
                "SELECT COUNT(*), COUNT(answered_at_ms), \
                 COALESCE(SUM(CASE WHEN answered_at_ms - queued_at_ms <= $3 THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN answered_at_ms IS NULL AND state = 'abandoned' \
                 THEN 1 ELSE 0 END), 0) \
                 FROM interactions WHERE tenant_id = $1 AND queue_id = $2 \
                 AND queued_at_ms IS NOT NULL",
            )
            .bind(tenant.as_str())
            .bind(queue.as_str())
            .bind(*threshold_ms)
            .fetch_one(&self.pool)
            .await?;
            let n = |c: usize| -> Result<u64> {
                Ok(u64::try_from(row.try_get::<i64, _>(c)?).unwrap_or(0))
            };
            levels.push(ServiceLevel {
                offered: n(0)?,
                answered: n(1)?,
                answered_within: n(2)?,
                abandoned: n(3)?,
            });
        }
        Ok(levels)
    }

    /// The contact a key names (the oldest by id when several match).
    pub async fn contact(&self, tenant: &TenantId, key: &ContactKey) -> Result<Option<Contact>> {
        let (condition, value) = match key {
            ContactKey::Id(v) => ("id = $2", v),
            ContactKey::Identifier(v) => ("identifier = $2", v),
            ContactKey::ExternalId(v) => ("external_id = $2", v),
            ContactKey::Phone(v) => ("phone = $2 AND phone <> ''", v),
            ContactKey::Email(v) => ("lower(email) = lower($2) AND email <> ''", v),
        };
        let sql = format!(
            "SELECT {} FROM contacts WHERE tenant_id = $1 AND {condition} ORDER BY id LIMIT 1",
            CONTACT_COLUMNS.join(", ")
        );
        let row = sqlx::query(&sql)
            .bind(tenant.as_str())
            .bind(value.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(contact_from_row).transpose()
    }

    /// The highest numeric contact id of a tenant (0 when it has none).
    pub async fn last_contact_id(&self, tenant: &TenantId) -> Result<u64> {
        // One step down the partial index `contacts_by_number` (its condition is NUMERIC_ID).
        let sql = format!(
            "SELECT CAST(id AS BIGINT) FROM contacts WHERE tenant_id = $1 AND {} \
             ORDER BY CAST(id AS BIGINT) DESC LIMIT 1",
            super::NUMERIC_ID
        );
        let row = sqlx::query(&sql)
            .bind(tenant.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let n: Option<i64> = row.map(|r| r.try_get(0)).transpose()?;
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    /// The contacts with these ids (those that exist), by id: one query per [`BATCH`] ids.
    pub async fn contacts_by_id(&self, tenant: &TenantId, ids: &[String]) -> Result<Vec<Contact>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let marks = after_tenant(chunk.len());
            let sql = format!(
                "SELECT {} FROM contacts WHERE tenant_id = $1 AND id IN ({}) ORDER BY id",
                CONTACT_COLUMNS.join(", "),
                marks
            );
            let mut q = sqlx::query(&sql).bind(tenant.as_str());
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for row in q.fetch_all(&self.pool).await? {
                found.push(contact_from_row(&row)?);
            }
        }
        Ok(found)
    }

    /// The numbers of the interactions with these ids (those that exist), as `(id, number)`.
    pub async fn interaction_numbers(
        &self,
        tenant: &TenantId,
        ids: &[String],
    ) -> Result<Vec<(String, u64)>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let marks = after_tenant(chunk.len());
            let sql = format!(
                "SELECT id, number FROM interactions WHERE tenant_id = $1 AND id IN ({})",
                marks
            );
            let mut q = sqlx::query(&sql).bind(tenant.as_str());
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for row in q.fetch_all(&self.pool).await? {
                let number: i64 = row.try_get(1)?;
                found.push((row.try_get(0)?, u64::try_from(number).unwrap_or(0)));
            }
        }
        Ok(found)
    }

    /// A page of contacts, by id.
    pub async fn contacts(
        &self,
        tenant: &TenantId,
        offset: u64,
        limit: u64,
    ) -> Result<Page<Contact>> {
        let total: i64 = sqlx::query("SELECT COUNT(*) FROM contacts WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let sql = format!(
            "SELECT {} FROM contacts WHERE tenant_id = $1 ORDER BY id LIMIT {} OFFSET {}",
            CONTACT_COLUMNS.join(", "),
            i64_of(limit),
            i64_of(offset)
        );
        let rows = sqlx::query(&sql)
            .bind(tenant.as_str())
            .fetch_all(&self.pool)
            .await?;
        Ok(Page {
            items: rows.iter().map(contact_from_row).collect::<Result<_>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}

impl Repo {
    /// Deletes a tenant's history beyond `limits`, the oldest first, in one transaction; open
    /// interactions, pending deliveries and timers are never touched.
    pub async fn prune(&self, tenant: &TenantId, limits: &ccemu_core::Retention) -> Result<Pruned> {
        let t = tenant.as_str();
        let mut done = Pruned::default();
        let mut tx = self.write().await?;
        if limits.ended_interactions > 0 {
            let old = ended_beyond(limits.ended_interactions);
            let mut gone = BTreeMap::new();
            let rows = sqlx::query(&format!(
                "SELECT channel, COUNT(*) FROM interactions WHERE {old} GROUP BY channel"
            ))
            .bind(t)
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                gone.insert(row.try_get::<String, _>(0)?, -row.try_get::<i64, _>(1)?);
            }
            add_counts(&mut tx, t, &gone).await?;
            for table in ["participants", "messages", "transfers", "recordings"] {
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE tenant_id = $1 AND interaction_id IN \
                     (SELECT id FROM interactions WHERE {old})"
                ))
                .bind(t)
                .execute(&mut *tx)
                .await?;
            }
            done.ended_interactions = sqlx::query(&format!("DELETE FROM interactions WHERE {old}"))
                .bind(t)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        if limits.agent_state_logs > 0 {
            // Periods are kept newest first by when they ended.
            done.agent_state_logs = sqlx::query(&format!(
                "DELETE FROM agent_state_logs WHERE tenant_id = $1 AND end_ms < \
                 (SELECT end_ms FROM agent_state_logs WHERE tenant_id = $1 \
                  ORDER BY end_ms DESC, agent_id DESC, seq DESC LIMIT 1 OFFSET {})",
                i64_of(limits.agent_state_logs) - 1
            ))
            .bind(t)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if limits.events > 0 {
            done.events = sqlx::query(
                "DELETE FROM events WHERE tenant_id = $1 AND seq <= \
                 (SELECT MAX(seq) FROM events WHERE tenant_id = $1) - $2",
            )
            .bind(t)
            .bind(i64_of(limits.events))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if limits.finished_deliveries > 0 {
            let old = format!(
                "tenant_id = $1 AND state <> 'pending' AND id <= \
                 (SELECT id FROM outbox WHERE tenant_id = $1 AND state <> 'pending' \
                  ORDER BY id DESC LIMIT 1 OFFSET {})",
                i64_of(limits.finished_deliveries)
            );
            sqlx::query(&format!(
                "DELETE FROM delivery_attempts WHERE outbox_id IN (SELECT id FROM outbox WHERE {old})"
            ))
            .bind(t)
            .execute(&mut *tx)
            .await?;
            done.finished_deliveries = sqlx::query(&format!("DELETE FROM outbox WHERE {old}"))
                .bind(t)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(done)
    }
}

/// A query with one more run-time parameter.
fn bind<'q>(q: Query<'q>, value: Bind) -> Query<'q> {
    match value {
        Bind::Text(s) => q.bind(s),
        Bind::Int(n) => q.bind(n),
    }
}
