//! Apps API chats and SMS (`vendor-notes/ujet.md` §3.2, §3.5) and the Manager chat reads (§4).
//!
//! A chat created through the Apps API starts with the virtual agent ([`Op::StartSession`] with a
//! bot, in the menu's queue); an escalation hands it to the queue, where the ACD routes it to a
//! human. `POST /sms` opens a messaging session that waits unrouted (`selecting`) with the
//! center's first message. Paths and bodies are [inferred] unless the note says otherwise.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use ccemu_core::agent::Agent;
use ccemu_core::interaction::{
    Channel, Direction, EndedBy, Interaction, MessageKind, ParticipantKind,
};
use ccemu_core::queue::Queue;
use ccemu_engine::{Engine, NewMessage, Op, OpOutput};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::chat_objects::{self as objects, key, Directory, VIRTUAL_AGENT};
use crate::custom_data;
use crate::dto::{self, Params, Text};
use crate::error::{Api, UjetError};
use crate::paging;

const APPS: Api = Api::Apps;

fn bad(message: impl Into<String>) -> UjetError {
    UjetError::BadRequest(APPS, message.into())
}

/// The tenant's agents and queues, for the chat shapes.
struct Dir {
    agents: Vec<Agent>,
    queues: Vec<Queue>,
}

impl Dir {
    async fn load(engine: &Engine, auth: &Authed) -> Result<Self, UjetError> {
        let t = &auth.tenant.id;
        let err = |e| UjetError::from_engine(auth.api, e);
        Ok(Self {
            agents: crate::agents::all(engine, t).await.map_err(err)?,
            queues: engine.queues(t, None).await.map_err(err)?,
        })
    }

    fn view(&self) -> Directory<'_> {
        Directory {
            agents: &self.agents,
            queues: &self.queues,
        }
    }
}

/// The channels of UJET chats.
const CHATS: [Channel; 2] = [Channel::Chat, Channel::Messaging];

/// The chat a path id (its number) names, or 404.
async fn find(engine: &Engine, auth: &Authed, id: &str) -> Result<Interaction, UjetError> {
    if id.trim().parse::<u64>().is_err() {
        return Err(UjetError::NotFound(auth.api));
    }
    crate::objects::find(engine, auth, &CHATS, id).await
}

/// The chat, refused with `Chat is already ended` once it ended (§2 mid-session errors).
async fn find_open(engine: &Engine, auth: &Authed, id: &str) -> Result<Interaction, UjetError> {
    let i = find(engine, auth, id).await?;
    if i.state.is_terminal() {
        return Err(bad("Chat is already ended"));
    }
    Ok(i)
}

async fn exec(engine: &Engine, auth: &Authed, op: Op) -> Result<OpOutput, UjetError> {
    engine
        .execute(&auth.tenant.id, op)
        .await
        .map_err(|e| UjetError::from_engine(auth.api, e))
}

async fn set_data(
    engine: &Engine,
    auth: &Authed,
    i: &Interaction,
    data: impl IntoIterator<Item = (impl Into<String>, Value)>,
) -> Result<(), UjetError> {
    let data = data.into_iter().map(|(k, v)| (k.into(), v)).collect();
    exec(
        engine,
        auth,
        Op::AnnotateInteraction {
            interaction_id: i.id.clone(),
            note: ccemu_engine::Annotation {
                custom_data: data,
                ..Default::default()
            },
        },
    )
    .await?;
    Ok(())
}

/// The Apps chat object of a chat as stored now.
async fn apps_chat(engine: &Engine, auth: &Authed, id: &str) -> Result<Value, UjetError> {
    let dir = Dir::load(engine, auth).await?;
    let i = engine
        .interaction(&auth.tenant.id, id)
        .await
        .map_err(|e| UjetError::from_engine(auth.api, e))?
        .ok_or(UjetError::NotFound(auth.api))?;
    Ok(objects::apps_chat(&dir.view(), &i))
}

/// A menu id (int or string) that must name a queue of the tenant.
fn menu(dir: &Dir, menu_id: Option<Text>) -> Result<String, UjetError> {
    let Some(Text(raw)) = menu_id.filter(|t| !t.0.trim().is_empty()) else {
        return Err(bad("menu_id is required"));
    };
    let raw = raw.trim();
    if raw.parse::<i64>().is_err() {
        return Err(bad("menu_id is not well formed"));
    }
    dir.queues
        .iter()
        .find(|q| q.id == raw)
        .map(|q| q.id.clone())
        .ok_or_else(|| bad(format!("menu_id {raw} is not found")))
}

#[derive(Deserialize)]
struct CreateChat {
    chat: ChatFields,
}

#[derive(Deserialize)]
struct ChatFields {
    menu_id: Option<Text>,
    end_user_id: Option<Text>,
    lang: Option<String>,
    email: Option<String>,
}

/// `POST /chats` (§3.5): a chat in the menu's queue, with the virtual agent first; 201.
pub async fn create_chat(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: CreateChat = dto::body(APPS, &raw)?;
        let dir = Dir::load(&engine, &auth).await?;
        let queue_id = menu(&dir, body.chat.menu_id)?;
        let lang = body.chat.lang.filter(|l| !l.trim().is_empty());
        let end_user_id = body
            .chat
            .end_user_id
            .map(|Text(t)| {
                t.trim()
                    .parse::<i64>()
                    .map_err(|_| bad("end_user_id is invalid"))
            })
            .transpose()?;
        let mut data = BTreeMap::new();
        data.insert(key::LANG.to_owned(), json!(lang.as_deref().unwrap_or("en")));
        data.insert(key::END_USER_ID.to_owned(), json!(end_user_id));
        let from = body.chat.email.unwrap_or_else(|| "end_user".to_owned());
        let out = exec(
            &engine,
            &auth,
            Op::StartSession {
                channel: Channel::Chat,
                direction: Direction::Inbound,
                queue_id: Some(queue_id),
                from,
                to: String::new(),
                bot: Some(VIRTUAL_AGENT.to_owned()),
                data,
            },
        )
        .await?;
        let OpOutput::Interaction(i) = out else {
            return Err(UjetError::Internal(APPS));
        };
        Ok(objects::apps_chat(&dir.view(), &i))
    }
    .await;
    dto::reply(&auth, StatusCode::CREATED, result)
}

