//! Ended history for a tenant, written straight through the store (`ccemu-bench-seed`), so that
//! `scripts/bench-history` can measure reads against 1k and 100k interactions without driving
//! each call through the engine.
//!
//! The history looks like what the engine writes for the demo tenant: inbound voice calls to
//! queue 9001 (agents 1001, 1002) or 9002 (1003, 1004), most answered with a customer and an
//! agent participant and one recording, some abandoned in the queue; every `chat_every`-th
//! interaction a chat on 9002 with a transcript of `chat_messages` lines; and for each answered
//! call the four state periods of its agent (available, ringing, on the call, wrap-up).
//!
//! Times are spread evenly over the `days` before the tenant's clock, oldest first, so numbers
//! and creation times grow together as they do live. Each agent takes every fourth slot, and a
//! call fits inside its agent's slot, so an agent's state periods never overlap. Numbers continue
//! after the highest one stored; each agent's state sequence continues after its stored one and
//! the agent record is moved past the last seeded period, so a live state change after the seed
//! gets a fresh `{agent}-{seq}` id.

use anyhow::{bail, Context};
use ccemu_core::agent::{Agent, AgentState, AgentStateLog};
use ccemu_core::interaction::{
    Channel, Direction, EndReason, EndedBy, Interaction, InteractionState, Message, MessageKind,
    ParticipantKind, Recording, Visibility,
};
use ccemu_core::TenantId;
use ccemu_store::{Changes, Store};
use serde::Serialize;
use std::time::Instant;

const DAY_MS: i64 = 86_400_000;

/// The demo agents, the queue each answers, and the name they show.
const AGENTS: [(&str, &str, &str); 4] = [
    ("1001", "9001", "Alice Chen"),
    ("1002", "9001", "Bob Martin"),
    ("1003", "9002", "Carol Diaz"),
    ("1004", "9002", "Dan Evans"),
];

/// What to write.
#[derive(Debug, Clone)]
pub struct SeedConfig {
    /// The tenant, which must exist.
    pub tenant: TenantId,
    /// Ended interactions to add.
    pub interactions: u64,
    /// Every `chat_every`-th interaction is a chat (0: none).
    pub chat_every: u64,
    /// Lines in each chat's transcript.
    pub chat_messages: u32,
    /// Every `abandon_every`-th call is abandoned in the queue (0: none).
    pub abandon_every: u64,
    /// The history spans this many days before the tenant's clock (the last hour left free).
    pub days: f64,
    /// Interactions per commit (one transaction each).
    pub batch: u64,
}

/// What was written; the binary prints it as one JSON object.
#[derive(Debug, Serialize)]
pub struct SeedReport {
    /// Interactions added.
    pub interactions: u64,
    /// Of which voice calls.
    pub calls: u64,
    /// Of which abandoned calls.
    pub abandoned: u64,
    /// Of which chats.
    pub chats: u64,
    /// Chat messages added.
    pub messages: u64,
    /// Agent state logs added.
    pub state_logs: u64,
    /// Number of the first interaction added (0 when none).
    pub first_number: u64,
    /// Number of the last interaction added, the tenant's highest.
    pub last_number: u64,
    /// Creation time of the first one, tenant epoch ms.
    pub from_ms: i64,
    /// End of the last one, tenant epoch ms.
    pub to_ms: i64,
    /// The tenant clock when seeding began.
    pub tenant_now_ms: i64,
    /// Wall-clock seconds spent writing.
    pub seconds: f64,
}

/// Per agent: its state sequence and when its current state began.
struct AgentCursor {
    seq: u64,
    free_since: i64,
}

