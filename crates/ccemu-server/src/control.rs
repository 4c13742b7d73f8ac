//! The control plane under `/_ccemu/`: tenants, clocks, the request journal, events, health, metrics.
//! Documented in `docs/control-plane.md`; every error is `{"error": <code>, "message": <text>}`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use ccemu_core::clock::{format_rfc3339_ms, ClockMode};
use ccemu_core::{Credentials, DomainError, Tenant, TenantId};
use ccemu_engine::EngineError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::journal::Filter;
use crate::metrics::Gauge;
use crate::webhooks;
use crate::AppState;

/// The control-plane routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/_ccemu/health", get(health))
        .route("/_ccemu/metrics", get(metrics))
        .route("/_ccemu/tenants", get(list_tenants).post(create_tenant))
        .route(
            "/_ccemu/tenants/{id}",
            get(get_tenant).delete(delete_tenant),
        )
        .route("/_ccemu/tenants/{id}/reset", post(reset_tenant))
        .route("/_ccemu/tenants/{id}/clock", get(get_clock).put(set_clock))
        .route("/_ccemu/tenants/{id}/clock/advance", post(advance_clock))
        .route("/_ccemu/tenants/{id}/events", get(list_events))
        .route(
            "/_ccemu/tenants/{id}/subscriptions",
            get(webhooks::list_subscriptions).post(webhooks::create_subscription),
        )
        .route(
            "/_ccemu/tenants/{id}/subscriptions/{sub_id}",
            delete(webhooks::delete_subscription),
        )
        .route(
            "/_ccemu/tenants/{id}/deliveries",
            get(webhooks::list_deliveries),
        )
        .route(
            "/_ccemu/tenants/{id}/rate-limits/{surface}",
            get(get_rate_limit).put(put_rate_limit),
        )
        .route(
            "/_ccemu/tenants/{id}/retention",
            get(get_retention).put(put_retention),
        )
        .route(
            "/_ccemu/requests",
            get(list_requests).delete(clear_requests),
        )
}

/// A control-plane error: status plus `{"error","message"}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// Builds an error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn tenant_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "tenant_not_found",
            format!("no tenant with id {id:?}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "error": self.code, "message": self.message }));
        let mut response = (self.status, body).into_response();
        if self.status.is_server_error() {
            // Logged once by the trace layer through this extension; the client sees no detail.
            response
                .extensions_mut()
                .insert(InternalError(self.message));
        }
        response
    }
}

/// Internal detail of a 5xx, kept for the log, never sent.
#[derive(Debug, Clone)]
pub struct InternalError(pub String);

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::TenantNotFound => {
                Self::new(StatusCode::NOT_FOUND, "tenant_not_found", "no such tenant")
            }
            EngineError::TenantExists => Self::new(
                StatusCode::CONFLICT,
                "tenant_exists",
                "tenant already exists",
            ),
            EngineError::Domain(DomainError::NotFound { kind, id }) => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{kind} {id} not found"),
            ),
            EngineError::Domain(e @ DomainError::IllegalTransition { .. }) => {
                Self::new(StatusCode::CONFLICT, "illegal_transition", e.to_string())
            }
            EngineError::Domain(
                e @ (DomainError::Conflict(_)
                | DomainError::AlreadyExists { .. }
                | DomainError::InUse { .. }),
            ) => Self::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            EngineError::Domain(e @ DomainError::LimitExceeded(_)) => {
                Self::new(StatusCode::CONFLICT, "limit_exceeded", e.to_string())
            }
            EngineError::Domain(e) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string())
            }
            EngineError::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "tenant is shutting down",
            ),
            EngineError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "storage failure",
                )
            }
        }
    }
}

/// JSON body extractor whose rejections are control-plane errors; an empty body reads as `{}`.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            ApiError::new(rejection.status(), "invalid_body", rejection.body_text())
        })?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        let mut de = serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(&mut de)
            .map(Body)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let code = if inner.is_syntax() || inner.is_eof() {
                    "invalid_json"
                } else {
                    "invalid_body"
                };
                let message = if path == "." {
                    inner.to_string()
                } else {
                    format!("{path}: {inner}")
                };
                ApiError::new(StatusCode::BAD_REQUEST, code, message)
            })
    }
}

/// Query extractor whose rejections are control-plane errors.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Params(v))
            .map_err(|r| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", r.body_text()))
    }
}

/// Parses a tenant id from a path; an id that cannot exist is simply not found.
pub fn tenant_id(raw: &str) -> Result<TenantId, ApiError> {
    // An id that cannot exist is simply not found, like any other unknown id.
    TenantId::parse(raw).map_err(|_| ApiError::tenant_not_found(raw))
}

/// A tenant on the wire.
#[derive(Debug, Serialize)]
pub struct TenantDto {
    id: String,
    name: String,
    created_at: String,
    credentials: Credentials,
}

impl From<Tenant> for TenantDto {
    fn from(t: Tenant) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name,
            created_at: format_rfc3339_ms(t.created_at_ms),
            credentials: t.credentials,
        }
    }
}

