//! The UJET call object (`vendor-notes/ujet.md` §5 "Call"), shared by the Apps API (`POST /calls`)
//! and the Manager API (`GET /calls`), and the numeric ids UJET clients expect.
//!
//! Engine interactions have UUID ids; UJET ids are integers. A call's (and a chat's) UJET id is
//! the interaction's per-tenant number ([`Interaction::number`]), found again with one indexed
//! read. Other records without an integer id of their own (participants, transfers, attachments)
//! show the first 13 hex digits of their UUID ([`int_id`]).
//! Type rules of reporting clients hold: `agent_number` is a digits string or null, every list is
//! an array, date-times are ISO-8601 or null.

use std::collections::BTreeMap;

use ccemu_core::agent::Agent;
use ccemu_core::interaction::{
    Channel, Direction, EndedBy, Interaction, InteractionState, ParticipantKind, ParticipantState,
};
use ccemu_core::{Contact, Queue};
use ccemu_engine::{Engine, InteractionFilter, InteractionOrder, Page};
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::dto::{time, time_opt};
use crate::error::UjetError;
use crate::paging::{Column, Window};

/// Keys under which the UJET surface keeps its own call data in `Interaction::custom_data`.
pub mod keys {
    /// `call_type` as created (`Voice Inbound (API)`, ...).
    pub const CALL_TYPE: &str = "ujet.call_type";
    /// `ticket_id` given at creation (`out_ticket_id`).
    pub const TICKET_ID: &str = "ujet.ticket_id";
    /// `outbound_number` given at creation.
    pub const OUTBOUND_NUMBER: &str = "ujet.outbound_number";
    /// `recording_permission` given at creation.
    pub const RECORDING_PERMISSION: &str = "ujet.recording_permission";
    /// `menu_id` of an outbound call (the engine routes it to no queue).
    pub const MENU_ID: &str = "ujet.menu_id";
}

/// The UJET integer id of an engine id that is not an interaction's: the id itself when it is
/// an integer, else the first 13 hex digits of the UUID (52 bits, so it survives JavaScript
/// clients), which is stable without storing anything and collides with negligible odds.
pub fn int_id(id: &str) -> i64 {
    if let Ok(n) = id.parse::<i64>() {
        return n;
    }
    let hex: String = id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(13)
        .collect();
    i64::from_str_radix(&hex, 16).unwrap_or(0)
}

/// An id as UJET renders it: an integer when the engine id is one, else the text.
pub fn int_or_text(id: &str) -> Value {
    id.parse::<i64>().map_or_else(|_| json!(id), |n| json!(n))
}

/// One of the tenant's interactions on one of `channels` by UJET id (its number) or engine id;
/// 404 otherwise.
pub async fn find(
    engine: &Engine,
    auth: &Authed,
    channels: &[Channel],
    id: &str,
) -> Result<Interaction, UjetError> {
    let t = &auth.tenant.id;
    let found = match id.trim().parse::<u64>() {
        Ok(number) => engine.interaction_by_number(t, number).await,
        Err(_) => engine.interaction(t, id).await,
    }
    .map_err(|e| UjetError::from_engine(auth.api, e))?;
    found
        .filter(|i| channels.contains(&i.channel))
        .ok_or(UjetError::NotFound(auth.api))
}

/// Interactions of `channels`, every one, read a page at a time in number order (for lists
/// whose filters the store cannot apply), with their transcripts if `transcripts`.
pub async fn all(
    engine: &Engine,
    auth: &Authed,
    channels: &[Channel],
    transcripts: bool,
) -> Result<Vec<Interaction>, UjetError> {
    const PAGE: u64 = 1000;
    let mut all = Vec::new();
    loop {
        let filter = InteractionFilter {
            channels: channels.to_vec(),
            with_messages: transcripts,
            offset: all.len() as u64,
            limit: PAGE,
            ..InteractionFilter::default()
        };
        let page = engine
            .interactions(&auth.tenant.id, &filter)
            .await
            .map_err(|e| UjetError::from_engine(auth.api, e))?;
        let last = page.items.len() < PAGE as usize;
        all.extend(page.items);
        if last || all.len() as u64 >= page.total {
            return Ok(all);
        }
    }
}

