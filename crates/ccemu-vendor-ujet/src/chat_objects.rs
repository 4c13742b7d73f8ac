//! UJET chat shapes (`vendor-notes/ujet.md` §5): the Apps chat object, and the Manager chat row
//! that `POST /sms` also answers with (§3.2), built from an engine interaction.
//!
//! UJET ids are integers, engine interaction ids are UUIDs: a chat's wire id is the
//! interaction's per-tenant number ([`Interaction::number`]), found again by one indexed read.
//! UJET-only facts about a chat (chat type, language, end user, dismissal, escalations, media)
//! live in the interaction's `custom_data` under `ujet.` keys.

use ccemu_core::agent::Agent;
use ccemu_core::interaction::{
    Channel, EndedBy, Interaction, InteractionState, Participant, ParticipantKind, ParticipantState,
};
use ccemu_core::queue::Queue;
use serde_json::{json, Value};

use crate::dto::{time, time_opt};
use crate::objects::int_id;

/// `custom_data` keys of UJET chat facts.
pub mod key {
    /// `chat_type` as created (`Messaging (API)`, ...).
    pub const CHAT_TYPE: &str = "ujet.chat_type";
    /// Language.
    pub const LANG: &str = "ujet.lang";
    /// `dismissed` / `va_dismissed` while the chat is dismissed.
    pub const DISMISSED: &str = "ujet.dismissed";
    /// End user id given at creation.
    pub const END_USER_ID: &str = "ujet.end_user_id";
    /// End user identifier from the mid-session `end_user` call.
    pub const END_USER: &str = "ujet.end_user";
    /// Escalations, in order.
    pub const ESCALATIONS: &str = "ujet.escalations";
    /// Deflection channel chosen for the chat.
    pub const DEFLECTION: &str = "ujet.deflection_channel";
    /// Photos, in order.
    pub const PHOTOS: &str = "ujet.photos";
    /// Videos, in order.
    pub const VIDEOS: &str = "ujet.videos";
    /// CRM ticket id.
    pub const TICKET: &str = "ujet.out_ticket_id";
}

/// Name of the virtual agent every Apps chat starts with.
pub const VIRTUAL_AGENT: &str = "Virtual Agent";

/// Whether an interaction is a UJET chat (chat or messaging).
pub fn is_chat(i: &Interaction) -> bool {
    matches!(i.channel, Channel::Chat | Channel::Messaging)
}

fn data<'a>(i: &'a Interaction, key: &str) -> Option<&'a Value> {
    i.custom_data.get(key).filter(|v| !v.is_null())
}

fn data_str<'a>(i: &'a Interaction, key: &str) -> Option<&'a str> {
    data(i, key).and_then(Value::as_str)
}

/// A stored list (escalations, photos, videos), empty when absent.
pub fn list(i: &Interaction, key: &str) -> Vec<Value> {
    data(i, key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn bot_connected(i: &Interaction) -> bool {
    i.participants
        .iter()
        .any(|p| p.kind == ParticipantKind::Bot && p.state != ParticipantState::Left)
}

/// The UJET chat status [inferred]: `selecting` before a menu routes it, `va_assigned` with the
/// virtual agent, `queued` waiting for a human, `assigned` with one, `dismissed`/`va_dismissed`
/// while dismissed, `finished` or `failed` at the end.
pub fn status(i: &Interaction) -> &'static str {
    use InteractionState::*;
    if !i.state.is_terminal() {
        match data_str(i, key::DISMISSED) {
            Some("dismissed") => return "dismissed",
            Some("va_dismissed") => return "va_dismissed",
            _ => {}
        }
    }
    match i.state {
        Created | Scheduled => "selecting",
        Connected if i.agent_id.is_none() && bot_connected(i) => "va_assigned",
        Queued | Offered | Ringing => "queued",
        Connected | Held => "assigned",
        WrapUp | Ended | Abandoned => "finished",
        Failed => "failed",
    }
}

fn status_text(status: &str) -> &'static str {
    match status {
        "selecting" => "Selecting",
        "va_assigned" => "Virtual agent assigned",
        "queued" => "Queued",
        "assigned" => "Assigned",
        "dismissed" => "Dismissed",
        "va_dismissed" => "Virtual agent dismissed",
        "failed" => "Failed",
        _ => "Finished",
    }
}