/// A tenant in a listing: without its credentials, which only its own `GET` shows.
#[derive(Debug, Serialize)]
pub struct TenantSummary {
    id: String,
    name: String,
    created_at: String,
}

impl From<&Tenant> for TenantSummary {
    fn from(t: &Tenant) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.clone(),
            created_at: format_rfc3339_ms(t.created_at_ms),
        }
    }
}

/// `GET /_ccemu/health`
async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "store": state.engine.backend().name(),
    }))
}

/// `GET /_ccemu/metrics`
async fn metrics(State(state): State<AppState>) -> Response {
    let stats = state.engine.stats().await;
    let mut gauges = vec![
        Gauge {
            name: "ccemu_tenants",
            help: "Tenants on this server.",
            labels: vec![],
            value: stats.tenants as f64,
        },
        Gauge {
            name: "ccemu_routed_contacts",
            help: "Interactions the routing engine holds, over all tenants: the live ones.",
            labels: vec![],
            value: stats.routed_contacts as f64,
        },
    ];
    for (name, help, map) in [
        (
            "ccemu_agents",
            "Agents by state, over all tenants.",
            &stats.agents_by_state,
        ),
        (
            "ccemu_interactions",
            "Interactions by state, over all tenants.",
            &stats.interactions_by_state,
        ),
    ] {
        for (label, n) in map {
            gauges.push(Gauge {
                name,
                help,
                labels: vec![("state", label.clone())],
                value: *n as f64,
            });
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&gauges),
    )
        .into_response()
}

/// `POST /_ccemu/tenants` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateTenant {
    name: Option<String>,
}

/// `POST /_ccemu/tenants`
async fn create_tenant(
    State(state): State<AppState>,
    Body(body): Body<CreateTenant>,
) -> Result<(StatusCode, Json<TenantDto>), ApiError> {
    if let Some(name) = &body.name {
        if name.trim().is_empty() || name.len() > 200 {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "name: must be 1 to 200 characters",
            ));
        }
    }
    let tenant = state.engine.create_tenant(body.name).await?;
    Ok((StatusCode::CREATED, Json(tenant.into())))
}

/// `GET /_ccemu/tenants`
async fn list_tenants(State(state): State<AppState>) -> Json<serde_json::Value> {
    let tenants: Vec<TenantSummary> = state.engine.tenants().iter().map(Into::into).collect();
    Json(json!({ "tenants": tenants }))
}

/// `GET /_ccemu/tenants/{id}`
async fn get_tenant(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TenantDto>, ApiError> {
    let id = tenant_id(&id)?;
    Ok(Json(state.engine.tenant(&id)?.into()))
}

/// `DELETE /_ccemu/tenants/{id}`
async fn delete_tenant(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = tenant_id(&id)?;
    // The vendor surfaces' state of the tenant (UJET's rate bucket) goes with it.
    state.engine.delete_tenant(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /_ccemu/tenants/{id}/reset`
async fn reset_tenant(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Reset>,
) -> Result<StatusCode, ApiError> {
    let id = tenant_id(&id)?;
    let clock = body.clock.map(|c| (c.mode, c.now_ms));
    // Also drops the vendor surfaces' state of the tenant (UJET's rate bucket).
    state.engine.reset_tenant(&id, clock).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /_ccemu/tenants/{id}/reset` body (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reset {
    /// A new clock instead of the current one.
    clock: Option<SetClock>,
}

/// A surface's rate limit: requests per second, `null` when off.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimit {
    per_second: serde_json::Value,
}

/// The surfaces that emulate a rate limit (only UJET documents one).
fn rate_limited(surface: &str) -> Result<(), ApiError> {
    if surface == ccemu_vendor_ujet::VENDOR {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("surface {surface:?} has no rate limit; only \"ujet\" has"),
        ))
    }
}

/// The tenant's UJET settings record, or an empty one.
async fn ujet_settings(
    state: &AppState,
    id: &TenantId,
) -> Result<ccemu_core::SurfaceSettings, ApiError> {
    let id_str = ccemu_vendor_ujet::limits::SETTINGS_ID;
    Ok(state
        .engine
        .record::<ccemu_core::SurfaceSettings>(id, id_str)
        .await?
        .unwrap_or_else(|| ccemu_core::SurfaceSettings {
            id: id_str.to_owned(),
            ..Default::default()
        }))
}

/// `GET /_ccemu/tenants/{id}/rate-limits/{surface}`
async fn get_rate_limit(
    State(state): State<AppState>,
    Path((id, surface)): Path<(String, String)>,
) -> Result<Json<RateLimit>, ApiError> {
    let id = tenant_id(&id)?;
    state.engine.tenant(&id)?;
    rate_limited(&surface)?;
    let settings = ujet_settings(&state, &id).await?;
    let per_second = settings
        .values
        .get(ccemu_vendor_ujet::limits::RATE_KEY)
        .cloned()
        .unwrap_or_default();
    Ok(Json(RateLimit { per_second }))
}

/// `PUT /_ccemu/tenants/{id}/rate-limits/{surface}`: `{"per_second": number | null}`.
async fn put_rate_limit(
    State(state): State<AppState>,
    Path((id, surface)): Path<(String, String)>,
    Body(limit): Body<RateLimit>,
) -> Result<Json<RateLimit>, ApiError> {
    let id = tenant_id(&id)?;
    state.engine.tenant(&id)?;
    rate_limited(&surface)?;
    ccemu_vendor_ujet::limits::validate(&limit.per_second)
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m))?;
    let mut settings = ujet_settings(&state, &id).await?;
    settings.values.insert(
        ccemu_vendor_ujet::limits::RATE_KEY.to_owned(),
        limit.per_second.clone(),
    );
    state
        .engine
        .execute(&id, ccemu_engine::Op::PutSurfaceSettings(settings))
        .await?;
    ccemu_vendor_ujet::limits::forget(&state.engine, &id);
    Ok(Json(limit))
}

