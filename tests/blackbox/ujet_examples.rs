//! UJET Apps API against the real binary, the way its own documentation calls it.
//!
//! `ujet_examples_every_doc_item_is_accepted` replays every request item of
//! `vendor-docs/ujet-apps-api.txt` (the Postman publication), folder by folder, with the demo
//! tenant's ids in place of the doc's (menu 11 → 9001, agent emails → the demo agents, campaign
//! 240 → a campaign `240` made through the control plane, call and chat ids → ones made first).
//! The other tests take the Apps groups 3.1–3.3 of `vendor-notes/ujet.md` through their success
//! and failure paths.

use crate::harness::Server;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;
use std::time::Duration;

/// The demo tenant's API-token pair and legacy pair (README).
const TOKEN: (&str, &str) = ("demo", "demo-ujet-api-token");
const LEGACY: (&str, &str) = ("demo-ujet-company-key", "demo-ujet-company-secret");
/// The demo tenant's company secret, the key of signed custom data.
const COMPANY_SECRET: &str = "demo-ujet-company-secret";
const APPS: &str = "/apps/api/v1";

fn wall_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

/// ISO-8601 UTC of a millisecond time.
fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

/// A JWT HS256 as UJET's doc builds it: `JWT.encode(payload, 'Company secret', 'HS256')`.
fn jwt(payload: &Value, secret: &str) -> String {
    let head = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    let input = format!("{head}.{body}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{input}.{sig}")
}

/// A request body as the UJET docs send it.
#[derive(Clone)]
enum Body {
    None,
    Json(Value),
    Form(String),
    /// `(name, filename, content)`; a filename makes the part a file.
    Multipart(Vec<(&'static str, Option<&'static str>, String)>),
}

/// A UJET client of one tenant: Basic auth on every request.
struct Ujet<'a> {
    s: &'a Server,
    auth: (String, String),
}

impl<'a> Ujet<'a> {
    fn new(s: &'a Server, (user, password): (&str, &str)) -> Self {
        Self {
            s,
            auth: (user.to_owned(), password.to_owned()),
        }
    }

