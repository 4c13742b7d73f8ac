//! ccemu's own event webhooks and the delivery log, under `/_ccemu/tenants/{id}/...`.
//!
//! A subscription made here (surface `ccemu`) receives every matching domain event as
//! `{"tenant","seq","at_ms","kind","data"}`, signed with HMAC-SHA256 when it has a secret. The
//! requests go through the engine's durable outbox like every vendor surface's notifications, so
//! `GET .../deliveries` shows them all. Documented in `docs/control-plane.md`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use ccemu_core::clock::format_rfc3339_ms;
use ccemu_core::event::EventRecord;
use ccemu_core::{Subscription, Tenant};
use ccemu_engine::{DeliveryRecord, DeliveryState, Notification, Notifier, Op, OpOutput, View};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use crate::control::{tenant_id, ApiError, Body, Params};
use crate::AppState;

/// The surface name of subscriptions made through the control plane.
pub const SURFACE: &str = "ccemu";
/// The surface of a tenant's UJET chat webhook, which the control plane can also create (UJET
/// sets its URL in the admin UI, not through an API).
const UJET: &str = ccemu_vendor_ujet::webhooks::SURFACE;
/// Header carrying `sha256=<hex HMAC-SHA256(secret, body)>` when the subscription has a secret.
pub const SIGNATURE_HEADER: &str = "X-Ccemu-Signature";

const MAX_URL_LEN: usize = 2048;
const MAX_EVENTS: usize = 100;
const MAX_SECRET_LEN: usize = 200;

/// Posts each domain event to the tenant's `ccemu` subscriptions that want its kind.
#[derive(Debug, Default)]
pub struct EventWebhooks;

/// The JSON body of one event webhook.
#[derive(Serialize)]
struct EventBody<'a> {
    tenant: &'a str,
    seq: i64,
    at_ms: i64,
    kind: &'a str,
    data: &'a serde_json::Value,
}

impl Notifier for EventWebhooks {
    fn notify(
        &self,
        tenant: &Tenant,
        subscriptions: &[Subscription],
        _view: &View<'_>,
        event: &EventRecord,
        out: &mut Vec<Notification>,
    ) {
        let mut ours = subscriptions
            .iter()
            .filter(|s| s.surface == SURFACE)
            .peekable();
        if ours.peek().is_none() {
            return;
        }
        // Rendered once per event, whatever the number of subscriptions.
        let Ok(serde_json::Value::Object(mut tagged)) = serde_json::to_value(&event.event) else {
            return;
        };
        let kind = match tagged.remove("kind") {
            Some(serde_json::Value::String(kind)) => kind,
            _ => return,
        };
        let data = tagged.remove("data").unwrap_or(serde_json::Value::Null);
        let body = EventBody {
            tenant: tenant.id.as_str(),
            seq: event.seq,
            at_ms: event.at_ms,
            kind: &kind,
            data: &data,
        };
        let Ok(body) = serde_json::to_string(&body) else {
            return;
        };
        for sub in ours.filter(|s| s.wants(&kind)) {
            let mut headers = vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("X-Ccemu-Event".to_owned(), kind.clone()),
                ("X-Ccemu-Subscription".to_owned(), sub.id.clone()),
            ];
            if let Some(secret) = &sub.secret {
                headers.push((SIGNATURE_HEADER.to_owned(), signature(secret, &body)));
            }
            out.push(Notification {
                source: SURFACE.to_owned(),
                event_seq: Some(event.seq),
                url: sub.callback_url.clone(),
                method: "POST".to_owned(),
                headers,
                body: body.clone(),
            });
        }
    }
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &str, body: &str) -> String {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A subscription on the wire.
#[derive(Debug, Serialize)]
pub struct SubscriptionDto {
    id: String,
    surface: String,
    url: String,
    events: Vec<String>,
    secret: Option<String>,
    enabled: bool,
    created_at: String,
}

impl From<Subscription> for SubscriptionDto {
    fn from(s: Subscription) -> Self {
        Self {
            id: s.id,
            surface: s.surface,
            url: s.callback_url,
            events: s.events,
            secret: s.secret,
            enabled: s.enabled,
            created_at: format_rfc3339_ms(s.created_at_ms),
        }
    }
}

/// `POST /_ccemu/tenants/{id}/subscriptions` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateSubscription {
    url: String,
    events: Option<Vec<String>>,
    secret: Option<String>,
    surface: Option<String>,
}

fn invalid_body(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message)
}

fn check_url(url: &str) -> Result<(), ApiError> {
    let bad = || invalid_body("url: must be an absolute http:// or https:// URL");
    if url.len() > MAX_URL_LEN {
        return Err(invalid_body(format!(
            "url: at most {MAX_URL_LEN} characters"
        )));
    }
    let uri: http::Uri = url.parse().map_err(|_| bad())?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http" | "https"), Some(authority)) if !authority.host().is_empty() => Ok(()),
        _ => Err(bad()),
    }
}

