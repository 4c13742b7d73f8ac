//! Every Udesk ccapi v2 route in one list, grouped like `vendor-notes/udesk.md` §3 (plus the
//! agent WebSocket of §5.2), and the router built from it.
//!
//! Each row names the Udesk operation; until a row is emulated it answers
//! [`UdeskError::NotImplemented`]. The router is built from the list, so the list is also what
//! `docs/coverage.md` and the tests check against.

use std::collections::BTreeMap;
use std::future::{ready, Ready};

use axum::extract::FromRef;
use axum::http::Method;
use axum::response::Response;
use axum::routing::{any, on, MethodFilter, MethodRouter};
use axum::Router;
use ccemu_engine::Engine;

use crate::auth::Authed;
use crate::error::{Envelope, UdeskError};
use crate::{
    adtasks, agents, apps, calls, extensions, ivr, numbers, queues, reports, socket, subscriptions,
    BASES,
};

/// One vendor operation: method, full vendor path (axum syntax), operation name, note section.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// HTTP method.
    pub method: Method,
    /// Full path including the vendor base, e.g. `/ccapi/v2/agents/{AgentId}`.
    pub path: &'static str,
    /// Vendor operation name, used in the not-implemented message.
    pub operation: &'static str,
    /// Section of `vendor-notes/udesk.md` that lists the endpoint.
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