/// `GET /chats/{id}` (§3.5): the Apps chat object.
pub async fn get_chat(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let i = find(&engine, &auth, &id).await?;
        apps_chat(&engine, &auth, &i.id).await
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

#[derive(Deserialize)]
struct SendMessage {
    from_user_id: Option<Text>,
    message: MessageFields,
}

#[derive(Deserialize)]
struct MessageFields {
    #[serde(rename = "type")]
    kind: Option<String>,
    content: Option<String>,
    media_id: Option<Text>,
}

/// `POST /chats/{id}/messages` (§3.5): `from_user_id` names the connected agent; without it the
/// end user speaks, or the virtual agent while it holds the chat [inferred]; 201 message.
pub async fn send_chat_message(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: SendMessage = dto::body(APPS, &raw)?;
        let i = find_open(&engine, &auth, &id).await?;
        let kind = body.message.kind.unwrap_or_else(|| "text".to_owned());
        let content = body.message.content.unwrap_or_default();
        let media_id = body.message.media_id.map(|t| t.0);
        if kind == "text" && content.trim().is_empty() {
            return Err(bad(dto::missing("message.content")));
        }
        let from = match &body.from_user_id {
            Some(Text(user)) => {
                if i.agent_id.as_deref() != Some(user.trim()) {
                    return Err(bad("from_user_id is not the chat's agent"));
                }
                ParticipantKind::Agent
            }
            None => ParticipantKind::Customer,
        };
        let mut message = NewMessage::text(from, content.clone());
        if kind != "text" {
            message.kind = MessageKind::Text;
            message
                .attachments
                .push(ccemu_core::interaction::Attachment {
                    id: String::new(),
                    name: media_id.clone().unwrap_or_else(|| kind.clone()),
                    content_type: kind.clone(),
                    size: 0,
                    content_base64: None,
                    url: None,
                });
            if message.text.trim().is_empty() {
                message.text = kind.clone();
            }
        }
        let out = exec(
            &engine,
            &auth,
            Op::AddMessage {
                interaction_id: i.id.clone(),
                message,
            },
        )
        .await?;
        let OpOutput::Message(m) = out else {
            return Err(UjetError::Internal(APPS));
        };
        Ok(json!({
            "id": m.index,
            "chat_id": i.number,
            "from_user_id": body.from_user_id.map(|t| crate::objects::int_id(&t.0)),
            "sender_type": match from { ParticipantKind::Agent => "agent", _ => "end_user" },
            "type": kind,
            "content": content,
            "media_id": media_id,
            "created_at": dto::time(m.sent_at_ms),
        }))
    }
    .await;
    dto::reply(&auth, StatusCode::CREATED, result)
}

#[derive(Deserialize)]
struct UpdateChat {
    finished_by_user_id: Option<Text>,
    chat: Option<UpdateFields>,
}

#[derive(Deserialize)]
struct UpdateFields {
    deflection_channel: Option<String>,
    status: Option<String>,
    escalation_id: Option<Text>,
}

