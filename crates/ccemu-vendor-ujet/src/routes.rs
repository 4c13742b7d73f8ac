//! Every UJET route in one list, grouped like `vendor-notes/ujet.md` §3 (Apps API) and §4
//! (Manager API), and the router built from it.
//!
//! Each row names the UJET operation; until a row is emulated it answers
//! [`UjetError::NotImplemented`]. The router is built from the list, so the list is also what
//! `docs/coverage.md` and the tests check against. Not routed on purpose (they answer 404 like
//! any unknown path): the second "Wait Times" item and the seven Export/Import Queue Settings
//! items, whose paths are unknown (§3.2, §3.6).

use std::collections::BTreeMap;
use std::future::{ready, Ready};

use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodFilter, MethodRouter};
use axum::Router;

use crate::error::{Api, UjetError};
use crate::BASES;

/// One vendor operation: method, full vendor path (axum syntax), operation name, note section.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Full path including the vendor base, e.g. `/apps/api/v1/calls/{id}/end_user`.
    pub path: &'static str,
    /// Vendor operation name, used in the not-implemented message.
    pub operation: &'static str,
    /// Section of `vendor-notes/ujet.md` that lists the endpoint.
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
const PATCH: Method = Method::PATCH;
const DELETE: Method = Method::DELETE;

