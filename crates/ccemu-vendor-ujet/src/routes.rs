//! Every UJET route in one list, grouped like `vendor-notes/ujet.md` §3 (Apps API) and §4
//! (Manager API), and the router built from it.
//!
//! Each row names the UJET operation; [`emulated`] maps the operations ccemu emulates to their
//! handlers, and every other row answers [`UjetError::NotImplemented`] to a request that passed
//! UJET's Basic auth. The router is built from the list, so the list is also what
//! `docs/coverage.md` and the tests check against. Not routed on purpose (it answers 404 like
//! any unknown path): the second "Wait Times" item, whose path is unknown (§3.2). The seven
//! Export/Import Queue Settings items (§3.6) have no known paths either; they are served at
//! [inferred] Rails-style paths under `/queue_settings`.

use std::collections::BTreeMap;
use std::future::{ready, Ready};

use axum::extract::FromRef;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, on, MethodFilter, MethodRouter};
use axum::Router;
use ccemu_engine::Engine;

use crate::auth::Authed;
use crate::error::{Api, UjetError};
use crate::{
    agents, bulk, calls, campaigns, chats, contact_lists, dnc, dto, end_users, manager, menus,
    queue_settings, BASES,
};

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
    // 3.6 Do-Not-Call, queue settings [inferred paths], contact lists
    ep(POST, "/apps/api/v1/outbound_dialer/dnc", "add_dnc_numbers", "3.6"),
    ep(POST, "/apps/api/v1/outbound_dialer/dnc/remove", "remove_dnc_numbers", "3.6"),
    ep(GET, "/apps/api/v1/outbound_dialer/dnc/check", "check_dnc_number", "3.6"),
    ep(GET, "/apps/api/v1/queue_settings/version_histories/{id}/download", "download_version_history", "3.6"),
    ep(GET, "/apps/api/v1/queue_settings/export", "export_queue_settings", "3.6"),
    ep(GET, "/apps/api/v1/queue_settings/version_histories", "list_version_histories", "3.6"),
    ep(GET, "/apps/api/v1/queue_settings/version_histories/{id}", "get_version_history", "3.6"),
    ep(POST, "/apps/api/v1/queue_settings/import", "import_queue_settings", "3.6"),
    ep(POST, "/apps/api/v1/queue_settings/version_histories", "create_auto_saved_version", "3.6"),
    ep(POST, "/apps/api/v1/queue_settings/version_histories/restore", "restore_version_history", "3.6"),
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

impl Endpoint {
    /// Whether ccemu emulates the operation (else it answers 501).
    pub fn is_emulated(&self) -> bool {
        emulated::<Engine>(self).is_some()
    }
}