/// Every Udesk endpoint, aliases included, in the order of the vendor note.
#[rustfmt::skip]
pub static ENDPOINTS: &[Endpoint] = &[
    // 3.1 Application, relay numbers
    ep(POST, "/ccapi/v2/apps", "create_app", "3.1"),
    ep(PUT, "/ccapi/v2/apps", "update_app", "3.1"),
    ep(GET, "/ccapi/v2/apps", "get_app", "3.1"),
    ep(GET, "/ccapi/v2/spnumbers", "list_sp_numbers", "3.1"),
    ep(PUT, "/ccapi/v2/spnumbers/default", "set_default_sp_number", "3.1"),
    ep(PUT, "/ccapi/v2/spnumbers/default/{number}", "set_default_sp_number", "3.1"),
    ep(DELETE, "/ccapi/v2/spnumbers/default", "delete_default_sp_number", "3.1"),
    ep(DELETE, "/ccapi/v2/spnumbers/default/{number}", "delete_default_sp_number", "3.1"),
    ep(PUT, "/ccapi/v2/spnumbers/agent/default/{AgentId}", "set_agent_default_sp_number", "3.1"),
    ep(DELETE, "/ccapi/v2/spnumbers/agent/default/{AgentId}", "delete_agent_default_sp_number", "3.1"),
    // 3.2 Seats (agents), extensions, call mode
    ep(POST, "/ccapi/v2/agents", "create_agents", "3.2"),
    ep(PUT, "/ccapi/v2/agents/{AgentId}", "update_agent", "3.2"),
    ep(DELETE, "/ccapi/v2/agents/{AgentId}", "delete_agent", "3.2"),
    ep(GET, "/ccapi/v2/agents/{AgentId}", "get_agent", "3.2"),
    ep(POST, "/ccapi/v2/agents/{AgentId}", "get_agent", "3.2"),
    ep(GET, "/ccapi/v2/agents", "list_agents", "3.2"),
    ep(POST, "/ccapi/v2/agents/extensions", "bind_agent_extensions", "3.2"),
    ep(DELETE, "/ccapi/v2/agents/extensions", "unbind_agent_extensions", "3.2"),
    ep(POST, "/ccapi/v2/agents/queues", "bind_agent_queues", "3.2"),
    ep(DELETE, "/ccapi/v2/agents/queues", "unbind_agent_queues", "3.2"),
    ep(POST, "/ccapi/v2/agent/login", "login_agent", "3.2"),
    ep(POST, "/ccapi/v2/agent/logout", "logout_agent", "3.2"),
    ep(POST, "/ccapi/v2/agent/set_call_mode", "set_call_mode", "3.2"),
    ep(POST, "/ccapi/v2/extensions", "create_extension", "3.2"),
    ep(DELETE, "/ccapi/v2/extensions", "delete_extension", "3.2"),
    // 3.3 Queues, IVR
    ep(POST, "/ccapi/v2/queues", "create_queue", "3.3"),
    ep(PUT, "/ccapi/v2/queues", "update_queue", "3.3"),
    ep(DELETE, "/ccapi/v2/queues", "delete_queue", "3.3"),
    ep(GET, "/ccapi/v2/queues", "list_queues", "3.3"),
    ep(GET, "/ccapi/v2/queues/{QueueId}", "get_queue", "3.3"),
    ep(POST, "/ccapi/v2/queues/agents", "add_queue_agents", "3.3"),
    ep(PUT, "/ccapi/v2/queues/agents", "add_queue_agents", "3.3"),
    ep(POST, "/ccapi/v2/ivrs/vfiles", "create_voice_file", "3.3"),
    ep(DELETE, "/ccapi/v2/ivrs/vfiles", "delete_voice_file", "3.3"),
    ep(GET, "/ccapi/v2/ivrs/vfiles", "list_voice_files", "3.3"),
    ep(POST, "/ccapi/v2/ivrs/defvoices", "set_default_voices", "3.3"),
    ep(PUT, "/ccapi/v2/ivrs/defvoices", "set_default_voices", "3.3"),
    ep(GET, "/ccapi/v2/ivrs/defvoices", "get_default_voices", "3.3"),
    ep(POST, "/ccapi/v2/ivrs/fastrouters", "set_fast_routers", "3.3"),
    ep(PUT, "/ccapi/v2/ivrs/fastrouters", "set_fast_routers", "3.3"),
    ep(GET, "/ccapi/v2/ivrs/fastrouters", "get_fast_routers", "3.3"),
    // 3.4 Calls, call control, auto-dialer
    ep(POST, "/ccapi/v2/originatev2", "originate_call", "3.4"),
    ep(POST, "/ccapi/v2/agent/hold", "hold_call", "3.4"),
    ep(DELETE, "/ccapi/v2/agent/hold", "resume_call", "3.4"),
    ep(POST, "/ccapi/v2/transfer/agent", "transfer_to_agent", "3.4"),
    ep(POST, "/ccapi/v2/ads/task/start", "start_ad_task", "3.4"),
    ep(POST, "/ccapi/v2/ads/task/update_ratio", "update_ad_task_ratio", "3.4"),
    ep(POST, "/ccapi/v2/ads/task/stop", "stop_ad_task", "3.4"),
    ep(POST, "/ccapi/v2/ads/task/force_stop", "force_stop_ad_task", "3.4"),
    ep(POST, "/ccapi/v2/cc_ad_task/numbers", "fetch_ad_task_numbers", "3.4"),
    ep(POST, "/ccapi/v2/cc_ad_task/stop", "notify_ad_task_stop", "3.4"),
    // 3.5 Event subscription
    ep(POST, "/ccapi/v2/webhooks/events", "add_webhook_events", "3.5"),
    ep(PUT, "/ccapi/v2/webhooks/events", "replace_webhook_events", "3.5"),
    ep(DELETE, "/ccapi/v2/webhooks/events", "delete_webhook_events", "3.5"),
    ep(POST, "/ccapi/v2/subscriptions", "create_subscriptions", "3.5"),
    ep(GET, "/ccapi/v2/subscriptions", "list_subscriptions", "3.5"),
    ep(GET, "/ccapi/v2/subscriptions/{id}", "get_subscription", "3.5"),
    ep(PUT, "/ccapi/v2/subscriptions/{id}", "update_subscription", "3.5"),
    ep(DELETE, "/ccapi/v2/subscriptions/{id}", "delete_subscription", "3.5"),
    // 3.6 Data acquisition
    ep(GET, "/ccapi/v2/calls/logs", "list_call_logs", "3.6"),
    ep(GET, "/ccapi/v2/calls/recfiles", "list_recording_files", "3.6"),
    ep(GET, "/ccapi/v2/agents/statelogs", "list_agent_state_logs", "3.6"),
    // 5.2 Agent WebSocket
    ep(GET, "/ccapi/v2/ws", "agent_websocket", "5.2"),
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
        "start_ad_task" => on(filter, adtasks::start_ad_task),
        "update_ad_task_ratio" => on(filter, adtasks::update_ad_task_ratio),
        "stop_ad_task" => on(filter, adtasks::stop_ad_task),
        "force_stop_ad_task" => on(filter, adtasks::force_stop_ad_task),
        "fetch_ad_task_numbers" => on(filter, adtasks::fetch_ad_task_numbers),
        "notify_ad_task_stop" => on(filter, adtasks::notify_ad_task_stop),
        "create_app" => on(filter, apps::create_app),
        "update_app" => on(filter, apps::update_app),
        "get_app" => on(filter, apps::get_app),
        "list_sp_numbers" => on(filter, numbers::list_sp_numbers),
        "set_default_sp_number" => on(filter, numbers::set_default_sp_number),
        "delete_default_sp_number" => on(filter, numbers::delete_default_sp_number),
        "set_agent_default_sp_number" => on(filter, numbers::set_agent_default_sp_number),
        "delete_agent_default_sp_number" => on(filter, numbers::delete_agent_default_sp_number),
        "create_voice_file" => on(filter, ivr::create_voice_file),
        "delete_voice_file" => on(filter, ivr::delete_voice_file),
        "list_voice_files" => on(filter, ivr::list_voice_files),
        "set_default_voices" => on(filter, ivr::set_default_voices),
        "get_default_voices" => on(filter, ivr::get_default_voices),
        "set_fast_routers" => on(filter, ivr::set_fast_routers),
        "get_fast_routers" => on(filter, ivr::get_fast_routers),
        "create_agents" => on(filter, agents::create_agents),
        "update_agent" => on(filter, agents::update_agent),
        "delete_agent" => on(filter, agents::delete_agent),
        "get_agent" => on(filter, agents::get_agent),
        "list_agents" => on(filter, agents::list_agents),
        "bind_agent_extensions" => on(filter, agents::bind_agent_extensions),
        "unbind_agent_extensions" => on(filter, agents::unbind_agent_extensions),
        "bind_agent_queues" => on(filter, agents::bind_agent_queues),
        "unbind_agent_queues" => on(filter, agents::unbind_agent_queues),
        "create_extension" => on(filter, extensions::create_extension),
        "delete_extension" => on(filter, extensions::delete_extension),
        "create_queue" => on(filter, queues::create_queue),
        "update_queue" => on(filter, queues::update_queue),
        "delete_queue" => on(filter, queues::delete_queue),
        "list_queues" => on(filter, queues::list_queues),
        "get_queue" => on(filter, queues::get_queue),
        "add_queue_agents" => on(filter, queues::add_queue_agents),
        "agent_websocket" => on(filter, socket::agent_websocket),
        "login_agent" => on(filter, calls::login_agent),
        "logout_agent" => on(filter, calls::logout_agent),
        "set_call_mode" => on(filter, calls::set_call_mode),
        "originate_call" => on(filter, calls::originate_call),
        "hold_call" => on(filter, calls::hold_call),
        "resume_call" => on(filter, calls::resume_call),
        "transfer_to_agent" => on(filter, calls::transfer_to_agent),
        "add_webhook_events" => on(filter, subscriptions::add_webhook_events),
        "replace_webhook_events" => on(filter, subscriptions::replace_webhook_events),
        "delete_webhook_events" => on(filter, subscriptions::delete_webhook_events),
        "create_subscriptions" => on(filter, subscriptions::create_subscriptions),
        "list_subscriptions" => on(filter, subscriptions::list_subscriptions),
        "get_subscription" => on(filter, subscriptions::get_subscription),
        "update_subscription" => on(filter, subscriptions::update_subscription),
        "delete_subscription" => on(filter, subscriptions::delete_subscription),
        "list_call_logs" => on(filter, reports::list_call_logs),
        "list_recording_files" => on(filter, reports::list_recording_files),
        "list_agent_state_logs" => on(filter, reports::list_agent_state_logs),
        _ => return None,
    };
    Some(route)
}

