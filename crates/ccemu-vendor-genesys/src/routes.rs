//! Every Genesys (GWS 8.5) route in one list, grouped like `vendor-notes/genesys.md` §3 (plus
//! the CometD transport of §5), and the router built from it.
//!
//! Each row names the GWS operation; until a row is emulated it answers
//! [`GenesysError::NotImplemented`]. Several rows may share one `POST` path: GWS tells them apart
//! by the body's `operationName`, and so does the router. The router is built from the list, so
//! the list is also what `docs/coverage.md` and the tests check against.

use std::collections::BTreeMap;
use std::future::{ready, Ready};

use axum::body::{to_bytes, Body};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodFilter, MethodRouter};
use axum::Router;
use serde::Deserialize;

use crate::error::GenesysError;
use crate::BASES;

/// One vendor operation: method, full vendor path (axum syntax), operation name, note section.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Full path including the vendor base, e.g. `/api/v2/chats/{id}`.
    pub path: &'static str,
    /// GWS operation name (the `operationName` where several share one path).
    pub operation: &'static str,
    /// Section of `vendor-notes/genesys.md` that lists the endpoint.
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

/// Every Genesys endpoint, aliases included, in the order of the vendor note.
#[rustfmt::skip]
pub static ENDPOINTS: &[Endpoint] = &[
    // 3.1 Customer Chat API (header ContactCenterId, no auth)
    ep(POST, "/api/v2/chats", "RequestChat", "3.1"),
    ep(GET, "/api/v2/chats/{id}", "GetChat", "3.1"),
    ep(GET, "/api/v2/chats/{id}/messages", "GetMessages", "3.1"),
    ep(POST, "/api/v2/chats/{id}/messages", "GetMessages", "3.1"),
    ep(POST, "/api/v2/chats/{id}", "SendMessage", "3.1"),
    ep(POST, "/api/v2/chats/{id}", "SendStartTypingNotification", "3.1"),
    ep(POST, "/api/v2/chats/{id}", "SendStopTypingNotification", "3.1"),
    ep(POST, "/api/v2/chats/{id}", "Complete", "3.1"),
    ep(GET, "/api/v2/me/chat/{id}", "GetChat", "3.1"),
    ep(GET, "/api/v2/me/chat/{id}/messages", "GetMessages", "3.1"),
    ep(POST, "/api/v2/me/chat/{id}/messages", "GetMessages", "3.1"),
    // 3.2 Agent-side API (Basic auth)
    ep(GET, "/api/v2/me", "GetMe", "3.2"),
    ep(POST, "/api/v2/me", "StartContactCenterSession", "3.2"),
    ep(POST, "/api/v2/me", "EndContactCenterSession", "3.2"),
    ep(GET, "/api/v2/me/chats", "GetMyChats", "3.2"),
    ep(GET, "/api/v2/me/chats/{id}", "GetMyChat", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "Accept", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "Reject", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "SendMessage", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "SendStartTypingNotification", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "SendStopTypingNotification", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "SendStartTypingToAgentsNotification", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "Leave", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "Complete", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "Invite", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "SendNicknameUpdatedNotice", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "Transfer", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "Consult", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "InFocus", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "SetInFocus", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "SetDisposition", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "AttachUserData", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "DeleteUserData", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "UpdateUserData", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "SendToAgents", "3.2"),
    ep(POST, "/api/v2/me/chats/{id}", "SendUrl", "3.2"),
    ep(POST, "/api/v2/me/calls/{id}", "Answer", "3.2"),
    ep(POST, "/api/v2/me/calls/{id}", "Hangup", "3.2"),
    ep(POST, "/api/v2/me/calls/{id}", "InitiateTransfer", "3.2"),
    ep(POST, "/api/v2/me/calls/{id}", "CompleteTransfer", "3.2"),
    ep(POST, "/api/v2/me/calls/{id}", "AttachUserData", "3.2"),
    // 5 CometD notifications (Bayeux 1.0; WebSocket upgrade first, then long-polling)
    ep(GET, "/api/v2/notifications", "CometdWebSocket", "5"),
    ep(POST, "/api/v2/notifications/handshake", "CometdHandshake", "5"),
    ep(POST, "/api/v2/notifications/connect", "CometdConnect", "5"),
    ep(POST, "/api/v2/notifications/disconnect", "CometdDisconnect", "5"),
    ep(POST, "/api/v2/notifications", "CometdSubscribe", "5"),
    ep(POST, "/api/v2/notifications/", "CometdSubscribe", "5"),
];

