//! Control plane for transcripts: a party of an interaction says something, and test code reads
//! what was said. Documented in `docs/control-plane.md` ("Messages").

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use ccemu_core::interaction::{Attachment, Message, MessageKind, ParticipantKind, Visibility};
use ccemu_engine::{NewMessage, Op, OpOutput};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::control::{tenant_id, ApiError, Body, Params};
use crate::simulate::unexpected;
use crate::AppState;

/// The transcript routes.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/_ccemu/tenants/{id}/sim/interactions/{interaction_id}/messages",
        get(list_messages).post(add_message),
    )
}

/// Body of `POST .../sim/interactions/{interaction_id}/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddMessage {
    from: ParticipantKind,
    #[serde(default)]
    participant_id: Option<String>,
    #[serde(default)]
    kind: MessageKind,
    #[serde(default)]
    text: String,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    html: Option<String>,
    #[serde(default)]
    visibility: Visibility,
    #[serde(default)]
    attachments: Vec<AttachmentBody>,
}

/// An attachment as sent: the id is optional and generated when missing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentBody {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    content_type: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    content_base64: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

impl From<AddMessage> for NewMessage {
    fn from(body: AddMessage) -> Self {
        Self {
            from: body.from,
            participant_id: body.participant_id,
            kind: body.kind,
            text: body.text,
            subject: body.subject,
            html: body.html,
            visibility: body.visibility,
            attachments: body
                .attachments
                .into_iter()
                .map(|a| Attachment {
                    id: a.id.unwrap_or_default(),
                    name: a.name,
                    content_type: a.content_type,
                    size: a.size,
                    content_base64: a.content_base64,
                    url: a.url,
                })
                .collect(),
        }
    }
}

/// `POST /_ccemu/tenants/{id}/sim/interactions/{interaction_id}/messages`: adds a message.
async fn add_message(
    State(state): State<AppState>,
    Path((id, interaction_id)): Path<(String, String)>,
    Body(body): Body<AddMessage>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let id = tenant_id(&id)?;
    let op = Op::AddMessage {
        interaction_id,
        message: body.into(),
    };
    match state.engine.execute(&id, op).await? {
        OpOutput::Message(m) => Ok((StatusCode::CREATED, Json(*m))),
        _ => Err(unexpected()),
    }
}

/// Query of `GET .../messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessagesQuery {
    index: Option<u32>,
}

/// `GET /_ccemu/tenants/{id}/sim/interactions/{interaction_id}/messages?index=N`: the transcript
/// from index N on (all without it), of open and ended interactions alike.
async fn list_messages(
    State(state): State<AppState>,
    Path((id, interaction_id)): Path<(String, String)>,
    Params(q): Params<MessagesQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = tenant_id(&id)?;
    let messages = state
        .engine
        .messages(&id, &interaction_id, q.index.unwrap_or(0))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("interaction {interaction_id} not found"),
            )
        })?;
    Ok(Json(json!({ "messages": messages })))
}
