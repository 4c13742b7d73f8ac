//! Company Do-Not-Call list (`vendor-notes/ujet.md` §3.6): add numbers with an optional expiry,
//! remove them, check one.
//!
//! Every item of an add or remove answers on its own (200 with one result per item, in request
//! order), so one bad number does not refuse the rest. Numbers are matched after normalisation
//! (`+1-(358)-213-1634` is `+13582131634`, `ccemu_core::dnc`), and the engine's dialer never
//! dials a listed number.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use ccemu_core::dnc::normalize_phone;
use ccemu_core::DncEntry;
use ccemu_engine::{Engine, Op, OpOutput};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::dto::{self, Params, Text};
use crate::error::UjetError;

#[derive(Debug, Deserialize)]
struct AddBody {
    contacts: Vec<AddItem>,
}

#[derive(Debug, Deserialize)]
struct AddItem {
    phone_number: Option<Text>,
    expires_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RemoveBody {
    phone_numbers: Vec<Text>,
}

/// Message for a number that is not on the list (UJET's text is unknown) [inferred].
pub const NOT_LISTED: &str = "phone_number is not in the DNC list";

/// One item's result: the item as sent, its status and, when it failed, why.
fn item(phone_number: &str, expires_at: Option<&str>, outcome: Result<&str, String>) -> Value {
    let (status, error) = match outcome {
        Ok(status) => (status, Value::Null),
        Err(message) => ("failed", Value::String(message)),
    };
    json!({
        "phone_number": phone_number,
        "expires_at": expires_at,
        "status": status,
        "error": error,
    })
}

/// `POST /outbound_dialer/dnc`: adds numbers (a listed one gets the new expiry).
pub async fn add_dnc_numbers(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let body: AddBody = match dto::body(auth.api, &raw) {
        Ok(body) => body,
        Err(error) => return dto::fail(&auth, error),
    };
    let mut results = Vec::with_capacity(body.contacts.len());
    for contact in body.contacts {
        let number = contact.phone_number.map(|t| t.0).unwrap_or_default();
        let expires_at = contact.expires_at.filter(|e| !e.trim().is_empty());
        let outcome = add_one(&auth, &engine, &number, expires_at.as_deref()).await;
        results.push(item(&number, expires_at.as_deref(), outcome));
    }
    dto::ok(&auth, StatusCode::OK, Value::Array(results))
}

async fn add_one(
    auth: &Authed,
    engine: &Engine,
    number: &str,
    expires_at: Option<&str>,
) -> Result<&'static str, String> {
    let expires_at_ms = match expires_at {
        None => None,
        Some(text) => {
            Some(ccemu_core::clock::parse_rfc3339(text).ok_or("expires_at is invalid".to_owned())?)
        }
    };
    let op = Op::PutDncEntry {
        phone_number: number.to_owned(),
        expires_at_ms,
    };
    match engine.execute(&auth.tenant.id, op).await {
        Ok(OpOutput::DncEntry { created: true, .. }) => Ok("created"),
        Ok(_) => Ok("updated"),
        Err(error) => Err(UjetError::from_engine(auth.api, error).message()),
    }
}

/// `POST /outbound_dialer/dnc/remove`: takes numbers off the list [inferred].
pub async fn remove_dnc_numbers(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let body: RemoveBody = match dto::body(auth.api, &raw) {
        Ok(body) => body,
        Err(error) => return dto::fail(&auth, error),
    };
    let mut results = Vec::with_capacity(body.phone_numbers.len());
    for Text(number) in body.phone_numbers {
        let op = Op::RemoveDncEntry {
            phone_number: number.clone(),
        };
        let outcome = match engine.execute(&auth.tenant.id, op).await {
            Ok(_) => Ok("removed"),
            Err(ccemu_engine::EngineError::Domain(ccemu_core::DomainError::NotFound {
                ..
            })) => Err(NOT_LISTED.to_owned()),
            Err(error) => Err(UjetError::from_engine(auth.api, error).message()),
        };
        let mut result = item(&number, None, outcome);
        if let Some(object) = result.as_object_mut() {
            object.remove("expires_at");
        }
        results.push(result);
    }
    dto::ok(&auth, StatusCode::OK, Value::Array(results))
}