/// The page of interactions of `channels` a [`Window`] asks for, in the order [`crate::paging::list`]
/// puts the same rows: by the sort column, ties by number ascending even when descending; by
/// number without a sort. Transcripts are left out.
pub async fn window(
    engine: &Engine,
    auth: &Authed,
    channels: &[Channel],
    transcripts: bool,
    w: &Window,
) -> Result<Page<Interaction>, UjetError> {
    let base = InteractionFilter {
        channels: channels.to_vec(),
        with_messages: transcripts,
        created_from_ms: w.created.0,
        created_to_ms: w.created.1,
        updated_from_ms: w.updated.0,
        updated_to_ms: w.updated.1,
        offset: w.offset() as u64,
        limit: w.per as u64,
        ..InteractionFilter::default()
    };
    let order = match w.sort {
        None | Some((Column::Id, false)) => InteractionOrder::NumberAsc,
        Some((Column::Id, true)) => InteractionOrder::NumberDesc,
        Some((Column::CreatedAt, false)) => InteractionOrder::CreatedAsc,
        Some((Column::UpdatedAt, false)) => InteractionOrder::UpdatedAsc,
        // The store breaks ties of time by number ascending in both directions, as the lists do.
        Some((Column::CreatedAt, true)) => InteractionOrder::CreatedDesc,
        Some((Column::UpdatedAt, true)) => InteractionOrder::UpdatedDesc,
    };
    engine
        .interactions(&auth.tenant.id, &InteractionFilter { order, ..base })
        .await
        .map_err(|e| UjetError::from_engine(auth.api, e))
}

/// What call objects refer to besides the interactions themselves.
pub struct Lookup {
    /// Tenant time, epoch ms.
    pub now: i64,
    /// The tenant's agents.
    pub agents: Vec<Agent>,
    /// The tenant's queues (UJET menus).
    pub queues: Vec<Queue>,
    /// The end users the calls name, by contact id.
    pub contacts: BTreeMap<String, Contact>,
    /// The UJET ids (numbers) of the calls' parents, by engine id.
    pub parents: BTreeMap<String, u64>,
}

impl Lookup {
    /// Reads what the call objects of `calls` need once: the directory from memory, and only
    /// the end users and parents those calls name.
    pub async fn load(
        engine: &Engine,
        auth: &Authed,
        calls: &[Interaction],
    ) -> Result<Self, UjetError> {
        let t = &auth.tenant.id;
        let err = |e| UjetError::from_engine(auth.api, e);
        let named = |ids: &mut dyn Iterator<Item = &str>| {
            let set: std::collections::BTreeSet<&str> = ids.collect();
            set.into_iter().map(str::to_owned).collect::<Vec<String>>()
        };
        let contact_ids = named(&mut calls.iter().filter_map(|i| i.contact_id.as_deref()));
        let contacts = engine
            .contacts_by_id(t, &contact_ids)
            .await
            .map_err(err)?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
        let parent_ids = named(&mut calls.iter().filter_map(|i| i.parent_id.as_deref()));
        let parents = engine
            .interaction_numbers(t, &parent_ids)
            .await
            .map_err(err)?
            .into_iter()
            .collect();
        Ok(Self {
            now: engine.clock(t).await.map_err(err)?.now_ms,
            agents: engine
                .agents(t, None)
                .await
                .map_err(err)?
                .into_iter()
                .map(|v| v.agent)
                .collect(),
            queues: engine.queues(t, None).await.map_err(err)?,
            contacts,
            parents,
        })
    }

    fn agent(&self, id: Option<&str>) -> Option<&Agent> {
        id.and_then(|id| self.agents.iter().find(|a| a.id == id))
    }

    fn queue(&self, id: Option<&str>) -> Option<&Queue> {
        id.and_then(|id| self.queues.iter().find(|q| q.id == id))
    }
}