/// Writes the history described by `config` in batches, one transaction per batch.
pub async fn seed(store: &Store, config: &SeedConfig) -> anyhow::Result<SeedReport> {
    if config.batch == 0 {
        bail!("batch must be positive");
    }
    let t = &config.tenant;
    let record = store
        .get_tenant(t)
        .await?
        .with_context(|| format!("tenant {t} does not exist (start ccemu once first)"))?;
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let now = record.clock.now(i64::try_from(wall)?);
    let span = (config.days * DAY_MS as f64) as i64;
    let start = now - span - 3_600_000;
    // One step per interaction; an agent answers every fourth, so a call may use four steps,
    // and the last one still ends inside the span.
    let step = (span / (config.interactions as i64 + 4)).max(4);
    let first = store.last_interaction_number(t).await? + 1;

    let stored = store.agents(t).await?;
    let mut agents = Vec::new();
    for (id, _, _) in AGENTS {
        let agent: Agent = stored
            .iter()
            .find(|a| a.id == *id)
            .cloned()
            .with_context(|| format!("agent {id} missing in tenant {t}"))?;
        agents.push((
            agent,
            AgentCursor {
                seq: 0,
                free_since: start,
            },
        ));
    }
    for (agent, cursor) in &mut agents {
        cursor.seq = agent.state_seq;
    }

    let mut report = SeedReport {
        interactions: config.interactions,
        calls: 0,
        abandoned: 0,
        chats: 0,
        messages: 0,
        state_logs: 0,
        first_number: if config.interactions > 0 { first } else { 0 },
        last_number: first + config.interactions - 1,
        from_ms: start,
        to_ms: start,
        tenant_now_ms: now,
        seconds: 0.0,
    };
    let began = Instant::now();
    let mut changes = Changes::default();
    for n in 0..config.interactions {
        let number = first + n;
        let at = start + n as i64 * step;
        let (agent, cursor) = &mut agents[(n % 4) as usize];
        let (agent_id, queue, name) = AGENTS[(n % 4) as usize];
        // The agent's slot: four interaction steps from `at`.
        let slot = 4 * step;
        let is_chat = config.chat_every > 0 && n % config.chat_every == config.chat_every - 1;
        let abandoned = !is_chat && config.abandon_every > 0 && n % config.abandon_every == 3;
        let i = if is_chat {
            report.chats += 1;
            report.messages += u64::from(config.chat_messages);
            chat(number, agent_id, name, at, slot, config.chat_messages)?
        } else if abandoned {
            report.calls += 1;
            report.abandoned += 1;
            abandoned_call(number, queue, at, slot)?
        } else {
            report.calls += 1;
            let call = Call {
                number,
                queue,
                agent_id,
                name,
                at,
                slot,
            };
            let (i, logs) = answered_call(t, &call, cursor)?;
            for log in &logs {
                changes.put(log)?;
            }
            report.state_logs += logs.len() as u64;
            i
        };
        report.to_ms = report.to_ms.max(i.ended_at_ms.unwrap_or(at));
        changes.put(&i)?;
        // Keep the agent record's sequence in step with its seeded periods.
        agent.state_seq = cursor.seq;
        if (n + 1) % config.batch == 0 || n + 1 == config.interactions {
            for (agent, _) in &agents {
                changes.put(agent)?;
            }
            store.commit(t, &changes).await?;
            changes = Changes::default();
        }
    }
    report.seconds = began.elapsed().as_secs_f64();
    Ok(report)
}

/// An inbound call, created at `at`, waiting in `queue`.
fn inbound_call(number: u64, queue: &str, at: i64) -> anyhow::Result<Interaction> {
    let mut i = Interaction::new(
        uuid::Uuid::new_v4().to_string(),
        Channel::Voice,
        Direction::Inbound,
        at,
    );
    i.number = number;
    i.queue_id = Some(queue.to_owned());
    i.from = format!("+1415555{:04}", number % 10_000);
    i.to = "+14155550199".to_owned();
    let customer = i.add_participant(ParticipantKind::Customer, None, None, i.from.clone(), at)?;
    let address = i.from.clone();
    if let Some(p) = i.participant_mut(&customer) {
        p.address = Some(address);
        p.connect(at);
    }
    i.set_state(InteractionState::Queued, at)?;
    Ok(i)
}

/// A call the customer hangs up while it waits, a third of the slot in.
fn abandoned_call(number: u64, queue: &str, at: i64, slot: i64) -> anyhow::Result<Interaction> {
    let mut i = inbound_call(number, queue, at)?;
    i.end(EndedBy::Customer, EndReason::Abandoned, at + slot / 3)?;
    Ok(i)
}

/// One answered call to write: its number, queue, agent and slot.
struct Call<'a> {
    number: u64,
    queue: &'a str,
    agent_id: &'a str,
    name: &'a str,
    at: i64,
    slot: i64,
}