/// The handler of an emulated endpoint; `None` for those that answer 501.
fn emulated<S>(endpoint: &Endpoint) -> Option<MethodRouter<S>>
where
    Engine: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    let filter = MethodFilter::try_from(endpoint.method.clone())
        .expect("the endpoint table only uses standard methods");
    let route = match endpoint.operation {
        "get_organization_settings" => on(filter, manager::get_organization_settings),
        "list_user_statuses" => on(filter, manager::list_user_statuses),
        "create_call" => on(filter, calls::create_call),
        "update_call_end_user" => on(filter, calls::update_call_end_user),
        "get_call_customer_flag" => on(filter, calls::get_call_customer_flag),
        "update_call_customer_flag" => on(filter, calls::update_call_customer_flag),
        "set_call_custom_data" => on(filter, calls::set_call_custom_data),
        "upsert_end_user" => on(filter, end_users::upsert_end_user),
        "get_end_user" => on(filter, end_users::get_end_user),
        "list_calls" => on(filter, calls::list_calls),
        "get_call" => on(filter, calls::get_call),
        "create_chat" => on(filter, chats::create_chat),
        "get_chat" if endpoint.path.starts_with("/apps") => on(filter, chats::get_chat),
        "get_chat" => on(filter, chats::get_manager_chat),
        "send_chat_message" => on(filter, chats::send_chat_message),
        "update_chat" => on(filter, chats::update_chat),
        "escalate_chat" => on(filter, chats::escalate_chat),
        "update_chat_escalation" => on(filter, chats::update_chat_escalation),
        "resume_chat" => on(filter, chats::resume_chat),
        "create_sms" => on(filter, chats::create_sms),
        "list_chats" => on(filter, chats::list_chats),
        "update_chat_end_user" => on(filter, chats::update_chat_end_user),
        "get_chat_customer_flag" => on(filter, chats::get_chat_customer_flag),
        "update_chat_customer_flag" => on(filter, chats::update_chat_customer_flag),
        "set_chat_custom_data" => on(filter, chats::set_chat_custom_data),
        "add_chat_photos" => on(filter, chats::add_chat_photos),
        "list_chat_photos" => on(filter, chats::list_chat_photos),
        "get_chat_photo_upload_url" => on(filter, chats::get_chat_photo_upload_url),
        "add_chat_video" => on(filter, chats::add_chat_video),
        "list_chat_videos" => on(filter, chats::list_chat_videos),
        "get_chat_video_upload_url" => on(filter, chats::get_chat_video_upload_url),
        "get_chat_media" => on(filter, chats::get_chat_media),
        // --- ujet-agents ---
        "list_agents" => on(filter, agents::list_agents),
        "get_agent" => on(filter, agents::get_agent),
        "list_agent_activity_logs" => on(filter, agents::list_agent_activity_logs),
        "list_teams" => on(filter, agents::list_teams),
        "get_team" => on(filter, agents::get_team),
        "get_team_tree" => on(filter, agents::get_team_tree),
        "list_users" => on(filter, agents::list_users),
        "update_agent_statuses" => on(filter, agents::update_agent_statuses),
        "force_logout_agents" => on(filter, agents::force_logout_agents),
        "get_force_logout_job" => on(filter, agents::get_force_logout_job),
        "list_menus" => on(filter, menus::list_menus),
        "get_menu" => on(filter, menus::get_menu),
        "get_menu_tree" => on(filter, menus::get_menu_tree),
        "get_menus_current_status" => on(filter, menus::get_menus_current_status),
        "get_menus_sla" => on(filter, menus::get_menus_sla),
        "get_menus_sla_by_queue_group" => on(filter, menus::get_menus_sla_by_queue_group),
        "get_menus_operation_hours" => on(filter, menus::get_menus_operation_hours),
        "get_wait_times" => on(filter, menus::get_wait_times),
        "get_queue_status" => on(filter, menus::get_queue_status),
        "get_queue_operation_status" => on(filter, menus::get_queue_operation_status),
        // --- ujet-dialer ---
        "add_dnc_numbers" => on(filter, dnc::add_dnc_numbers),
        "create_contact_list" => on(filter, contact_lists::create_contact_list),
        "update_contact_list" => on(filter, contact_lists::update_contact_list),
        "delete_contact_list" => on(filter, contact_lists::delete_contact_list),
        "add_contact_list_entries" => on(filter, contact_lists::add_contact_list_entries),
        "update_contact_list_entry" => on(filter, contact_lists::update_contact_list_entry),
        "delete_contact_list_entry" => on(filter, contact_lists::delete_contact_list_entry),
        "get_bulk_users_template" => on(filter, bulk::get_bulk_users_template),
        "upload_bulk_users" => on(filter, bulk::upload_bulk_users),
        "reupload_bulk_users" => on(filter, bulk::reupload_bulk_users),
        "proceed_bulk_users_job" => on(filter, bulk::proceed_bulk_users_job),
        "get_bulk_users_job" => on(filter, bulk::get_bulk_users_job),
        "list_bulk_users_jobs" => on(filter, bulk::list_bulk_users_jobs),
        "get_bulk_users_scheme_errors" => on(filter, bulk::get_bulk_users_scheme_errors),
        "get_bulk_users_errors" => on(filter, bulk::get_bulk_users_errors),
        "add_campaign_contact" => on(filter, campaigns::add_campaign_contact),
        "list_campaign_contacts" => on(filter, campaigns::list_campaign_contacts),
        "import_campaign_contacts" => on(filter, campaigns::import_campaign_contacts),
        "get_campaign_contacts_job" => on(filter, campaigns::get_campaign_contacts_job),
        "update_campaign_contact" => on(filter, campaigns::update_campaign_contact),
        "remove_campaign_contact" => on(filter, campaigns::remove_campaign_contact),
        "list_dialer_campaigns" | "list_campaigns" => on(filter, campaigns::list_campaigns),
        "get_dialer_campaign" | "get_campaign" => on(filter, campaigns::get_campaign),
        "remove_dnc_numbers" => on(filter, dnc::remove_dnc_numbers),
        "check_dnc_number" => on(filter, dnc::check_dnc_number),
        "export_queue_settings" => on(filter, queue_settings::export_queue_settings),
        "list_version_histories" => on(filter, queue_settings::list_version_histories),
        "get_version_history" => on(filter, queue_settings::get_version_history),
        "download_version_history" => on(filter, queue_settings::download_version_history),
        "import_queue_settings" => on(filter, queue_settings::import_queue_settings),
        "create_auto_saved_version" => on(filter, queue_settings::create_auto_saved_version),
        "restore_version_history" => on(filter, queue_settings::restore_version_history),
        _ => return None,
    };
    Some(route)
}