/// An agent's number as reporting clients need it: digits only, else null.
pub fn agent_number(agent: &Agent) -> Value {
    [agent.work_id.as_str(), agent.id.as_str()]
        .into_iter()
        .find(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .map_or(Value::Null, |n| json!(n))
}

/// `agent_info` (and transfer agents): `{id,name,last_name,first_name,agent_number,avatar_url}`.
pub fn agent_info(agent: &Agent) -> Value {
    json!({
        "id": int_or_text(&agent.id),
        "name": agent.name,
        "last_name": agent.last_name,
        "first_name": agent.first_name,
        "agent_number": agent_number(agent),
        "avatar_url": null,
    })
}

/// `selected_menu`: a queue as a UJET menu.
pub fn menu(queue: &Queue) -> Value {
    json!({
        "id": int_or_text(&queue.id),
        "name": queue.name,
        "parent_id": queue.parent_id.as_deref().map(int_or_text),
        "position": queue.position,
        "deleted": false,
        "hidden": false,
        "menu_type": "ivr_menu",
        "output_msg": null,
    })
}

/// UJET call status of an interaction (§5: lower snake_case).
pub fn status(i: &Interaction) -> &'static str {
    match i.state {
        InteractionState::Created => "selecting",
        InteractionState::Scheduled => "scheduled",
        InteractionState::Queued => "queued",
        InteractionState::Offered | InteractionState::Ringing => "assigned",
        // An agent's own call is connected to the agent while the customer's phone still rings.
        InteractionState::Connected | InteractionState::Held if customer_ringing(i) => "connecting",
        InteractionState::Connected | InteractionState::Held => "connected",
        InteractionState::WrapUp | InteractionState::Ended => "finished",
        InteractionState::Abandoned | InteractionState::Failed => "failed",
    }
}

fn customer_ringing(i: &Interaction) -> bool {
    i.direction == Direction::Outbound
        && i.participants.iter().any(|p| {
            p.kind == ParticipantKind::Customer
                && matches!(
                    p.state,
                    ParticipantState::Waiting | ParticipantState::Ringing
                )
                && p.connected_at_ms.is_none()
        })
}

/// When talking stopped (the customer left), if it did.
fn talk_end(i: &Interaction) -> Option<i64> {
    match i.state {
        InteractionState::WrapUp => Some(i.state_since_ms),
        _ => i.ended_at_ms,
    }
}

fn secs(ms: i64) -> i64 {
    ms.max(0) / 1000
}

/// The call's `call_type`: as created through the Apps API, else from its direction.
pub fn call_type(i: &Interaction) -> String {
    if let Some(t) = i.custom_data.get(keys::CALL_TYPE).and_then(Value::as_str) {
        return t.to_owned();
    }
    match (i.direction, i.scheduled_at_ms) {
        (_, Some(_)) => "Voice Scheduled (API)".into(),
        (Direction::Outbound, _) => "Voice Outbound (API)".into(),
        _ => "Voice Inbound (App)".into(),
    }
}

fn text_key(i: &Interaction, key: &str) -> Value {
    match i.custom_data.get(key) {
        Some(Value::String(s)) => json!(s),
        Some(Value::Number(n)) => json!(n.to_string()),
        _ => Value::Null,
    }
}

/// An agent's own outbound call, outside every queue (the engine's direct call).
fn direct(i: &Interaction) -> bool {
    i.direction == Direction::Outbound && i.queue_id.is_none() && i.campaign_id.is_none()
}