/// A participant's status; the engine does not move an agent's participant state on answer, so
/// an agent or bot present is connected, and the end user is while someone serves them.
fn participant_status(i: &Interaction, p: &Participant) -> &'static str {
    match (p.state, p.kind) {
        (ParticipantState::Left, _) => "finished",
        (_, ParticipantKind::Agent | ParticipantKind::Bot) => "connected",
        _ if matches!(
            i.state,
            InteractionState::Connected | InteractionState::Held
        ) =>
        {
            "connected"
        }
        _ => "waiting",
    }
}

/// Where the facts about agents and menus come from: the tenant's records for requests, the
/// engine's view at commit for webhooks.
pub trait Lookup {
    /// An agent by id.
    fn agent(&self, id: &str) -> Option<&Agent>;
    /// A queue's (UJET menu's) name by id.
    fn queue_name(&self, id: &str) -> Option<&str>;
}

/// The tenant's agents and queues as read from its records.
pub struct Directory<'a> {
    /// The tenant's agents.
    pub agents: &'a [Agent],
    /// The tenant's queues (UJET menus).
    pub queues: &'a [Queue],
}

impl Lookup for Directory<'_> {
    fn agent(&self, id: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.id == id)
    }

    fn queue_name(&self, id: &str) -> Option<&str> {
        self.queues
            .iter()
            .find(|q| q.id == id)
            .map(|q| q.name.as_str())
    }
}

fn agent_participants(i: &Interaction) -> impl DoubleEndedIterator<Item = &Participant> {
    i.participants
        .iter()
        .filter(|p| p.kind == ParticipantKind::Agent)
}

fn apps_agent(dir: &dyn Lookup, i: &Interaction, p: &Participant) -> Value {
    let id = p.agent_id.as_deref().unwrap_or_default();
    let first = dir.agent(id).map_or("", |a| a.first_name.as_str());
    json!({
        "id": int_id(id),
        "name": p.nickname,
        "first_name": first,
        "avatar_url": null,
        "status": participant_status(i, p),
    })
}

fn apps_bot(i: &Interaction, p: &Participant) -> Value {
    json!({
        "id": int_id(&p.id),
        "name": p.nickname,
        "avatar_url": null,
        "status": participant_status(i, p),
    })
}

fn end_user(i: &Interaction) -> Value {
    json!({
        "id": data(i, key::END_USER_ID).cloned().unwrap_or(Value::Null),
        "identifier": data(i, key::END_USER).and_then(|e| e.get("identifier")).cloned().unwrap_or(Value::Null),
    })
}

/// The Apps chat object (§5 "Apps chat object").
pub fn apps_chat(dir: &dyn Lookup, i: &Interaction) -> Value {
    let status = status(i);
    let current_agent = agent_participants(i)
        .rev()
        .find(|p| p.agent_id == i.agent_id && p.state != ParticipantState::Left);
    let bots: Vec<&Participant> = i
        .participants
        .iter()
        .filter(|p| p.kind == ParticipantKind::Bot)
        .collect();
    let current_bot = bots.iter().find(|p| p.state != ParticipantState::Left);
    let menus: Vec<Value> = i
        .queue_id
        .as_deref()
        .map(|q| json!({"id": int_id(q), "name": dir.queue_name(q).unwrap_or("")}))
        .into_iter()
        .collect();
    json!({
        "id": i.number,
        "status": status,
        "status_text": status_text(status),
        "features": [],
        "created_at": time(i.created_at_ms),
        "ends_at": time_opt(i.ended_at_ms),
        "timeout_at": null,
        "agent": current_agent.map_or(Value::Null, |p| apps_agent(dir, i, p)),
        "virtual_agent": current_bot.map_or(Value::Null, |p| apps_bot(i, p)),
        "all_agents": agent_participants(i).map(|p| apps_agent(dir, i, p)).collect::<Vec<_>>(),
        "all_virtual_agents": bots.iter().map(|p| apps_bot(i, p)).collect::<Vec<_>>(),
        "lang": data_str(i, key::LANG).unwrap_or("en"),
        "menus": menus,
        "end_user": end_user(i),
    })
}