/// Every UJET endpoint, aliases included, in the order of the vendor note.
#[rustfmt::skip]
pub static ENDPOINTS: &[Endpoint] = &[
    // 3.1 Calls (Apps API)
    ep(POST, "/apps/api/v1/calls", "create_call", "3.1"),
    ep(POST, "/apps/api/v1/calls/{id}/end_user", "update_call_end_user", "3.1"),
    ep(PATCH, "/apps/api/v1/calls/{id}/customer_flag", "update_call_customer_flag", "3.1"),
    ep(PUT, "/apps/api/v1/calls/{id}/customer_flag", "update_call_customer_flag", "3.1"),
    ep(GET, "/apps/api/v1/calls/{id}/customer_flag", "get_call_customer_flag", "3.1"),
    ep(POST, "/apps/api/v1/calls/{id}/custom_data", "set_call_custom_data", "3.1"),
    // 3.2 SMS, wait times, end users, queue status, users
    ep(POST, "/apps/api/v1/sms", "create_sms", "3.2"),
    ep(GET, "/apps/api/v1/wait_times", "get_wait_times", "3.2"),
    ep(POST, "/apps/api/v1/end_users", "upsert_end_user", "3.2"),
    ep(GET, "/apps/api/v1/end_users", "get_end_user", "3.2"),
    ep(GET, "/apps/api/v1/queues/status", "get_queue_status", "3.2"),
    ep(GET, "/apps/api/v1/queue_operation_statuses", "get_queue_operation_status", "3.2"),
    ep(GET, "/apps/api/v1/users", "list_users", "3.2"),
    // 3.3 Agent status, bulk users
    ep(POST, "/apps/api/v1/agent_statuses", "update_agent_statuses", "3.3"),
    ep(POST, "/apps/api/v1/agent_statuses/force_logout", "force_logout_agents", "3.3"),
    ep(GET, "/apps/api/v1/agent_statuses/force_logout/{id}", "get_force_logout_job", "3.3"),
    ep(GET, "/apps/api/v1/bulk/users/template", "get_bulk_users_template", "3.3"),
    ep(POST, "/apps/api/v1/bulk/users/upload", "upload_bulk_users", "3.3"),
    ep(PUT, "/apps/api/v1/bulk/users/upload", "reupload_bulk_users", "3.3"),
    ep(POST, "/apps/api/v1/bulk/users/proceed", "proceed_bulk_users_job", "3.3"),
    ep(GET, "/apps/api/v1/bulk/users/jobs/{job_id}", "get_bulk_users_job", "3.3"),
    ep(GET, "/apps/api/v1/bulk/users_jobs/{job_id}", "get_bulk_users_job", "3.3"),
    ep(GET, "/apps/api/v1/bulk/users/jobs", "list_bulk_users_jobs", "3.3"),
    ep(GET, "/apps/api/v1/bulk/users/errors/scheme/{job_id}", "get_bulk_users_scheme_errors", "3.3"),
    ep(GET, "/apps/api/v1/bulk/users/errors/{job_id}", "get_bulk_users_errors", "3.3"),
    // 3.4 Campaigns
    ep(POST, "/apps/api/v1/outbound_dialer/campaigns/{campaign_id}/contacts", "add_campaign_contact", "3.4"),
    ep(GET, "/apps/api/v1/outbound_dialer/campaigns/{campaign_id}/contacts", "list_campaign_contacts", "3.4"),
    ep(POST, "/apps/api/v1/outbound_dialer/campaigns/{campaign_id}/contacts/import", "import_campaign_contacts", "3.4"),
    ep(GET, "/apps/api/v1/outbound_dialer/campaigns/{campaign_id}/contacts/jobs/{job_id}", "get_campaign_contacts_job", "3.4"),
    ep(PATCH, "/apps/api/v1/outbound_dialer/campaigns/{campaign_id}/contact", "update_campaign_contact", "3.4"),
    ep(DELETE, "/apps/api/v1/outbound_dialer/campaigns/{campaign_id}/contact", "remove_campaign_contact", "3.4"),
    // 3.5 Chats and media
    ep(PATCH, "/apps/api/v1/chats/{id}", "update_chat", "3.5"),
    ep(POST, "/apps/api/v1/chats/{id}/resume", "resume_chat", "3.5"),
    ep(POST, "/apps/api/v1/chats/{id}/messages", "send_chat_message", "3.5"),
    ep(POST, "/apps/api/v1/chats/{id}/escalations", "escalate_chat", "3.5"),
    ep(PATCH, "/apps/api/v1/chats/{id}/escalations/{escalation_id}", "update_chat_escalation", "3.5"),
    ep(POST, "/apps/api/v1/chats/{id}/photos", "add_chat_photos", "3.5"),
    ep(GET, "/apps/api/v1/chats/{id}/photos", "list_chat_photos", "3.5"),
    ep(GET, "/apps/api/v1/chats/{id}/photos/upload_url", "get_chat_photo_upload_url", "3.5"),
    ep(POST, "/apps/api/v1/chats/{id}/videos", "add_chat_video", "3.5"),
    ep(GET, "/apps/api/v1/chats/{id}/videos", "list_chat_videos", "3.5"),
    ep(GET, "/apps/api/v1/chats/{id}/videos/upload_url", "get_chat_video_upload_url", "3.5"),
    ep(POST, "/apps/api/v1/chats", "create_chat", "3.5"),
    ep(GET, "/apps/api/v1/chats/{id}", "get_chat", "3.5"),
    ep(GET, "/apps/api/v1/chats/{id}/customer_flag", "get_chat_customer_flag", "3.5"),
    ep(PATCH, "/apps/api/v1/chats/{id}/customer_flag", "update_chat_customer_flag", "3.5"),
    ep(PUT, "/apps/api/v1/chats/{id}/customer_flag", "update_chat_customer_flag", "3.5"),
    ep(POST, "/apps/api/v1/chats/{id}/custom_data", "set_chat_custom_data", "3.5"),
    ep(POST, "/apps/api/v1/chats/{id}/end_user", "update_chat_end_user", "3.5"),
    ep(GET, "/apps/api/v1/chats/{id}/media/{media_id}", "get_chat_media", "3.5"),
    // 3.6 Do-Not-Call, contact lists
    ep(POST, "/apps/api/v1/outbound_dialer/dnc", "add_dnc_numbers", "3.6"),
    ep(POST, "/apps/api/v1/outbound_dialer/dnc/remove", "remove_dnc_numbers", "3.6"),
    ep(GET, "/apps/api/v1/outbound_dialer/dnc/check", "check_dnc_number", "3.6"),
    ep(POST, "/apps/api/v1/contact_lists", "create_contact_list", "3.6"),
    ep(PATCH, "/apps/api/v1/contact_lists/{contact_list_id}", "update_contact_list", "3.6"),
    ep(DELETE, "/apps/api/v1/contact_lists/{contact_list_id}", "delete_contact_list", "3.6"),
    ep(POST, "/apps/api/v1/contact_lists/{contact_list_id}/contacts", "add_contact_list_entries", "3.6"),
    ep(PATCH, "/apps/api/v1/contact_lists/{contact_list_id}/contacts/{id}", "update_contact_list_entry", "3.6"),
    ep(DELETE, "/apps/api/v1/contact_lists/{contact_list_id}/contacts/{id}", "delete_contact_list_entry", "3.6"),
    // 4 Manager API (docs write the singular, clients call the plural: both are served)
    ep(GET, "/manager/api/v1/settings/organization", "get_organization_settings", "4"),
    ep(GET, "/manager/api/v1/agents", "list_agents", "4"),
    ep(GET, "/manager/api/v1/agents/{id}", "get_agent", "4"),
    ep(GET, "/manager/api/v1/agent_activity_logs", "list_agent_activity_logs", "4"),
    ep(GET, "/manager/api/v1/calls", "list_calls", "4"),
    ep(GET, "/manager/api/v1/calls/{id}", "get_call", "4"),
    ep(GET, "/manager/api/v1/chats", "list_chats", "4"),
    ep(GET, "/manager/api/v1/chats/{id}", "get_chat", "4"),
    ep(GET, "/manager/api/v1/menus", "list_menus", "4"),
    ep(GET, "/manager/api/v1/menus/tree", "get_menu_tree", "4"),
    ep(GET, "/manager/api/v1/menus/{id}", "get_menu", "4"),
    ep(GET, "/manager/api/v1/menus/current_status", "get_menus_current_status", "4"),
    ep(GET, "/manager/api/v1/menus/sla", "get_menus_sla", "4"),
    ep(GET, "/manager/api/v1/menus/sla_by_queue_group", "get_menus_sla_by_queue_group", "4"),
    ep(GET, "/manager/api/v1/menus/operation_hours", "get_menus_operation_hours", "4"),
    ep(GET, "/manager/api/v1/menu", "list_menus", "4"),
    ep(GET, "/manager/api/v1/menu/tree", "get_menu_tree", "4"),
    ep(GET, "/manager/api/v1/menu/{id}", "get_menu", "4"),
    ep(GET, "/manager/api/v1/menu/current_status", "get_menus_current_status", "4"),
    ep(GET, "/manager/api/v1/menu/sla", "get_menus_sla", "4"),
    ep(GET, "/manager/api/v1/menu/sla_by_queue_group", "get_menus_sla_by_queue_group", "4"),
    ep(GET, "/manager/api/v1/menu/operation_hours", "get_menus_operation_hours", "4"),
    ep(GET, "/manager/api/v1/teams", "list_teams", "4"),
    ep(GET, "/manager/api/v1/teams/tree", "get_team_tree", "4"),
    ep(GET, "/manager/api/v1/teams/{id}", "get_team", "4"),
    ep(GET, "/manager/api/v1/team", "list_teams", "4"),
    ep(GET, "/manager/api/v1/team/tree", "get_team_tree", "4"),
    ep(GET, "/manager/api/v1/user_statuses", "list_user_statuses", "4"),
    ep(GET, "/manager/api/v1/outbound_dialer/campaigns", "list_dialer_campaigns", "4"),
    ep(GET, "/manager/api/v1/outbound_dialer/campaigns/{id}", "get_dialer_campaign", "4"),
    ep(GET, "/manager/api/v1/campaigns", "list_campaigns", "4"),
    ep(GET, "/manager/api/v1/campaigns/{id}", "get_campaign", "4"),
    ep(GET, "/manager/api/v1/emails", "list_emails", "4"),
    ep(GET, "/manager/api/v1/emails/{id}", "get_email", "4"),
];

