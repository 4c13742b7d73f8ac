//! Every Cention route in one list, grouped like `vendor-notes/cention.md` §3, and the router
//! built from it.
//!
//! Each row names the Cention operation; until a row is emulated it answers
//! [`CentionError::NotImplemented`]. The router is built from the list, so the list is also what
//! `docs/coverage.md` and the tests check against. `/docs/websocket-chat` is a documentation
//! link, not an API, and stays unrouted (§3.5).

use std::collections::BTreeMap;
use std::future::{ready, Ready};

use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodFilter, MethodRouter};
use axum::Router;

use crate::error::CentionError;
use crate::BASES;

/// One vendor operation: method, full vendor path (axum syntax), operation name, note section.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Full path including the vendor base, e.g. `/s/{workspace}/capi/json/c3_new_errands`.
    pub path: &'static str,
    /// Vendor operation name, used in the not-implemented message.
    pub operation: &'static str,
    /// Section of `vendor-notes/cention.md` that lists the endpoint.
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
const PUT: Method = Method::PUT;
const DELETE: Method = Method::DELETE;

/// Every Cention endpoint, aliases included, in the order of the vendor note.
#[rustfmt::skip]
pub static ENDPOINTS: &[Endpoint] = &[
    // 3.1 Errand API, errand reports, attachments (Bearer)
    ep(POST, "/s/{workspace}/capi/json/c3_new_errands", "create_errand", "3.1"),
    ep(POST, "/s/{workspace}/capi/json/c3_end_errands", "end_errand", "3.1"),
    ep(POST, "/s/{workspace}/capi/json/c3_answer_errands", "answer_errand", "3.1"),
    ep(POST, "/s/{workspace}/capi/json/c3_find_errand_by_phone_and_agent", "find_errand_by_phone_and_agent", "3.1"),
    ep(GET, "/s/{workspace}/capi/json/c3_errand_reports/{id}", "get_errand_report", "3.1"),
    ep(PUT, "/s/{workspace}/capi/json/c3_errand_reports/{id}", "mark_errand_report_changed", "3.1"),
    ep(GET, "/s/{workspace}/capi/json/c3_errand_reports", "list_changed_errand_reports", "3.1"),
    ep(GET, "/s/{workspace}/capi/json/c3_dirty_errand_list", "get_dirty_errand_list", "3.1"),
    ep(POST, "/s/{workspace}/capi/json/c3_dirty_errand_list", "mark_errands_dirty", "3.1"),
    ep(GET, "/s/{workspace}/capi/json/c3_errand_lookup", "lookup_errands", "3.1"),
    ep(GET, "/s/{workspace}/capi/json/c3_dirty_facebook_ratings", "list_dirty_facebook_ratings", "3.1"),
    ep(GET, "/s/{workspace}/capi/json/c3_facebook_ratings/{id}", "get_facebook_rating", "3.1"),
    ep(GET, "/s/{workspace}/capi/json/c3_response_attachments/{id}", "get_response_attachment", "3.1"),
    ep(GET, "/s/{workspace}/capi/json/c3_area_archives/{id}", "get_area_archive", "3.1"),
    ep(GET, "/s/{workspace}/ng/api/json/c3_errand_reports/{id}", "get_errand_report", "3.1"),
    ep(GET, "/s/{workspace}/ng/api/json/c3_facebook_ratings/{id}", "get_facebook_rating", "3.1"),
    ep(GET, "/s/{workspace}/ng/api/json/c3_response_attachments/{id}", "get_response_attachment", "3.1"),
    ep(GET, "/s/{workspace}/ng/api/json/c3_area_archives/{id}", "get_area_archive", "3.1"),
    // 3.2 Library, export, contact cards, logio (Bearer; with and without /capi/json)
    ep(GET, "/s/{workspace}/capi/json/c3_libraries", "list_libraries", "3.2"),
    ep(GET, "/s/{workspace}/c3_libraries", "list_libraries", "3.2"),
    ep(GET, "/s/{workspace}/capi/json/c3_libraries/{id}", "get_library", "3.2"),
    ep(GET, "/s/{workspace}/c3_libraries/{id}", "get_library", "3.2"),
    ep(GET, "/s/{workspace}/capi/json/c3_external_libraries", "list_external_libraries", "3.2"),
    ep(GET, "/s/{workspace}/c3_external_libraries", "list_external_libraries", "3.2"),
    ep(GET, "/s/{workspace}/capi/json/c3_external_libraries/{id}", "get_external_library", "3.2"),
    ep(GET, "/s/{workspace}/c3_external_libraries/{id}", "get_external_library", "3.2"),
    ep(GET, "/s/{workspace}/capi/json/c3_library_categories", "list_library_categories", "3.2"),
    ep(GET, "/s/{workspace}/c3_library_categories", "list_library_categories", "3.2"),
    ep(GET, "/s/{workspace}/capi/json/c3_library_categories/{id}", "get_library_category", "3.2"),
    ep(GET, "/s/{workspace}/c3_library_categories/{id}", "get_library_category", "3.2"),
    ep(GET, "/s/{workspace}/capi/json/c3_library_questions", "list_library_questions", "3.2"),
    ep(GET, "/s/{workspace}/c3_library_questions", "list_library_questions", "3.2"),
    ep(GET, "/s/{workspace}/capi/json/c3_library_questions/{id}", "get_library_question", "3.2"),
    ep(GET, "/s/{workspace}/c3_library_questions/{id}", "get_library_question", "3.2"),
    ep(GET, "/s/{workspace}/capi/json/c3_library_attachments/{id}", "get_library_attachment", "3.2"),
    ep(GET, "/s/{workspace}/c3_library_attachments/{id}", "get_library_attachment", "3.2"),
    ep(POST, "/s/{workspace}/capi/json/c3_trigger_exports", "trigger_export", "3.2"),
    ep(POST, "/s/{workspace}/c3_trigger_exports", "trigger_export", "3.2"),
    ep(GET, "/s/{workspace}/capi/json/c3_trigger_exports/{id}", "get_export", "3.2"),
    ep(GET, "/s/{workspace}/c3_trigger_exports/{id}", "get_export", "3.2"),
    ep(POST, "/s/{workspace}/capi/json/c3_contact_cards", "create_contact_card", "3.2"),
    ep(POST, "/s/{workspace}/c3_contact_cards", "create_contact_card", "3.2"),
    ep(GET, "/s/{workspace}/capi/custom/logio", "get_logio", "3.2"),
    ep(GET, "/s/{workspace}/custom/logio", "get_logio", "3.2"),
    // 3.3 Agent API (CENTION1-HMAC-SHA256)
    ep(POST, "/s/{workspace}/v1/agent", "create_agent", "3.3"),
    ep(GET, "/s/{workspace}/v1/agent", "list_agents", "3.3"),
    ep(PUT, "/s/{workspace}/v1/agent/{id}", "update_agent", "3.3"),
    ep(DELETE, "/s/{workspace}/v1/agent/{id}", "delete_agent", "3.3"),
    ep(POST, "/s/{workspace}/v1/agent/{id}/access-key", "create_access_key", "3.3"),
    ep(DELETE, "/s/{workspace}/v1/agent/{id}/access-key/{access_key_id}", "revoke_access_key", "3.3"),
    ep(POST, "/s/{workspace}/v1/agent-group", "create_agent_group", "3.3"),
    ep(PUT, "/s/{workspace}/v1/agent-group/{id}", "update_agent_group", "3.3"),
    ep(DELETE, "/s/{workspace}/v1/agent-group/{id}", "delete_agent_group", "3.3"),
    ep(POST, "/s/{workspace}/v1/agent-group/{id}/add-agent", "add_agents_to_group", "3.3"),
    ep(POST, "/s/{workspace}/v1/agent-group/{id}/remove-agent", "remove_agents_from_group", "3.3"),
    ep(GET, "/s/{workspace}/v1/agent-status", "list_agent_statuses", "3.3"),
    ep(PUT, "/s/{workspace}/v1/agent-status/{id}", "update_agent_status", "3.3"),
    ep(POST, "/s/{workspace}/v1/agent-status/{id}/set-status", "set_agent_status", "3.3"),
    ep(POST, "/s/{workspace}/v1/area", "create_area", "3.3"),
    ep(GET, "/s/{workspace}/v1/area", "list_areas", "3.3"),
    ep(PUT, "/s/{workspace}/v1/area/{id}", "update_area", "3.3"),
    ep(DELETE, "/s/{workspace}/v1/area/{id}", "delete_area", "3.3"),
    ep(POST, "/s/{workspace}/v1/org", "create_org", "3.3"),
    ep(PUT, "/s/{workspace}/v1/org/{id}", "update_org", "3.3"),
    ep(DELETE, "/s/{workspace}/v1/org/{id}", "delete_org", "3.3"),
    ep(POST, "/s/{workspace}/v1/routing/keywords", "create_keyword_routing", "3.3"),
    ep(POST, "/s/{workspace}/v1/routing/autotags", "create_autotag_routing", "3.3"),
    ep(POST, "/s/{workspace}/v1/routing/sip", "create_sip_routing", "3.3"),
    ep(POST, "/s/{workspace}/v1/tag", "create_tag", "3.3"),
    ep(GET, "/s/{workspace}/v1/tag", "list_tags", "3.3"),
    ep(PUT, "/s/{workspace}/v1/tag/{id}", "update_tag", "3.3"),
    ep(DELETE, "/s/{workspace}/v1/tag/{id}", "delete_tag", "3.3"),
    // 3.4 Bot API (Bearer bot JWT; short /bot/* forms alias /api/bot/*)
    ep(POST, "/s/{workspace}/api/bot/register", "register_bot", "3.4"),
    ep(POST, "/s/{workspace}/api/bot/deregister", "deregister_bot", "3.4"),
    ep(POST, "/s/{workspace}/api/bot/message", "send_bot_message", "3.4"),
    ep(POST, "/s/{workspace}/api/bot/close", "close_bot_chat", "3.4"),
    ep(POST, "/s/{workspace}/api/bot/comment", "add_bot_comment", "3.4"),
    ep(POST, "/s/{workspace}/api/bot/watemplate", "send_bot_whatsapp_template", "3.4"),
    ep(POST, "/s/{workspace}/bot.api/{command}", "run_bot_command", "3.4"),
    ep(POST, "/s/{workspace}/bot/register", "register_bot", "3.4"),
    ep(POST, "/s/{workspace}/bot/message", "send_bot_message", "3.4"),
    ep(POST, "/s/{workspace}/bot/transfer", "transfer_bot_chat", "3.4"),
    ep(POST, "/s/{workspace}/bot/close", "close_bot_chat", "3.4"),
    // 3.5 Chat (customer side; no auth)
    ep(GET, "/s/{workspace}/external/{chat_url_name}/chat/-/status", "get_chat_status", "3.5"),
    ep(GET, "/s/{workspace}/socket/external.api/savehistory", "save_chat_history", "3.5"),
    ep(GET, "/s/{workspace}/socket/external.api/printhistory", "print_chat_history", "3.5"),
    ep(GET, "/s/{workspace}/socket/external.api/canchat", "can_chat", "3.5"),
    ep(GET, "/s/{workspace}/socket/external.api/status", "get_chat_service_status", "3.5"),
    ep(GET, "/s/{workspace}/socket/external.api/agentlist", "list_chat_agents", "3.5"),
    ep(GET, "/s/{workspace}/socket/external.api/isChatOpen", "is_chat_open", "3.5"),
    ep(GET, "/s/{workspace}/socket/external.api/chattemplate", "get_chat_template", "3.5"),
    ep(GET, "/s/{workspace}/socket/external.api/canresume", "can_resume_chat", "3.5"),
    ep(POST, "/s/{workspace}/socket/external.api/createerrand", "create_errand_from_chat", "3.5"),
    ep(POST, "/s/{workspace}/socket/external.api/chatrating", "rate_chat", "3.5"),
    ep(POST, "/s/{workspace}/socket/external.api/agentchatrating", "rate_chat_agent", "3.5"),
    ep(POST, "/s/{workspace}/socket/external.api/activeagent", "count_active_agents", "3.5"),
    ep(GET, "/s/{workspace}/cention/chat/chatWidgetConfigWidgetId", "get_chat_widget_config", "3.5"),
    ep(POST, "/s/{workspace}/Cention/web/chat/client/uploadAttachment", "upload_chat_attachment", "3.5"),
    ep(GET, "/s/{workspace}/cention/chat/js/widget.js", "get_chat_widget_script", "3.5"),
    ep(GET, "/s/{workspace}/cention/chat/js/jquery.min.js", "get_jquery_script", "3.5"),
    ep(GET, "/s/{workspace}/faq/widget/config", "get_faq_widget_config", "3.5"),
    ep(GET, "/s/{workspace}/cention/chat/faqWidgetConfig", "get_faq_widget_config_by_area", "3.5"),
    ep(GET, "/s/{workspace}/cention/chat/faqWidgetConfigWidgetId", "get_faq_widget_config_by_widget", "3.5"),
    ep(GET, "/s/{workspace}/external.ws", "chat_websocket", "3.5"),
];