/// The not-implemented answer of one endpoint.
fn not_implemented(endpoint: &Endpoint) -> impl Answer {
    answer(GenesysError::NotImplemented(endpoint.operation))
}

/// The answer for an unknown path under a base, or a method not routed on a known path.
fn not_found(_path: &str) -> impl Answer {
    answer(GenesysError::NotFound)
}

/// A handler that answers a fixed error whatever the request (it reads no part of it).
trait Answer: Fn() -> Ready<Response> + Clone + Send + Sync + 'static {}
impl<F: Fn() -> Ready<Response> + Clone + Send + Sync + 'static> Answer for F {}

fn answer(error: GenesysError) -> impl Answer {
    move || ready(error.clone().into_response())
}

/// Largest body read to find `operationName` (axum's default body limit).
const OPERATION_BODY_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Deserialize)]
struct OperationRequest {
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
}

/// Answers the operation named by the body's `operationName` among the rows sharing this
/// method and path: missing → 1, not one of them → 2, else not implemented.
async fn by_operation_name(first: &'static Endpoint, body: Body) -> Response {
    let bytes = to_bytes(body, OPERATION_BODY_LIMIT)
        .await
        .unwrap_or_default();
    let name = serde_json::from_slice::<OperationRequest>(&bytes)
        .ok()
        .and_then(|request| request.operation_name);
    let Some(name) = name else {
        return GenesysError::MissingParameter("operationName is required".to_owned())
            .into_response();
    };
    let found = ENDPOINTS
        .iter()
        .find(|e| e.method == first.method && e.path == first.path && e.operation == name);
    match found {
        Some(endpoint) => GenesysError::NotImplemented(endpoint.operation).into_response(),
        None => GenesysError::InvalidForState(format!(
            "Operation {name} is not valid for this resource"
        ))
        .into_response(),
    }
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
    for (index, endpoint) in ENDPOINTS.iter().enumerate() {
        let Some(relative) = endpoint
            .path
            .strip_prefix(base)
            .filter(|p| p.starts_with('/'))
        else {
            continue;
        };
        let same_route = |e: &Endpoint| e.method == endpoint.method && e.path == endpoint.path;
        if ENDPOINTS[..index].iter().any(same_route) {
            continue; // routed with the first row of its method and path
        }
        let methods = by_path
            .remove(relative)
            .unwrap_or_else(|| MethodRouter::new().fallback(not_found(endpoint.path)));
        let filter = MethodFilter::try_from(endpoint.method.clone())
            .expect("the endpoint table only uses standard methods");
        let methods = if ENDPOINTS.iter().filter(|e| same_route(e)).count() > 1 {
            methods.on(filter, move |body: Body| by_operation_name(endpoint, body))
        } else {
            methods.on(filter, not_implemented(endpoint))
        };
        by_path.insert(relative, methods);
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
    use axum::http::{header, Request, StatusCode};
    use serde_json::{json, Value};
    use tower::ServiceExt;

    use super::*;

    async fn send(method: Method, uri: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header("ContactCenterId", "5d1a0c6c-1b1e-4e5e-9a3d-000000000001")
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

    fn gws(status_code: u8, message: &str) -> Value {
        json!({"statusCode": status_code, "statusMessage": message})
    }

    fn operation(name: &str) -> Vec<u8> {
        json!({"operationName": name, "text": "Hello?"})
            .to_string()
            .into_bytes()
    }

    #[tokio::test]
    async fn one_endpoint_per_group_answers_501_with_status_code_3() {
        let ni = |op: &str| gws(3, &format!("{op} is not emulated by ccemu yet"));
        let cases = [
            (
                POST,
                "/api/v2/chats",
                operation("RequestChat"),
                ni("RequestChat"),
            ),
            (
                GET,
                "/api/v2/chats/652492d9/messages?index=0",
                vec![],
                ni("GetMessages"),
            ),
            (
                POST,
                "/api/v2/chats/652492d9",
                operation("SendMessage"),
                ni("SendMessage"),
            ),
            (GET, "/api/v2/me/chat/652492d9", vec![], ni("GetChat")),
            (GET, "/api/v2/me?subresources=*", vec![], ni("GetMe")),
            (
                POST,
                "/api/v2/me",
                operation("EndContactCenterSession"),
                ni("EndContactCenterSession"),
            ),
            (
                POST,
                "/api/v2/me/chats/000G1aBT734P0015",
                operation("Accept"),
                ni("Accept"),
            ),
            (
                POST,
                "/api/v2/me/calls/0071025563e9f00f",
                operation("Hangup"),
                ni("Hangup"),
            ),
            (GET, "/api/v2/notifications", vec![], ni("CometdWebSocket")),
            (
                POST,
                "/api/v2/notifications/handshake",
                b"[{}]".to_vec(),
                ni("CometdHandshake"),
            ),
            (
                POST,
                "/api/v2/notifications/",
                b"[{}]".to_vec(),
                ni("CometdSubscribe"),
            ),
        ];
        for (method, uri, body, expected) in cases {
            let (status, answer) = send(method.clone(), uri, body).await;
            assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{method} {uri}");
            assert_eq!(answer, expected, "{method} {uri}");
        }
    }

    #[tokio::test]
    async fn shared_post_needs_a_known_operation_name() {
        let (status, body) = send(POST, "/api/v2/chats/1", b"not json".to_vec()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body, gws(1, "operationName is required"));
        let (status, body) = send(POST, "/api/v2/chats/1", operation("Accept")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            gws(2, "Operation Accept is not valid for this resource")
        );
    }

    #[tokio::test]
    async fn unknown_path_or_method_under_base_answers_404_with_status_code_6() {
        for (method, uri) in [
            (GET, "/api/v2/nope"),
            (GET, "/api/v2/"),
            (GET, "/api/v2"),
            (Method::DELETE, "/api/v2/chats/1"),
            (GET, "/api/v2/notifications/connect"),
        ] {
            let (status, body) = send(method.clone(), uri, vec![]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}");
            assert_eq!(body, gws(6, "Resource not found"), "{method} {uri}");
        }
    }

    #[test]
    fn route_table_has_47_operations_grouped_like_the_note() {
        let count = |section: &str| ENDPOINTS.iter().filter(|e| e.section == section).count();
        let by_section: Vec<_> = ["3.1", "3.2", "5"]
            .into_iter()
            .map(|s| (s, count(s)))
            .collect();
        assert_eq!(by_section, [("3.1", 11), ("3.2", 30), ("5", 6)]);
        assert_eq!(ENDPOINTS.len(), 47);
    }

    #[tokio::test]
    async fn every_operation_answers_501_naming_itself_whatever_else_the_body_holds() {
        for endpoint in ENDPOINTS {
            let uri = endpoint.path.replace("{id}", "0000Na9B26EF002X");
            let shares_its_route = ENDPOINTS
                .iter()
                .filter(|e| e.method == endpoint.method && e.path == endpoint.path)
                .count()
                > 1;
            // Shared routes read only `operationName`; the others read nothing at all.
            let body = if shares_its_route {
                operation(endpoint.operation)
            } else {
                b"\xff{not json".to_vec()
            };
            let (status, answer) = send(endpoint.method.clone(), &uri, body).await;
            assert_eq!(
                status,
                StatusCode::NOT_IMPLEMENTED,
                "{} {uri}",
                endpoint.method
            );
            let message = format!("{} is not emulated by ccemu yet", endpoint.operation);
            assert_eq!(answer, gws(3, &message), "{} {uri}", endpoint.method);
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
