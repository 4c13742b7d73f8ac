//! Control plane for the simulator: start customer contacts, make agents act, read the results.
//! Documented in `docs/control-plane.md` ("Simulator").

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use ccemu_core::agent::{Agent, AgentState};
use ccemu_core::interaction::{Channel, EndedBy, Interaction};
use ccemu_core::TenantId;
use ccemu_engine::sim::SimSettings;
use ccemu_engine::{
    InteractionFilter, InteractionOrder, Op, OpOutput, StateLogFilter, TransferTarget,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::control::{tenant_id, ApiError, Body, Params};
use crate::AppState;

/// The simulator routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/_ccemu/tenants/{id}/sim", get(get_sim).put(put_sim))
        .route("/_ccemu/tenants/{id}/sim/calls", post(start_call))
        .route("/_ccemu/tenants/{id}/sim/chats", post(start_chat))
        .route(
            "/_ccemu/tenants/{id}/sim/agents/{agent_id}/{action}",
            post(agent_action),
        )
        .route(
            "/_ccemu/tenants/{id}/sim/interactions/{interaction_id}/hangup",
            post(hangup),
        )
        .route(
            "/_ccemu/tenants/{id}/sim/interactions/{interaction_id}/hold",
            post(hold),
        )
        .route(
            "/_ccemu/tenants/{id}/sim/interactions/{interaction_id}/resume",
            post(resume),
        )
        .route(
            "/_ccemu/tenants/{id}/sim/interactions/{interaction_id}/transfer",
            post(transfer),
        )
        .route("/_ccemu/tenants/{id}/agents", get(list_agents))
        .route(
            "/_ccemu/tenants/{id}/agents/{agent_id}/state-log",
            get(agent_state_log),
        )
        .route("/_ccemu/tenants/{id}/interactions", get(list_interactions))
        .route(
            "/_ccemu/tenants/{id}/interactions/{interaction_id}",
            get(get_interaction),
        )
        .route(
            "/_ccemu/tenants/{id}/queues/{queue_id}/waiting",
            get(waiting),
        )
}

/// `GET /_ccemu/tenants/{id}/sim`
async fn get_sim(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SimSettings>, ApiError> {
    let id = tenant_id(&id)?;
    Ok(Json(state.engine.sim_settings(&id).await?))
}

/// `PUT /_ccemu/tenants/{id}/sim`: missing fields take their defaults.
async fn put_sim(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(settings): Body<SimSettings>,
) -> Result<Json<SimSettings>, ApiError> {
    let id = tenant_id(&id)?;
    match state
        .engine
        .execute(&id, Op::PutSimSettings(settings))
        .await?
    {
        OpOutput::SimSettings(s) => Ok(Json(s)),
        _ => Err(unexpected()),
    }
}

/// Body of `POST .../sim/calls` and `.../sim/chats`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartContact {
    /// The queue; without one, a call goes through the IVR of the number `to`.
    #[serde(default)]
    queue_id: Option<String>,
    /// Keys the caller presses in the IVR, one per menu level.
    #[serde(default)]
    dtmf: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    priority: i32,
}

async fn start(
    state: AppState,
    id: String,
    channel: Channel,
    body: StartContact,
) -> Result<(StatusCode, Json<Interaction>), ApiError> {
    let id = tenant_id(&id)?;
    let from = body.from.unwrap_or_else(|| "+15550100000".to_owned());
    let op = match (body.queue_id, body.to, channel) {
        (Some(queue_id), to, _) if body.dtmf.is_none() => Op::StartInbound {
            channel,
            queue_id,
            from,
            to: to.unwrap_or_default(),
            priority: body.priority,
        },
        (None, Some(to), Channel::Voice) => Op::StartIvrCall {
            from,
            to,
            dtmf: body.dtmf.unwrap_or_default(),
            priority: body.priority,
        },
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "give queue_id, or (for a call through the IVR) the number called in `to` and \
                 optionally the keys pressed in `dtmf`",
            ))
        }
    };
    match state.engine.execute(&id, op).await? {
        OpOutput::Interaction(i) => Ok((StatusCode::CREATED, Json(*i))),
        _ => Err(unexpected()),
    }
}

/// `POST /_ccemu/tenants/{id}/sim/calls`: a customer calls a queue.
async fn start_call(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<StartContact>,
) -> Result<(StatusCode, Json<Interaction>), ApiError> {
    start(state, id, Channel::Voice, body).await
}