/// `PATCH /chats/{id}` (§3.5, [doc]): `status` `finished` ends the chat (by the agent when
/// `finished_by_user_id` is given, else the end user), `dismissed`/`va_dismissed` dismiss it;
/// `deflection_channel` is kept on the chat (and on `escalation_id`'s escalation). Answers the chat.
pub async fn update_chat(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: UpdateChat = dto::body(APPS, &raw)?;
        let i = find_open(&engine, &auth, &id).await?;
        let fields = body.chat.unwrap_or(UpdateFields {
            deflection_channel: None,
            status: None,
            escalation_id: None,
        });
        let status = fields.status.as_deref().map(str::trim);
        if let Some(s) = status {
            if !matches!(s, "finished" | "dismissed" | "va_dismissed") {
                return Err(bad(format!("Invalid status: {s}")));
            }
        }
        let mut data = Vec::new();
        if let Some(channel) = fields.deflection_channel {
            data.push((key::DEFLECTION, json!(channel)));
            if let Some(Text(eid)) = &fields.escalation_id {
                let mut escalations = objects::list(&i, key::ESCALATIONS);
                let e = escalations
                    .iter_mut()
                    .find(|e| e["id"].as_i64() == eid.trim().parse().ok())
                    .ok_or_else(|| bad("escalation_id is invalid"))?;
                e["deflection_channel"] = json!(channel);
                data.push((key::ESCALATIONS, Value::Array(escalations)));
            }
        }
        if let Some(s @ ("dismissed" | "va_dismissed")) = status {
            data.push((key::DISMISSED, json!(s)));
        }
        if !data.is_empty() {
            set_data(&engine, &auth, &i, data).await?;
        }
        if status == Some("finished") {
            let by = if body.finished_by_user_id.is_some() {
                EndedBy::Agent
            } else {
                EndedBy::Customer
            };
            exec(
                &engine,
                &auth,
                Op::Hangup {
                    interaction_id: i.id.clone(),
                    by,
                },
            )
            .await?;
        }
        apps_chat(&engine, &auth, &i.id).await
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `POST /chats/{id}/resume` (§3.5): only a `dismissed` or `va_dismissed` chat, else 400.
pub async fn resume_chat(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let i = find_open(&engine, &auth, &id).await?;
        let status = objects::status(&i);
        if !matches!(status, "dismissed" | "va_dismissed") {
            return Err(bad(format!("Chat is not dismissed (status: {status})")));
        }
        set_data(&engine, &auth, &i, vec![(key::DISMISSED, Value::Null)]).await?;
        apps_chat(&engine, &auth, &i.id).await
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

#[derive(Deserialize)]
struct Escalate {
    reason: Option<String>,
    force_escalate: Option<ccemu_core::lenient::Flag>,
}

/// `POST /chats/{id}/escalations` (§3.5): the virtual agent hands the chat to the menu's queue
/// for a human; 201 escalation. A chat no virtual agent holds answers 400.
pub async fn escalate_chat(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: Escalate = dto::body(APPS, &raw)?;
        let i = find_open(&engine, &auth, &id).await?;
        if objects::status(&i) != "va_assigned" {
            return Err(bad("Chat is not with a virtual agent"));
        }
        let mut escalations = objects::list(&i, key::ESCALATIONS);
        let now = engine
            .clock(&auth.tenant.id)
            .await
            .map_err(|e| UjetError::from_engine(APPS, e))?
            .now_ms;
        let escalation = json!({
            "id": escalations.len() + 1,
            "chat_id": i.number,
            "reason": body.reason,
            "force_escalate": body.force_escalate.is_some_and(|f| f.0),
            "status": "escalated",
            "deflection_channel": null,
            "created_at": dto::time(now),
        });
        escalations.push(escalation.clone());
        // Handed over first: a refused hand-over (queue full) records no escalation.
        exec(
            &engine,
            &auth,
            Op::HandToQueue {
                interaction_id: i.id.clone(),
                queue_id: None,
            },
        )
        .await?;
        set_data(
            &engine,
            &auth,
            &i,
            vec![(key::ESCALATIONS, Value::Array(escalations))],
        )
        .await?;
        Ok(escalation)
    }
    .await;
    dto::reply(&auth, StatusCode::CREATED, result)
}

#[derive(Deserialize)]
struct UpdateEscalation {
    deflection_channel: Option<String>,
}

/// `PATCH /chats/{id}/escalations/{escalation_id}` (§3.5): sets the deflection channel.
pub async fn update_chat_escalation(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path((id, escalation_id)): Path<(String, String)>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: UpdateEscalation = dto::body(APPS, &raw)?;
        let channel = dto::required(
            APPS,
            "deflection_channel",
            body.deflection_channel.map(Text),
        )?;
        let i = find_open(&engine, &auth, &id).await?;
        let mut escalations = objects::list(&i, key::ESCALATIONS);
        let e = escalations
            .iter_mut()
            .find(|e| e["id"].as_i64() == escalation_id.trim().parse().ok())
            .ok_or(UjetError::NotFound(APPS))?;
        e["deflection_channel"] = json!(channel);
        let updated = e.clone();
        set_data(
            &engine,
            &auth,
            &i,
            vec![
                (key::ESCALATIONS, Value::Array(escalations)),
                (key::DEFLECTION, json!(channel)),
            ],
        )
        .await?;
        Ok(updated)
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

#[derive(Deserialize)]
struct CreateSms {
    chat_type: Option<String>,
    end_user_number: Option<Text>,
    outbound_number: Option<Text>,
    message: Option<Text>,
    ticket_id: Option<Text>,
}

/// `POST /sms` (§3.2): a messaging session with the center's first message, waiting for the end
/// user to pick a menu (`selecting`); 201 with the chat row of the doc's example.
pub async fn create_sms(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: CreateSms = dto::body(APPS, &raw)?;
        let chat_type = dto::required(APPS, "chat_type", body.chat_type.map(Text))?;
        // `SMS` is the deprecated alias; the doc's own example sends `Messaging (SMS)`.
        let chat_type = match chat_type.as_str() {
            "Messaging (API)" | "SMS" => "Messaging (API)",
            "Messaging (SMS)" => "Messaging (SMS)",
            _ => return Err(bad("Invalid chat type")),
        };
        let to = dto::required(APPS, "end_user_number", body.end_user_number)?;
        let from = dto::required(APPS, "outbound_number", body.outbound_number)?;
        let message = dto::required(APPS, "message", body.message)?;
        if !phone_like(&to) {
            return Err(bad("end_user_number is not well-formed"));
        }
        let mut data = BTreeMap::new();
        data.insert(key::CHAT_TYPE.to_owned(), json!(chat_type));
        data.insert(key::LANG.to_owned(), json!("en"));
        data.insert(key::TICKET.to_owned(), json!(body.ticket_id.map(|t| t.0)));
        let out = exec(
            &engine,
            &auth,
            Op::StartSession {
                channel: Channel::Messaging,
                direction: Direction::Outbound,
                queue_id: None,
                from: to,
                to: from,
                bot: None,
                data,
            },
        )
        .await?;
        let OpOutput::Interaction(i) = out else {
            return Err(UjetError::Internal(APPS));
        };
        exec(
            &engine,
            &auth,
            Op::AddMessage {
                interaction_id: i.id.clone(),
                message: NewMessage::text(ParticipantKind::Bot, message),
            },
        )
        .await?;
        let dir = Dir::load(&engine, &auth).await?;
        let i = engine
            .interaction(&auth.tenant.id, &i.id)
            .await
            .map_err(|e| UjetError::from_engine(APPS, e))?
            .ok_or(UjetError::NotFound(APPS))?;
        let now = engine
            .clock(&auth.tenant.id)
            .await
            .map_err(|e| UjetError::from_engine(APPS, e))?
            .now_ms;
        Ok(objects::manager_chat(&dir.view(), &i, now))
    }
    .await;
    dto::reply(&auth, StatusCode::CREATED, result)
}

/// Manager chat rows of `chats`, read with their transcripts (the rows' counts and response
/// times come from them).
async fn manager_rows(
    engine: &Engine,
    auth: &Authed,
    chats: Vec<Interaction>,
) -> Result<Vec<Value>, UjetError> {
    let dir = Dir::load(engine, auth).await?;
    let now = engine
        .clock(&auth.tenant.id)
        .await
        .map_err(|e| UjetError::from_engine(auth.api, e))?
        .now_ms;
    Ok(chats
        .iter()
        .map(|i| objects::manager_chat(&dir.view(), i, now))
        .collect())
}

/// Manager `GET /chats` (§4): chat and messaging sessions, paged like every list. Paging,
/// sorting by id or time and time bounds are the store's; other filters apply to every chat.
pub async fn list_chats(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    match paging::window(&params) {
        Some(Ok(window)) => {
            let page = async {
                let page = crate::objects::window(&engine, &auth, &CHATS, true, &window).await?;
                Ok::<_, UjetError>((page.total, manager_rows(&engine, &auth, page.items).await?))
            }
            .await;
            match page {
                Ok((total, rows)) => paging::page(&auth, &params, &window, total, rows),
                Err(e) => dto::fail(&auth, e),
            }
        }
        Some(Err(e)) => dto::fail(&auth, e),
        None => {
            let rows = async {
                let chats = crate::objects::all(&engine, &auth, &CHATS, true).await?;
                manager_rows(&engine, &auth, chats).await
            }
            .await;
            match rows {
                Ok(rows) => paging::list(&auth, &params, rows),
                Err(e) => dto::fail(&auth, e),
            }
        }
    }
}

/// Manager `GET /chats/{id}` (§4): one chat row (an array of one, like every Manager read).
pub async fn get_manager_chat(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let i = find(&engine, &auth, &id).await?;
        manager_rows(&engine, &auth, vec![i])
            .await?
            .pop()
            .ok_or(UjetError::NotFound(auth.api))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

#[derive(Deserialize)]
struct EndUser {
    identifier: Option<Text>,
    name: Option<Text>,
    email: Option<Text>,
    phone: Option<Text>,
}

/// `GET /chats/{id}/customer_flag` (§3.5, by analogy with calls): false when never set.
pub async fn get_chat_customer_flag(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
) -> Response {
    let result = find(&engine, &auth, &id)
        .await
        .map(|i| custom_data::flags(&i));
    dto::reply(&auth, StatusCode::OK, result)
}

/// `PATCH`/`PUT /chats/{id}/customer_flag` (§3.5): the flags after the change, on open chats.
pub async fn update_chat_customer_flag(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: custom_data::FlagsBody = dto::body(APPS, &raw)?;
        let i = find_open(&engine, &auth, &id).await?;
        let flags = custom_data::merged_flags(&i, &body);
        set_data(
            &engine,
            &auth,
            &i,
            [(custom_data::FLAGS_KEY, flags.clone())],
        )
        .await?;
        Ok(flags)
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `POST /chats/{id}/custom_data` (§3.5): the calls' unsigned or signed body; 200 `{}`.
pub async fn set_chat_custom_data(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: custom_data::CustomDataBody = dto::body(APPS, &raw)?;
        let now = engine
            .clock(&auth.tenant.id)
            .await
            .map_err(|e| UjetError::from_engine(APPS, e))?
            .now_ms;
        let secret = &auth.tenant.credentials.ujet.company_secret;
        let parsed = custom_data::parse(APPS, body, secret, now)?;
        let i = find_open(&engine, &auth, &id).await?;
        set_data(&engine, &auth, &i, custom_data::attach(&i, &parsed)).await?;
        Ok(json!({}))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `POST /chats/{id}/end_user` (§3.5, [doc] mid-session): records the end user on the chat;
/// 202 `{"message":"accepted"}`.
pub async fn update_chat_end_user(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: EndUser = dto::body(APPS, &raw)?;
        let identifier = dto::required(APPS, "identifier", body.identifier)?;
        let i = find_open(&engine, &auth, &id).await?;
        let text = |t: Option<Text>| t.map(|t| t.0.trim().to_owned()).filter(|t| !t.is_empty());
        let end_user = json!({
            "identifier": identifier,
            "name": text(body.name),
            "email": text(body.email),
            "phone": text(body.phone),
        });
        set_data(&engine, &auth, &i, vec![(key::END_USER, end_user)]).await?;
        Ok(json!({"message": "accepted"}))
    }
    .await;
    dto::reply(&auth, StatusCode::ACCEPTED, result)
}

#[derive(Deserialize)]
struct AddPhotos {
    photo: Vec<MediaFields>,
}

#[derive(Deserialize)]
struct AddVideo {
    video: MediaFields,
}

#[derive(Deserialize)]
struct MediaFields {
    s3_path: Option<Text>,
    photo_type: Option<String>,
}

/// Appends media rows to a chat's photos or videos; answers the rows added.
async fn add_media(
    engine: &Engine,
    auth: &Authed,
    id: &str,
    list_key: &str,
    items: Vec<MediaFields>,
    name: &str,
) -> Result<Vec<Value>, UjetError> {
    let i = find_open(engine, auth, id).await?;
    let mut all = objects::list(&i, list_key);
    let mut added = Vec::new();
    for item in items {
        let path = dto::required(APPS, &format!("{name}.s3_path"), item.s3_path)?;
        let mut row = json!({"id": all.len() + 1, "url": path});
        if list_key == key::PHOTOS {
            row["photo_type"] = json!(item.photo_type);
        }
        all.push(row.clone());
        added.push(row);
    }
    set_data(engine, auth, &i, vec![(list_key, Value::Array(all))]).await?;
    Ok(added)
}

/// `POST /chats/{id}/photos` (§3.5): `{"photo":[{"s3_path","photo_type"}]}`; 201 the photos added.
pub async fn add_chat_photos(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: AddPhotos = dto::body(APPS, &raw)?;
        if body.photo.is_empty() {
            return Err(bad(dto::missing("photo")));
        }
        add_media(&engine, &auth, &id, key::PHOTOS, body.photo, "photo")
            .await
            .map(Value::Array)
    }
    .await;
    dto::reply(&auth, StatusCode::CREATED, result)
}

/// `POST /chats/{id}/videos` (§3.5): `{"video":{"s3_path"}}`; 201 the video.
pub async fn add_chat_video(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: AddVideo = dto::body(APPS, &raw)?;
        let mut added =
            add_media(&engine, &auth, &id, key::VIDEOS, vec![body.video], "video").await?;
        Ok(added.pop().unwrap_or(Value::Null))
    }
    .await;
    dto::reply(&auth, StatusCode::CREATED, result)
}

async fn list_media(
    engine: &Engine,
    auth: &Authed,
    id: &str,
    list_key: &str,
) -> Result<Value, UjetError> {
    let i = find(engine, auth, id).await?;
    Ok(Value::Array(objects::list(&i, list_key)))
}

/// `GET /chats/{id}/photos` (§3.5): the chat's photos `[{id,photo_type,url}]`.
pub async fn list_chat_photos(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
) -> Response {
    let result = list_media(&engine, &auth, &id, key::PHOTOS).await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `GET /chats/{id}/videos` (§3.5): the chat's videos `[{id,url}]`.
pub async fn list_chat_videos(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
) -> Response {
    let result = list_media(&engine, &auth, &id, key::VIDEOS).await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// An upload URL under the request's own origin and the `s3_path` to register afterwards
/// [inferred]: ccemu stores no uploaded bytes, so the URL only has to look like one.
async fn upload_url(
    engine: &Engine,
    auth: &Authed,
    id: &str,
    kind: &str,
) -> Result<Value, UjetError> {
    let i = find_open(engine, auth, id).await?;
    let object = uuid::Uuid::new_v4();
    let s3_path = format!("chats/{}/{kind}/{object}", i.number);
    let url = auth.origin.url(&format!("/ccemu-uploads/{s3_path}"));
    Ok(json!({"url": url, "s3_path": s3_path}))
}

/// `GET /chats/{id}/photos/upload_url` (§3.5).
pub async fn get_chat_photo_upload_url(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
) -> Response {
    let result = upload_url(&engine, &auth, &id, "photos").await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `GET /chats/{id}/videos/upload_url` (§3.5).
pub async fn get_chat_video_upload_url(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
) -> Response {
    let result = upload_url(&engine, &auth, &id, "videos").await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `GET /chats/{id}/media/{media_id}` (§3.5, [doc] agent attachments): the bytes of an
/// attachment of the chat's transcript; one kept without bytes, or none, is 404.
pub async fn get_chat_media(
    engine: axum::extract::State<Engine>,
    auth: Authed,
    Path((id, media_id)): Path<(String, String)>,
) -> Response {
    use base64::Engine as _;
    let result = async {
        let i = find(&engine, &auth, &id).await?;
        let wanted: i64 = media_id
            .trim()
            .parse()
            .map_err(|_| UjetError::NotFound(APPS))?;
        let attachment = i
            .messages
            .iter()
            .flat_map(|m| &m.attachments)
            .find(|a| crate::objects::int_id(&a.id) == wanted)
            .ok_or(UjetError::NotFound(APPS))?;
        let bytes = attachment
            .content_base64
            .as_deref()
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .ok_or(UjetError::NotFound(APPS))?;
        let content_type = if attachment.content_type.is_empty() {
            "application/octet-stream".to_owned()
        } else {
            attachment.content_type.clone()
        };
        Ok((content_type, attachment.name.clone(), bytes))
    }
    .await;
    match result {
        Ok((content_type, name, bytes)) => {
            use axum::response::IntoResponse;
            let disposition = format!("inline; filename=\"{}\"", name.replace('"', ""));
            let mut response = (
                StatusCode::OK,
                [
                    (axum::http::header::CONTENT_TYPE, content_type),
                    (axum::http::header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response();
            response.extensions_mut().insert(auth.tenant.id.clone());
            response
        }
        Err(e) => dto::fail(&auth, e),
    }
}

/// A number of digits with the usual separators (`+1 760-867-5309`).
fn phone_like(number: &str) -> bool {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    digits >= 3
        && number
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'))
}

#[cfg(test)]
mod tests {
    use axum::http::Method;
    use ccemu_core::agent::AgentState;
    use ccemu_core::clock::ClockMode;
    use ccemu_engine::sim::SimSettings;

    use super::*;
    use crate::routes::tests::*;

    const T0: i64 = 1_800_000_000_000;

    async fn setup() -> Ctx {
        let c = ctx().await;
        let t = c.engine.tenant(&demo()).unwrap().id;
        c.engine
            .set_clock(&t, ClockMode::Manual, Some(T0))
            .await
            .unwrap();
        let sim = SimSettings {
            auto: false,
            ..SimSettings::default()
        };
        c.engine.execute(&t, Op::PutSimSettings(sim)).await.unwrap();
        c
    }

    #[tokio::test]
    async fn chat_flags_and_custom_data_work_like_the_calls_on_open_chats_only() {
        let c = setup().await;
        let id = create(&c).await["id"].as_i64().unwrap();
        let base = format!("/apps/api/v1/chats/{id}");
        let r = c
            .send(Method::GET, &format!("{base}/customer_flag"), b"")
            .await;
        assert_eq!(
            r.body,
            json!({"verified_customer": false, "bad_actor": false, "repeat_customer": false})
        );
        for method in [Method::PATCH, Method::PUT] {
            let r = c
                .send(
                    method.clone(),
                    &format!("{base}/customer_flag"),
                    br#"{"verified_customer":true,"repeat_customers":true}"#,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{method}");
            assert_eq!(
                r.body,
                json!({"verified_customer": true, "bad_actor": false, "repeat_customer": true})
            );
        }
        let r = c
            .send(
                Method::PATCH,
                &format!("{base}/customer_flag"),
                br#"{"bad_actor":"maybe"}"#,
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::BAD_REQUEST, apps("bad_actor is invalid"))
        );

        let unsigned = br#"{"signed":false,"data":{"reserved_bad_actor":{"label":"B","value":true},"field1":{"label":"LABEL 4","value":"dummy1"}}}"#;
        let r = c
            .send(Method::POST, &format!("{base}/custom_data"), unsigned)
            .await;
        assert_eq!((r.status, r.body), (StatusCode::OK, json!({})));
        let r = c
            .send(Method::GET, &format!("{base}/customer_flag"), b"")
            .await;
        assert_eq!(r.body["bad_actor"], json!(true));
        let secret = &c.ujet.company_secret;
        let exp = T0 / 1000 + 60;
        let good = crate::custom_data::tests::jwt(
            &json!({"custom_data": {"field2": {"label": "L", "value": 2}}, "iat": T0 / 1000, "exp": exp}),
            secret,
        );
        let forged = crate::custom_data::tests::jwt(
            &json!({"custom_data": {}, "exp": exp}),
            "not-the-company-secret",
        );
        let body = |t: &str| format!(r#"{{"signed":true,"signed_data":"{t}"}}"#);
        let r = c
            .send(Method::POST, &format!("{base}/custom_data"), body(&good))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = c
            .send(Method::POST, &format!("{base}/custom_data"), body(&forged))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let stored = c
            .engine
            .interaction_by_number(&demo(), u64::try_from(id).unwrap())
            .await
            .unwrap()
            .unwrap();
        let data = &stored.custom_data[crate::custom_data::DATA_KEY];
        assert_eq!(data["field1"]["value"], json!("dummy1"));
        assert_eq!(data["field2"]["value"], json!(2));

        // Another tenant's credentials do not reach the chat; an ended chat refuses changes.
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let r = c
            .send_as(
                Some(&basic(&o.subdomain, &o.api_token)),
                Method::GET,
                &format!("{base}/customer_flag"),
                b"",
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
        let r = c
            .send(Method::PATCH, &base, br#"{"chat":{"status":"finished"}}"#)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = c
            .send(
                Method::PUT,
                &format!("{base}/customer_flag"),
                br#"{"bad_actor":false}"#,
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::BAD_REQUEST, apps("Chat is already ended"))
        );
        let r = c
            .send(Method::POST, &format!("{base}/custom_data"), unsigned)
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::BAD_REQUEST, apps("Chat is already ended"))
        );
    }

    async fn create(c: &Ctx) -> Value {
        let r = c
            .send(
                Method::POST,
                "/apps/api/v1/chats",
                br#"{"chat":{"menu_id":"9002","end_user_id":7,"lang":"de","email":"joe@example.com"}}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body
    }

    async fn available(c: &Ctx, agent: &str) {
        c.engine
            .execute(
                &demo(),
                Op::SetAgentState {
                    agent_id: agent.into(),
                    state: AgentState::Available,
                },
            )
            .await
            .unwrap();
    }

    async fn answer(c: &Ctx, agent: &str) {
        c.engine
            .execute(
                &demo(),
                Op::Answer {
                    agent_id: agent.into(),
                    interaction_id: None,
                },
            )
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn create_chat_starts_with_the_virtual_agent_in_the_menus_queue() {
        let c = setup().await;
        let chat = create(&c).await;
        assert!(chat["id"].as_i64().unwrap() > 0);
        assert_eq!(chat["status"], "va_assigned");
        assert_eq!(chat["status_text"], "Virtual agent assigned");
        assert_eq!(chat["features"], json!([]));
        assert_eq!(chat["created_at"], "2027-01-15T08:00:00.000Z");
        assert_eq!(chat["ends_at"], Value::Null);
        assert_eq!(chat["timeout_at"], Value::Null);
        assert_eq!(chat["agent"], Value::Null);
        assert_eq!(chat["virtual_agent"]["name"], VIRTUAL_AGENT);
        assert_eq!(chat["virtual_agent"]["status"], "connected");
        assert_eq!(chat["virtual_agent"]["avatar_url"], Value::Null);
        assert_eq!(chat["all_agents"], json!([]));
        assert_eq!(chat["all_virtual_agents"].as_array().unwrap().len(), 1);
        assert_eq!(chat["lang"], "de");
        assert_eq!(chat["menus"], json!([{"id": 9002, "name": "Support"}]));
        assert_eq!(chat["end_user"], json!({"id": 7, "identifier": null}));
        // The same object is read back.
        let id = chat["id"].as_i64().unwrap();
        let r = c
            .send(Method::GET, &format!("/apps/api/v1/chats/{id}"), b"")
            .await;
        assert_eq!((r.status, &r.body), (StatusCode::OK, &chat));
    }

    #[tokio::test]
    async fn create_chat_refuses_bad_bodies_and_menus() {
        let c = setup().await;
        for (body, message) in [
            (&b"{"[..], "Invalid JSON in request body"),
            (b"{}", "param is missing or the value is empty: chat"),
            (br#"{"chat":{}}"#, "menu_id is required"),
            (
                br#"{"chat":{"menu_id":"abc"}}"#,
                "menu_id is not well formed",
            ),
            (br#"{"chat":{"menu_id":9999}}"#, "menu_id 9999 is not found"),
            (
                br#"{"chat":{"menu_id":9001,"end_user_id":"x"}}"#,
                "end_user_id is invalid",
            ),
        ] {
            let r = c.send(Method::POST, "/apps/api/v1/chats", body).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{message}");
            assert_eq!(r.body, apps(message));
        }
    }

    #[tokio::test]
    async fn another_tenants_chat_is_not_found_anywhere() {
        let c = setup().await;
        let chat = create(&c).await;
        let id = chat["id"].as_i64().unwrap();
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let auth = basic(&o.subdomain, &o.api_token);
        for (method, uri, body) in [
            (Method::GET, format!("/apps/api/v1/chats/{id}"), "{}"),
            (
                Method::PATCH,
                format!("/apps/api/v1/chats/{id}"),
                r#"{"chat":{"status":"finished"}}"#,
            ),
            (
                Method::POST,
                format!("/apps/api/v1/chats/{id}/messages"),
                r#"{"message":{"content":"hi"}}"#,
            ),
            (
                Method::POST,
                format!("/apps/api/v1/chats/{id}/escalations"),
                "{}",
            ),
            (
                Method::POST,
                format!("/apps/api/v1/chats/{id}/resume"),
                "{}",
            ),
            (Method::GET, "/apps/api/v1/chats/12".to_owned(), "{}"),
            (Method::GET, "/apps/api/v1/chats/abc".to_owned(), "{}"),
        ] {
            let r = c.send_as(Some(&auth), method.clone(), &uri, body).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {uri}");
            assert_eq!(r.body, apps("Not Found"));
        }
        let r = c
            .send_as(
                Some(&auth),
                Method::GET,
                &format!("/manager/api/v1/chats/{id}"),
                b"",
            )
            .await;
        assert_eq!(r.body, manager("Not Found", "Resource not found", 404));
        let r = c
            .send_as(Some(&auth), Method::GET, "/manager/api/v1/chats", b"")
            .await;
        assert_eq!(
            (r.body.clone(), &r.headers["total"]),
            (json!([]), &"0".parse::<axum::http::HeaderValue>().unwrap())
        );
        // The chat is untouched for its own tenant.
        let r = c
            .send(Method::GET, &format!("/apps/api/v1/chats/{id}"), b"")
            .await;
        assert_eq!(r.body["status"], "va_assigned");
    }

    #[tokio::test]
    async fn escalation_queues_for_a_human_who_then_chats() {
        let c = setup().await;
        let chat = create(&c).await;
        let id = chat["id"].as_i64().unwrap();
        let r = c
            .send(
                Method::POST,
                &format!("/apps/api/v1/chats/{id}/messages"),
                br#"{"message":{"type":"text","content":"I need a human"}}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["chat_id"], id);
        assert_eq!(r.body["sender_type"], "end_user");
        assert_eq!(r.body["content"], "I need a human");
        assert_eq!(r.body["type"], "text");
        assert_eq!(r.body["created_at"], "2027-01-15T08:00:00.000Z");
        let r = c
            .send(
                Method::POST,
                &format!("/apps/api/v1/chats/{id}/escalations"),
                br#"{"reason":"asked","force_escalate":true}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["id"], 1);
        assert_eq!(r.body["chat_id"], id);
        assert_eq!(r.body["reason"], "asked");
        assert_eq!(r.body["force_escalate"], true);
        assert_eq!(r.body["deflection_channel"], Value::Null);
        let r = c
            .send(Method::GET, &format!("/apps/api/v1/chats/{id}"), b"")
            .await;
        assert_eq!(r.body["status"], "queued");
        assert_eq!(r.body["virtual_agent"], Value::Null);
        assert_eq!(r.body["all_virtual_agents"][0]["status"], "finished");
        // Only a chat with the virtual agent escalates.
        let r = c
            .send(
                Method::POST,
                &format!("/apps/api/v1/chats/{id}/escalations"),
                b"{}",
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (
                StatusCode::BAD_REQUEST,
                apps("Chat is not with a virtual agent")
            )
        );
        // The escalation's deflection channel can be set.
        let r = c
            .send(
                Method::PATCH,
                &format!("/apps/api/v1/chats/{id}/escalations/1"),
                br#"{"deflection_channel":"voice_call"}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["deflection_channel"], "voice_call");
        for (uri, body, status, expected) in [
            (
                format!("/apps/api/v1/chats/{id}/escalations/2"),
                &br#"{"deflection_channel":"x"}"#[..],
                StatusCode::NOT_FOUND,
                apps("Not Found"),
            ),
            (
                format!("/apps/api/v1/chats/{id}/escalations/1"),
                b"{}",
                StatusCode::BAD_REQUEST,
                apps("param is missing or the value is empty: deflection_channel"),
            ),
        ] {
            let r = c.send(Method::PATCH, &uri, body).await;
            assert_eq!((r.status, r.body), (status, expected), "{uri}");
        }
        // The ACD routes it to the support agent who becomes available, who answers.
        c.engine.advance_clock(&demo(), 30_000).await.unwrap();
        available(&c, "1003").await;
        answer(&c, "1003").await;
        let r = c
            .send(Method::GET, &format!("/apps/api/v1/chats/{id}"), b"")
            .await;
        assert_eq!(r.body["status"], "assigned");
        assert_eq!(r.body["agent"]["id"], 1003);
        assert_eq!(r.body["agent"]["first_name"], "Carol");
        assert_eq!(r.body["agent"]["status"], "connected");
        let r = c
            .send(
                Method::POST,
                &format!("/apps/api/v1/chats/{id}/messages"),
                br#"{"from_user_id":1004,"message":{"content":"hi"}}"#,
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (
                StatusCode::BAD_REQUEST,
                apps("from_user_id is not the chat's agent")
            )
        );
        c.engine.advance_clock(&demo(), 4_000).await.unwrap();
        let r = c
            .send(
                Method::POST,
                &format!("/apps/api/v1/chats/{id}/messages"),
                br#"{"from_user_id":"1003","message":{"content":"Hello, Carol here"}}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.body["sender_type"], "agent");
        assert_eq!(r.body["from_user_id"], 1003);
        // Manager row: 30 s waiting, 4 s chatting so far, one answer after 34 s.
        let r = c
            .send(Method::GET, &format!("/manager/api/v1/chats/{id}"), b"")
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let row = r.body;
        assert_eq!(row["status"], "assigned");
        assert_eq!(row["chat_type"], "Chat (API)");
        assert_eq!(row["lang"], "de");
        assert_eq!(row["queued_at"], "2027-01-15T08:00:00.000Z");
        assert_eq!(row["assigned_at"], "2027-01-15T08:00:30.000Z");
        assert_eq!(row["wait_duration"], 30);
        assert_eq!(row["chat_duration"], 4);
        assert_eq!(row["message_count"], 2);
        assert_eq!(row["first_msg_sent_at"], "2027-01-15T08:00:00.000Z");
        assert_eq!(row["last_msg_sent_at"], "2027-01-15T08:00:34.000Z");
        assert_eq!(row["average_response_time"], 34);
        assert_eq!(row["longest_response_time"], 34);
        assert_eq!(row["transcript"], true);
        assert_eq!(row["agent_info"]["agent_number"], "1003");
        assert_eq!(row["selected_menu"]["id"], 9002);
        assert_eq!(row["menu_path"]["materialized_path"], "Support");
        assert_eq!(
            row["end_user"],
            json!({"id": 7, "identifier": null, "out_contact_id": null})
        );
        let types: Vec<&str> = row["participants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["end_user", "virtual_agent", "agent"]);
        assert_eq!(row["participants"][2]["chat_id"], id);
        assert_eq!(row["participants"][2]["user_id"], 1003);
        assert_eq!(row["participants"][2]["chat_duration"], 4);
        assert!(row["photos"].is_array() && row["transfers"].is_array());
    }

    #[tokio::test]
    async fn patch_dismisses_resumes_and_finishes() {
        let c = setup().await;
        let id = create(&c).await["id"].as_i64().unwrap();
        let uri = format!("/apps/api/v1/chats/{id}");
        let resume = format!("/apps/api/v1/chats/{id}/resume");
        let r = c.send(Method::POST, &resume, b"").await;
        assert_eq!(
            (r.status, r.body),
            (
                StatusCode::BAD_REQUEST,
                apps("Chat is not dismissed (status: va_assigned)")
            )
        );
        let r = c
            .send(Method::PATCH, &uri, br#"{"chat":{"status":"sleeping"}}"#)
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::BAD_REQUEST, apps("Invalid status: sleeping"))
        );
        let r = c
            .send(
                Method::PATCH,
                &uri,
                br#"{"chat":{"status":"va_dismissed","deflection_channel":"sms"}}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["status"], "va_dismissed");
        let r = c.send(Method::POST, &resume, b"").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["status"], "va_assigned");
        c.engine.advance_clock(&demo(), 61_000).await.unwrap();
        let r = c
            .send(
                Method::PATCH,
                &uri,
                br#"{"finished_by_user_id":1,"chat":{"status":"finished"}}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "finished");
        assert_eq!(r.body["ends_at"], "2027-01-15T08:01:01.000Z");
        for (method, path, body) in [
            (
                Method::PATCH,
                uri.clone(),
                r#"{"chat":{"status":"dismissed"}}"#,
            ),
            (Method::POST, resume.clone(), ""),
            (
                Method::POST,
                format!("{uri}/messages"),
                r#"{"message":{"content":"x"}}"#,
            ),
        ] {
            let r = c.send(method, &path, body).await;
            assert_eq!(
                (r.status, r.body),
                (StatusCode::BAD_REQUEST, apps("Chat is already ended")),
                "{path}"
            );
        }
        let r = c.send(Method::GET, "/manager/api/v1/chats", b"").await;
        assert_eq!(r.body[0]["disconnected_by"], "agent");
        assert_eq!(r.body[0]["ends_at"], "2027-01-15T08:01:01.000Z");
        assert_eq!(r.body[0]["wait_duration"], 0);
    }

    #[tokio::test]
    async fn sms_validates_its_chat_type_and_answers_the_docs_chat_object() {
        let c = setup().await;
        let body = br#"{"chat_type":"Messaging (SMS)","end_user_number":"+1 617-123-1234","outbound_number":"+14155550100","message":"Hi from Acme","ticket_id":123}"#;
        let r = c.send(Method::POST, "/apps/api/v1/sms", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let b = &r.body;
        assert!(b["id"].as_i64().unwrap() > 0);
        assert_eq!(b["lang"], "en");
        assert_eq!(b["chat_type"], "Messaging (SMS)");
        assert_eq!(b["status"], "selecting");
        assert_eq!(b["created_at"], "2027-01-15T08:00:00.000Z");
        for null in [
            "queued_at",
            "assigned_at",
            "ends_at",
            "rating",
            "out_ticket_url",
            "fail_reason",
            "selected_menu",
            "menu_path",
            "agent_info",
        ] {
            assert_eq!(b[null], Value::Null, "{null}");
        }
        assert_eq!(b["wait_duration"], 0);
        assert_eq!(b["chat_duration"], 0);
        assert_eq!(b["has_feedback"], false);
        assert_eq!(b["verified"], false);
        assert_eq!(b["out_ticket_id"], "123");
        assert_eq!(b["disconnected_by"], "disconnected_by_unknown");
        assert_eq!(
            b["end_user"],
            json!({"id": null, "identifier": null, "out_contact_id": null})
        );
        assert_eq!(b["message_count"], 1);
        for (chat_type, expected) in [
            ("SMS", "Messaging (API)"),
            ("Messaging (API)", "Messaging (API)"),
        ] {
            let body = format!(
                r#"{{"chat_type":"{chat_type}","end_user_number":"123123","outbound_number":"1","message":"m"}}"#
            );
            let r = c.send(Method::POST, "/apps/api/v1/sms", body).await;
            assert_eq!(r.status, StatusCode::CREATED);
            assert_eq!(r.body["chat_type"], expected);
        }
        for (body, message) in [
            (r#"{}"#, "param is missing or the value is empty: chat_type"),
            (r#"{"chat_type":"Voice"}"#, "Invalid chat type"),
            (
                r#"{"chat_type":"SMS"}"#,
                "param is missing or the value is empty: end_user_number",
            ),
            (
                r#"{"chat_type":"SMS","end_user_number":"1"}"#,
                "param is missing or the value is empty: outbound_number",
            ),
            (
                r#"{"chat_type":"SMS","end_user_number":"1","outbound_number":"2"}"#,
                "param is missing or the value is empty: message",
            ),
            (
                r#"{"chat_type":"SMS","end_user_number":"abc","outbound_number":"2","message":"m"}"#,
                "end_user_number is not well-formed",
            ),
        ] {
            let r = c.send(Method::POST, "/apps/api/v1/sms", body).await;
            assert_eq!(
                (r.status, r.body),
                (StatusCode::BAD_REQUEST, apps(message)),
                "{body}"
            );
        }
        // Manager lists every chat and SMS, paged and sorted.
        create(&c).await;
        let r = c
            .send(
                Method::GET,
                "/manager/api/v1/chats?per=2&sort_column=created_at&sort_direction=ASC",
                b"",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["total"], "4");
        assert_eq!(r.body.as_array().unwrap().len(), 2);
        assert!(r.headers["link"].to_str().unwrap().contains("page=2"));
        let r = c
            .send(
                Method::GET,
                "/manager/api/v1/chats?chat_type[]=Messaging%20(API)",
                b"",
            )
            .await;
        assert_eq!(r.headers["total"], "2");
    }
    #[tokio::test]
    async fn end_user_is_accepted_on_an_open_chat_and_shows_in_the_chat() {
        let c = setup().await;
        let id = create(&c).await["id"].as_i64().unwrap();
        let uri = format!("/apps/api/v1/chats/{id}/end_user");
        let r = c.send(Method::POST, &uri, br#"{"name":"Joe"}"#).await;
        assert_eq!(
            (r.status, r.body),
            (
                StatusCode::BAD_REQUEST,
                apps("param is missing or the value is empty: identifier")
            )
        );
        let r = c
            .send(Method::POST, &uri, br#"{"identifier":"abc123","name":"Joe Smith","email":"joe@mydomain.com","phone":"+16171231234"}"#)
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::ACCEPTED, json!({"message": "accepted"}))
        );
        let r = c
            .send(Method::GET, &format!("/apps/api/v1/chats/{id}"), b"")
            .await;
        assert_eq!(r.body["end_user"], json!({"id": 7, "identifier": "abc123"}));
        // A number no chat of the tenant has.
        let r = c
            .send(
                Method::POST,
                "/apps/api/v1/chats/999/end_user",
                br#"{"identifier":"x"}"#,
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
        c.send(
            Method::PATCH,
            &format!("/apps/api/v1/chats/{id}"),
            br#"{"chat":{"status":"finished"}}"#,
        )
        .await;
        let r = c.send(Method::POST, &uri, br#"{"identifier":"x"}"#).await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::BAD_REQUEST, apps("Chat is already ended"))
        );
    }

    #[tokio::test]
    async fn photos_and_videos_are_kept_listed_and_get_upload_urls_under_the_origin() {
        let c = setup().await;
        let id = create(&c).await["id"].as_i64().unwrap();
        let base = format!("/apps/api/v1/chats/{id}");
        let r = c
            .send(Method::POST, &format!("{base}/photos"), br#"{"photo":[{"s3_path":"a/1.png","photo_type":"photo"},{"s3_path":"a/2.png","photo_type":"screenshot"}]}"#)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(
            r.body,
            json!([{"id":1,"url":"a/1.png","photo_type":"photo"},{"id":2,"url":"a/2.png","photo_type":"screenshot"}])
        );
        let r = c
            .send(Method::POST, &format!("{base}/photos"), br#"{"photo":[]}"#)
            .await;
        assert_eq!(
            r.body,
            apps("param is missing or the value is empty: photo")
        );
        let r = c
            .send(
                Method::POST,
                &format!("{base}/photos"),
                br#"{"photo":[{}]}"#,
            )
            .await;
        assert_eq!(
            r.body,
            apps("param is missing or the value is empty: photo.s3_path")
        );
        let r = c
            .send(
                Method::POST,
                &format!("{base}/videos"),
                br#"{"video":{"s3_path":"v/1.mp4"}}"#,
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::CREATED, json!({"id":1,"url":"v/1.mp4"}))
        );
        let r = c.send(Method::POST, &format!("{base}/videos"), b"{}").await;
        assert_eq!(
            r.body,
            apps("param is missing or the value is empty: video")
        );
        let r = c.send(Method::GET, &format!("{base}/photos"), b"").await;
        assert_eq!(r.body.as_array().unwrap().len(), 2);
        let r = c.send(Method::GET, &format!("{base}/videos"), b"").await;
        assert_eq!(r.body, json!([{"id":1,"url":"v/1.mp4"}]));
        let r = c.send(Method::GET, "/manager/api/v1/chats", b"").await;
        assert_eq!(r.body[0]["photos"][1]["url"], "a/2.png");
        for kind in ["photos", "videos"] {
            let r = c
                .send(Method::GET, &format!("{base}/{kind}/upload_url"), b"")
                .await;
            assert_eq!(r.status, StatusCode::OK);
            let path = r.body["s3_path"].as_str().unwrap();
            assert!(path.starts_with(&format!("chats/{id}/{kind}/")), "{path}");
            assert_eq!(
                r.body["url"],
                format!("https://127.0.0.1:8443/ujet.acme.co/ccemu-uploads/{path}")
            );
        }
        let r = c
            .send(Method::GET, "/apps/api/v1/chats/5/photos", b"")
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
    }

    #[tokio::test]
    async fn media_answers_the_bytes_of_an_attachment() {
        use axum::body::{to_bytes, Body};
        use axum::http::{header, Request};
        use tower::ServiceExt;
        let c = setup().await;
        let id = create(&c).await["id"].as_i64().unwrap();
        let chat = chats_of(&c).await.into_iter().next().unwrap();
        let mut message = NewMessage::text(ParticipantKind::Customer, "see file");
        message
            .attachments
            .push(ccemu_core::interaction::Attachment {
                id: "7a000000-0000-4000-8000-000000000000".into(),
                name: "hello.txt".into(),
                content_type: "text/plain".into(),
                size: 5,
                content_base64: Some("aGVsbG8=".into()),
                url: None,
            });
        c.engine
            .execute(
                &demo(),
                Op::AddMessage {
                    interaction_id: chat.id.clone(),
                    message,
                },
            )
            .await
            .unwrap();
        let media = crate::objects::int_id("7a000000-0000-4000-8000-000000000000");
        let get = |uri: String, auth: String| {
            let engine = c.engine.clone();
            async move {
                let request = Request::get(uri)
                    .header(header::AUTHORIZATION, auth)
                    .body(Body::empty())
                    .unwrap();
                let response = crate::router::<Engine>()
                    .with_state(engine)
                    .oneshot(request)
                    .await
                    .unwrap();
                let status = response.status();
                let ct = response.headers()[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .to_owned();
                (
                    status,
                    ct,
                    to_bytes(response.into_body(), usize::MAX).await.unwrap(),
                )
            }
        };
        let auth = basic(&c.ujet.subdomain, &c.ujet.api_token);
        let (status, ct, bytes) = get(
            format!("/apps/api/v1/chats/{id}/media/{media}"),
            auth.clone(),
        )
        .await;
        assert_eq!(
            (status, ct.as_str(), &bytes[..]),
            (StatusCode::OK, "text/plain", &b"hello"[..])
        );
        let (status, _, bytes) =
            get(format!("/apps/api/v1/chats/{id}/media/99"), auth.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).unwrap(),
            apps("Not Found")
        );
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let (status, _, _) = get(
            format!("/apps/api/v1/chats/{id}/media/{media}"),
            basic(&o.subdomain, &o.api_token),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn chats_of(c: &Ctx) -> Vec<Interaction> {
        let filter = ccemu_engine::InteractionFilter {
            channels: CHATS.to_vec(),
            ..ccemu_engine::InteractionFilter::first(100)
        };
        let page = c.engine.interactions(&demo(), &filter).await.unwrap();
        assert!(page.items.iter().all(objects::is_chat));
        page.items
    }
}