/// When the first human agent joined.
fn assigned_at(i: &Interaction) -> Option<i64> {
    agent_participants(i)
        .filter_map(|p| p.connected_at_ms.or(Some(p.joined_at_ms)))
        .min()
}

fn secs(ms: i64) -> i64 {
    ms.max(0) / 1000
}

fn disconnected_by(i: &Interaction) -> &'static str {
    match i.ended_by {
        Some(EndedBy::Customer) => "end_user",
        Some(EndedBy::Agent) => "agent",
        Some(EndedBy::Bot) => "virtual_agent",
        _ => "disconnected_by_unknown",
    }
}

/// The chat type a chat shows: as created, else by channel [inferred].
pub fn chat_type(i: &Interaction) -> String {
    data_str(i, key::CHAT_TYPE).map_or_else(
        || match i.channel {
            Channel::Messaging => "Messaging (API)".to_owned(),
            _ => "Chat (API)".to_owned(),
        },
        str::to_owned,
    )
}

/// Response times of agents to the end user's messages: `(average, longest)` in seconds.
fn response_times(i: &Interaction) -> (Option<i64>, Option<i64>) {
    let mut waiting_since = None;
    let mut gaps = Vec::new();
    for m in &i.messages {
        match m.from_kind {
            ParticipantKind::Customer => {
                waiting_since.get_or_insert(m.sent_at_ms);
            }
            ParticipantKind::Agent => {
                if let Some(since) = waiting_since.take() {
                    gaps.push(secs(m.sent_at_ms - since));
                }
            }
            ParticipantKind::Bot => {}
        }
    }
    let longest = gaps.iter().copied().max();
    let average = (!gaps.is_empty()).then(|| gaps.iter().sum::<i64>() / gaps.len() as i64);
    (average, longest)
}