/// The not-implemented answer of one endpoint, to a request that passed UJET's auth.
fn not_implemented<S>(endpoint: &Endpoint) -> MethodRouter<S>
where
    Engine: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    let (operation, api) = (endpoint.operation, Api::for_path(endpoint.path));
    let filter = MethodFilter::try_from(endpoint.method.clone())
        .expect("the endpoint table only uses standard methods");
    on(filter, move |auth: Authed| async move {
        dto::fail(&auth, UjetError::NotImplemented(api, operation))
    })
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

pub(crate) fn router<S>() -> Router<S>
where
    Engine: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    // A nested router's fallback does not see `{base}/` in axum 0.8, hence the explicit route.
    BASES.iter().fold(Router::new(), |router, &base| {
        router
            .nest(base, nested(base))
            .route(&format!("{base}/"), any(not_found(base)))
    })
}

/// The routes under one base, with the vendor's not-found as fallback for paths and methods.
fn nested<S>(base: &'static str) -> Router<S>
where
    Engine: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
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
        let route = emulated(endpoint).unwrap_or_else(|| not_implemented(endpoint));
        by_path.insert(relative, methods.merge(route));
    }
    by_path
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods)
        })
        .fallback(not_found(base))
}

#[cfg(test)]
pub(crate) mod tests {
    use axum::body::{to_bytes, Body};
    use axum::http::{header, HeaderMap, Request, StatusCode};
    use base64::Engine as _;
    use ccemu_core::tenant::UjetCredentials;
    use ccemu_core::TenantId;
    use ccemu_engine::{credentials, EngineConfig, JobConfig};
    use ccemu_store::testing::TestDb;
    use ccemu_store::Store;
    use serde_json::{json, Value};
    use tower::ServiceExt;

    use super::*;

    /// An engine with the demo tenant on the backend under test, and that tenant's credentials.
    pub(crate) struct Ctx {
        pub engine: Engine,
        pub ujet: UjetCredentials,
        /// The fixture's own handle on the test database, for records no operation writes.
        store: Store,
        _db: TestDb,
    }

    pub(crate) async fn ctx() -> Ctx {
        ctx_with(JobConfig::default()).await
    }