/// `POST /_ccemu/tenants/{id}/sim/chats`: a customer starts a chat with a queue.
async fn start_chat(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<StartContact>,
) -> Result<(StatusCode, Json<Interaction>), ApiError> {
    start(state, id, Channel::Chat, body).await
}

/// Body of `POST .../sim/agents/{agent_id}/{action}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentAction {
    #[serde(default)]
    interaction_id: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    sub_state: u32,
    #[serde(default)]
    duration_ms: Option<i64>,
    /// The address an agent logging in (ready, not-ready, break) logs in from.
    #[serde(default)]
    login_ip: Option<String>,
}

/// `POST /_ccemu/tenants/{id}/sim/agents/{agent_id}/{ready|not-ready|break|logout|answer|reject}`
async fn agent_action(
    State(state): State<AppState>,
    Path((id, agent_id, action)): Path<(String, String, String)>,
    Body(body): Body<AgentAction>,
) -> Result<Json<Value>, ApiError> {
    let id = tenant_id(&id)?;
    let now = state.engine.clock(&id).await?.now_ms;
    let set = |state| Op::SetAgentState {
        agent_id: agent_id.clone(),
        state,
    };
    let op = match action.as_str() {
        "ready" => set(AgentState::Available),
        "not-ready" => set(AgentState::NotReady {
            reason: body.reason,
        }),
        "break" => set(AgentState::OnBreak {
            sub_state: body.sub_state,
            until_ms: body.duration_ms.map(|d| now + d),
        }),
        "logout" => set(AgentState::LoggedOut),
        "answer" => Op::Answer {
            agent_id: agent_id.clone(),
            interaction_id: body.interaction_id,
        },
        "reject" => Op::Reject {
            agent_id: agent_id.clone(),
            interaction_id: body.interaction_id,
        },
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!(
                "unknown agent action {other:?} (ready, not-ready, break, logout, answer, reject)"
            ),
            ))
        }
    };
    if let Some(ip) = &body.login_ip {
        if ip.trim().parse::<std::net::IpAddr>().is_err()
            || !matches!(action.as_str(), "ready" | "not-ready" | "break")
        {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "login_ip must be an IPv4 or IPv6 address, given with ready, not-ready or break",
            ));
        }
    }
    let mut output = state.engine.execute(&id, op).await?;
    if let Some(ip) = body.login_ip {
        let patch = ccemu_engine::AgentPatch {
            extra: [(
                ccemu_core::agent::LAST_LOGIN_IP.to_owned(),
                json!(ip.trim()),
            )]
            .into(),
            ..Default::default()
        };
        output = state
            .engine
            .execute(
                &id,
                Op::UpdateAgent {
                    agent_id: agent_id.clone(),
                    patch,
                },
            )
            .await?;
    }
    match output {
        OpOutput::Agent(a) => Ok(Json(json!({ "agent": a }))),
        OpOutput::Interaction(i) => Ok(Json(json!({ "interaction": i }))),
        _ => Err(unexpected()),
    }
}

/// Body of `POST .../sim/interactions/{iid}/hangup`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hangup {
    #[serde(default)]
    by: Option<EndedBy>,
}

/// `POST /_ccemu/tenants/{id}/sim/interactions/{interaction_id}/hangup`
async fn hangup(
    State(state): State<AppState>,
    Path((id, interaction_id)): Path<(String, String)>,
    Body(body): Body<Hangup>,
) -> Result<Json<Interaction>, ApiError> {
    let op = Op::Hangup {
        interaction_id,
        by: body.by.unwrap_or(EndedBy::Customer),
    };
    interaction_op(&state, &id, op).await
}

/// A body that must be empty or `{}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoFields {}

/// `POST /_ccemu/tenants/{id}/sim/interactions/{interaction_id}/hold`
async fn hold(
    State(state): State<AppState>,
    Path((id, interaction_id)): Path<(String, String)>,
    Body(NoFields {}): Body<NoFields>,
) -> Result<Json<Interaction>, ApiError> {
    interaction_op(&state, &id, Op::Hold { interaction_id }).await
}

/// `POST /_ccemu/tenants/{id}/sim/interactions/{interaction_id}/resume`
async fn resume(
    State(state): State<AppState>,
    Path((id, interaction_id)): Path<(String, String)>,
    Body(NoFields {}): Body<NoFields>,
) -> Result<Json<Interaction>, ApiError> {
    interaction_op(&state, &id, Op::Resume { interaction_id }).await
}