/// A call answered by `agent_id` after a short ring, talked for most of the slot, then wrapped
/// up; with one recording and the agent's four state periods.
fn answered_call(
    tenant: &TenantId,
    call: &Call<'_>,
    cursor: &mut AgentCursor,
) -> anyhow::Result<(Interaction, Vec<AgentStateLog>)> {
    let &Call {
        number,
        queue,
        agent_id,
        name,
        at,
        slot,
    } = call;
    let mut i = inbound_call(number, queue, at)?;
    let rung = at + slot / 20;
    let answered = at + slot / 10;
    let ended = at + slot * 7 / 10;
    let available = at + slot * 9 / 10;
    i.agent_id = Some(agent_id.to_owned());
    i.set_state(InteractionState::Ringing, rung)?;
    i.set_state(InteractionState::Connected, answered)?;
    let pid = i.add_participant(
        ParticipantKind::Agent,
        Some(agent_id.to_owned()),
        None,
        name,
        rung,
    )?;
    if let Some(p) = i.participant_mut(&pid) {
        p.connect(answered);
    }
    let recording = uuid::Uuid::new_v4().to_string();
    i.recordings.push(Recording {
        // The path the engine gives a recording (`ccemu_engine::recording_path`).
        url: format!(
            "/_ccemu/tenants/{tenant}/recordings/{}/{recording}.wav",
            i.id
        ),
        id: recording,
        started_at_ms: answered,
        ended_at_ms: ended,
    });
    i.end(EndedBy::Customer, EndReason::Normal, ended)?;
    let wrap_until = Some(available);
    let periods = [
        (AgentState::Available, AgentState::Ringing, rung),
        (AgentState::Ringing, AgentState::OnContact, answered),
        (
            AgentState::OnContact,
            AgentState::WrapUp {
                until_ms: wrap_until,
            },
            ended,
        ),
        (
            AgentState::WrapUp {
                until_ms: wrap_until,
            },
            AgentState::Available,
            available,
        ),
    ];
    let logs = periods
        .into_iter()
        .map(|(from, to, end)| {
            cursor.seq += 1;
            let log = AgentStateLog {
                id: format!("{agent_id}-{}", cursor.seq),
                agent_id: agent_id.to_owned(),
                from,
                to,
                start_ms: cursor.free_since,
                end_ms: end,
                duration_ms: end - cursor.free_since,
            };
            cursor.free_since = end;
            log
        })
        .collect();
    Ok((i, logs))
}

/// A chat on 9002 served by `agent_id`, `lines` messages alternating customer and agent.
fn chat(
    number: u64,
    agent_id: &str,
    name: &str,
    at: i64,
    slot: i64,
    lines: u32,
) -> anyhow::Result<Interaction> {
    let mut i = Interaction::new(
        uuid::Uuid::new_v4().to_string(),
        Channel::Chat,
        Direction::Inbound,
        at,
    );
    i.number = number;
    i.queue_id = Some("9002".to_owned());
    i.from = format!("visitor-{number}");
    i.subject = "Order status".to_owned();
    let customer = i.add_participant(ParticipantKind::Customer, None, None, i.from.clone(), at)?;
    i.set_state(InteractionState::Queued, at)?;
    let answered = at + slot / 10;
    i.agent_id = Some(agent_id.to_owned());
    i.set_state(InteractionState::Connected, answered)?;
    let agent = i.add_participant(
        ParticipantKind::Agent,
        Some(agent_id.to_owned()),
        None,
        name,
        answered,
    )?;
    for p in &mut i.participants {
        p.connect(if p.id == customer { at } else { answered });
    }
    let gap = (slot / 2 / i64::from(lines.max(1))).max(1);
    for n in 0..lines {
        let (from, kind) = if n % 2 == 0 {
            (&customer, ParticipantKind::Customer)
        } else {
            (&agent, ParticipantKind::Agent)
        };
        i.add_message(Message {
            id: uuid::Uuid::new_v4().to_string(),
            index: 0,
            kind: MessageKind::Text,
            from_participant_id: Some(from.clone()),
            from_kind: kind,
            text: format!("line {} of chat {number}: where is my order?", n + 1),
            subject: None,
            html: None,
            visibility: Visibility::All,
            attachments: Vec::new(),
            sent_at_ms: answered + i64::from(n) * gap,
        })?;
    }
    i.end(
        EndedBy::Customer,
        EndReason::Normal,
        answered + i64::from(lines) * gap,
    )?;
    Ok(i)
}