    async fn send(&self, method: Method, path: &str, body: Body) -> (u16, HeaderMap, Value) {
        let url = self.s.url(&format!("{APPS}{path}"));
        let mut req = self
            .s
            .http
            .request(method, url)
            .basic_auth(&self.auth.0, Some(&self.auth.1))
            .header("accept", "application/json");
        req = match body {
            Body::None => req,
            Body::Json(v) => req
                .header("content-type", "application/json")
                .body(v.to_string()),
            Body::Form(f) => req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(f),
            Body::Multipart(parts) => {
                let boundary = "ccemu-ujet-examples-boundary";
                let mut out = String::new();
                for (name, file, content) in parts {
                    out.push_str(&format!("--{boundary}\r\n"));
                    match file {
                        Some(f) => out.push_str(&format!(
                            "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/json\r\n\r\n"
                        )),
                        None => out.push_str(&format!(
                            "Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                        )),
                    }
                    out.push_str(&content);
                    out.push_str("\r\n");
                }
                out.push_str(&format!("--{boundary}--\r\n"));
                req.header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(out)
            }
        };
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        (status, headers, body)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let (s, _, b) = self.send(Method::GET, path, Body::None).await;
        (s, b)
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, _, b) = self.send(Method::POST, path, Body::Json(body)).await;
        (s, b)
    }

    /// A request that must succeed with `want`; answers the body.
    async fn ok(&self, method: Method, path: &str, body: Body, want: u16) -> Value {
        let (status, _, b) = self.send(method.clone(), path, body).await;
        assert_eq!(status, want, "{method} {path}: {b}");
        b
    }

    /// Polls a bulk job until its status leaves `from`.
    async fn settle_bulk(&self, id: i64, from: &str) -> Value {
        for _ in 0..200 {
            let (status, job) = self.get(&format!("/bulk/users/jobs/{id}")).await;
            assert_eq!(status, 200, "{job}");
            if job["status"] != from {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("bulk job {id} stayed {from}");
    }
}

/// UJET's 400 body.
fn message(text: &str) -> Value {
    json!({ "message": text })
}

fn not_found() -> Value {
    message("Not Found")
}

// ---- shape checks (field by field, types from the doc's samples) ----

fn is_time(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() >= 20 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b'T')
}

fn time_or_null(v: &Value) -> bool {
    v.is_null() || is_time(v)
}

fn has(obj: &Value, key: &str, ok: fn(&Value) -> bool) {
    assert!(
        obj.get(key).is_some_and(ok),
        "field {key} is missing or of the wrong type: {obj}"
    );
}

fn int(v: &Value) -> bool {
    v.is_i64() || v.is_u64()
}
fn int_or_null(v: &Value) -> bool {
    v.is_null() || int(v)
}
fn string(v: &Value) -> bool {
    v.is_string()
}
fn str_or_null(v: &Value) -> bool {
    v.is_null() || v.is_string()
}
fn boolean(v: &Value) -> bool {
    v.is_boolean()
}
fn array(v: &Value) -> bool {
    v.is_array()
}
fn array_or_null(v: &Value) -> bool {
    v.is_null() || v.is_array()
}
fn object(v: &Value) -> bool {
    v.is_object()
}
fn object_or_null(v: &Value) -> bool {
    v.is_null() || v.is_object()
}

/// The call object of the doc's "Calls Endpoints" sample.
fn call_shape(c: &Value) {
    has(c, "id", int);
    has(c, "parent_id", int_or_null);
    for k in ["lang", "call_type", "status"] {
        has(c, k, string);
    }
    has(c, "created_at", is_time);
    for k in [
        "queued_at",
        "assigned_at",
        "connected_at",
        "ends_at",
        "scheduled_at",
    ] {
        has(c, k, time_or_null);
    }
    for k in ["wait_duration", "call_duration", "hold_duration"] {
        has(c, k, int_or_null);
    }
    has(c, "rating", int_or_null);
    has(c, "has_feedback", boolean);
    has(c, "verified", boolean);
    for k in [
        "voip_provider",
        "recording_permission",
        "voicemail_reason",
        "deflection",
        "disconnected_by",
        "fail_reason",
    ] {
        has(c, k, string);
    }
    for k in [
        "out_ticket_id",
        "out_ticket_url",
        "recording_url",
        "fail_details",
        "support_number",
    ] {
        has(c, k, str_or_null);
    }
    has(c, "selected_menu", object_or_null);
    has(c, "menu_path", object_or_null);
    has(c, "agent_info", object_or_null);
    has(c, "end_user", object_or_null);
    for k in ["photos", "videos", "transfers", "participants"] {
        has(c, k, array_or_null);
    }
    for p in c["participants"].as_array().into_iter().flatten() {
        has(p, "id", int);
        has(p, "type", string);
        has(p, "status", string);
        has(p, "call_id", int);
        has(p, "connected_at", time_or_null);
        has(p, "ended_at", time_or_null);
    }
}

/// The Apps chat object (note §5).
fn apps_chat_shape(c: &Value) {
    has(c, "id", int);
    has(c, "status", string);
    has(c, "created_at", is_time);
    has(c, "ends_at", time_or_null);
    has(c, "lang", string);
    has(c, "features", array);
    has(c, "agent", object_or_null);
    has(c, "virtual_agent", object_or_null);
    has(c, "all_agents", array);
    has(c, "all_virtual_agents", array);
    has(c, "menus", array);
    has(c, "end_user", object);
}

/// The chat row `POST /sms` answers (doc G:apps-api-sms sample).
fn sms_chat_shape(c: &Value) {
    has(c, "id", int);
    for k in ["lang", "chat_type", "status", "disconnected_by"] {
        has(c, k, string);
    }
    has(c, "created_at", is_time);
    for k in ["queued_at", "assigned_at", "ends_at"] {
        has(c, k, time_or_null);
    }
    has(c, "wait_duration", int);
    has(c, "chat_duration", int);
    has(c, "rating", int_or_null);
    has(c, "has_feedback", boolean);
    has(c, "verified", boolean);
    has(c, "out_ticket_id", str_or_null);
    has(c, "fail_reason", str_or_null);
    has(c, "end_user", object);
}

fn flags_shape(f: &Value) {
    assert_eq!(f.as_object().map(|o| o.len()), Some(3), "{f}");
    for k in ["verified_customer", "bad_actor", "repeat_customer"] {
        has(f, k, boolean);
    }
}

/// `[{agent_id,name,email,agent_number,previous_status,current_status}]`.
fn status_rows_shape(rows: &Value) {
    let rows = rows.as_array().expect("an array");
    assert!(!rows.is_empty());
    for r in rows {
        has(r, "agent_id", int);
        for k in [
            "name",
            "email",
            "agent_number",
            "previous_status",
            "current_status",
        ] {
            has(r, k, string);
        }
    }
}

/// The doc's §5 User.
fn user_shape(u: &Value) {
    has(u, "id", int);
    for k in ["email", "first_name", "last_name"] {
        has(u, k, string);
    }
    for k in [
        "agent_number",
        "location",
        "ucaas_user_name",
        "ucaas_sip_uri",
    ] {
        has(u, k, str_or_null);
    }
    has(u, "max_chat_limit", int);
    for k in [
        "max_chat_limit_enabled",
        "unrestricted_international_calling",
        "external_user",
    ] {
        has(u, k, boolean);
    }
    has(u, "deactivated_at", time_or_null);
    has(u, "phone_numbers", array);
    has(u, "extension_numbers", array);
    for t in u["teams"].as_array().expect("teams") {
        has(t, "name", string);
    }
    for r in u["roles"].as_array().expect("roles") {
        has(r, "name", string);
    }
}

fn bulk_job_shape(j: &Value) {
    has(j, "id", int);
    has(j, "status", string);
    has(j, "link", string);
    let link = format!("/apps/api/v1/bulk/users_jobs/{}", j["id"]);
    assert!(j["link"].as_str().unwrap().ends_with(&link), "{j}");
}

fn campaign_contact_shape(c: &Value) {
    for k in ["id", "campaign_id"] {
        has(c, k, int);
    }
    for k in ["assigned_call_id", "assigned_participant_id", "priority"] {
        has(c, k, int_or_null);
    }
    for k in ["name", "status", "unique_id"] {
        has(c, k, str_or_null);
    }
    has(c, "outbound_number", str_or_null);
    has(c, "created_at", is_time);
    has(c, "updated_at", is_time);
}

fn wait_time_row_shape(r: &Value) {
    has(r, "menu_id", int);
    has(r, "menu_type", string);
    has(r, "materialized_path", string);
    for k in [
        "logged_in_agents",
        "available_agents",
        "breakthrough_agents",
    ] {
        has(r, k, int);
    }
}

fn queue_status_shape(body: &Value) {
    let queues = body["queues"].as_array().expect("queues");
    assert!(!queues.is_empty(), "{body}");
    for q in queues {
        has(q, "menu_id", int);
        for k in ["menu_type", "lang", "materialized_path"] {
            has(q, k, string);
        }
        for k in [
            "current_queue_ewt",
            "scheduled_callback_ewt",
            "logged_in_agents",
            "available_agents",
            "breakthrough_agents",
        ] {
            has(q, k, int);
        }
        for p in q["callback_periods"].as_array().expect("callback_periods") {
            for k in ["date", "start_time", "end_time"] {
                has(p, k, string);
            }
            has(p, "scheduled_calls", int);
            has(p, "max_slots", int);
        }
    }
}

/// One item of the doc: where it is in the doc, how it is sent, what it must answer.
struct Row {
    /// Folder and item as the doc lists them.
    item: &'static str,
    method: Method,
    path: String,
    body: Body,
    /// The 2xx the item must answer (404 for the second Wait Times item, whose path is unknown).
    want: u16,
    check: Box<dyn Fn(&Value)>,
}

fn row(
    item: &'static str,
    method: Method,
    path: impl Into<String>,
    body: Body,
    want: u16,
    check: impl Fn(&Value) + 'static,
) -> Row {
    Row {
        item,
        method,
        path: path.into(),
        body,
        want,
        check: Box::new(check),
    }
}

/// The custom-data body of the doc, unsigned.
fn unsigned_custom_data() -> Value {
    json!({"signed": false, "data": {
        "reserved_verified_customer": {"label": "LABEL 1", "value": true},
        "reserved_bad_actor": {"label": "LABEL 2", "value": false},
        "reserved_repeat_customer": {"label": "LABEL 3", "value": true},
        "field1": {"label": "LABEL 4", "value": "dummy1"},
        "field2": {"label": "LABEL 5", "value": "dummy2"}
    }})
}

/// The doc's signed variant, built the way its comment says, with the demo company secret.
fn signed_custom_data(now_s: i64, secret: &str, exp: i64) -> Value {
    let payload = json!({
        "custom_data": {
            "reserved_verified_customer": {"label": "LABEL 1", "value": false},
            "reserved_bad_actor": {"label": "LABEL 2", "value": true},
            "reserved_repeat_customer": {"label": "LABEL 3", "value": false},
            "field1": {"label": "LABEL 4", "value": "dummy111"},
            "field2": {"label": "LABEL 5", "value": "dummy222"}
        },
        "exp": exp,
        "iat": now_s
    });
    json!({"signed": true, "signed_data": jwt(&payload, secret)})
}

/// A bulk-users row that passes the scheme check.
fn bulk_row(email: &str, first: &str) -> Value {
    json!({"email": email, "new_email": "", "agent_number": "", "first_name": first,
        "last_name": "Doe", "status": "Active", "location": "", "max_chat_limit": 2,
        "max_chat_limit_enabled": 1, "roles": [{"name": "Agent", "value": 1}],
        "teams": [{"name": "Support", "value": 1}]})
}

/// The demo tenant on a manual clock with simulated agents driven by the test.
async fn demo(s: &Server) -> i64 {
    let t0 = wall_ms() + 1_000;
    s.sim_on_manual_clock("demo", t0, json!({"auto": false}))
        .await;
    t0
}

#[tokio::test]
async fn ujet_examples_every_doc_item_is_accepted() {
    let s = Server::start().await;
    let t0 = demo(&s).await;
    let u = Ujet::new(&s, TOKEN);
    // Alice and Carol on a break (the doc's agent-status example moves them back), Bob and Dan
    // free for the contacts made first.
    for a in ["1001", "1002", "1003", "1004"] {
        s.ready("demo", a).await;
    }
    for a in ["1001", "1003"] {
        let (status, body) = s
            .post(
                &format!("/_ccemu/tenants/demo/sim/agents/{a}/break"),
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    // ---- what the doc's ids stand for ----
    // An end user tied to CRM ticket 123123 (the doc's outbound-by-ticket example).
    let ticket_user = u
        .ok(
            Method::POST,
            "/end_users",
            Body::Json(json!({"identifier": "123123", "phone": "+1 617-555-0142"})),
            200,
        )
        .await;
    // A chat handed to Dan, with escalation 1, for the chat sub-resources.
    let chat = u
        .ok(
            Method::POST,
            "/chats",
            Body::Json(json!({"chat": {"menu_id": 9002, "lang": "en"}})),
            201,
        )
        .await;
    let chat_id = chat["id"].as_i64().unwrap();
    u.ok(
        Method::POST,
        &format!("/chats/{chat_id}/escalations"),
        Body::Json(json!({"reason": "setup"})),
        201,
    )
    .await;
    let (status, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1004/answer", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    // An open call for the call sub-resources: a customer calls sales and Bob's phone rings.
    let call = u
        .ok(
            Method::POST,
            "/calls",
            Body::Json(json!({"call_type": "Voice Inbound (API)", "menu_id": 9001,
                "end_user_number": "+1 617-555-0100"})),
            201,
        )
        .await;
    let call_id = call["id"].as_i64().unwrap();
    // A chat still with the virtual agent, for the escalation item.
    let va_chat = u
        .ok(
            Method::POST,
            "/chats",
            Body::Json(json!({"chat": {"menu_id": 9002}})),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    // Campaign 240 of the doc, through the control plane (a draft: nothing dials).
    let (status, body) = s
        .post(
            "/_ccemu/tenants/demo/sim/campaigns",
            json!({"id": "240", "name": "Doc campaign", "queue_id": "9001", "mode": "progressive",
                "numbers": ["+15550000001"]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let contact = u
        .ok(
            Method::POST,
            "/outbound_dialer/campaigns/240/contacts",
            Body::Json(json!({"name": "Setup", "phone_number": "+1 111-111-2222",
                "external_unique_id": "UID_SETUP"})),
            201,
        )
        .await;
    let contact_id = contact["id"].as_i64().unwrap();
    let import_job = u
        .ok(
            Method::POST,
            "/outbound_dialer/campaigns/240/contacts/import",
            Body::Multipart(vec![(
                "file",
                Some("multi_contacts.json"),
                json!([{"name": "Imp 0", "phone_number": "+1 111-111-5555"}]).to_string(),
            )]),
            202,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    // Bulk jobs: one validated (to proceed), one to upload again.
    let file = json!([bulk_row("nina@example.com", "Nina")]).to_string();
    let upload = |f: String| Body::Multipart(vec![("file", Some("users.json"), f)]);
    let ready_job = u
        .ok(
            Method::POST,
            "/bulk/users/upload",
            upload(file.clone()),
            200,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        u.settle_bulk(ready_job, "created").await["status"],
        "valid_scheme"
    );
    let again_job = u
        .ok(Method::POST, "/bulk/users/upload", upload("[]".into()), 200)
        .await["id"]
        .as_i64()
        .unwrap();
    // Contact lists: one to edit and delete, one whose entry is edited and deleted.
    let list_a = u
        .ok(
            Method::POST,
            "/contact_lists",
            Body::Json(json!({"name": "A"})),
            201,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let list_b = u
        .ok(
            Method::POST,
            "/contact_lists",
            Body::Json(json!({"name": "B"})),
            201,
        )
        .await;
    let list_b_id = list_b["id"].as_i64().unwrap();
    let entry = u
        .ok(
            Method::POST,
            &format!("/contact_lists/{list_b_id}/contacts"),
            Body::Json(json!({"name": "Ann", "phone_number": "+15550000009"})),
            201,
        )
        .await;
    let entry_id = entry["contacts"][0]["id"]
        .as_i64()
        .or_else(|| entry[0]["id"].as_i64())
        .unwrap_or_else(|| panic!("entry id in {entry}"));

    // Queue settings: an export first, so the items naming a version have one to name.
    let exported = u
        .ok(
            Method::GET,
            "/queue_settings/export?export_audio_files=false&export_attached_files=false",
            Body::None,
            200,
        )
        .await;
    let versions = u
        .ok(
            Method::GET,
            "/queue_settings/version_histories",
            Body::None,
            200,
        )
        .await;
    let version = &versions[0];
    let version_id = version["id"].as_i64().expect("version id");
    let revision = version["revision"].as_str().expect("revision").to_owned();

    let scheduled_at = iso(t0 + 3_600_000);
    let now_s = t0 / 1000;
    let call_path = |rest: &str| format!("/calls/{call_id}{rest}");
    let chat_path = |rest: &str| format!("/chats/{chat_id}{rest}");
    let flags_body = || {
        Body::Json(json!({"verified_customer": true, "bad_actor": false, "repeat_customers": true}))
    };
    let empty = |b: &Value| assert_eq!(b, &json!({}));

    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        // ===== Agent Status Endpoints 4 (first: Alice and Carol come back from their break) =====
        row("Agent Status / update agent statuses", Method::POST, "/agent_statuses", Body::Json(json!({
            "status": "Available", "agent_ids": [1001, 1003], "team_ids": []})), 200,
            |b| { status_rows_shape(b); let r = b.as_array().unwrap(); assert_eq!(r.len(), 2);
                  for x in r { assert_eq!(x["previous_status"], "Break"); assert_eq!(x["current_status"], "Available"); } }),
        // ===== Calls Endpoints 8 =====
        // Create an outbound call (end_user_number)
        row("Calls / outbound call by end_user_number", Method::POST, "/calls", Body::Json(json!({
            "call_type": "Voice Outbound (API)", "menu_id": 9001, "agent_email": "alice@demo.ccemu.test",
            "outbound_number": "+1 760-867-5309", "end_user_number": "123123", "lang": "en"})), 201,
            |c| { call_shape(c); assert_eq!(c["call_type"], "Voice Outbound (API)"); assert_eq!(c["status"], "assigned");
                  assert_eq!(c["answer_type"], "manual"); assert_eq!(c["outbound_number"], "+1 760-867-5309");
                  assert_eq!(c["agent_info"]["id"], 1001); assert_eq!(c["participants"].as_array().map(Vec::len), Some(2)); }),
        // Create an outbound call (ticket_id): the doc's allen@ is Carol (agents need an extension)
        row("Calls / outbound call by ticket_id", Method::POST, "/calls", Body::Json(json!({
            "call_type": "Voice Outbound (API)", "menu_id": 9001, "agent_email": "carol@demo.ccemu.test",
            "outbound_number": "+1 760-867-5309", "ticket_id": "123123", "lang": "en"})), 201,
            |c| { call_shape(c); assert_eq!(c["out_ticket_id"], "123123"); has(&c["end_user"], "out_contact_id", string);
                  assert_eq!(c["agent_info"]["id"], 1003); }),
        // Create an incoming call
        row("Calls / incoming call", Method::POST, "/calls", Body::Json(json!({
            "call_type": "Voice Inbound (API)", "lang": "en", "menu_id": 9001, "ticket_id": "76517",
            "end_user_number": "+1 859-657-9625", "recording_permission": "recording_permission_granted"})), 201,
            |c| { call_shape(c); assert_eq!(c["call_type"], "Voice Inbound (API)"); assert_eq!(c["status"], "queued");
                  assert_eq!(c["offer_type"], "cascade"); assert_eq!(c["out_ticket_id"], "76517");
                  for e in c["offer_events"].as_array().expect("offer_events") { has(e, "casting_time", is_time); has(e, "group", string); } }),
        // Create a scheduled call (the doc's 2019 time is in the past: an hour ahead instead)
        row("Calls / scheduled call", Method::POST, "/calls", Body::Json(json!({
            "call_type": "Voice Scheduled (API)", "lang": "en", "menu_id": 9001, "ticket_id": "76517",
            "end_user_number": "+1 859-657-9625", "scheduled_at": scheduled_at,
            "recording_permission": "recording_permission_granted"})), 201,
            |c| { call_shape(c); assert_eq!(c["status"], "scheduled"); assert!(is_time(&c["scheduled_at"])); }),
        // Update end_user of a call
        row("Calls / update end_user of the call", Method::POST, call_path("/end_user"), Body::Json(json!({
            "identifier": "cust-42", "name": "Joe Smith", "email": "joe@mydomain.com", "phone": "+16171231234"})), 202,
            |b| assert_eq!(b, &json!({"message": "accepted"}))),
        // Update customer flags (PATCH)
        row("Calls / update customer_flag (PATCH)", Method::PATCH, call_path("/customer_flag"), flags_body(), 200, flags_shape),
        // Update customer flags (PUT)
        row("Calls / update customer_flag (PUT)", Method::PUT, call_path("/customer_flag"), flags_body(), 200, flags_shape),
        // Get customer flags
        row("Calls / get customer_flag", Method::GET, call_path("/customer_flag"), Body::None, 200,
            |f| { flags_shape(f); assert_eq!(f, &json!({"verified_customer": true, "bad_actor": false, "repeat_customer": true})); }),
        // ===== SMS 1 =====
        row("SMS / send SMS", Method::POST, "/sms", Body::Json(json!({
            "chat_type": "Messaging (SMS)", "end_user_number": "+1 415-555-0100", "outbound_number": "+1 628-555-0199",
            "message": "lorem ipsum", "ticket_id": "5006x00000XXxxxXXX"})), 201,
            |c| { sms_chat_shape(c); assert_eq!(c["chat_type"], "Messaging (SMS)"); assert_eq!(c["status"], "selecting"); }),
        // ===== Wait Times 2 =====
        row("Wait Times / get wait times", Method::GET,
            "/wait_times?lang=en&menu_id=9001&menu_type=ivr_menu&channel_type=voice_call&wait[from]=0&wait[to]=86400",
            Body::None, 200,
            |b| { let rows = b.as_array().expect("array"); for r in rows { wait_time_row_shape(r); has(r, "voice_call", int); } }),
        // Second "Wait Times" item: no method or path known (an external-dialer hand-off); unrouted.
        row("Wait Times / second item (no known path)", Method::POST, "/wait_times", Body::Json(json!({
            "call_id": "1917", "agent_id": "1", "lcm_key": "2922|1|2|39|2|0|1", "dnis": "8001992999", "org_id": "tenant1",
            "contact": {"first_name": "Alex", "last_name": "Phil", "account_no": "10002-2989", "crm_id": "220-39307-92",
                "address": "", "city": "", "loan_type": "", "due_date": ""},
            "pacing_mode": "Predictive", "call_type": "OB_Regular"})), 404,
            |b| assert_eq!(b, &not_found())),
        // ===== Bulk User Management 7 (the note's eight operations and the upload link's alias) =====
        row("Bulk / get template", Method::GET, "/bulk/users/template", Body::None, 200,
            |b| { let rows = b.as_array().expect("array"); assert!(!rows.is_empty());
                  for r in rows { for k in ["email", "new_email", "first_name", "last_name", "status"] { has(r, k, string); }
                  has(r, "max_chat_limit", int); has(r, "max_chat_limit_enabled", int); has(r, "roles", array); has(r, "teams", array); } }),
        row("Bulk / upload (file)", Method::POST, "/bulk/users/upload",
            Body::Multipart(vec![("file", Some("users.json"), json!([bulk_row("omar@example.com", "Omar")]).to_string())]), 200,
            |j| { bulk_job_shape(j); assert_eq!(j["status"], "created"); }),
        row("Bulk / upload again (id, file)", Method::PUT, "/bulk/users/upload",
            Body::Multipart(vec![("id", None, again_job.to_string()),
                ("file", Some("users.json"), json!([bulk_row("pia@example.com", "Pia")]).to_string())]), 200,
            move |j| { bulk_job_shape(j); assert_eq!(j["id"], again_job); assert_eq!(j["status"], "created"); }),
        row("Bulk / proceed (id)", Method::POST, "/bulk/users/proceed", Body::Form(format!("id={ready_job}")), 200,
            move |j| { bulk_job_shape(j); assert_eq!(j["id"], ready_job); assert_eq!(j["status"], "in_progress"); }),
        row("Bulk / get job", Method::GET, format!("/bulk/users/jobs/{ready_job}"), Body::None, 200, bulk_job_shape),
        row("Bulk / get job (upload link path)", Method::GET, format!("/bulk/users_jobs/{ready_job}"), Body::None, 200, bulk_job_shape),
        row("Bulk / list jobs", Method::GET, "/bulk/users/jobs", Body::None, 200,
            |b| { let jobs = b.as_array().expect("array"); assert!(jobs.len() >= 3); for j in jobs { bulk_job_shape(j); } }),
        row("Bulk / scheme error log", Method::GET, format!("/bulk/users/errors/scheme/{ready_job}"), Body::None, 200,
            |b| assert_eq!(b, &json!([]))),
        row("Bulk / error log", Method::GET, format!("/bulk/users/errors/{ready_job}"), Body::None, 200,
            |b| assert!(b.is_array(), "{b}")),
        // ===== Campaign Endpoints 7 (campaign 240; Google names six, the seventh is the empty-body item) =====
        row("Campaigns / add contact", Method::POST, "/outbound_dialer/campaigns/240/contacts", Body::Json(json!({
            "name": "string", "email": "customer@somedomain.com", "phone_number": "+1 111-111-1111",
            "outbound_number": "+1 760-867-5309", "external_unique_id": "UID_123456"})), 201,
            |c| { campaign_contact_shape(c); assert_eq!(c["campaign_id"], 240); assert_eq!(c["unique_id"], "UID_123456"); assert_eq!(c["status"], "Upcoming"); }),
        row("Campaigns / list contacts", Method::GET, "/outbound_dialer/campaigns/240/contacts", Body::None, 200,
            |b| { let rows = b.as_array().expect("array"); assert!(rows.len() >= 3, "{b}"); for c in rows { campaign_contact_shape(c); } }),
        row("Campaigns / import contacts (file)", Method::POST, "/outbound_dialer/campaigns/240/contacts/import",
            Body::Multipart(vec![("file", Some("multi_contacts.json"), json!([
                {"name": "Imp 1", "phone_number": "+1 111-111-3333", "external_unique_id": "UID_IMP1"}]).to_string())]), 202,
            |j| { has(j, "id", int); assert_eq!(j["id"], j["job_id"]); has(j, "status", string); }),
        // The seed doc's item with an empty body; Google's list names it: the import job's status.
        row("Campaigns / import job status", Method::GET, format!("/outbound_dialer/campaigns/240/contacts/jobs/{import_job}"), Body::None, 200,
            move |j| { assert_eq!(j["id"], import_job); has(j, "status", string); has(j, "total", int); }),
        row("Campaigns / update contact", Method::PATCH, "/outbound_dialer/campaigns/240/contact", Body::Json(json!({
            "contact_id": contact_id, "name": "string", "email": "customer@somedomain.com",
            "phone_number": "+1 111-111-4444", "external_unique_id": "UID_SETUP"})), 200,
            move |c| { campaign_contact_shape(c); assert_eq!(c["id"], contact_id); assert_eq!(c["name"], "string"); }),
        row("Campaigns / remove contact", Method::DELETE, "/outbound_dialer/campaigns/240/contact", Body::Json(json!({
            "contact_id": contact_id, "phone_number": "+1 111-111-4444", "external_unique_id": "UID_SETUP"})), 200, empty),
        // ===== Agent Status Endpoints 4 =====
        // ===== End Users 2 =====
        row("End Users / create or update", Method::POST, "/end_users", Body::Json(json!({
            "identifier": "abc123", "email": "joe@mydomain.com", "name": "Joe Smith", "phone": "+16171231234"})), 200,
            |b| { has(b, "id", int); assert_eq!(b["identifier"], "abc123"); }),
        row("End Users / get by id", Method::GET, format!("/end_users?id={}", ticket_user["id"]), Body::None, 200,
            |b| { has(b, "id", int); assert_eq!(b["identifier"], "123123"); }),
        row("End Users / get by identifier", Method::GET, "/end_users?identifier=abc123", Body::None, 200,
            |b| { has(b, "id", int); assert_eq!(b["identifier"], "abc123"); }),
        // ===== Chats 18 =====
        row("Chats / update chat", Method::PATCH, chat_path(""), Body::Json(json!({
            "finished_by_user_id": 1004, "chat": {"deflection_channel": "sms", "status": "dismissed", "escalation_id": 1}})), 200,
            |c| { apps_chat_shape(c); assert_eq!(c["status"], "dismissed"); }),
        row("Chats / resume chat", Method::POST, chat_path("/resume"), Body::None, 200,
            |c| { apps_chat_shape(c); assert_eq!(c["status"], "assigned"); }),
        row("Chats / send message", Method::POST, chat_path("/messages"), Body::Json(json!({
            "from_user_id": 1004, "message": {"type": "text", "content": "Hello from Dan", "media_id": ""}})), 201,
            |m| { has(m, "id", int); assert_eq!(m["content"], "Hello from Dan"); has(m, "created_at", is_time); }),
        row("Chats / escalate", Method::POST, format!("/chats/{va_chat}/escalations"), Body::Json(json!({
            "reason": "string", "force_escalate": true})), 201,
            move |e| { has(e, "id", int); assert_eq!(e["chat_id"], va_chat); assert_eq!(e["force_escalate"], true); }),
        row("Chats / update escalation", Method::PATCH, chat_path("/escalations/1"), Body::Json(json!({
            "deflection_channel": "email"})), 200,
            |e| { assert_eq!(e["id"], 1); assert_eq!(e["deflection_channel"], "email"); }),
        row("Chats / add photos", Method::POST, chat_path("/photos"), Body::Json(json!({"photo": [
            {"s3_path": "uploads/a.png", "photo_type": "photo"}, {"s3_path": "uploads/b.png", "photo_type": "screenshot"}]})), 201,
            |b| { let p = b.as_array().expect("array"); assert_eq!(p.len(), 2); for x in p { has(x, "id", int); has(x, "url", string); } }),
        row("Chats / list photos", Method::GET, chat_path("/photos"), Body::None, 200,
            |b| assert_eq!(b.as_array().map(Vec::len), Some(2), "{b}")),
        row("Chats / photo upload url", Method::GET, chat_path("/photos/upload_url"), Body::None, 200,
            |b| has(b, "url", string)),
        row("Chats / add video", Method::POST, chat_path("/videos"), Body::Json(json!({"video": {"s3_path": "uploads/v.mp4"}})), 201,
            |v| { has(v, "id", int); assert_eq!(v["url"], "uploads/v.mp4"); }),
        row("Chats / list videos", Method::GET, chat_path("/videos"), Body::None, 200,
            |b| assert_eq!(b.as_array().map(Vec::len), Some(1), "{b}")),
        row("Chats / video upload url", Method::GET, chat_path("/videos/upload_url"), Body::None, 200,
            |b| has(b, "url", string)),
        row("Chats / start a new chat", Method::POST, "/chats", Body::Json(json!({"chat": {
            "menu_id": 9002, "end_user_id": 1, "lang": "en", "email": "joe@mydomain.com", "context": {}, "transcript": {}}})), 201,
            |c| { apps_chat_shape(c); assert_eq!(c["status"], "va_assigned"); }),
        row("Chats / get chat", Method::GET, chat_path(""), Body::None, 200,
            move |c| { apps_chat_shape(c); assert_eq!(c["id"], chat_id); }),
        row("Chats / get customer_flag", Method::GET, chat_path("/customer_flag"), Body::None, 200, flags_shape),
        row("Chats / update customer_flag (PATCH)", Method::PATCH, chat_path("/customer_flag"), flags_body(), 200, flags_shape),
        row("Chats / update customer_flag (PUT)", Method::PUT, chat_path("/customer_flag"), flags_body(), 200, flags_shape),
        row("Chats / custom data", Method::POST, chat_path("/custom_data"), Body::Json(unsigned_custom_data()), 200, empty),
        row("Chats / custom data (signed)", Method::POST, chat_path("/custom_data"),
            Body::Json(signed_custom_data(now_s, COMPANY_SECRET, now_s + 3600)), 200, empty),
        row("Chats / update end_user of the chat", Method::POST, chat_path("/end_user"), Body::Json(json!({
            "identifier": "cust-43", "name": "Jane", "email": "jane@mydomain.com", "phone": "+16171231235"})), 202,
            |b| assert_eq!(b, &json!({"message": "accepted"}))),
        // ===== Company Do Not Call List 3 =====
        row("DNC / add numbers", Method::POST, "/outbound_dialer/dnc", Body::Json(json!({"contacts": [
            {"phone_number": "+1-7187309219", "expires_at": "2099-10-29 00:00:00 UTC"}, {"phone_number": "+1-(358)-213-1634"}]})), 200,
            |b| { let r = b.as_array().expect("array"); assert_eq!(r.len(), 2);
                  for x in r { has(x, "phone_number", string); assert_eq!(x["status"], "created", "{x}"); } }),
        row("DNC / remove numbers", Method::POST, "/outbound_dialer/dnc/remove", Body::Json(json!({
            "phone_numbers": ["+1-(358)-213-1634"]})), 200,
            |b| assert_eq!(b[0]["status"], "removed", "{b}")),
        row("DNC / check number", Method::GET, "/outbound_dialer/dnc/check?phone_number=%2B1-7187309219", Body::None, 200,
            |b| { has(b, "phone_number", string); assert_eq!(b["in_dnc"], true); }),
        // ===== Queue Status Endpoints 1 =====
        row("Queue Status / fetch availability", Method::GET, "/queues/status?menu_id=9001&lang=en&channel_type=call",
            Body::None, 200, queue_status_shape),
        // ===== Export - Import Queues Settings 7 (paths [inferred]: the doc gives none) =====
        row("Queue Settings / download version item", Method::GET, format!("/queue_settings/version_histories/{version_id}/download"), Body::None, 200,
            |b| { has(b, "menus", array); }),
        row("Queue Settings / export", Method::GET, "/queue_settings/export?export_audio_files=false&export_attached_files=false", Body::None, 200,
            |b| { has(b, "menus", array); assert_eq!(b["menus"][0]["id"], 9001, "{b}"); }),
        row("Queue Settings / list version histories", Method::GET, "/queue_settings/version_histories", Body::None, 200,
            |b| { let r = b.as_array().expect("array"); assert!(!r.is_empty()); for v in r { has(v, "id", int); has(v, "revision", string); } }),
        row("Queue Settings / get version history", Method::GET, format!("/queue_settings/version_histories/{version_id}"), Body::None, 200,
            move |b| { assert_eq!(b["id"], version_id); assert_eq!(b["kind"], "export"); }),
        row("Queue Settings / import", Method::POST, "/queue_settings/import",
            Body::Multipart(vec![("file", Some("import.json"), exported.to_string()), ("email", None, "alice@demo.ccemu.test".into())]), 200,
            |b| { assert_eq!(b["kind"], "import", "{b}"); has(b, "revision", string); }),
        row("Queue Settings / create auto-saved version", Method::POST, "/queue_settings/version_histories",
            Body::Json(json!({"export_audio_files": false, "export_attached_files": true})), 201,
            |b| { assert_eq!(b["kind"], "auto_saved", "{b}"); assert_eq!(b["export_attached_files"], true); }),
        row("Queue Settings / restore version", Method::POST, "/queue_settings/version_histories/restore",
            Body::Json(json!({"id": version_id, "email": "alice@demo.ccemu.test", "revision": revision})), 200,
            |b| assert_eq!(b["kind"], "restore", "{b}")),
        // ===== Contact Lists 6 =====
        row("Contact Lists / create list", Method::POST, "/contact_lists", Body::Json(json!({"name": "VIP", "description": "best"})), 201,
            |l| { has(l, "id", int); assert_eq!(l["name"], "VIP"); has(l, "contacts", array); }),
        row("Contact Lists / update list", Method::PATCH, format!("/contact_lists/{list_a}"), Body::Json(json!({"name": "A2"})), 200,
            |l| assert_eq!(l["name"], "A2")),
        row("Contact Lists / delete list", Method::DELETE, format!("/contact_lists/{list_a}"), Body::None, 200, empty),
        row("Contact Lists / add entries", Method::POST, format!("/contact_lists/{list_b_id}/contacts"),
            Body::Json(json!({"contacts": [{"name": "Bo", "phone_number": "+15550000010"}]})), 201, |b| assert!(!b.is_null())),
        row("Contact Lists / update entry", Method::PATCH, format!("/contact_lists/{list_b_id}/contacts/{entry_id}"),
            Body::Json(json!({"name": "Ann B"})), 200, |b| assert!(!b.is_null())),
        row("Contact Lists / delete entry", Method::DELETE, format!("/contact_lists/{list_b_id}/contacts/{entry_id}"), Body::None, 200, empty),
        // ===== Queue Operation Statuses 1 =====
        row("Queue Operation Statuses / get", Method::GET, "/queue_operation_statuses?menu_id=9001&lang=en&channel_type=call", Body::None, 200,
            |b| { assert_eq!(b["menu_id"], 9001); assert_eq!(b["lang"], "en"); assert_eq!(b["channel_type"], "call");
                  has(b, "after_hour", boolean); has(b, "overcapacity", boolean); }),
        // ===== Users 1 =====
        row("Users / list users", Method::GET, "/users?page=1&per=100", Body::None, 200,
            |b| { let users = b.as_array().expect("array"); assert!(users.len() >= 4, "{b}"); for x in users { user_shape(x); }
                  assert_eq!(users[0]["email"], "alice@demo.ccemu.test"); assert_eq!(users[0]["extension_numbers"], json!([8001])); }),
        // ===== Calls 1 (custom data) =====
        row("Calls / custom data", Method::POST, call_path("/custom_data"), Body::Json(unsigned_custom_data()), 200, empty),
        row("Calls / custom data (signed)", Method::POST, call_path("/custom_data"),
            Body::Json(signed_custom_data(now_s, COMPANY_SECRET, now_s + 3600)), 200, empty),
        // ===== Agent Status Endpoints 4 (logouts last: they take agents away) =====
        row("Agent Status / force logout (agent_ids, team_ids, ip_addrs)", Method::POST, "/agent_statuses/force_logout", Body::Json(json!({
            "agent_ids": [1003, 1004], "team_ids": [12], "ip_addrs": ["34.211.11.0/24"]})), 200,
            |b| { status_rows_shape(b); for r in b.as_array().unwrap() { assert_eq!(r["current_status"], "Offline"); } }),
        row("Agent Status / force logout (agent_ids, team_ids)", Method::POST, "/agent_statuses/force_logout", Body::Json(json!({
            "agent_ids": [1001, 1002], "team_ids": [11]})), 200,
            |b| { status_rows_shape(b); assert_eq!(b.as_array().unwrap().len(), 2); }),
        row("Agent Status / force logout job", Method::GET, "/agent_statuses/force_logout/1", Body::None, 200,
            |j| { assert_eq!(j["id"], 1); has(j, "status", string); }),
    ];

    let mut seen = std::collections::BTreeSet::new();
    for r in rows {
        assert!(seen.insert(r.item), "{} twice", r.item);
        let (status, _, body) = u.send(r.method.clone(), &r.path, r.body).await;
        assert_eq!(
            status, r.want,
            "{} ({} {}): {body}",
            r.item, r.method, r.path
        );
        (r.check)(&body);
    }
}

/// Another tenant's UJET credentials (a tenant made through the control plane).
async fn other_tenant(s: &Server) -> (String, String) {
    let other = s.create_tenant("other").await;
    let o = &other["credentials"]["ujet"];
    (
        o["subdomain"].as_str().unwrap().to_owned(),
        o["api_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn ujet_examples_calls_refuse_what_the_note_lists_and_keep_flags_and_custom_data() {
    let s = Server::start().await;
    let t0 = demo(&s).await;
    let u = Ujet::new(&s, TOKEN);
    s.ready("demo", "1001").await;
    let inbound = |menu: Value| json!({"call_type": "Voice Inbound (API)", "menu_id": menu, "end_user_number": "+1 617-555-0101"});
    let outbound = |extra: Value| {
        let mut b =
            json!({"call_type": "Voice Outbound (API)", "agent_email": "alice@demo.ccemu.test"});
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    for (body, want) in [
        (
            json!({}),
            "param is missing or the value is empty: call_type",
        ),
        (json!({"call_type": "Fax"}), "Invalid call type"),
        (
            json!({"call_type": "Voice Outbound (API)"}),
            "Agent email required",
        ),
        (
            json!({"call_type": "OutboundCall", "agent_email": "nobody@demo.ccemu.test", "end_user_number": "+15550000001"}),
            "Not a valid agent email",
        ),
        (outbound(json!({})), "ticket_id or end_user_number required"),
        (
            outbound(json!({"end_user_number": "call me"})),
            "end_user_number is not well-formed",
        ),
        (
            outbound(json!({"ticket_id": "no-such-ticket"})),
            "Contact not found",
        ),
        (
            outbound(json!({"end_user_number": "+15550000001", "menu_id": 9999})),
            "menu_id 9999 is not found",
        ),
        (
            outbound(json!({"end_user_number": "+15550000001", "menu_id": "nine"})),
            "menu_id is not well formed",
        ),
        (
            outbound(json!({"end_user_number": "+15550000001", "lang": "xy"})),
            "Language 'xy' is not found",
        ),
        (
            json!({"call_type": "IncomingCall", "end_user_number": "+15550000001"}),
            "menu_id is required",
        ),
        (
            json!({"call_type": "Voice Inbound (API)", "menu_id": 9001}),
            "end_user_number is required",
        ),
        (
            json!({"call_type": "Voice Inbound (API)", "menu_id": 9001, "end_user_number": "x"}),
            "end_user_number is not well formed",
        ),
        (
            json!({"call_type": "ScheduledCall", "menu_id": 9001, "end_user_number": "+15550000001"}),
            "scheduled_at is required",
        ),
    ] {
        let (status, b) = u.post("/calls", body.clone()).await;
        assert_eq!((status, b), (400, message(want)), "{body}");
    }
    let (status, _, b) = u
        .send(Method::POST, "/calls", Body::Form("call_type=x".into()))
        .await;
    assert_eq!((status, b), (400, message("Invalid JSON in request body")));

    // Outbound: the agent's call, assigned, with both participants.
    let (status, out) = u
        .post(
            "/calls",
            outbound(json!({"end_user_number": "+1 617-555-0199"})),
        )
        .await;
    assert_eq!(status, 201, "{out}");
    call_shape(&out);
    assert_eq!(out["status"], "assigned");
    assert_eq!(out["answer_type"], "manual");
    assert_eq!(out["agent_info"]["id"], 1001);
    let mut kinds: Vec<&str> = out["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["agent", "end_user"]);
    // Alice is on her call now.
    let (status, b) = u
        .post(
            "/calls",
            outbound(json!({"end_user_number": "+15550000002"})),
        )
        .await;
    assert_eq!(
        (status, b),
        (400, message("Agent is not available to take this call"))
    );
    // `menu_id` as a string; the call waits in the queue (Alice is busy, Bob logged out).
    let (status, call) = u.post("/calls", inbound(json!("9001"))).await;
    assert_eq!(status, 201, "{call}");
    call_shape(&call);
    assert_eq!(call["call_type"], "Voice Inbound (API)");
    assert_eq!(call["lang"], "en");
    assert_eq!(call["status"], "queued");
    let id = call["id"].as_i64().unwrap();
    // A scheduled call in the past is refused; in the future it is stored as scheduled.
    let (status, b) = u
        .post(
            "/calls",
            json!({"call_type": "Voice Scheduled (API)", "menu_id": 9001,
            "end_user_number": "+15550000001", "scheduled_at": "2019-09-15T00:19:14.421Z"}),
        )
        .await;
    assert_eq!(
        (status, b),
        (400, message("scheduled_at must be in the future"))
    );
    let (status, sched) = u
        .post(
            "/calls",
            json!({"call_type": "Voice Scheduled (API)", "call_id": id,
            "end_user_number": "+15550000001", "scheduled_at": iso(t0 + 600_000)}),
        )
        .await;
    assert_eq!(status, 201, "{sched}");
    assert_eq!(
        (&sched["status"], &sched["call_type"], &sched["parent_id"]),
        (
            &json!("scheduled"),
            &json!("Voice Scheduled (API)"),
            &json!(id)
        )
    );
    assert_eq!(sched["scheduled_at"], json!(iso(t0 + 600_000)));

    // Flags: false until set; PATCH takes the doc's plural `repeat_customers`.
    let flags = format!("/calls/{id}/customer_flag");
    assert_eq!(
        u.get(&flags).await,
        (
            200,
            json!({"verified_customer": false, "bad_actor": false, "repeat_customer": false})
        )
    );
    let (status, _, b) = u
        .send(
            Method::PATCH,
            &flags,
            Body::Json(json!({"bad_actor": "maybe"})),
        )
        .await;
    assert_eq!((status, b), (400, message("bad_actor is invalid")));
    let (status, _, b) = u
        .send(
            Method::PUT,
            &flags,
            Body::Json(json!({"verified_customer": true, "repeat_customers": true})),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(
        u.get(&flags).await,
        (
            200,
            json!({"verified_customer": true, "bad_actor": false, "repeat_customer": true})
        )
    );
    // Signed custom data: HS256 with the company secret; its reserved keys set the flags.
    let now_s = t0 / 1000;
    let data = format!("/calls/{id}/custom_data");
    for (body, want) in [
        (
            signed_custom_data(now_s, "not-the-secret", now_s + 60),
            "signed_data signature is invalid",
        ),
        (
            signed_custom_data(now_s - 7200, COMPANY_SECRET, now_s - 3600),
            "signed_data has expired",
        ),
        (
            json!({"signed": true, "signed_data": "abc"}),
            "signed_data is not a valid JWT",
        ),
        (
            json!({"signed": true}),
            "param is missing or the value is empty: signed_data",
        ),
        (
            json!({"signed": false}),
            "param is missing or the value is empty: data",
        ),
    ] {
        assert_eq!(
            u.post(&data, body.clone()).await,
            (400, message(want)),
            "{body}"
        );
    }
    // The refused bodies changed nothing.
    assert_eq!(u.get(&flags).await.1["bad_actor"], false);
    let signed = signed_custom_data(now_s, COMPANY_SECRET, now_s + 60);
    assert_eq!(u.post(&data, signed).await, (200, json!({})));
    assert_eq!(
        u.get(&flags).await,
        (
            200,
            json!({"verified_customer": false, "bad_actor": true, "repeat_customer": false})
        )
    );
    // The end user of the call: `identifier` required.
    let end_user = format!("/calls/{id}/end_user");
    assert_eq!(
        u.post(&end_user, json!({"name": "Joe"})).await,
        (
            400,
            message("param is missing or the value is empty: identifier")
        )
    );
    assert_eq!(
        u.post(
            &end_user,
            json!({"identifier": "joe-1", "phone": "+16171231234"})
        )
        .await,
        (202, json!({"message": "accepted"}))
    );
    let (status, joe) = u.get("/end_users?identifier=joe-1").await;
    assert_eq!(status, 200, "{joe}");
    has(&joe, "id", int);

    // Unknown ids and another tenant's credentials: 404 Not Found.
    let other = other_tenant(&s).await;
    let o = Ujet::new(&s, (&other.0, &other.1));
    for path in ["/calls/999999/customer_flag".to_owned(), flags.clone()] {
        let who = if path == flags { &o } else { &u };
        assert_eq!(who.get(&path).await, (404, not_found()), "{path}");
    }
    assert_eq!(
        o.post(&data, unsigned_custom_data()).await,
        (404, not_found())
    );
    assert_eq!(
        o.post(&end_user, json!({"identifier": "x"})).await,
        (404, not_found())
    );
    let (status, _, b) = o
        .send(
            Method::PATCH,
            &flags,
            Body::Json(json!({"bad_actor": true})),
        )
        .await;
    assert_eq!((status, b), (404, not_found()));
    // The other tenant's outbound call does not find this tenant's agent.
    let (status, b) = o
        .post(
            "/calls",
            outbound(json!({"end_user_number": "+15550000001"})),
        )
        .await;
    assert_eq!((status, b), (400, message("Not a valid agent email")));
}

#[tokio::test]
async fn ujet_examples_end_users_sms_wait_times_and_queue_statuses() {
    let s = Server::start().await;
    let t0 = demo(&s).await;
    let u = Ujet::new(&s, TOKEN);
    let other = other_tenant(&s).await;
    let o = Ujet::new(&s, (&other.0, &other.1));

    // End users: create, update by identifier (same id), read by id or identifier.
    let (status, joe) = u
        .post("/end_users", json!({"identifier": "abc123", "email": "joe@mydomain.com", "name": "Joe Smith", "phone": "+16171231234"}))
        .await;
    assert_eq!(status, 200, "{joe}");
    assert_eq!(joe["identifier"], "abc123");
    let joe_id = joe["id"].as_i64().unwrap();
    let (status, again) = u
        .post(
            "/end_users",
            json!({"identifier": "abc123", "name": "Joe S."}),
        )
        .await;
    assert_eq!((status, &again["id"]), (200, &json!(joe_id)));
    assert_eq!(
        u.get(&format!("/end_users?id={joe_id}")).await,
        (200, json!({"id": joe_id, "identifier": "abc123"}))
    );
    assert_eq!(u.get("/end_users?identifier=abc123").await.1["id"], joe_id);
    assert_eq!(
        u.get("/end_users?identifier=nobody").await,
        (404, not_found())
    );
    assert_eq!(u.get("/end_users?id=999999").await, (404, not_found()));
    assert_eq!(
        o.get(&format!("/end_users?id={joe_id}")).await,
        (404, not_found())
    );
    assert_eq!(
        u.post("/end_users", json!({"email": "x@y.z"})).await,
        (
            400,
            message("param is missing or the value is empty: identifier")
        )
    );

    // SMS: the doc's chat type and the API one; each required field named.
    let sms = json!({"chat_type": "Messaging (API)", "end_user_number": "+1 415-555-0100",
        "outbound_number": "+1 628-555-0199", "message": "lorem ipsum"});
    let (status, chat) = u.post("/sms", sms.clone()).await;
    assert_eq!(status, 201, "{chat}");
    sms_chat_shape(&chat);
    assert_eq!(
        (&chat["status"], &chat["chat_type"]),
        (&json!("selecting"), &json!("Messaging (API)"))
    );
    for field in ["chat_type", "end_user_number", "outbound_number", "message"] {
        let mut body = sms.clone();
        body.as_object_mut().unwrap().remove(field);
        assert_eq!(
            u.post("/sms", body).await,
            (
                400,
                message(&format!("param is missing or the value is empty: {field}"))
            ),
            "{field}"
        );
    }
    let mut body = sms.clone();
    body["chat_type"] = json!("Pigeon");
    assert_eq!(
        u.post("/sms", body).await,
        (400, message("Invalid chat type"))
    );

    // Wait times: one row per menu, a free agent means no wait; filters and their errors.
    s.ready("demo", "1001").await;
    let (status, rows) = u.get("/wait_times?lang=en").await;
    assert_eq!(status, 200, "{rows}");
    let rows = rows.as_array().unwrap().clone();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        wait_time_row_shape(r);
    }
    let sales = rows.iter().find(|r| r["menu_id"] == 9001).unwrap();
    assert_eq!(
        (
            &sales["voice_call"],
            &sales["available_agents"],
            &sales["logged_in_agents"]
        ),
        (&json!(0), &json!(1), &json!(1))
    );
    let (_, only) = u
        .get("/wait_times?lang=en&menu_id=9002&channel_type=chat")
        .await;
    assert_eq!(only.as_array().unwrap().len(), 1, "{only}");
    assert!(
        only[0].get("voice_call").is_none() && only[0]["chat"].is_i64(),
        "{only}"
    );
    assert_eq!(
        u.get("/wait_times?lang=en&menu_type=web_menu").await,
        (200, json!([]))
    );
    for (query, want) in [
        ("", "param is missing or the value is empty: lang"),
        (
            "lang=en&menu_type=fax_menu",
            "menu_type fax_menu is not valid",
        ),
        (
            "lang=en&channel_type=pigeon",
            "channel_type pigeon is not valid",
        ),
        ("lang=en&menu_id=x", "menu_id is not well formed"),
    ] {
        assert_eq!(
            u.get(&format!("/wait_times?{query}")).await,
            (400, message(want)),
            "{query}"
        );
    }
    assert_eq!(
        u.get("/wait_times?lang=en&menu_id=4242").await,
        (404, not_found())
    );
    assert_eq!(
        o.get("/wait_times?lang=en&menu_id=9001").await,
        (404, not_found())
    );

    // Queue status: the doc's `menu_id[]` + `menu_type` form, periods over the hours asked.
    let (status, body) = u
        .get(&format!(
            "/queues/status?lang=en&menu_id[]=9001&menu_id%5B%5D=9002&menu_type=ivr_menu&callback_period_hours=1&callback_start_from={}",
            iso(t0 + 3_600_000)
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    queue_status_shape(&body);
    let queues = body["queues"].as_array().unwrap();
    assert_eq!(
        queues
            .iter()
            .map(|q| q["menu_id"].clone())
            .collect::<Vec<_>>(),
        [json!(9001), json!(9002)]
    );
    assert_eq!(
        queues[0]["callback_periods"].as_array().unwrap().len(),
        4,
        "{body}"
    );
    for (query, want) in [
        (
            "lang=en&menu_type=ivr_menu",
            "param is missing or the value is empty: menu_id",
        ),
        (
            "lang=en&menu_id[]=9001",
            "param is missing or the value is empty: menu_type",
        ),
        (
            "menu_id[]=9001&menu_type=ivr_menu",
            "param is missing or the value is empty: lang",
        ),
        (
            "lang=en&menu_id[]=9001&menu_type=ivr_menu&callback_period_hours=9",
            "callback_period_hours must be between 1 and 8",
        ),
        (
            "lang=en&menu_id[]=9001&menu_type=ivr_menu&callback_start_from=soon",
            "callback_start_from is not well formed",
        ),
    ] {
        assert_eq!(
            u.get(&format!("/queues/status?{query}")).await,
            (400, message(want)),
            "{query}"
        );
    }
    assert_eq!(
        o.get("/queues/status?lang=en&menu_id=9001&channel_type=call")
            .await,
        (404, not_found())
    );

    // Queue operation statuses: every parameter required.
    let (status, qos) = u
        .get("/queue_operation_statuses?menu_id=9002&lang=en&channel_type=chat")
        .await;
    assert_eq!(status, 200, "{qos}");
    assert_eq!(
        qos,
        json!({"menu_id": 9002, "lang": "en", "channel_type": "chat", "after_hour": false, "overcapacity": qos["overcapacity"].clone()})
    );
    has(&qos, "overcapacity", boolean);
    for (query, want) in [
        (
            "lang=en&channel_type=call",
            "param is missing or the value is empty: menu_id",
        ),
        (
            "menu_id=9001&channel_type=call",
            "param is missing or the value is empty: lang",
        ),
        (
            "menu_id=9001&lang=en",
            "param is missing or the value is empty: channel_type",
        ),
        (
            "menu_id=9001&lang=en&channel_type=voice",
            "channel_type voice is not valid",
        ),
    ] {
        assert_eq!(
            u.get(&format!("/queue_operation_statuses?{query}")).await,
            (400, message(want)),
            "{query}"
        );
    }
    assert_eq!(
        u.get("/queue_operation_statuses?menu_id=4242&lang=en&channel_type=call")
            .await,
        (404, not_found())
    );
}

#[tokio::test]
async fn ujet_examples_users_page_or_filter_with_the_four_doc_errors() {
    let s = Server::start().await;
    let u = Ujet::new(&s, TOKEN);
    let (status, users) = u.get("/users").await;
    assert_eq!(status, 200, "{users}");
    let all = users.as_array().unwrap().clone();
    assert_eq!(
        all.iter().map(|x| x["id"].clone()).collect::<Vec<_>>(),
        [json!(1001), json!(1002), json!(1003), json!(1004)]
    );
    for x in &all {
        user_shape(x);
    }
    let (_, page2) = u.get("/users?page=2&per=3").await;
    assert_eq!(page2, json!([all[3].clone()]));
    assert_eq!(
        u.get("/users?per=1000").await.1.as_array().map(Vec::len),
        Some(4)
    );
    let (_, by) = u
        .get("/users?id[]=carol@demo.ccemu.test&id[]=dan@demo.ccemu.test")
        .await;
    assert_eq!(by, json!([all[2].clone(), all[3].clone()]));
    let (_, by) = u.get("/users?id%5B%5D=1002").await;
    assert_eq!(by, json!([all[1].clone()]));
    let (_, by) = u.get("/users?agent_number[]=1001").await;
    assert_eq!(by, json!([all[0].clone()]));
    let many: String = (0..1001).map(|i| format!("&id[]={i}")).collect();
    for (query, want) in [
        ("per=1001", "Invalid page size request - check to ensure the max page size is a valid integer less than 1000"),
        ("per=lots", "Invalid page size request - check to ensure the max page size is a valid integer less than 1000"),
        ("page=1&id[]=1001", "Cannot paginate filtered results - ensure that you are not using a filter and pagination parameters"),
        ("id[]=1001&agent_number[]=1001", "Only one filter should be configured at a time"),
        (&many[1..], "Ensure you are not filtering more than 1000 values at a time"),
    ] {
        assert_eq!(u.get(&format!("/users?{query}")).await, (400, message(want)), "{}", &query[..query.len().min(40)]);
    }
    // Another tenant sees its own (no) users, not these.
    let other = other_tenant(&s).await;
    assert_eq!(
        Ujet::new(&s, (&other.0, &other.1)).get("/users").await,
        (200, json!([]))
    );
}

#[tokio::test]
async fn ujet_examples_agent_statuses_refuse_system_statuses_and_force_logout_waits_for_busy_agents(
) {
    let s = Server::start().await;
    demo(&s).await;
    let u = Ujet::new(&s, TOKEN);
    for a in ["1001", "1002", "1003"] {
        s.ready("demo", a).await;
    }
    // A team moves as a whole; the answer lists each agent's previous and new status.
    let (status, rows) = u
        .post(
            "/agent_statuses",
            json!({"status": "meal", "agent_ids": [], "team_ids": [11]}),
        )
        .await;
    assert_eq!(status, 200, "{rows}");
    status_rows_shape(&rows);
    assert_eq!(
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| (
                r["agent_id"].clone(),
                r["previous_status"].clone(),
                r["current_status"].clone()
            ))
            .collect::<Vec<_>>(),
        [
            (json!(1001), json!("Available"), json!("Meal")),
            (json!(1002), json!("Available"), json!("Meal"))
        ]
    );
    let (_, back) = u
        .post(
            "/agent_statuses",
            json!({"status": "Available", "agent_ids": [1002], "team_ids": []}),
        )
        .await;
    assert_eq!(back[0]["previous_status"], "Meal");
    assert_eq!(s.agent_state("demo", "1002").await, "available");
    // Carol takes a call: In-call, a system status.
    let call = s.sim_contact("demo", "calls", "9002").await;
    let (st, b) = s
        .post("/_ccemu/tenants/demo/sim/agents/1003/answer", json!({}))
        .await;
    assert_eq!(st, 200, "{b}");
    // Failure paths: each required field, unknown and system statuses, agents in one, unknown ids.
    for (body, want) in [
        (
            json!({"agent_ids": [1001], "team_ids": []}),
            "param is missing or the value is empty: status",
        ),
        (
            json!({"status": "Available", "team_ids": []}),
            "param is missing or the value is empty: agent_ids",
        ),
        (
            json!({"status": "Available", "agent_ids": [1001]}),
            "param is missing or the value is empty: team_ids",
        ),
        (
            json!({"status": "Napping", "agent_ids": [1001], "team_ids": []}),
            "Invalid status: Napping",
        ),
        (
            json!({"status": "In-call", "agent_ids": [1001], "team_ids": []}),
            "In-call is a system status and cannot be set",
        ),
        (
            json!({"status": "Offline", "agent_ids": [1001], "team_ids": []}),
            "Offline is a system status and cannot be set",
        ),
        (
            json!({"status": "Break", "agent_ids": [1001, 1003], "team_ids": []}),
            "Agent 1003 is in the system status In-call and cannot be changed",
        ),
    ] {
        assert_eq!(
            u.post("/agent_statuses", body.clone()).await,
            (400, message(want)),
            "{body}"
        );
    }
    let (status, b) = u
        .post(
            "/agent_statuses",
            json!({"status": "Break", "agent_ids": "1001", "team_ids": []}),
        )
        .await;
    assert_eq!(status, 400, "{b}");
    // All or nothing: Alice kept her meal although the refused request named her first.
    assert_eq!(
        u.get("/users?id[]=1001").await.1.as_array().map(Vec::len),
        Some(1)
    );
    let (_, rows) = u
        .post(
            "/agent_statuses",
            json!({"status": "Meal", "agent_ids": [1001], "team_ids": []}),
        )
        .await;
    assert_eq!(rows[0]["previous_status"], "Meal");
    assert_eq!(
        u.post(
            "/agent_statuses",
            json!({"status": "Break", "agent_ids": [777], "team_ids": []})
        )
        .await,
        (404, not_found())
    );
    let other = other_tenant(&s).await;
    let o = Ujet::new(&s, (&other.0, &other.1));
    assert_eq!(
        o.post(
            "/agent_statuses",
            json!({"status": "Break", "agent_ids": [1001], "team_ids": []})
        )
        .await,
        (404, not_found())
    );

    // Force logout: Carol is busy on a call, so her job runs until the call ends.
    for (body, want) in [
        (
            json!({}),
            "param is missing or the value is empty: agent_ids",
        ),
        (
            json!({"ip_addrs": ["300.1.1.1"]}),
            "Invalid IP address: 300.1.1.1",
        ),
    ] {
        assert_eq!(
            u.post("/agent_statuses/force_logout", body.clone()).await,
            (400, message(want)),
            "{body}"
        );
    }
    assert_eq!(
        u.post("/agent_statuses/force_logout", json!({"agent_ids": [777]}))
            .await,
        (404, not_found())
    );
    let (status, rows) = u
        .post("/agent_statuses/force_logout", json!({"agent_ids": [1003], "team_ids": [], "ip_addrs": ["34.211.11.0/24", "2001:db8::1"]}))
        .await;
    assert_eq!(status, 200, "{rows}");
    status_rows_shape(&rows);
    assert_eq!(
        (&rows[0]["agent_id"], &rows[0]["current_status"]),
        (&json!(1003), &json!("Offline"))
    );
    let (_, jobs) = u.get("/agent_statuses/force_logout/1").await;
    assert_eq!(jobs, json!({"id": 1, "status": "in_progress"}));
    assert_eq!(s.agent_state("demo", "1003").await, "on_contact");
    let (st, b) = s
        .post(
            &format!(
                "/_ccemu/tenants/demo/sim/interactions/{}/hangup",
                call["id"].as_str().unwrap()
            ),
            json!({"by": "customer"}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(s.agent_state("demo", "1003").await, "logged_out");
    assert_eq!(
        u.get("/agent_statuses/force_logout/1").await,
        (200, json!({"id": 1, "status": "finished"}))
    );
    // A team: both sales agents leave at once; a second job.
    let (status, rows) = u
        .post(
            "/agent_statuses/force_logout",
            json!({"agent_ids": [], "team_ids": [11]}),
        )
        .await;
    assert_eq!((status, rows.as_array().map(Vec::len)), (200, Some(2)));
    assert_eq!(
        u.get("/agent_statuses/force_logout/2").await,
        (200, json!({"id": 2, "status": "finished"}))
    );
    assert_eq!(s.agent_state("demo", "1001").await, "logged_out");
    assert_eq!(
        u.get("/agent_statuses/force_logout/3").await,
        (404, not_found())
    );
    assert_eq!(
        o.get("/agent_statuses/force_logout/1").await,
        (404, not_found())
    );
}

#[tokio::test]
async fn ujet_examples_bulk_users_upload_validate_proceed_and_refuse_the_legacy_secret() {
    let s = Server::start().await;
    let u = Ujet::new(&s, TOKEN);
    let file = |rows: Value| Body::Multipart(vec![("file", Some("users.json"), rows.to_string())]);
    // Template: one row per agent, shaped like the doc's file format.
    let (status, template) = u.get("/bulk/users/template").await;
    assert_eq!(status, 200, "{template}");
    let rows = template.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let alice = rows
        .iter()
        .find(|r| r["email"] == "alice@demo.ccemu.test")
        .unwrap();
    assert_eq!(
        (&alice["first_name"], &alice["last_name"], &alice["status"]),
        (&json!("Alice"), &json!("Chen"), &json!("Active"))
    );
    assert_eq!(
        alice["teams"],
        json!([{"name": "Sales", "value": 1}, {"name": "Support", "value": 0}])
    );

    // A broken file ends invalid_scheme with one error per broken rule.
    let mut broken = bulk_row("not-an-email", "");
    broken["status"] = json!("Gone");
    let (status, headers, job) = u
        .send(Method::POST, "/bulk/users/upload", file(json!([broken])))
        .await;
    assert_eq!(status, 200, "{job}");
    bulk_job_shape(&job);
    assert_eq!(job["status"], "created");
    assert_eq!(
        headers["link"].to_str().unwrap(),
        job["link"].as_str().unwrap()
    );
    let bad_id = job["id"].as_i64().unwrap();
    assert_eq!(
        u.settle_bulk(bad_id, "created").await["status"],
        "invalid_scheme"
    );
    let (status, errors) = u.get(&format!("/bulk/users/errors/scheme/{bad_id}")).await;
    assert_eq!(status, 200);
    let mut fields: Vec<&str> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["email", "first_name", "status"], "{errors}");
    for e in errors.as_array().unwrap() {
        assert_eq!(e["row"], 1);
        has(e, "message", string);
    }
    assert_eq!(
        u.send(
            Method::POST,
            "/bulk/users/proceed",
            Body::Json(json!({"id": bad_id}))
        )
        .await
        .2,
        message(&format!("Job {bad_id} is invalid_scheme, not valid_scheme"))
    );
    // Uploaded again (PUT with the id), the same job turns valid and proceeds to finished.
    let (status, _, job) = u
        .send(
            Method::PUT,
            "/bulk/users/upload",
            Body::Multipart(vec![
                ("id", None, bad_id.to_string()),
                (
                    "file",
                    Some("users.json"),
                    json!([bulk_row("nina@example.com", "Nina")]).to_string(),
                ),
            ]),
        )
        .await;
    assert_eq!(
        (status, &job["id"], &job["status"]),
        (200, &json!(bad_id), &json!("created"))
    );
    assert_eq!(
        u.settle_bulk(bad_id, "created").await["status"],
        "valid_scheme"
    );
    assert_eq!(
        u.get(&format!("/bulk/users/errors/scheme/{bad_id}")).await,
        (200, json!([]))
    );
    let (status, _, job) = u
        .send(
            Method::POST,
            "/bulk/users/proceed",
            Body::Json(json!({"id": bad_id})),
        )
        .await;
    assert_eq!((status, &job["status"]), (200, &json!("in_progress")));
    assert_eq!(
        u.settle_bulk(bad_id, "in_progress").await["status"],
        "finished"
    );
    let (_, job) = u.get(&format!("/bulk/users_jobs/{bad_id}")).await;
    assert_eq!(job["status"], "finished");
    assert_eq!(
        u.get(&format!("/bulk/users/errors/{bad_id}")).await,
        (200, json!([]))
    );
    let (_, nina) = u.get("/users?id[]=nina@example.com").await;
    assert_eq!(
        (&nina[0]["first_name"], &nina[0]["last_name"]),
        (&json!("Nina"), &json!("Doe"))
    );
    assert_eq!(nina[0]["teams"], json!([{"name": "Support"}]));
    // The row's chat limit, enabled, reads back the same from /users and the template.
    assert_eq!(
        (
            &nina[0]["max_chat_limit"],
            &nina[0]["max_chat_limit_enabled"]
        ),
        (&json!(2), &json!(true))
    );
    let (_, template) = u.get("/bulk/users/template").await;
    let row = template
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["email"] == "nina@example.com")
        .unwrap();
    assert_eq!(
        (&row["max_chat_limit"], &row["max_chat_limit_enabled"]),
        (&json!(2), &json!(1))
    );
    let (_, alice) = u.get("/users?id[]=alice@demo.ccemu.test").await;
    let alice_row = template
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["email"] == "alice@demo.ccemu.test")
        .unwrap();
    assert_eq!(
        alice_row["max_chat_limit_enabled"] == 1,
        alice[0]["max_chat_limit_enabled"] == true,
        "{alice_row} {alice}"
    );
    // A second job; the list is newest first.
    let (_, _, second) = u
        .send(Method::POST, "/bulk/users/upload", file(json!([])))
        .await;
    let (_, jobs) = u.get("/bulk/users/jobs").await;
    let ids: Vec<Value> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].clone())
        .collect();
    assert_eq!(ids, [second["id"].clone(), json!(bad_id)]);

    // Failure paths.
    let (status, _, b) = u
        .send(Method::POST, "/bulk/users/upload", Body::Json(json!([])))
        .await;
    assert_eq!(
        (status, b),
        (400, message("Request must be multipart/form-data"))
    );
    let (status, _, b) = u
        .send(
            Method::POST,
            "/bulk/users/upload",
            Body::Multipart(vec![("file", Some("u.json"), "{}".into())]),
        )
        .await;
    assert_eq!((status, b), (400, message("file must be a JSON array")));
    let (status, _, b) = u
        .send(
            Method::PUT,
            "/bulk/users/upload",
            Body::Multipart(vec![("file", Some("u.json"), "[]".into())]),
        )
        .await;
    assert_eq!(
        (status, b),
        (400, message("param is missing or the value is empty: id"))
    );
    let (status, _, b) = u
        .send(Method::POST, "/bulk/users/proceed", Body::Json(json!({})))
        .await;
    assert_eq!(
        (status, b),
        (400, message("param is missing or the value is empty: id"))
    );
    assert_eq!(u.get("/bulk/users/jobs/999999").await, (404, not_found()));
    let other = other_tenant(&s).await;
    let o = Ujet::new(&s, (&other.0, &other.1));
    assert_eq!(
        o.get(&format!("/bulk/users/jobs/{bad_id}")).await,
        (404, not_found())
    );
    assert_eq!(o.get("/bulk/users/jobs").await, (200, json!([])));
    // The legacy company secret is refused on every bulk endpoint ("not supported").
    let legacy = Ujet::new(&s, LEGACY);
    let refused = json!({"error": "Unauthorized", "message": "Invalid credentials", "status": 401});
    for (method, path, body) in [
        (Method::GET, "/bulk/users/template".to_owned(), Body::None),
        (
            Method::POST,
            "/bulk/users/upload".to_owned(),
            file(json!([])),
        ),
        (
            Method::POST,
            "/bulk/users/proceed".to_owned(),
            Body::Json(json!({"id": bad_id})),
        ),
        (
            Method::GET,
            format!("/bulk/users/jobs/{bad_id}"),
            Body::None,
        ),
        (Method::GET, "/bulk/users/jobs".to_owned(), Body::None),
        (
            Method::GET,
            format!("/bulk/users/errors/scheme/{bad_id}"),
            Body::None,
        ),
    ] {
        let (status, _, b) = legacy.send(method.clone(), &path, body).await;
        assert_eq!((status, b), (401, refused.clone()), "{method} {path}");
    }
    // ...while the same secret still works elsewhere on the Apps API.
    assert_eq!(legacy.get("/users?per=1").await.0, 200);
}