/// The Manager chat row (§5 "Manager chat"); durations in seconds on the tenant clock `now`.
pub fn manager_chat(dir: &dyn Lookup, i: &Interaction, now: i64) -> Value {
    let chat_id = i.number;
    let assigned = assigned_at(i);
    let end = i.ended_at_ms.unwrap_or(now);
    let wait = match i.queued_at_ms {
        Some(q) => secs(assigned.unwrap_or(end) - q),
        None => 0,
    };
    let chat_duration = assigned.map_or(0, |a| secs(end - a));
    let menu = i.queue_id.as_deref().map(|q| {
        let name = dir.queue_name(q).unwrap_or("");
        (
            json!({"id": int_id(q), "name": name, "parent_id": null, "position": 0, "deleted": false,
                   "hidden": false, "menu_type": "web_menu", "output_msg": null}),
            json!({"items_count": 1, "name": name, "materialized_path": name}),
        )
    });
    let agent_info = i
        .agent_id
        .as_deref()
        .or_else(|| agent_participants(i).last()?.agent_id.as_deref())
        .map_or(Value::Null, |id| {
            let a = dir.agent(id);
            json!({
                "id": int_id(id),
                "name": a.map_or("", |a| a.name.as_str()),
                "last_name": a.map_or("", |a| a.last_name.as_str()),
                "first_name": a.map_or("", |a| a.first_name.as_str()),
                "agent_number": id.chars().all(|c| c.is_ascii_digit()).then_some(id),
                "avatar_url": null,
            })
        });
    let texts: Vec<i64> = i
        .messages
        .iter()
        .filter(|m| m.kind == ccemu_core::interaction::MessageKind::Text)
        .map(|m| m.sent_at_ms)
        .collect();
    let (average, longest) = response_times(i);
    let end_user_id = data(i, key::END_USER_ID).cloned().unwrap_or(Value::Null);
    let participants: Vec<Value> = i
        .participants
        .iter()
        .map(|p| {
            let connected = (p.kind != ParticipantKind::Customer)
                .then_some(p.connected_at_ms.unwrap_or(p.joined_at_ms));
            json!({
                "id": int_id(&p.id),
                "type": match p.kind {
                    ParticipantKind::Customer => "end_user",
                    ParticipantKind::Agent => "agent",
                    ParticipantKind::Bot => "virtual_agent",
                },
                "status": participant_status(i, p),
                "chat_id": chat_id,
                "user_id": p.agent_id.as_deref().map(int_id),
                "end_user_id": if p.kind == ParticipantKind::Customer { end_user_id.clone() } else { Value::Null },
                "chat_duration": connected.map_or(0, |c| secs(p.left_at_ms.unwrap_or(end) - c)),
                "connected_at": time_opt(connected),
                "finished_at": time_opt(p.left_at_ms),
                "fail_reason": null,
            })
        })
        .collect();
    let transfers: Vec<Value> = i
        .transfers
        .iter()
        .map(|t| {
            json!({
                "id": int_id(&t.id),
                "status": match t.status {
                    ccemu_core::interaction::TransferStatus::Transferring => "transferring",
                    ccemu_core::interaction::TransferStatus::Completed => "completed",
                    ccemu_core::interaction::TransferStatus::Failed => "failed",
                },
                "fail_reason": null,
                "created_at": time(t.created_at_ms),
                "from_menu": t.from_queue_id.as_deref().map(int_id),
                "to_menu": t.to_queue_id.as_deref().map(int_id),
                "from_agent": t.from_agent_id.as_deref().map(|id| json!({"id": int_id(id), "agent_number": id})),
                "to_agent": t.to_agent_id.as_deref().map(|id| json!({"id": int_id(id), "agent_number": id})),
            })
        })
        .collect();
    json!({
        "id": chat_id,
        "lang": data_str(i, key::LANG).unwrap_or("en"),
        "chat_type": chat_type(i),
        "status": status(i),
        "created_at": time(i.created_at_ms),
        "updated_at": time(i.updated_at_ms),
        "queued_at": time_opt(i.queued_at_ms),
        "assigned_at": time_opt(assigned),
        "ends_at": time_opt(i.ended_at_ms),
        "wait_duration": wait,
        "chat_duration": chat_duration,
        "rating": null,
        "has_feedback": false,
        "out_ticket_id": data(i, key::TICKET).cloned().unwrap_or(Value::Null),
        "out_ticket_url": null,
        "verified": false,
        "disconnected_by": disconnected_by(i),
        "fail_reason": null,
        "selected_menu": menu.as_ref().map_or(Value::Null, |m| m.0.clone()),
        "menu_path": menu.as_ref().map_or(Value::Null, |m| m.1.clone()),
        "agent_info": agent_info,
        "end_user": {
            "id": end_user_id,
            "identifier": data(i, key::END_USER).and_then(|e| e.get("identifier")).cloned().unwrap_or(Value::Null),
            "out_contact_id": null,
        },
        "message_count": texts.len(),
        "first_msg_sent_at": time_opt(texts.first().copied()),
        "last_msg_sent_at": time_opt(texts.last().copied()),
        "average_response_time": average,
        "longest_response_time": longest,
        "transcript": !texts.is_empty(),
        "offer_type": if i.queued_at_ms.is_some() { json!("cascade") } else { Value::Null },
        "offer_events": [],
        "photos": list(i, key::PHOTOS),
        "videos": list(i, key::VIDEOS),
        "transfers": transfers,
        "participants": participants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_wire_ids_are_numeric_ids_or_52_bits_of_a_uuid() {
        assert_eq!(int_id("9001"), 9001);
        assert_eq!(int_id("0000000a-0000-4000-8000-000000000000"), 0xa0_0004);
        let big = int_id("ffffffff-ffff-ffff-8fff-ffffffffffff");
        assert_eq!(big, (1_i64 << 52) - 1);
    }
}