fn check_events(events: &[String]) -> Result<(), ApiError> {
    if events.is_empty() || events.len() > MAX_EVENTS {
        return Err(invalid_body(format!(
            "events: 1 to {MAX_EVENTS} event kinds (e.g. \"clock.changed\") or \"*\""
        )));
    }
    for (i, kind) in events.iter().enumerate() {
        // Kinds are dotted lower-case names such as `agent.state_changed`.
        let well_formed = kind == "*"
            || (kind.len() <= 100
                && kind.contains('.')
                && !kind.starts_with('.')
                && !kind.ends_with('.')
                && kind
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'));
        if !well_formed {
            return Err(invalid_body(format!(
                "events[{i}]: {kind:?} is not an event kind (e.g. \"clock.changed\") or \"*\""
            )));
        }
    }
    Ok(())
}

/// `POST /_ccemu/tenants/{id}/subscriptions`
pub(crate) async fn create_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<CreateSubscription>,
) -> Result<(StatusCode, Json<SubscriptionDto>), ApiError> {
    let id = tenant_id(&id)?;
    check_url(&body.url)?;
    let surface = body.surface.as_deref().unwrap_or(SURFACE);
    let events = match (surface, body.events) {
        (SURFACE, Some(events)) => events,
        (SURFACE, None) => return Err(invalid_body("events: required")),
        // UJET has one webhook URL per tenant for every chat event (vendor-notes/ujet.md §6).
        (UJET, events) => events.unwrap_or_else(|| vec!["*".to_owned()]),
        (other, _) => {
            return Err(invalid_body(format!(
                "surface: {other:?} must be \"ccemu\" or \"ujet\""
            )))
        }
    };
    check_events(&events)?;
    if surface == UJET && body.secret.is_some() {
        return Err(invalid_body(
            "secret: a ujet webhook is signed with the tenant's UJET credentials",
        ));
    }
    if let Some(secret) = &body.secret {
        if secret.is_empty() || secret.len() > MAX_SECRET_LEN {
            return Err(invalid_body(format!(
                "secret: 1 to {MAX_SECRET_LEN} characters"
            )));
        }
    }
    let now = state.engine.clock(&id).await?.now_ms;
    if surface == UJET {
        // The new URL replaces the tenant's earlier one, as in UJET's settings page.
        for old in state.engine.subscriptions(&id).await? {
            if old.surface == UJET {
                let op = Op::DeleteSubscription { id: old.id };
                state.engine.execute(&id, op).await?;
            }
        }
    }
    let sub = Subscription {
        id: format!("sub_{}", uuid::Uuid::new_v4().simple()),
        surface: surface.to_owned(),
        name: String::new(),
        callback_url: body.url,
        events,
        secret: body.secret,
        enabled: true,
        created_at_ms: now,
    };
    match state.engine.execute(&id, Op::PutSubscription(sub)).await? {
        OpOutput::Subscription(sub) => Ok((StatusCode::CREATED, Json((*sub).into()))),
        _ => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "unexpected engine answer",
        )),
    }
}

/// `GET /_ccemu/tenants/{id}/subscriptions`
pub(crate) async fn list_subscriptions(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = tenant_id(&id)?;
    let subs: Vec<SubscriptionDto> = state
        .engine
        .subscriptions(&id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(json!({ "subscriptions": subs })))
}

/// `DELETE /_ccemu/tenants/{id}/subscriptions/{sub_id}`
pub(crate) async fn delete_subscription(
    State(state): State<AppState>,
    Path((id, sub_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = tenant_id(&id)?;
    state
        .engine
        .execute(&id, Op::DeleteSubscription { id: sub_id })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /_ccemu/tenants/{id}/deliveries` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliveriesQuery {
    state: Option<String>,
    limit: Option<i64>,
}

/// `GET /_ccemu/tenants/{id}/deliveries`
pub(crate) async fn list_deliveries(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Params(q): Params<DeliveriesQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = tenant_id(&id)?;
    let filter = match q.state.as_deref() {
        None | Some("") => None,
        Some(name) => Some(DeliveryState::parse(name).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "state: must be pending, delivered or failed",
            )
        })?),
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit: must be between 1 and 1000",
        ));
    }
    let deliveries: Vec<serde_json::Value> = state
        .engine
        .deliveries(&id, filter, limit)
        .await?
        .iter()
        .map(delivery_json)
        .collect();
    Ok(Json(json!({ "deliveries": deliveries })))
}

fn delivery_json(d: &DeliveryRecord) -> serde_json::Value {
    let n = &d.notification;
    let attempts: Vec<serde_json::Value> = d
        .attempts_log
        .iter()
        .map(|a| {
            json!({
                "attempt": a.attempt,
                "at": format_rfc3339_ms(a.at_ms),
                "status": a.status,
                "error": a.error,
                "duration_ms": a.duration_ms,
            })
        })
        .collect();
    json!({
        "id": d.id,
        "source": n.source,
        "event_seq": n.event_seq,
        "url": n.url,
        "method": n.method,
        "headers": n.headers,
        "body": n.body,
        "state": d.state.as_str(),
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "created_at": format_rfc3339_ms(d.created_at_ms),
        "delivered_at": d.delivered_at_ms.map(format_rfc3339_ms),
        "next_attempt_at": (d.state == DeliveryState::Pending)
            .then(|| format_rfc3339_ms(d.next_attempt_at_ms)),
        "attempts_log": attempts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_hmac() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn url_and_events_are_checked() {
        assert!(check_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(check_url("https://example.com").is_ok());
        for bad in [
            "ftp://x/y",
            "/hook",
            "http://",
            "not a url",
            "127.0.0.1:80/x",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_events(&["*".into()]).is_ok());
        assert!(check_events(&["clock.changed".into(), "agent.state_changed".into()]).is_ok());
        assert!(check_events(&[]).is_err());
        for bad in ["", "clock", "Clock.Changed", "clock.", "a b.c"] {
            assert!(check_events(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