/// The not-implemented answer of one endpoint.
fn not_implemented(endpoint: &Endpoint) -> impl Answer {
    answer(UjetError::NotImplemented(
        Api::for_path(endpoint.path),
        endpoint.operation,
    ))
}

/// The answer for an unknown path under a base, or a method not routed on a known path.
fn not_found(path: &str) -> impl Answer {
    answer(UjetError::NotFound(Api::for_path(path)))
}

/// A handler that answers a fixed error whatever the request (it reads no part of it).
trait Answer: Fn() -> Ready<Response> + Clone + Send + Sync + 'static {}
impl<F: Fn() -> Ready<Response> + Clone + Send + Sync + 'static> Answer for F {}

fn answer(error: UjetError) -> impl Answer {
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
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header(header::ACCEPT, "application/vnd.json")
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

    fn apps(message: &str) -> Value {
        json!({"message": message})
    }

    fn manager(error: &str, message: &str, status: u16) -> Value {
        json!({"error": error, "message": message, "status": status})
    }

    #[tokio::test]
    async fn one_endpoint_per_group_answers_501_in_its_api_shape() {
        let ni = |op: &str| format!("{op} is not emulated by ccemu yet");
        let cases = [
            (POST, "/apps/api/v1/calls", apps(&ni("create_call"))),
            (GET, "/apps/api/v1/queues/status?menu_id[]=2&lang=en", apps(&ni("get_queue_status"))),
            (GET, "/apps/api/v1/bulk/users_jobs/12345", apps(&ni("get_bulk_users_job"))),
            (
                DELETE,
                "/apps/api/v1/outbound_dialer/campaigns/240/contact",
                apps(&ni("remove_campaign_contact")),
            ),
            (GET, "/apps/api/v1/chats/7/photos/upload_url", apps(&ni("get_chat_photo_upload_url"))),
            (GET, "/apps/api/v1/outbound_dialer/dnc/check", apps(&ni("check_dnc_number"))),
            (
                GET,
                "/manager/api/v1/agents?page=1&per=100&status_updated_at%5Bfrom%5D=2019-01-01T00:00:00Z",
                manager("Not Implemented", &ni("list_agents"), 501),
            ),
            (GET, "/manager/api/v1/menu/tree", manager("Not Implemented", &ni("get_menu_tree"), 501)),
        ];
        for (method, uri, expected) in cases {
            let (status, body) = send(method.clone(), uri, br#"{"contact_id":16312}"#).await;
            assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{method} {uri}");
            assert_eq!(body, expected, "{method} {uri}");
        }
    }

    #[tokio::test]
    async fn unknown_path_or_method_under_each_base_answers_404() {
        for (method, uri) in [
            (GET, "/apps/api/v1/nope"),
            (GET, "/apps/api/v1/"),
            (GET, "/apps/api/v1"),
            (DELETE, "/apps/api/v1/calls"),
            (GET, "/apps/api/v1/queue_settings/export"),
        ] {
            let (status, body) = send(method.clone(), uri, b"").await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}");
            assert_eq!(body, apps("Not Found"), "{method} {uri}");
        }
        for (method, uri) in [
            (GET, "/manager/api/v1/nope"),
            (GET, "/manager/api/v1/"),
            (POST, "/manager/api/v1/agents"),
        ] {
            let (status, body) = send(method.clone(), uri, b"").await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}");
            assert_eq!(
                body,
                manager("Not Found", "Resource not found", 404),
                "{method} {uri}"
            );
        }
    }

    #[test]
    fn route_table_has_93_endpoints_grouped_like_the_note() {
        let count = |section: &str| ENDPOINTS.iter().filter(|e| e.section == section).count();
        let by_section: Vec<_> = ["3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "4"]
            .into_iter()
            .map(|s| (s, count(s)))
            .collect();
        assert_eq!(
            by_section,
            [
                ("3.1", 6),
                ("3.2", 7),
                ("3.3", 12),
                ("3.4", 6),
                ("3.5", 19),
                ("3.6", 9),
                ("4", 34)
            ]
        );
        assert_eq!(ENDPOINTS.len(), 93);
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
            let message = format!("{} is not emulated by ccemu yet", endpoint.operation);
            let expected = match Api::for_path(endpoint.path) {
                Api::Apps => apps(&message),
                Api::Manager => manager("Not Implemented", &message, 501),
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