/// Body of `POST .../sim/interactions/{iid}/transfer`: a queue, or a number outside the center.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Transfer {
    #[serde(default)]
    queue_id: Option<String>,
    #[serde(default)]
    number: Option<String>,
}

/// `POST /_ccemu/tenants/{id}/sim/interactions/{interaction_id}/transfer`: blind transfer to a
/// queue, or out of the center to a number.
async fn transfer(
    State(state): State<AppState>,
    Path((id, interaction_id)): Path<(String, String)>,
    Body(body): Body<Transfer>,
) -> Result<Json<Interaction>, ApiError> {
    let target = match (body.queue_id, body.number) {
        (Some(queue_id), None) => TransferTarget::Queue(queue_id),
        (None, Some(number)) => TransferTarget::Number(number),
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "give exactly one of queue_id and number",
            ))
        }
    };
    let op = Op::Transfer {
        interaction_id,
        target,
    };
    interaction_op(&state, &id, op).await
}

/// Runs an interaction command and answers the interaction after it.
async fn interaction_op(state: &AppState, id: &str, op: Op) -> Result<Json<Interaction>, ApiError> {
    let id = tenant_id(id)?;
    match state.engine.execute(&id, op).await? {
        OpOutput::Interaction(i) => Ok(Json(*i)),
        _ => Err(unexpected()),
    }
}

/// `GET /_ccemu/tenants/{id}/agents`
async fn list_agents(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = tenant_id(&id)?;
    let agents: Vec<Agent> = state
        .engine
        .agents(&id, None)
        .await?
        .into_iter()
        .map(|v| v.agent)
        .collect();
    Ok(Json(json!({ "agents": agents })))
}

/// Paging of the control plane's history lists.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    limit: Option<u64>,
    offset: Option<u64>,
}

/// Default and largest `limit` of a history list.
const PAGE_LIMIT: u64 = 1000;

impl PageQuery {
    fn limit(&self) -> u64 {
        self.limit.unwrap_or(PAGE_LIMIT).min(PAGE_LIMIT)
    }
}

/// `GET /_ccemu/tenants/{id}/agents/{agent_id}/state-log`: finished periods, oldest first.
async fn agent_state_log(
    State(state): State<AppState>,
    Path((id, agent_id)): Path<(String, String)>,
    Params(q): Params<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = tenant_id(&id)?;
    let filter = StateLogFilter {
        agent_id: Some(agent_id),
        offset: q.offset.unwrap_or(0),
        limit: q.limit(),
        ..StateLogFilter::default()
    };
    let page = state.engine.state_logs(&id, &filter).await?;
    Ok(Json(json!({ "entries": page.items, "total": page.total })))
}

/// `GET /_ccemu/tenants/{id}/interactions`: interactions newest first, a page at a time.
async fn list_interactions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Params(q): Params<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = tenant_id(&id)?;
    let filter = InteractionFilter {
        // Numbers follow creation order, so this is newest first, ties and all.
        order: InteractionOrder::NumberDesc,
        offset: q.offset.unwrap_or(0),
        limit: q.limit(),
        ..InteractionFilter::default()
    };
    let page = state.engine.interactions(&id, &filter).await?;
    Ok(Json(
        json!({ "interactions": page.items, "total": page.total }),
    ))
}

/// `GET /_ccemu/tenants/{id}/interactions/{interaction_id}`
async fn get_interaction(
    State(state): State<AppState>,
    Path((id, interaction_id)): Path<(String, String)>,
) -> Result<Json<Interaction>, ApiError> {
    let id = tenant_id(&id)?;
    state
        .engine
        .interaction(&id, &interaction_id)
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("interaction {interaction_id} not found"),
            )
        })
}

/// `GET /_ccemu/tenants/{id}/queues/{queue_id}/waiting`: waiting contacts in routing order.
async fn waiting(
    State(state): State<AppState>,
    Path((id, queue_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let id: TenantId = tenant_id(&id)?;
    let waiting = state.engine.waiting(&id, &queue_id).await?;
    Ok(Json(json!({ "waiting": waiting })))
}

/// A command answered with an output its handler does not expect (a bug, not a client mistake).
pub(crate) fn unexpected() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "unexpected command output",
    )
}