/// `participants` (§5): every leg of the call, and the agent assigned to it before the agent's
/// leg exists (the engine adds it at the answer): a call offered to an agent, or an agent's own
/// call ringing the agent, has both its agent and its end user (§3.1 "participants agent +
/// end_user"). That leg gets the id the engine gives it at the answer, the next one in join order.
fn participants(i: &Interaction, call_id: u64, now: i64, hold_ms: i64) -> Vec<Value> {
    let mut out: Vec<Value> = i
        .participants
        .iter()
        .map(|p| {
            let agent_leg = p.kind == ParticipantKind::Agent;
            let connected = p.connected_at_ms;
            let end = p.left_at_ms.unwrap_or(now);
            let status = match p.state {
                ParticipantState::Ringing => "connecting",
                ParticipantState::Connected | ParticipantState::Held => "connected",
                ParticipantState::Left if connected.is_some() => "finished",
                ParticipantState::Left => "failed",
                ParticipantState::Waiting => "waiting",
            };
            let fail_reason = match (status, i.end_reason) {
                ("failed", Some(r)) => serde_json::to_value(r).unwrap_or(json!("unknown")),
                ("failed", None) => json!("unknown"),
                _ => json!("nothing"),
            };
            json!({
                "id": int_or_text(&p.id),
                "type": if agent_leg { "agent" } else { "end_user" },
                "status": status,
                "call_id": call_id,
                "user_id": p.agent_id.as_deref().map(int_or_text),
                "end_user_id": if agent_leg { Value::Null } else { p.contact_id.as_deref().map_or(Value::Null, int_or_text) },
                "call_duration": connected.map_or(0, |c| secs(end - c)),
                "hold_duration": if agent_leg || p.kind == ParticipantKind::Customer { secs(hold_ms) } else { 0 },
                "connected_at": time_opt(connected),
                "ended_at": time_opt(p.left_at_ms),
                "fail_reason": fail_reason,
            })
        })
        .collect();
    let assigned = i.agent_id.as_deref().filter(|agent| {
        !i.state.is_terminal()
            && !i.participants.iter().any(|p| {
                p.kind == ParticipantKind::Agent
                    && p.agent_id.as_deref() == Some(agent)
                    && p.state != ParticipantState::Left
            })
    });
    if let Some(agent) = assigned {
        out.push(json!({
            "id": i.participants.len() + 1,
            "type": "agent",
            "status": "waiting",
            "call_id": call_id,
            "user_id": int_or_text(agent),
            "end_user_id": null,
            "call_duration": 0,
            "hold_duration": 0,
            "connected_at": null,
            "ended_at": null,
            "fail_reason": "nothing",
        }));
    }
    out
}

