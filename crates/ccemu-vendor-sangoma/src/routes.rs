//! Every Sangoma CX route in one list, in the order of `vendor-notes/sangoma.md` §3, and the
//! router built from it.
//!
//! Each row names the Sangoma operation; until a row is emulated it answers
//! [`SangomaError::NotImplemented`]. The CX paths are documented with a trailing slash and
//! served with and without it. The router is built from the list, so the list is also what
//! `docs/coverage.md` and the tests check against.

use std::collections::BTreeMap;
use std::future::{ready, Ready};

use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodFilter, MethodRouter};
use axum::Router;

use crate::error::{Api, SangomaError};
use crate::BASES;

/// One vendor operation: method, full vendor path (axum syntax), operation name, note section.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Full path including the vendor base, e.g. `/cx/api/v1/agents/call/`.
    pub path: &'static str,
    /// Vendor operation name, used in the not-implemented message.
    pub operation: &'static str,
    /// Section of `vendor-notes/sangoma.md` that lists the endpoint.
    pub section: &'static str,
}

const fn ep(
    method: Method,
    path: &'static str,
    operation: &'static str,
    section: &'static str,
) -> Endpoint {
    Endpoint {
        method,
        path,
        operation,
        section,
    }
}

const GET: Method = Method::GET;
const POST: Method = Method::POST;

/// Every Sangoma endpoint, trailing-slash aliases included, in the order of the vendor note.
#[rustfmt::skip]
pub static ENDPOINTS: &[Endpoint] = &[
    // OAuth 2.0 client credentials
    ep(POST, "/oauth/token", "issue_token", "3"),
    // Calls (scopes cx.agent-calls, cx.queue-calls)
    ep(POST, "/cx/api/v1/agents/call/", "originate_agent_call", "3"),
    ep(POST, "/cx/api/v1/agents/call", "originate_agent_call", "3"),
    ep(POST, "/cx/api/v1/queues/call/", "originate_queue_call", "3"),
    ep(POST, "/cx/api/v1/queues/call", "originate_queue_call", "3"),
    // Digital Interactions (scope cx.digital-interactions)
    ep(POST, "/cx/api/v1/digital-interactions/agent-bot/", "create_agent_bot", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/agent-bot", "create_agent_bot", "3"),
    ep(GET, "/cx/api/v1/digital-interactions/inboxes/", "list_inboxes", "3"),
    ep(GET, "/cx/api/v1/digital-interactions/inboxes", "list_inboxes", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/assign-agent-bot/", "assign_agent_bot", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/assign-agent-bot", "assign_agent_bot", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/webhooks/", "create_webhook", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/webhooks", "create_webhook", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/contacts/", "create_contact", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/contacts", "create_contact", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/conversations/", "create_conversation", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/conversations", "create_conversation", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/messages/", "create_message", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/messages", "create_message", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/conversations/deliver-to-agent/", "deliver_conversation_to_agent", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/conversations/deliver-to-agent", "deliver_conversation_to_agent", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/conversations/finish/", "finish_conversation", "3"),
    ep(POST, "/cx/api/v1/digital-interactions/conversations/finish", "finish_conversation", "3"),
];

/// The not-implemented answer of one endpoint.
fn not_implemented(endpoint: &Endpoint) -> impl Answer {
    answer(SangomaError::NotImplemented(
        Api::for_path(endpoint.path),
        endpoint.operation,
    ))
}

/// The answer for an unknown path under a base, or a method not routed on a known path.
fn not_found(_path: &str) -> impl Answer {
    answer(SangomaError::NotFound)
}

/// A handler that answers a fixed error whatever the request (it reads no part of it).
trait Answer: Fn() -> Ready<Response> + Clone + Send + Sync + 'static {}
impl<F: Fn() -> Ready<Response> + Clone + Send + Sync + 'static> Answer for F {}

fn answer(error: SangomaError) -> impl Answer {
    move || ready(error.clone().into_response())
}

pub(crate) fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    // A nested router's fallback does not see `{base}/` in axum 0.8, hence the explicit route.
    BASES.iter().fold(Router::new(), |router, &base| {
        router
            .nest(base, nested(base))
            .route(&format!("{base}/"), any(not_found(base)))
    })
}

/// The routes under one base, with the vendor's not-found as fallback for paths and methods.
fn nested<S: Clone + Send + Sync + 'static>(base: &'static str) -> Router<S> {
    let mut by_path: BTreeMap<&str, MethodRouter<S>> = BTreeMap::new();
    for endpoint in ENDPOINTS {
        let Some(relative) = endpoint
            .path
            .strip_prefix(base)
            .filter(|p| p.starts_with('/'))
        else {
            continue;
        };
        let methods = by_path
            .remove(relative)
            .unwrap_or_else(|| MethodRouter::new().fallback(not_found(endpoint.path)));
        let filter = MethodFilter::try_from(endpoint.method.clone())
            .expect("the endpoint table only uses standard methods");
        by_path.insert(relative, methods.on(filter, not_implemented(endpoint)));
    }
    by_path
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods)
        })
        .fallback(not_found(base))
}