/// `GET /_ccemu/tenants/{id}/retention`: the limits in force (the tenant's own, else the defaults).
async fn get_retention(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ccemu_core::Retention>, ApiError> {
    let id = tenant_id(&id)?;
    Ok(Json(state.engine.retention(&id).await?))
}

/// `PUT /_ccemu/tenants/{id}/retention`: the tenant's own limits; a limit left out (or `null`)
/// follows the server's default again. Answers the limits in force.
async fn put_retention(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(own): Body<RetentionBody>,
) -> Result<Json<ccemu_core::Retention>, ApiError> {
    let id = tenant_id(&id)?;
    let own = ccemu_core::TenantRetention {
        id: ccemu_core::TenantRetention::ID.to_owned(),
        ended_interactions: own.ended_interactions,
        agent_state_logs: own.agent_state_logs,
        events: own.events,
        finished_deliveries: own.finished_deliveries,
    };
    state
        .engine
        .execute(&id, ccemu_engine::Op::PutRetention(own))
        .await?;
    Ok(Json(state.engine.retention(&id).await?))
}

/// `PUT /_ccemu/tenants/{id}/retention` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionBody {
    ended_interactions: Option<u64>,
    agent_state_logs: Option<u64>,
    events: Option<u64>,
    finished_deliveries: Option<u64>,
}

/// `GET /_ccemu/tenants/{id}/clock`
async fn get_clock(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ccemu_engine::ClockView>, ApiError> {
    let id = tenant_id(&id)?;
    Ok(Json(state.engine.clock(&id).await?))
}

/// `PUT /_ccemu/tenants/{id}/clock` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    mode: ClockMode,
    now_ms: Option<i64>,
}

/// `PUT /_ccemu/tenants/{id}/clock`
async fn set_clock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<SetClock>,
) -> Result<Json<ccemu_engine::ClockView>, ApiError> {
    let id = tenant_id(&id)?;
    Ok(Json(
        state.engine.set_clock(&id, body.mode, body.now_ms).await?,
    ))
}

/// `POST /_ccemu/tenants/{id}/clock/advance` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    ms: i64,
}

/// `POST /_ccemu/tenants/{id}/clock/advance`
async fn advance_clock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Advance>,
) -> Result<Json<ccemu_engine::ClockView>, ApiError> {
    let id = tenant_id(&id)?;
    Ok(Json(state.engine.advance_clock(&id, body.ms).await?))
}

/// `GET /_ccemu/tenants/{id}/events` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

/// `GET /_ccemu/tenants/{id}/events`
async fn list_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Params(q): Params<EventsQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = tenant_id(&id)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit: must be between 1 and 10000",
        ));
    }
    let events = state
        .engine
        .events(&id, q.after.unwrap_or(0).max(0), limit)
        .await?;
    let events: Vec<serde_json::Value> = events
        .into_iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "at_ms": e.at_ms,
                "at": format_rfc3339_ms(e.at_ms),
                "kind": e.event.kind(),
                "data": serde_json::to_value(&e.event).ok().and_then(|v| v.get("data").cloned()).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect();
    Ok(Json(json!({ "events": events })))
}

/// `GET /_ccemu/requests`
async fn list_requests(
    State(state): State<AppState>,
    Params(filter): Params<Filter>,
) -> Result<Json<Requests>, ApiError> {
    if filter
        .limit
        .is_some_and(|l| !(1..=crate::journal::MAX_LIMIT).contains(&l))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("limit: must be between 1 and {}", crate::journal::MAX_LIMIT),
        ));
    }
    Ok(Json(Requests {
        requests: state.journal.list(&filter),
    }))
}

/// `GET /_ccemu/requests`: written straight from the journal's bytes, with no JSON tree between
/// (a full journal is megabytes of bodies).
#[derive(Debug, Serialize)]
pub struct Requests {
    requests: Vec<crate::journal::Entry>,
}

/// `DELETE /_ccemu/requests`
async fn clear_requests(State(state): State<AppState>) -> StatusCode {
    state.journal.clear();
    StatusCode::NO_CONTENT
}

/// Fallback for paths that no surface serves.
pub async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {} {}", req.method(), req.uri().path()),
    )
}