/// `GET /outbound_dialer/dnc/check?phone_number=..`: whether a number is listed now [inferred].
pub async fn check_dnc_number(
    auth: Authed,
    State(engine): State<Engine>,
    RawQuery(query): RawQuery,
) -> Response {
    let result = check(&auth, &engine, &Params::parse(query.as_deref())).await;
    dto::reply(&auth, StatusCode::OK, result)
}

async fn check(auth: &Authed, engine: &Engine, params: &Params) -> Result<Value, UjetError> {
    let api = auth.api;
    let number = params
        .get("phone_number")
        .ok_or_else(|| UjetError::BadRequest(api, dto::missing("phone_number")))?;
    let id = normalize_phone(number)
        .map_err(|_| UjetError::BadRequest(api, "phone_number is invalid".into()))?;
    let tenant = &auth.tenant.id;
    let now = engine
        .clock(tenant)
        .await
        .map_err(|e| UjetError::from_engine(api, e))?
        .now_ms;
    let entry = engine
        .record::<DncEntry>(tenant, &id)
        .await
        .map_err(|e| UjetError::from_engine(api, e))?
        .filter(|e| e.is_active(now));
    Ok(json!({
        "phone_number": number,
        "in_dnc": entry.is_some(),
        "expires_at": dto::time_opt(entry.and_then(|e| e.expires_at_ms)),
    }))
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use ccemu_core::clock::ClockMode;
    use serde_json::json;

    use crate::routes::tests::*;

    const ADD: &str = "/apps/api/v1/outbound_dialer/dnc";
    const REMOVE: &str = "/apps/api/v1/outbound_dialer/dnc/remove";
    const CHECK: &str = "/apps/api/v1/outbound_dialer/dnc/check";
    /// 2030-01-01T00:00:00Z, ahead of the real clock the test starts on.
    const NOW: i64 = 1_893_456_000_000;

    async fn manual(c: &Ctx) {
        let demo = ccemu_core::TenantId::parse("demo").unwrap();
        c.engine
            .set_clock(&demo, ClockMode::Manual, Some(NOW))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn add_answers_per_item_with_the_documented_errors() {
        let c = ctx().await;
        manual(&c).await;
        let body = json!({"contacts": [
            {"phone_number": "+1-7187309219", "expires_at": "2030-10-29 00:00:00 UTC"},
            {"phone_number": "+1-(358)-213-1634"},
            {"phone_number": "+1 555 000 1111", "expires_at": "2022-10-29 00:00:00 UTC"},
            {"phone_number": "call me"},
            {"phone_number": "911"},
            {"phone_number": "+1 (718) 730-9219"},
            {"phone_number": "+15550002222", "expires_at": "tomorrow"},
        ]});
        let r = c.send(Method::POST, ADD, body.to_string()).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.body,
            json!([
                {"phone_number": "+1-7187309219", "expires_at": "2030-10-29 00:00:00 UTC", "status": "created", "error": null},
                {"phone_number": "+1-(358)-213-1634", "expires_at": null, "status": "created", "error": null},
                {"phone_number": "+1 555 000 1111", "expires_at": "2022-10-29 00:00:00 UTC", "status": "failed", "error": "expires_at cannot be past date/time"},
                {"phone_number": "call me", "expires_at": null, "status": "failed", "error": "phone_number is invalid"},
                {"phone_number": "911", "expires_at": null, "status": "failed", "error": "emergency phone number is not allowed"},
                {"phone_number": "+1 (718) 730-9219", "expires_at": null, "status": "updated", "error": null},
                {"phone_number": "+15550002222", "expires_at": "tomorrow", "status": "failed", "error": "expires_at is invalid"},
            ])
        );
        // The update cleared the expiry of the first number.
        let r = c
            .send(
                Method::GET,
                &format!("{CHECK}?phone_number=%2B17187309219"),
                b"",
            )
            .await;
        assert_eq!(
            r.body,
            json!({"phone_number": "+17187309219", "in_dnc": true, "expires_at": null})
        );
    }

    #[tokio::test]
    async fn bad_bodies_answer_400() {
        let c = ctx().await;
        for (uri, body, message) in [
            (ADD, "{", "Invalid JSON in request body"),
            (
                ADD,
                "{}",
                "param is missing or the value is empty: contacts",
            ),
            (ADD, r#"{"contacts":{}}"#, "contacts is invalid"),
            (
                REMOVE,
                "",
                "param is missing or the value is empty: phone_numbers",
            ),
        ] {
            let r = c.send(Method::POST, uri, body).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(r.body, apps(message), "{body}");
        }
    }

    #[tokio::test]
    async fn check_tells_listed_expired_and_unknown_numbers_apart() {
        let c = ctx().await;
        manual(&c).await;
        let body = json!({"contacts": [
            {"phone_number": "+1-555-000-0001", "expires_at": "2030-01-01T00:00:10Z"},
        ]});
        c.send(Method::POST, ADD, body.to_string()).await;
        let uri = format!("{CHECK}?phone_number=%2B1%20555%20000%200001");
        let r = c.send(Method::GET, &uri, b"").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.body,
            json!({"phone_number": "+1 555 000 0001", "in_dnc": true, "expires_at": "2030-01-01T00:00:10.000Z"})
        );
        let demo = ccemu_core::TenantId::parse("demo").unwrap();
        c.engine.advance_clock(&demo, 10_000).await.unwrap();
        let r = c.send(Method::GET, &uri, b"").await;
        assert_eq!(r.body["in_dnc"], json!(false));
        assert_eq!(r.body["expires_at"], json!(null));
        for (query, message) in [
            ("", "param is missing or the value is empty: phone_number"),
            ("?phone_number=abc", "phone_number is invalid"),
        ] {
            let r = c.send(Method::GET, &format!("{CHECK}{query}"), b"").await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(r.body, apps(message), "{query}");
        }
    }

    #[tokio::test]
    async fn remove_answers_per_item_and_lists_are_per_tenant() {
        let c = ctx().await;
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let body = json!({"contacts": [{"phone_number": "+15550000001"}]});
        c.send(Method::POST, ADD, body.to_string()).await;
        // The other tenant sees nothing of the demo tenant's list and cannot remove from it.
        let as_other = basic(&o.subdomain, &o.api_token);
        let uri = format!("{CHECK}?phone_number=%2B15550000001");
        let r = c.send_as(Some(&as_other), Method::GET, &uri, b"").await;
        assert_eq!(r.body["in_dnc"], json!(false));
        let body = json!({"phone_numbers": ["+1 555 000 0001"]}).to_string();
        let r = c
            .send_as(Some(&as_other), Method::POST, REMOVE, &body)
            .await;
        assert_eq!(
            r.body,
            json!([{"phone_number": "+1 555 000 0001", "status": "failed", "error": super::NOT_LISTED}])
        );
        let r = c.send(Method::GET, &uri, b"").await;
        assert_eq!(r.body["in_dnc"], json!(true));
        let body = json!({"phone_numbers": ["+1 555 000 0001", "+15550000001", "x"]});
        let r = c.send(Method::POST, REMOVE, body.to_string()).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.body,
            json!([
                {"phone_number": "+1 555 000 0001", "status": "removed", "error": null},
                {"phone_number": "+15550000001", "status": "failed", "error": super::NOT_LISTED},
                {"phone_number": "x", "status": "failed", "error": "phone_number is invalid"},
            ])
        );
        let r = c.send(Method::GET, &uri, b"").await;
        assert_eq!(r.body["in_dnc"], json!(false));
    }
}