/// The not-implemented answer of one endpoint, to a request that passed Udesk's auth (as
/// the real service checks the signature before anything else).
fn not_implemented<S>(endpoint: &Endpoint) -> MethodRouter<S>
where
    Engine: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    let (operation, envelope) = (endpoint.operation, Envelope::for_path(endpoint.path));
    let filter = MethodFilter::try_from(endpoint.method.clone())
        .expect("the endpoint table only uses standard methods");
    on(filter, move |auth: Authed| async move {
        let mut response = UdeskError::NotImplemented(operation).into_response_in(envelope);
        response.extensions_mut().insert(auth.tenant.id);
        response
    })
}

/// The answer for an unknown path under a base, or a method not routed on a known path.
fn not_found(path: &str) -> impl Answer {
    answer(UdeskError::UnknownApi, Envelope::for_path(path))
}

/// A handler that answers a fixed error whatever the request (it reads no part of it).
trait Answer: Fn() -> Ready<Response> + Clone + Send + Sync + 'static {}
impl<F: Fn() -> Ready<Response> + Clone + Send + Sync + 'static> Answer for F {}

fn answer(error: UdeskError, envelope: Envelope) -> impl Answer {
    move || ready(error.clone().into_response_in(envelope))
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
    use axum::http::{header, Request, StatusCode};
    use serde_json::{json, Value};
    use tower::ServiceExt;

    use super::*;
    use crate::sign;
    use ccemu_core::tenant::UdeskCredentials;
    use ccemu_core::TenantId;
    use ccemu_engine::{credentials, wall_ms, EngineConfig};
    use ccemu_store::testing::TestDb;
    use ccemu_store::Store;

    /// An engine with the demo tenant on the backend under test, and that tenant's credentials.
    pub(crate) struct Ctx {
        pub engine: Engine,
        pub udesk: UdeskCredentials,
        _db: TestDb,
    }

    pub(crate) async fn ctx() -> Ctx {
        let db = TestDb::new().await;
        let store = Store::connect(&db.url).await.expect("store");
        let config = EngineConfig {
            demo_credentials: Some(credentials::generate("demo")),
            ..EngineConfig::default()
        };
        let engine = Engine::start(store, config).await.expect("engine");
        let demo = TenantId::parse("demo").unwrap();
        let udesk = engine.tenant(&demo).unwrap().credentials.udesk;
        Ctx {
            engine,
            udesk,
            _db: db,
        }
    }

    impl Ctx {
        /// `uri` with a valid server-side signature of the demo tenant appended.
        fn signed(&self, uri: &str) -> String {
            let ts = (wall_ms() / 1000).to_string();
            let sign = sign::sign(&self.udesk.sid, &self.udesk.auth_token, &ts);
            let sep = if uri.contains('?') { '&' } else { '?' };
            format!(
                "{uri}{sep}AppId={}&Sid={}&Timestamp={ts}&Sign={sign}",
                self.udesk.app_id, self.udesk.sid
            )
        }

        /// Sends `uri` with the demo tenant's signature appended.
        pub async fn send(
            &self,
            method: Method,
            uri: &str,
            body: impl AsRef<[u8]>,
        ) -> (StatusCode, Value) {
            self.send_raw(method, &self.signed(uri), body).await
        }

        /// Sends `uri` as it is.
        pub async fn send_raw(
            &self,
            method: Method,
            uri: &str,
            body: impl AsRef<[u8]>,
        ) -> (StatusCode, Value) {
            send_to(self.engine.clone(), method, uri, body).await
        }
    }

    async fn send_to(
        engine: Engine,
        method: Method,
        uri: &str,
        body: impl AsRef<[u8]>,
    ) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.as_ref().to_vec()))
            .unwrap();
        let response = crate::router::<Engine>()
            .with_state(engine)
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/json",
            "{uri}"
        );
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    /// Envelope A of a success (§2).
    pub(crate) fn ok_with(result: Value) -> Value {
        json!({"ErrCode": "000000", "ErrDesc": "OK", "Result": result})
    }

    /// Envelope A with `Result: null`, the shape of every Udesk error.
    pub(crate) fn err_code(code: &str, desc: &str) -> Value {
        json!({"ErrCode": code, "ErrDesc": desc, "Result": null})
    }

    /// A body of the wrong shape for each emulated operation; `None` where none is documented.
    fn wrong_type(operation: &str) -> Option<&'static str> {
        Some(match operation {
            "create_agents" => r#"{"Agents":"199"}"#,
            "update_agent" => r#"{"AgentId":{},"WorkId":"1"}"#,
            "delete_agent" => r#"{"AgentId":"1","IsDelExtensions":"maybe"}"#,
            "get_agent" => r#"{"AgentId":[]}"#,
            "list_agents" => r#"{"PageSize":"many"}"#,
            "bind_agent_extensions" | "unbind_agent_extensions" => {
                r#"{"AgentId":"1001","Extensions":"8001"}"#
            }
            "bind_agent_queues" | "unbind_agent_queues" => r#"{"AgentId":"1001","Queues":9001}"#,
            "create_extension" | "delete_extension" => r#"{"Extension":{}}"#,
            "create_queue" | "update_queue" => r#"{"QueueId":"9001","QueueName":{}}"#,
            "delete_queue" => r#"{"QueueId":true}"#,
            "add_queue_agents" => r#"{"QueueId":"9001","AgentIds":"1001"}"#,
            "list_call_logs" => r#"{"PageSize":"many"}"#,
            "list_recording_files" => r#"{"CallId":{}}"#,
            "list_agent_state_logs" => r#"{"StartTime":-1}"#,
            "create_app" | "update_app" => r#"{"Name":{},"Type":1,"CallbackUrl":""}"#,
            "start_ad_task" | "update_ad_task_ratio" | "stop_ad_task" | "force_stop_ad_task" => {
                r#"{"AdTaskId":{}}"#
            }
            "fetch_ad_task_numbers" | "notify_ad_task_stop" => r#"{"app_id":[],"ad_task_id":"1"}"#,
            "set_default_sp_number" | "set_agent_default_sp_number" => r#"{"DefSpNumber":{}}"#,
            "create_voice_file" | "delete_voice_file" => r#"{"FileName":[]}"#,
            "set_default_voices" => r#"{"DefVoices":"default"}"#,
            "set_fast_routers" => r#"{"FastRouter":{"Dtmf":"1"}}"#,
            "login_agent" | "logout_agent" => r#"{"agent_Id":{}}"#,
            "set_call_mode" => r#"{"AgentId":"1001","Contact":[]}"#,
            "originate_call" => r#"{"called":{},"called_display":"1","agent_id":"1001"}"#,
            "hold_call" | "resume_call" | "transfer_to_agent" => r#"{"call_id":{},"agent_id":"1"}"#,
            "add_webhook_events" | "replace_webhook_events" => r#"{"Events":"call"}"#,
            "create_subscriptions" => r#"{"subscriptions":{"name":"sub1"}}"#,
            "update_subscription" => r#"{"subscription":"sub1"}"#,
            _ => return None,
        })
    }

    #[tokio::test]
    async fn every_emulated_endpoint_refuses_missing_malformed_and_wrong_type_bodies() {
        let cx = ctx().await;
        // Subscription 1 exists, so that reading and deleting it without a body succeed.
        let sub = r#"{"subscriptions":[{"callback":"http://127.0.0.1:9/a","name":"s","events":["end"]}]}"#;
        cx.send(POST, "/ccapi/v2/subscriptions", sub).await;
        // The agent WebSocket reads no body: its handshake and frames are tested in socket.rs.
        let emulated: Vec<&Endpoint> = ENDPOINTS
            .iter()
            .filter(|e| e.is_emulated() && e.operation != "agent_websocket")
            .collect();
        for endpoint in emulated {
            let (method, op) = (endpoint.method.clone(), endpoint.operation);
            // The same refusals, in the endpoint's own envelope.
            let err_code = |code: &str, desc: &str| match Envelope::for_path(endpoint.path) {
                Envelope::ErrCode => err_code(code, desc),
                Envelope::Code => json!({"code": code, "message": desc}),
            };
            let bad_json = err_code("100004", "unexpected end of JSON input");
            let uri = endpoint
                .path
                .replace("{AgentId}", "1001")
                .replace("{QueueId}", "9001")
                .replace("{id}", "1");
            // Reads that document no body take none; everything else needs one.
            let bodiless = matches!(
                op,
                "list_agents"
                    | "list_queues"
                    | "get_queue"
                    | "list_recording_files"
                    | "list_agent_state_logs"
                    | "get_app"
                    | "list_sp_numbers"
                    | "delete_default_sp_number"
                    | "delete_agent_default_sp_number"
                    | "list_voice_files"
                    | "get_default_voices"
                    | "get_fast_routers"
                    | "delete_webhook_events"
                    | "list_subscriptions"
                    | "get_subscription"
                    | "delete_subscription"
            );
            let (status, body) = cx.send(method.clone(), &uri, "").await;
            if bodiless {
                assert_eq!(
                    (status, &body["ErrCode"]),
                    (StatusCode::OK, &json!("000000")),
                    "{op}"
                );
            } else {
                assert_eq!(
                    (status, &body),
                    (StatusCode::BAD_REQUEST, &bad_json),
                    "{op}: no body"
                );
            }
            let got = cx.send(method.clone(), &uri, r#"{"AgentId":"#).await;
            assert_eq!(
                got,
                (StatusCode::BAD_REQUEST, bad_json.clone()),
                "{op}: malformed"
            );
            if let Some(wrong) = wrong_type(op) {
                let got = cx.send(method.clone(), &uri, wrong).await;
                assert_eq!(
                    got,
                    (StatusCode::BAD_REQUEST, err_code("000001", "ParamsInvalid")),
                    "{op}: {wrong}"
                );
            } else {
                assert!(bodiless, "{op} has no wrong-type case");
            }
        }
        // Nothing of the above changed the demo's seats.
        let (_, list) = cx.send(GET, "/ccapi/v2/agents", "").await;
        assert_eq!(list["Result"]["Total"], 4);
    }

    #[tokio::test]
    async fn literal_agent_paths_win_over_agent_ids() {
        let cx = ctx().await;
        // `agents/statelogs` answers the state logs, not a seat read.
        let (status, body) = cx
            .send(GET, "/ccapi/v2/agents/statelogs", r#"{"AgentId":"1001"}"#)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["Result"], json!({"AgentStateLogs": []}));
        // POST agents/extensions binds; it is not a seat read of an agent named "extensions".
        let (status, body) = cx
            .send(
                POST,
                "/ccapi/v2/agents/extensions",
                r#"{"AgentId":"1002","Extensions":["8001"]}"#,
            )
            .await;
        assert_eq!(
            (status, body),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                err_code("100016", "VoipBindAgent")
            )
        );
        let (status, _) = cx
            .send(
                POST,
                "/ccapi/v2/agents/queues",
                r#"{"AgentId":"1002","Queues":["9002"]}"#,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn unknown_path_or_method_under_base_answers_404_with_000004() {
        let cx = ctx().await;
        for (method, uri) in [
            (GET, "/ccapi/v2/nope"),
            (POST, "/ccapi/v2"),
            (GET, "/ccapi/v2/"),
            (GET, "/ccapi/v2/agents/1/extra"),
            (GET, "/ccapi/v2/agent/login"),
        ] {
            let (status, body) = cx.send(method.clone(), uri, b"").await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}");
            assert_eq!(
                body,
                err_code("000004", "API does not exist"),
                "{method} {uri}"
            );
        }
        let (status, body) = cx.send(GET, "/ccapi/v2/transfer/agent", b"").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            json!({"code": "000004", "message": "API does not exist"})
        );
    }

    #[test]
    fn route_table_has_63_endpoints_grouped_like_the_note() {
        let count = |section: &str| ENDPOINTS.iter().filter(|e| e.section == section).count();
        let by_section: Vec<_> = ["3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "5.2"]
            .into_iter()
            .map(|s| (s, count(s)))
            .collect();
        assert_eq!(
            by_section,
            [
                ("3.1", 10),
                ("3.2", 15),
                ("3.3", 16),
                ("3.4", 10),
                ("3.5", 8),
                ("3.6", 3),
                ("5.2", 1)
            ]
        );
        assert_eq!(ENDPOINTS.len(), 63);
    }

    #[tokio::test]
    async fn every_endpoint_not_emulated_answers_501_naming_its_operation_whatever_the_body() {
        let cx = ctx().await;
        for endpoint in ENDPOINTS.iter().filter(|e| !e.is_emulated()) {
            let mut uri = endpoint.path.to_owned();
            while let (Some(open), Some(close)) = (uri.find('{'), uri.find('}')) {
                uri.replace_range(open..=close, "1");
            }
            let (status, body) = cx
                .send(endpoint.method.clone(), &uri, b"\xff{not json")
                .await;
            assert_eq!(
                status,
                StatusCode::NOT_IMPLEMENTED,
                "{} {uri}",
                endpoint.method
            );
            let message = format!("{} is not emulated by ccemu yet", endpoint.operation);
            let expected = match Envelope::for_path(endpoint.path) {
                Envelope::ErrCode => err_code("000003", &message),
                Envelope::Code => json!({"code": "000003", "message": message}),
            };
            assert_eq!(body, expected, "{} {uri}", endpoint.method);
        }
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
        let head = "| [Udesk](#udesk) | `/ccapi/v2` |";
        if let Err(problem) = ccemu_core::coverage::check(&coverage, head, &routes) {
            panic!("{problem}");
        }
    }

    #[tokio::test]
    async fn leaves_paths_outside_its_bases_to_the_merged_router() {
        let other = Router::new().fallback(|| async { "server fallback" });
        let cx = ctx().await;
        let merged: Router<()> = crate::router().merge(other).with_state(cx.engine);
        let request = Request::get("/apps/api/v1/calls")
            .body(Body::empty())
            .unwrap();
        let response = merged.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            &to_bytes(response.into_body(), 64).await.unwrap()[..],
            b"server fallback"
        );
    }

    /// `uri` signed by `principal` (`Sid=` or `AgentId=`) with `token` at `ts`, for `app`.
    fn signed_as(
        uri: &str,
        app: Option<&str>,
        principal: (&str, &str),
        token: &str,
        ts: &str,
    ) -> String {
        let sign = sign::sign(principal.1, token, ts);
        let app = app.map(|a| format!("AppId={a}&")).unwrap_or_default();
        format!(
            "{uri}?{app}{}={}&Timestamp={ts}&Sign={sign}",
            principal.0, principal.1
        )
    }

    fn now_s() -> String {
        (wall_ms() / 1000).to_string()
    }

    #[tokio::test]
    async fn every_auth_failure_answers_in_the_udesk_envelope() {
        let cx = ctx().await;
        let u = &cx.udesk;
        let agents = "/ccapi/v2/agents";
        let ok = |ts: &str| signed_as(agents, Some(&u.app_id), ("Sid", &u.sid), &u.auth_token, ts);
        let sign_invalid = err_code("000001", "Sign invalid");
        let stale = (wall_ms() / 1000 - 11 * 60).to_string();
        let cases = [
            // a wrong Sign, a stale Timestamp, no Sign, no Timestamp
            (
                ok(&now_s()).replace("&Sign=", "&Sign=0"),
                401,
                sign_invalid.clone(),
            ),
            (ok(&stale), 401, sign_invalid.clone()),
            (
                ok(&now_s()).split("&Sign=").next().unwrap().to_owned(),
                401,
                sign_invalid.clone(),
            ),
            (
                format!("{agents}?AppId={}&Sid={}&Sign=abc", u.app_id, u.sid),
                401,
                sign_invalid.clone(),
            ),
            // the right Sign over the wrong secret
            (
                signed_as(
                    agents,
                    Some(&u.app_id),
                    ("Sid", &u.sid),
                    "not-the-token",
                    &now_s(),
                ),
                401,
                sign_invalid.clone(),
            ),
            // no AppId, an unknown AppId
            (
                signed_as(agents, None, ("Sid", &u.sid), &u.auth_token, &now_s()),
                400,
                err_code("100017", "AppID Blank"),
            ),
            (
                signed_as(
                    agents,
                    Some("no-such-app"),
                    ("Sid", &u.sid),
                    &u.auth_token,
                    &now_s(),
                ),
                403,
                err_code("100002", "AppId AppNotFound or forbidden"),
            ),
        ];
        for (uri, status, body) in cases {
            let (st, got) = cx.send_raw(GET, &uri, b"{}").await;
            assert_eq!((st.as_u16(), &got), (status, &body), "{uri}");
        }
        // Envelope C: the same refusal as {"code","message"}.
        let hold = signed_as(
            "/ccapi/v2/agent/hold",
            None,
            ("Sid", &u.sid),
            "wrong",
            &now_s(),
        );
        let (st, got) = cx.send_raw(POST, &hold, b"{}").await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        assert_eq!(got, json!({"code": "000001", "message": "Sign invalid"}));
    }

    #[tokio::test]
    async fn every_endpoint_refuses_a_bad_sign_and_a_stale_timestamp_before_anything_else() {
        let cx = ctx().await;
        let u = &cx.udesk;
        let stale = (wall_ms() / 1000 - 11 * 60).to_string();
        for endpoint in ENDPOINTS {
            let mut path = endpoint.path.to_owned();
            while let (Some(open), Some(close)) = (path.find('{'), path.find('}')) {
                path.replace_range(open..=close, "1001");
            }
            let want = match Envelope::for_path(endpoint.path) {
                Envelope::ErrCode => err_code("000001", "Sign invalid"),
                Envelope::Code => json!({"code": "000001", "message": "Sign invalid"}),
            };
            let signed =
                |ts: &str| signed_as(&path, Some(&u.app_id), ("Sid", &u.sid), &u.auth_token, ts);
            let tampered = signed(&now_s()).replace("&Sign=", "&Sign=0");
            for uri in [tampered, signed(&stale)] {
                // A body that would be accepted, so only the signature can be refused.
                let (status, body) = cx
                    .send_raw(endpoint.method.clone(), &uri, br#"{"AgentId":"1001"}"#)
                    .await;
                assert_eq!(
                    (status, &body),
                    (StatusCode::UNAUTHORIZED, &want),
                    "{} {uri}",
                    endpoint.method
                );
            }
        }
        // Nothing was changed by any of them.
        let (_, list) = cx.send(GET, "/ccapi/v2/agents", "").await;
        assert_eq!(list["Result"]["Total"], 4);
        assert_eq!(cx.engine.tenants().len(), 1);
    }

    #[tokio::test]
    async fn signatures_udesk_clients_send_are_accepted() {
        let cx = ctx().await;
        let u = &cx.udesk;
        let ms = wall_ms().to_string();
        let upper = signed_as(
            "/ccapi/v2/calls/logs",
            Some(&u.app_id),
            ("Sid", &u.sid),
            &u.auth_token,
            &now_s(),
        );
        let (head, sign) = upper.split_once("&Sign=").unwrap();
        let logs = json!({"ErrCode": "000000", "ErrDesc": "OK", "Result": {"CallLogs": []}});
        let cases = [
            // seconds, milliseconds, an upper-case Sign
            (
                GET,
                signed_as(
                    "/ccapi/v2/calls/logs",
                    Some(&u.app_id),
                    ("Sid", &u.sid),
                    &u.auth_token,
                    &now_s(),
                ),
                logs.clone(),
            ),
            (
                GET,
                signed_as(
                    "/ccapi/v2/calls/logs",
                    Some(&u.app_id),
                    ("Sid", &u.sid),
                    &u.auth_token,
                    &ms,
                ),
                logs.clone(),
            ),
            (
                GET,
                format!("{head}&Sign={}", sign.to_uppercase()),
                logs.clone(),
            ),
            // a front-end signature over the AgentId, on one of its seat's operations
            (
                POST,
                signed_as(
                    "/ccapi/v2/agent/login",
                    Some(&u.app_id),
                    ("AgentId", "1001"),
                    &u.auth_token,
                    &now_s(),
                ),
                err_code("000001", "ParamsInvalid"),
            ),
            // `app_id` instead of `AppId` (agent/logout), and the Sid-only calls
            (
                POST,
                signed_as(
                    "/ccapi/v2/agent/logout",
                    None,
                    ("Sid", &u.sid),
                    &u.auth_token,
                    &now_s(),
                )
                .replace("?Sid", &format!("?app_id={}&Sid", u.app_id)),
                err_code("000001", "ParamsInvalid"),
            ),
            (
                POST,
                signed_as(
                    "/ccapi/v2/agent/hold",
                    None,
                    ("Sid", &u.sid),
                    &u.auth_token,
                    &now_s(),
                ),
                json!({"code": "000001", "message": "ParamsInvalid"}),
            ),
            (
                POST,
                signed_as(
                    "/ccapi/v2/cc_ad_task/stop",
                    None,
                    ("Sid", &u.sid),
                    &u.auth_token,
                    &now_s(),
                ),
                json!({"code": "000001", "message": "ParamsInvalid"}),
            ),
        ];
        for (method, uri, body) in cases {
            let (st, got) = cx.send_raw(method, &uri, b"{}").await;
            // Past the signature: a listing, a refused empty body, or a 501.
            let want = if body == logs {
                StatusCode::OK
            } else if body["ErrCode"] == "000001" || body["code"] == "000001" {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::NOT_IMPLEMENTED
            };
            assert_eq!((st, &got), (want, &body), "{uri}");
        }
    }

    #[tokio::test]
    async fn another_tenants_app_id_never_passes_with_this_tenants_sign() {
        let cx = ctx().await;
        let other = cx.engine.create_tenant(Some("Other".into())).await.unwrap();
        let (u, v) = (&cx.udesk, &other.credentials.udesk);
        for uri in [
            // B's app with A's account, B's app with B's Sid signed by A's token
            signed_as(
                "/ccapi/v2/agents",
                Some(&v.app_id),
                ("Sid", &u.sid),
                &u.auth_token,
                &now_s(),
            ),
            signed_as(
                "/ccapi/v2/agents",
                Some(&v.app_id),
                ("Sid", &v.sid),
                &u.auth_token,
                &now_s(),
            ),
            // a front-end Sign of A's token for B's app
            signed_as(
                "/ccapi/v2/agents",
                Some(&v.app_id),
                ("AgentId", "1001"),
                &u.auth_token,
                &now_s(),
            ),
        ] {
            let (st, got) = cx.send_raw(GET, &uri, b"{}").await;
            assert_eq!(
                (st, got),
                (StatusCode::UNAUTHORIZED, err_code("000001", "Sign invalid")),
                "{uri}"
            );
        }
        let own = signed_as(
            "/ccapi/v2/agents",
            Some(&v.app_id),
            ("Sid", &v.sid),
            &v.auth_token,
            &now_s(),
        );
        // With its own credentials the other tenant sees its own, empty, seat list.
        let (st, got) = cx.send_raw(GET, &own, b"{}").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(got["Result"]["Total"], 0);
        assert_eq!(got["Result"]["AgentList"], json!([]));
    }

    #[tokio::test]
    async fn the_window_follows_the_tenants_clock() {
        let cx = ctx().await;
        let u = &cx.udesk;
        let demo = TenantId::parse("demo").unwrap();
        // A day ahead of the wall clock (a manual clock never goes backwards).
        let frozen_s = wall_ms() / 1000 + 86_400;
        cx.engine
            .set_clock(
                &demo,
                ccemu_core::clock::ClockMode::Manual,
                Some(frozen_s * 1000),
            )
            .await
            .unwrap();
        for (ts, want) in [
            (wall_ms() / 1000, StatusCode::UNAUTHORIZED),
            (frozen_s, StatusCode::OK),
            (frozen_s - 11 * 60, StatusCode::UNAUTHORIZED),
        ] {
            let ts = ts.to_string();
            let uri = signed_as(
                "/ccapi/v2/agents",
                Some(&u.app_id),
                ("Sid", &u.sid),
                &u.auth_token,
                &ts,
            );
            assert_eq!(cx.send_raw(GET, &uri, b"{}").await.0, want, "{uri}");
        }
    }
}