    /// [`ctx`] with jobs carried out as `jobs` says.
    pub(crate) async fn ctx_with(jobs: JobConfig) -> Ctx {
        let db = TestDb::new().await;
        let store = Store::connect(&db.url).await.expect("store");
        let engine = start(&store, jobs).await;
        let ujet = engine.tenant(&demo()).unwrap().credentials.ujet;
        Ctx {
            engine,
            ujet,
            store,
            _db: db,
        }
    }

    async fn start(store: &Store, jobs: JobConfig) -> Engine {
        let config = EngineConfig {
            demo_credentials: Some(credentials::generate("demo")),
            jobs,
            ..EngineConfig::default()
        };
        Engine::start(store.clone(), config).await.expect("engine")
    }

    impl Ctx {
        /// Stops the engine (its tasks finish what they apply and write nothing after) and starts
        /// another on the same database, as a restart of the server would.
        pub(crate) async fn restart(&mut self, jobs: JobConfig) {
            self.engine.shutdown().await;
            self.engine = start(&self.store, jobs).await;
        }
    }

    /// A reply: status, headers and JSON body.
    pub(crate) struct Reply {
        pub status: StatusCode,
        pub headers: HeaderMap,
        pub body: Value,
    }

    /// `Authorization: Basic` of a user and password.
    pub(crate) fn basic(user: &str, password: &str) -> String {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        format!("Basic {encoded}")
    }

    impl Ctx {
        /// Sends a request with the demo tenant's API token.
        pub async fn send(&self, method: Method, uri: &str, body: impl AsRef<[u8]>) -> Reply {
            let auth = basic(&self.ujet.subdomain, &self.ujet.api_token);
            self.send_as(Some(&auth), method, uri, body).await
        }

        /// Sends a `multipart/form-data` body of text parts with the demo tenant's API token.
        pub async fn send_multipart(
            &self,
            method: Method,
            uri: &str,
            parts: &[(&str, &str)],
        ) -> Reply {
            let auth = basic(&self.ujet.subdomain, &self.ujet.api_token);
            let mut body = String::new();
            for (name, value) in parts {
                body.push_str(&format!(
                    "--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.json\"\r\nContent-Type: application/json\r\n\r\n{value}\r\n"
                ));
            }
            body.push_str("--XBOUNDARYX--\r\n");
            self.send_with(
                Some(&auth),
                "multipart/form-data; boundary=XBOUNDARYX",
                method,
                uri,
                body,
            )
            .await
        }

        /// Sends a request with the given `Authorization` header (or none).
        pub async fn send_as(
            &self,
            authorization: Option<&str>,
            method: Method,
            uri: &str,
            body: impl AsRef<[u8]>,
        ) -> Reply {
            self.send_with(
                authorization,
                "application/json; charset=utf-8",
                method,
                uri,
                body,
            )
            .await
        }