/// The full call object (§5), with `updated_at` and `queue_duration` for the Manager API.
pub fn call(i: &Interaction, at: &Lookup) -> Value {
    let id = i.number;
    let now = at.now;
    let queued = i.queued_at_ms;
    let queue_ms = queued.map_or(0, |q| i.answered_at_ms.or(i.ended_at_ms).unwrap_or(now) - q);
    let call_ms = i
        .answered_at_ms
        .map_or(0, |a| talk_end(i).unwrap_or(now) - a);
    let hold_ms = i.hold_ms_at(now);
    let menu_id = i
        .queue_id
        .clone()
        .or_else(|| text_key(i, keys::MENU_ID).as_str().map(str::to_owned));
    let queue = at.queue(menu_id.as_deref());
    let agent = at.agent(i.agent_id.as_deref());
    let contact = i.contact_id.as_deref().and_then(|c| at.contacts.get(c));
    let ticket = text_key(i, keys::TICKET_ID);
    let end_user = json!({
        "id": contact.map(|c| int_or_text(&c.id)),
        "identifier": contact.and_then(|c| c.identifier.clone()),
        "out_contact_id": contact.and_then(|c| c.external_id.clone()).map_or(ticket.clone(), Value::from),
    });
    let failed = matches!(
        i.state,
        InteractionState::Failed | InteractionState::Abandoned
    );
    let disconnected_by = match i.ended_by {
        Some(EndedBy::Customer) => "disconnected_by_end_user",
        Some(EndedBy::Agent) => "disconnected_by_agent",
        Some(EndedBy::Bot | EndedBy::System) => "disconnected_by_system",
        None => "disconnected_by_unknown",
    };
    let fail_reason = match (failed, i.end_reason) {
        (false, _) => "nothing".to_owned(),
        (true, Some(r)) => serde_json::to_value(r)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".into()),
        (true, None) => "unknown".into(),
    };
    let participants = participants(i, id, now, hold_ms);
    let transfers: Vec<Value> = i
        .transfers
        .iter()
        .map(|t| {
            let to_agent = |a: Option<&str>| at.agent(a).map_or(Value::Null, agent_info);
            let to_menu = |q: Option<&str>| at.queue(q).map_or(Value::Null, menu);
            json!({
                "id": int_id(&t.id),
                "status": match t.status {
                    ccemu_core::interaction::TransferStatus::Transferring => "transferring",
                    ccemu_core::interaction::TransferStatus::Completed => "transferred",
                    ccemu_core::interaction::TransferStatus::Failed => "failed",
                },
                "fail_reason": null,
                "created_at": time(t.created_at_ms),
                "from_menu": to_menu(t.from_queue_id.as_deref()),
                "to_menu": to_menu(t.to_queue_id.as_deref()),
                "from_agent": to_agent(t.from_agent_id.as_deref()),
                "to_agent": to_agent(t.to_agent_id.as_deref()),
            })
        })
        .collect();
    let recording = i.recordings.first().map(|r| r.url.clone());
    let inbound_queue = i.direction == Direction::Inbound && i.queue_id.is_some();
    let ends_at = talk_end(i).or(i.ended_at_ms);
    let permission = i
        .custom_data
        .get(keys::RECORDING_PERMISSION)
        .and_then(Value::as_str)
        .map_or("not_asked", |p| {
            p.strip_prefix("recording_permission_").unwrap_or(p)
        });
    let mut head = json!({
        "id": id,
        "parent_id": i.parent_id.as_deref().and_then(|p| at.parents.get(p)),
        "lang": i.lang.clone().unwrap_or_else(|| "en".into()),
        "call_type": call_type(i),
        "status": status(i),
        "created_at": time(i.created_at_ms),
        "queued_at": time_opt(queued),
        "assigned_at": time_opt(i.offered_at_ms.or(if direct(i) { Some(i.created_at_ms) } else { None })),
        "connected_at": time_opt(i.answered_at_ms),
        "ends_at": time_opt(ends_at),
        "scheduled_at": time_opt(i.scheduled_at_ms),
        "updated_at": time(i.updated_at_ms),
        "wait_duration": secs(queue_ms),
        "queue_duration": secs(queue_ms),
        "call_duration": secs(call_ms),
        "hold_duration": secs(hold_ms),
        "rating": null,
        "has_feedback": false,
    });
    // Two halves: one `json!` of every field exceeds the macro recursion limit.
    let rest = json!({
        "voip_provider": "voip_provider_twilio",
        "out_ticket_id": ticket,
        "out_ticket_url": null,
        "verified": false,
        "recording_url": recording,
        "recording_permission": permission,
        "voicemail_reason": "not_voicemail",
        "deflection": "no_deflection",
        "disconnected_by": disconnected_by,
        "fail_details": null,
        "fail_reason": fail_reason,
        "support_number": if i.direction == Direction::Inbound { json!(i.to) } else { json!(i.from) },
        "sub_status": null,
        "finish_reason": "no_reason",
        "adapter_fail_code": null,
        "adapter_fail_message": null,
        "answer_type": "manual",
        "offer_type": if inbound_queue { json!("cascade") } else { Value::Null },
        "offer_events": if inbound_queue {
            json!([{"casting_time": time(queued.unwrap_or(i.created_at_ms)), "group": "Group 1"}])
        } else {
            json!([])
        },
        "outbound_number": text_key(i, keys::OUTBOUND_NUMBER),
        "deflection_details": [],
        "selected_menu": queue.map_or(Value::Null, menu),
        "menu_path": queue.map_or(Value::Null, |q| json!({"items_count": 1, "name": q.name, "materialized_path": q.name})),
        "agent_info": agent.map_or(Value::Null, agent_info),
        "end_user": end_user,
        "photos": [],
        "videos": [],
        "transfers": transfers,
        "participants": participants,
    });
    if let (Value::Object(h), Value::Object(r)) = (&mut head, rest) {
        h.extend(r);
    }
    head
}