/// The not-implemented answer of one endpoint.
fn not_implemented(endpoint: &Endpoint) -> impl Answer {
    answer(CentionError::NotImplemented(endpoint.operation))
}

/// The answer for an unknown path under a base, or a method not routed on a known path.
fn not_found(_path: &str) -> impl Answer {
    answer(CentionError::NotFound)
}

/// A handler that answers a fixed error whatever the request (it reads no part of it).
trait Answer: Fn() -> Ready<Response> + Clone + Send + Sync + 'static {}
impl<F: Fn() -> Ready<Response> + Clone + Send + Sync + 'static> Answer for F {}

fn answer(error: CentionError) -> impl Answer {
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
    use crate::error::JSON_API;

    async fn send(method: Method, uri: &str, body: &'static [u8]) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/vnd.api+json")
            .header(header::AUTHORIZATION, "Bearer opaque-token")
            .body(Body::from(body))
            .unwrap();
        let response = crate::router::<()>().oneshot(request).await.unwrap();
        let status = response.status();
        assert_eq!(response.headers()[header::CONTENT_TYPE], JSON_API, "{uri}");
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    fn errors(status: &str, title: &str, detail: &str) -> Value {
        json!({"errors": [{"status": status, "title": title, "detail": detail}]})
    }

    fn not_implemented(operation: &str) -> Value {
        let detail = format!("{operation} is not emulated by ccemu yet");
        errors("501", "Not Implemented", &detail)
    }

    #[tokio::test]
    async fn one_endpoint_per_group_answers_501_as_a_json_api_error() {
        let cases = [
            (POST, "/s/demo/capi/json/c3_new_errands", "create_errand"),
            (
                GET,
                "/s/demo/ng/api/json/c3_area_archives/12",
                "get_area_archive",
            ),
            (
                GET,
                "/s/demo/c3_library_questions/3",
                "get_library_question",
            ),
            (
                GET,
                "/s/demo/custom/logio?name=admin&format=json",
                "get_logio",
            ),
            (
                DELETE,
                "/s/demo/v1/agent/1/access-key/xyz",
                "revoke_access_key",
            ),
            (POST, "/s/demo/bot/transfer", "transfer_bot_chat"),
            (
                GET,
                "/s/demo/external/support/chat/-/status?callback=cb",
                "get_chat_status",
            ),
            (
                POST,
                "/s/demo/Cention/web/chat/client/uploadAttachment",
                "upload_chat_attachment",
            ),
            (GET, "/s/demo/external.ws?token=abc", "chat_websocket"),
        ];
        for (method, uri, operation) in cases {
            let (status, body) = send(method.clone(), uri, br#"{"data":{"type":"x"}}"#).await;
            assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{method} {uri}");
            assert_eq!(body, not_implemented(operation), "{method} {uri}");
        }
    }

    #[tokio::test]
    async fn unknown_path_or_method_under_base_answers_404_as_a_json_api_error() {
        for (method, uri) in [
            (GET, "/s/demo/nope"),
            (GET, "/s/demo"),
            (GET, "/s/"),
            (GET, "/s"),
            (GET, "/s/demo/docs/websocket-chat"),
            (DELETE, "/s/demo/capi/json/c3_new_errands"),
        ] {
            let (status, body) = send(method.clone(), uri, b"").await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}");
            let expected = errors("404", "Not Found", "The requested resource does not exist");
            assert_eq!(body, expected, "{method} {uri}");
        }
    }

    #[test]
    fn route_table_has_104_endpoints_grouped_like_the_note() {
        let count = |section: &str| ENDPOINTS.iter().filter(|e| e.section == section).count();
        let by_section: Vec<_> = ["3.1", "3.2", "3.3", "3.4", "3.5"]
            .into_iter()
            .map(|s| (s, count(s)))
            .collect();
        assert_eq!(
            by_section,
            [
                ("3.1", 18),
                ("3.2", 26),
                ("3.3", 28),
                ("3.4", 11),
                ("3.5", 21)
            ]
        );
        assert_eq!(ENDPOINTS.len(), 104);
    }

    #[tokio::test]
    async fn every_endpoint_answers_501_naming_its_operation_whatever_the_body() {
        for endpoint in ENDPOINTS {
            let mut uri = endpoint.path.to_owned();
            while let (Some(open), Some(close)) = (uri.find('{'), uri.find('}')) {
                uri.replace_range(open..=close, "1");
            }
            let (status, body) = send(endpoint.method.clone(), &uri, b"\xff{not json").await;
            assert_eq!(
                status,
                StatusCode::NOT_IMPLEMENTED,
                "{} {uri}",
                endpoint.method
            );
            assert_eq!(
                body,
                not_implemented(endpoint.operation),
                "{} {uri}",
                endpoint.method
            );
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