#[cfg(test)]
mod tests {
    use axum::body::{to_bytes, Body};
    use axum::http::{header, Request, StatusCode};
    use serde_json::{json, Value};
    use tower::ServiceExt;

    use super::*;

    async fn send(method: Method, uri: &str, body: &'static [u8]) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, "Bearer YOUR_ACCESS_TOKEN")
            .body(Body::from(body))
            .unwrap();
        let response = crate::router::<()>().oneshot(request).await.unwrap();
        let status = response.status();
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/json",
            "{uri}"
        );
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    fn cx(operation: &str) -> Value {
        json!({"error": format!("{operation} is not emulated by ccemu yet")})
    }

    fn oauth(operation: &str) -> Value {
        json!({
            "error": "server_error",
            "error_description": format!("{operation} is not emulated by ccemu yet"),
        })
    }

    #[tokio::test]
    async fn one_endpoint_per_group_answers_501_in_its_api_shape() {
        let cases = [
            (POST, "/oauth/token", oauth("issue_token")),
            (POST, "/cx/api/v1/queues/call/", cx("originate_queue_call")),
            (
                GET,
                "/cx/api/v1/digital-interactions/inboxes",
                cx("list_inboxes"),
            ),
            (
                POST,
                "/cx/api/v1/digital-interactions/conversations/deliver-to-agent/",
                cx("deliver_conversation_to_agent"),
            ),
        ];
        for (method, uri, expected) in cases {
            let body = br#"{"tenant_domain":"acme.cx.sangoma.com","conversation_id":10}"#;
            let (status, answer) = send(method.clone(), uri, body).await;
            assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{method} {uri}");
            assert_eq!(answer, expected, "{method} {uri}");
        }
    }

    #[tokio::test]
    async fn token_request_as_a_form_answers_501_too() {
        let request = Request::post("/oauth/token")
            .header(
                header::CONTENT_TYPE,
                "application/x-www-form-urlencoded;charset=UTF-8",
            )
            .header(header::AUTHORIZATION, "Basic Y2xpZW50OnNlY3JldA==")
            .body(Body::from(
                "grant_type=client_credentials&scope=cx.agent-calls",
            ))
            .unwrap();
        let response = crate::router::<()>().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_IMPLEMENTED);
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body, oauth("issue_token"));
    }

    #[tokio::test]
    async fn unknown_path_or_method_under_each_base_answers_404() {
        for (method, uri) in [
            (GET, "/oauth/authorize"),
            (GET, "/oauth/token"),
            (GET, "/oauth/"),
            (GET, "/cx/api/v1/nope"),
            (GET, "/cx/api/v1"),
            (POST, "/cx/api/v1/digital-interactions/inboxes/"),
            (POST, "/cx/api/v1/digital-interactions/conversations/10"),
        ] {
            let (status, body) = send(method.clone(), uri, b"").await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}");
            assert_eq!(
                body,
                json!({"error": "Resource could not be found"}),
                "{method} {uri}"
            );
        }
    }

    #[test]
    fn route_table_has_23_endpoints_one_token_and_eleven_cx_with_two_forms_each() {
        let count = |api: Api| {
            ENDPOINTS
                .iter()
                .filter(|e| Api::for_path(e.path) == api)
                .count()
        };
        assert_eq!((count(Api::OAuth), count(Api::Cx)), (1, 22));
        let with_slash = ENDPOINTS.iter().filter(|e| e.path.ends_with('/')).count();
        assert_eq!(with_slash, 11);
        assert_eq!(ENDPOINTS.len(), 23);
    }

    #[tokio::test]
    async fn every_endpoint_answers_501_naming_its_operation_whatever_the_body() {
        for endpoint in ENDPOINTS {
            let uri = endpoint.path;
            let (status, body) = send(endpoint.method.clone(), uri, b"\xff{not json").await;
            assert_eq!(
                status,
                StatusCode::NOT_IMPLEMENTED,
                "{} {uri}",
                endpoint.method
            );
            let expected = match Api::for_path(uri) {
                Api::OAuth => oauth(endpoint.operation),
                Api::Cx => cx(endpoint.operation),
            };
            assert_eq!(body, expected, "{} {uri}", endpoint.method);
        }
    }

    #[test]
    fn coverage_md_lists_every_endpoint() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/coverage.md");
        let coverage = std::fs::read_to_string(path).unwrap();
        for e in ENDPOINTS {
            let row = format!(
                "| {} | `{}` | `{}` | {} |",
                e.method, e.path, e.operation, e.section
            );
            assert!(coverage.contains(&row), "docs/coverage.md lacks {row}");
        }
    }

    #[tokio::test]
    async fn leaves_paths_outside_its_bases_to_the_merged_router() {
        let other = Router::new().fallback(|| async { "server fallback" });
        let merged: Router<()> = crate::router().merge(other);
        let request = Request::get("/ccapi/v2/agents")
            .body(Body::empty())
            .unwrap();
        let response = merged.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            &to_bytes(response.into_body(), 64).await.unwrap()[..],
            b"server fallback"
        );
    }
}