        /// Sends a request with the given `Authorization` header and `Content-Type`.
        pub async fn send_with(
            &self,
            authorization: Option<&str>,
            content_type: &str,
            method: Method,
            uri: &str,
            body: impl AsRef<[u8]>,
        ) -> Reply {
            let mut request = Request::builder()
                .method(method)
                .uri(uri)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::ACCEPT, "application/vnd.json");
            if let Some(value) = authorization {
                request = request.header(header::AUTHORIZATION, value);
            }
            let mut request = request.body(Body::from(body.as_ref().to_vec())).unwrap();
            request
                .extensions_mut()
                .insert(ccemu_core::origin::RequestOrigin {
                    scheme: "https".into(),
                    authority: "127.0.0.1:8443".into(),
                    prefix: "/ujet.acme.co".into(),
                });
            let response = crate::router::<Engine>()
                .with_state(self.engine.clone())
                .oneshot(request)
                .await
                .unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{uri}");
            let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
            Reply {
                status,
                headers,
                body: serde_json::from_slice(&bytes).unwrap(),
            }
        }
    }

    /// The demo tenant's id.
    pub(crate) fn demo() -> TenantId {
        TenantId::parse("demo").unwrap()
    }

    impl Ctx {
        /// Moves one of the demo tenant's agents to a state through the engine.
        pub async fn set_state(&self, agent: &str, state: ccemu_core::AgentState) {
            let op = ccemu_engine::Op::SetAgentState {
                agent_id: agent.into(),
                state,
            };
            self.engine.execute(&demo(), op).await.unwrap();
        }
    }

    pub(crate) fn apps(message: &str) -> Value {
        json!({"message": message})
    }

    pub(crate) fn manager(error: &str, message: &str, status: u16) -> Value {
        json!({"error": error, "message": message, "status": status})
    }

    fn concrete(path: &str) -> String {
        let mut uri = path.to_owned();
        while let (Some(open), Some(close)) = (uri.find('{'), uri.find('}')) {
            uri.replace_range(open..=close, "1");
        }
        uri
    }

    #[tokio::test]
    async fn every_endpoint_refuses_missing_and_wrong_credentials_with_401() {
        let c = ctx().await;
        let u = &c.ujet;
        let wrong = [
            None,
            Some(basic(&u.subdomain, "wrong")),
            Some(basic(&u.subdomain, &u.company_secret)),
            Some(basic(&u.company_key, &u.api_token)),
            Some(basic("nobody", &u.api_token)),
            Some("Bearer abc".to_owned()),
            Some("Basic !!!".to_owned()),
        ];
        for endpoint in ENDPOINTS {
            let uri = concrete(endpoint.path);
            for auth in &wrong {
                let r = c
                    .send_as(auth.as_deref(), endpoint.method.clone(), &uri, b"{}")
                    .await;
                assert_eq!(
                    r.status,
                    StatusCode::UNAUTHORIZED,
                    "{} {uri} {auth:?}",
                    endpoint.method
                );
                assert_eq!(r.headers[header::WWW_AUTHENTICATE], r#"Basic realm="ujet""#);
                assert_eq!(
                    r.body,
                    manager("Unauthorized", "Invalid credentials", 401),
                    "{} {uri}",
                    endpoint.method
                );
            }
        }
    }

    #[tokio::test]
    async fn both_credential_pairs_are_accepted_and_another_tenants_is_not() {
        let c = ctx().await;
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let u = &c.ujet;
        for auth in [
            basic(&u.subdomain, &u.api_token),
            basic(&u.company_key, &u.company_secret),
        ] {
            let r = c
                .send_as(
                    Some(&auth),
                    Method::GET,
                    "/manager/api/v1/settings/organization",
                    b"",
                )
                .await;
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.body["subdomain"], json!(u.subdomain));
        }
        // The other tenant's own pair names the other tenant; mixing pairs never passes.
        let r = c
            .send_as(
                Some(&basic(&o.subdomain, &o.api_token)),
                Method::GET,
                "/manager/api/v1/settings/organization",
                b"",
            )
            .await;
        assert_eq!(r.body["subdomain"], json!(o.subdomain));
        for auth in [
            basic(&u.subdomain, &o.api_token),
            basic(&o.company_key, &u.company_secret),
        ] {
            let r = c
                .send_as(
                    Some(&auth),
                    Method::GET,
                    "/manager/api/v1/settings/organization",
                    b"",
                )
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
    }

    #[tokio::test]
    async fn every_endpoint_not_emulated_answers_501_naming_its_operation_whatever_the_body() {
        let c = ctx().await;
        for endpoint in ENDPOINTS.iter().filter(|e| !e.is_emulated()) {
            let uri = concrete(endpoint.path);
            let r = c
                .send(endpoint.method.clone(), &uri, b"\xff{not json")
                .await;
            assert_eq!(
                r.status,
                StatusCode::NOT_IMPLEMENTED,
                "{} {uri}",
                endpoint.method
            );
            let message = format!("{} is not emulated by ccemu yet", endpoint.operation);
            let expected = match Api::for_path(endpoint.path) {
                Api::Apps => apps(&message),
                Api::Manager => manager("Not Implemented", &message, 501),
            };
            assert_eq!(r.body, expected, "{} {uri}", endpoint.method);
        }
    }

    #[tokio::test]
    async fn user_statuses_are_the_docs_fixture_with_total_and_paging() {
        let c = ctx().await;
        let r = c
            .send(
                Method::GET,
                "/manager/api/v1/user_statuses?page=1&per=100",
                b"",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["total"], "11");
        assert!(r.headers.get("link").is_none());
        assert_eq!(
            r.body[0],
            json!({"id": 0, "name": "Available", "color": "green", "wfm_id": 11})
        );
        assert_eq!(
            r.body[10],
            json!({"id": 5, "name": "Meal", "color": "green", "wfm_id": 45})
        );
        let r = c
            .send(
                Method::GET,
                "/manager/api/v1/user_statuses?per=4&page=2&sort_column=wfm_id&sort_direction=DESC",
                b"",
            )
            .await;
        let ids: Vec<i64> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [-6, -5, -4, -3]);
        assert_eq!(
            r.headers["link"],
            "<https://127.0.0.1:8443/ujet.acme.co/manager/api/v1/user_statuses?per=4&page=3&sort_column=wfm_id&sort_direction=DESC>; rel=\"next\""
        );
        for (query, message) in [
            ("per=0", "per must be a positive integer"),
            ("per=1001", "per must be at most 1000"),
            ("page=x", "page must be a positive integer"),
            ("sort_column=nope", "Invalid sort_column: nope"),
            (
                "sort_column=id&sort_direction=up",
                "Invalid sort_direction: up",
            ),
        ] {
            let r = c
                .send(
                    Method::GET,
                    &format!("/manager/api/v1/user_statuses?{query}"),
                    b"",
                )
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(r.body, manager("Bad Request", message, 400), "{query}");
        }
    }

    #[tokio::test]
    async fn unknown_path_or_method_under_each_base_answers_404() {
        let c = ctx().await;
        for (method, uri) in [
            (GET, "/apps/api/v1/nope"),
            (GET, "/apps/api/v1/"),
            (GET, "/apps/api/v1"),
            (DELETE, "/apps/api/v1/calls"),
            (GET, "/apps/api/v1/queue_settings/nope"),
        ] {
            let r = c.send(method.clone(), uri, b"").await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {uri}");
            assert_eq!(r.body, apps("Not Found"), "{method} {uri}");
        }
        for (method, uri) in [
            (GET, "/manager/api/v1/nope"),
            (GET, "/manager/api/v1/"),
            (POST, "/manager/api/v1/agents"),
        ] {
            let r = c.send(method.clone(), uri, b"").await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {uri}");
            assert_eq!(
                r.body,
                manager("Not Found", "Resource not found", 404),
                "{method} {uri}"
            );
        }
    }

    #[test]
    fn route_table_has_100_endpoints_grouped_like_the_note() {
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
                ("3.6", 16),
                ("4", 34)
            ]
        );
        assert_eq!(ENDPOINTS.len(), 100);
    }

    #[test]
    fn coverage_md_lists_every_endpoint() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/coverage.md");
        let coverage = std::fs::read_to_string(path).unwrap();
        let routes: Vec<_> = ENDPOINTS
            .iter()
            .map(|e| ccemu_core::coverage::Route {
                method: e.method.to_string(),
                path: e.path,
                operation: e.operation,
                section: e.section,
                emulated: e.is_emulated(),
            })
            .collect();
        let head = "| [UJET](#ujet) | `/apps/api/v1`, `/manager/api/v1` |";
        if let Err(problem) = ccemu_core::coverage::check(&coverage, head, &routes) {
            panic!("{problem}");
        }
    }

    #[tokio::test]
    async fn leaves_paths_outside_its_bases_to_the_merged_router() {
        let other = Router::new().fallback(|| async { "server fallback" });
        let c = ctx().await;
        let merged: Router<()> = crate::router::<Engine>()
            .merge(other)
            .with_state(c.engine.clone());
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
