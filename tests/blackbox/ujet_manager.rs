//! The UJET Manager API ("Data API", `vendor-notes/ujet.md` §4, §5, §7) against the real binary,
//! as a reporting client reads it: Basic auth with the legacy pair, `Accept: application/vnd.json`,
//! a path prefix before `/manager/api/v1`, `Link` followed verbatim, `Total` read as an integer.

use crate::harness::Server;
use reqwest::header::{HeaderMap, LINK};
use serde_json::{json, Value};

/// The demo tenant's API-token pair and legacy pair (README).
pub const TOKEN: (&str, &str) = ("demo", "demo-ujet-api-token");
pub const LEGACY: (&str, &str) = ("demo-ujet-company-key", "demo-ujet-company-secret");

/// One Manager answer.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The `Total` header as the integer clients parse it into.
    pub fn total(&self) -> i64 {
        self.headers["total"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("Total is not an integer: {:?}", self.headers["total"]))
    }

    /// The rows of a list answer (a top-level array, never an object).
    pub fn rows(&self) -> &Vec<Value> {
        self.body
            .as_array()
            .unwrap_or_else(|| panic!("not an array: {}", self.body))
    }
}

/// GET an absolute URL as a reporting client does.
pub async fn get_url(s: &Server, url: &str, (user, password): (&str, &str)) -> Reply {
    let response = s
        .http
        .get(url)
        .basic_auth(user, Some(password))
        .header("accept", "application/vnd.json")
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {text}"));
    Reply {
        status,
        headers,
        body,
    }
}

/// GET a Manager path (relative to `/manager/api/v1`) with the legacy pair.
pub async fn manager(s: &Server, path: &str) -> Reply {
    get_url(s, &s.url(&format!("/manager/api/v1{path}")), LEGACY).await
}

/// The `rel="next"` URL of a `Link` header, parsed the strict way reporting clients do: every
/// part must be `<https...>; rel="..."`, else the whole header is dropped.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(LINK)?.to_str().ok()?;
    let mut next = None;
    for part in value.split(',') {
        let (url, rel) = part.trim().split_once(';')?;
        let url = url.trim().strip_prefix("<https://")?.strip_suffix('>')?;
        let rel = rel.trim().strip_prefix("rel=\"")?.strip_suffix('"')?;
        if rel == "next" {
            next = Some(format!("https://{url}"));
        }
    }
    next
}

/// Follows `Link` from `url` until it is absent; returns every row and the number of pages.
/// Every page must answer 200 with the same `Total`.
pub async fn follow(s: &Server, url: &str) -> (Vec<Value>, usize) {
    let (mut rows, mut pages, mut total) = (Vec::new(), 0, None);
    let mut next = Some(url.to_owned());
    while let Some(current) = next {
        let r = get_url(s, &current, LEGACY).await;
        assert_eq!(r.status, 200, "{current}: {}", r.body);
        let t = r.total();
        assert_eq!(*total.get_or_insert(t), t, "{current}: Total changed");
        rows.extend(r.rows().iter().cloned());
        pages += 1;
        assert!(pages < 100, "{current}: Link never ends");
        next = next_link(&r.headers);
    }
    assert_eq!(
        i64::try_from(rows.len()).unwrap(),
        total.unwrap(),
        "{url}: rows"
    );
    (rows, pages)
}

/// An ISO-8601 date-time string the clients parse.
pub fn assert_iso(value: &Value, what: &str) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"));
    assert!(
        ccemu_core::clock::parse_rfc3339(text).is_some() && text.contains('T'),
        "{what} is not ISO-8601: {text}"
    );
}

/// ISO-8601 or null.
pub fn assert_iso_or_null(value: &Value, what: &str) {
    if !value.is_null() {
        assert_iso(value, what);
    }
}

/// A list field is an array (or null), never an object.
pub fn assert_array_or_null(value: &Value, what: &str) {
    assert!(value.is_array() || value.is_null(), "{what}: {value}");
}

/// The keys of an object, sorted.
pub fn keys(value: &Value) -> Vec<String> {
    let mut k: Vec<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// Asserts that `value` has at least the `wanted` keys.
pub fn assert_has(value: &Value, wanted: &[&str], what: &str) {
    let have = keys(value);
    for k in wanted {
        assert!(have.iter().any(|h| h == k), "{what} lacks {k}: {value}");
    }
}

/// The Manager error envelope.
pub fn manager_error(status: u16, error: &str, message: &str) -> Value {
    json!({"error": error, "message": message, "status": status})
}

pub fn not_found() -> Value {
    manager_error(404, "Not Found", "Resource not found")
}

fn t0() -> i64 {
    ccemu_engine::wall_ms() / 1000 * 1000 + 2_000
}

fn iso(ms: i64) -> String {
    ccemu_core::clock::format_rfc3339_ms(ms)
}

/// Some activity on the demo tenant on a manual clock from `t0`: Carol answers a support call
/// after 3 s and talks 20 s; Dan answers a chat after 2 s and it lasts 10 s; a campaign `240`.
/// Returns the UJET ids of the call and the chat.
async fn activity(s: &Server, t0: i64) -> (i64, i64) {
    s.sim_on_manual_clock("demo", t0, json!({"auto": false}))
        .await;
    s.ready("demo", "1003").await;
    let call = s.sim_contact("demo", "calls", "9002").await;
    let call_id = call["id"].as_str().unwrap().to_owned();
    s.advance("demo", 3_000).await;
    let (status, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1003/answer", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    s.advance("demo", 20_000).await;
    let (status, body) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{call_id}/hangup"),
            json!({"by": "customer"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s.ready("demo", "1004").await;
    let chat = s.sim_contact("demo", "chats", "9002").await;
    let chat_id = chat["id"].as_str().unwrap().to_owned();
    s.advance("demo", 2_000).await;
    let (status, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1004/answer", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    s.advance("demo", 10_000).await;
    let (status, body) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{chat_id}/hangup"),
            json!({"by": "agent"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = s
        .post(
            "/_ccemu/tenants/demo/sim/campaigns",
            json!({"id": "240", "name": "Renewals", "queue_id": "9002", "mode": "progressive",
                   "numbers": ["+15550000001", "+15550000002"]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // Ids as the Manager API shows them.
    let calls = manager(s, "/calls").await;
    let chats = manager(s, "/chats").await;
    assert_eq!(calls.rows().len(), 1, "{}", calls.body);
    assert_eq!(chats.rows().len(), 1, "{}", chats.body);
    (
        calls.rows()[0]["id"].as_i64().expect("integer call id"),
        chats.rows()[0]["id"].as_i64().expect("integer chat id"),
    )
}

fn assert_agent(a: &Value) {
    assert_has(
        a,
        &[
            "id",
            "email",
            "created_at",
            "last_login_time",
            "first_name",
            "middle_name",
            "last_name",
            "avatar_url",
            "agent_number",
            "status",
            "status_updated_at",
            "crm_authenticated",
            "online",
            "wrap_up",
            "call_count",
            "chat_count",
            "location",
            "roles",
            "teams",
            "channels",
        ],
        "agent",
    );
    assert!(a["id"].is_i64(), "{a}");
    assert!(a["email"].is_string(), "{a}");
    assert_iso(&a["created_at"], "created_at");
    assert_iso_or_null(&a["last_login_time"], "last_login_time");
    assert!(a["agent_number"].is_string(), "agent_number string: {a}");
    assert_eq!(keys(&a["status"]), ["color", "id", "name", "wfm_id"], "{a}");
    assert!(a["status"]["id"].is_i64() && a["status"]["wfm_id"].is_i64());
    assert_iso(&a["status_updated_at"], "status_updated_at");
    for b in ["crm_authenticated", "online", "wrap_up"] {
        assert!(a[b].is_boolean(), "{b}: {a}");
    }
    assert!(a["call_count"].is_i64() && a["chat_count"].is_i64(), "{a}");
    assert!(a["roles"].as_array().unwrap().iter().all(Value::is_string));
    for t in a["teams"].as_array().expect("teams array") {
        assert_eq!(
            keys(t),
            [
                "agents_count",
                "deleted",
                "id",
                "name",
                "parent_id",
                "position"
            ]
        );
    }
    for c in a["channels"].as_array().expect("channels array") {
        assert_eq!(c["channel_type"], "chat");
        assert!(c["menu"]["id"].is_i64(), "{c}");
    }
}

/// Every Manager endpoint answers 200 with the note's §5 shape, field by field and type by type.
#[tokio::test]
async fn every_manager_endpoint_answers_the_notes_shapes() {
    let s = Server::start_with(&["--tls"]).await;
    let t0 = t0();
    let (call_id, chat_id) = activity(&s, t0).await;

    // settings/organization: an object, with Accept: application/json as clients send it.
    let r = s
        .http
        .get(s.url("/manager/api/v1/settings/organization"))
        .basic_auth(LEGACY.0, Some(LEGACY.1))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let org: Value = r.json().await.unwrap();
    assert_eq!(org["subdomain"], "demo", "{org}");
    assert!(org["name"].is_string(), "{org}");

    // Agents: the four demo agents, ids ascending with the default order.
    let r = manager(&s, "/agents").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.total(), 4);
    assert_eq!(r.headers["per-page"], "100");
    assert!(r.headers.get(LINK).is_none());
    let ids: Vec<i64> = r.rows().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1001, 1002, 1003, 1004]);
    for a in r.rows() {
        assert_agent(a);
    }
    let carol = manager(&s, "/agents/1003").await;
    assert_eq!(carol.status, 200);
    assert!(carol.body.is_object(), "{}", carol.body);
    assert_agent(&carol.body);
    assert_eq!(carol.body["first_name"], "Carol");
    assert_eq!(carol.body["last_name"], "Diaz");
    assert_eq!(carol.body["roles"], json!(["agent"]));
    assert_eq!(carol.body["teams"][0]["id"], 12);
    assert_eq!(carol.body["teams"][0]["name"], "Support");
    assert_eq!(carol.body["online"], true);
    // Carol's 10 s of wrap-up after the call (23..33 s) are over at 35 s; Dan's are not.
    assert_eq!(carol.body["wrap_up"], false, "{}", carol.body);
    assert_eq!(carol.body["status"]["name"], "Available");
    assert_eq!(carol.body["status"]["wfm_id"], 11);
    assert_eq!(carol.body["status_updated_at"], iso(t0 + 33_000));
    assert_eq!(carol.body["last_login_time"], iso(t0));
    let dan = manager(&s, "/agents/1004").await;
    assert_eq!(dan.body["wrap_up"], true, "{}", dan.body);
    assert_eq!(dan.body["status"]["name"], "Wrap-up");
    assert_eq!(dan.body["status"]["wfm_id"], 33);
    assert_eq!(dan.body["status_updated_at"], iso(t0 + 35_000));
    let alice = manager(&s, "/agents/1001").await;
    assert_eq!(alice.body["roles"], json!(["agent", "manager"]));
    assert_eq!(alice.body["online"], false);
    assert_eq!(alice.body["status"]["name"], "Offline");

    // Activity logs: Carol's periods on the tenant clock.
    let r = manager(
        &s,
        "/agent_activity_logs?sort_column=started_at&sort_direction=ASC",
    )
    .await;
    assert_eq!(r.status, 200);
    let logs: Vec<&Value> = r.rows().iter().filter(|l| l["agent_id"] == 1003).collect();
    assert!(!logs.is_empty(), "{}", r.body);
    for l in r.rows() {
        assert_has(
            l,
            &[
                "id",
                "agent_id",
                "whodunnit",
                "status",
                "started_at",
                "ended_at",
                "duration",
                "activity",
                "call_id",
                "chat_id",
            ],
            "activity log",
        );
        assert!(l["id"].is_i64() && l["agent_id"].is_i64() && l["duration"].is_i64());
        assert_iso(&l["started_at"], "started_at");
        assert_iso(&l["ended_at"], "ended_at");
        let (start, end) = (
            ccemu_core::clock::parse_rfc3339(l["started_at"].as_str().unwrap()).unwrap(),
            ccemu_core::clock::parse_rfc3339(l["ended_at"].as_str().unwrap()).unwrap(),
        );
        assert_eq!(l["duration"].as_i64().unwrap(), (end - start) / 1000, "{l}");
        assert_eq!(
            keys(&l["whodunnit"]),
            [
                "agent_number",
                "avatar_url",
                "first_name",
                "id",
                "last_name",
                "name"
            ]
        );
        assert!(l["activity"].is_string());
    }
    // Carol: available 0..3 s (the call rang from 0 s), on the call 3..23 s.
    let on_call = logs
        .iter()
        .find(|l| l["call_id"] == call_id && l["started_at"] == iso(t0 + 3_000))
        .unwrap_or_else(|| panic!("no period on call {call_id}: {logs:?}"));
    assert_eq!(on_call["ended_at"], iso(t0 + 23_000));
    assert_eq!(on_call["duration"], 20);
    assert_eq!(on_call["status"]["name"], "In-call");

    // Calls: the list row and the single call are the same §5 object.
    let list = manager(&s, "/calls").await;
    let one = manager(&s, &format!("/calls/{call_id}")).await;
    assert_eq!(one.status, 200);
    assert!(one.body.is_object(), "{}", one.body);
    assert_eq!(list.rows()[0], one.body);
    let c = &one.body;
    assert_has(
        c,
        &[
            "id",
            "parent_id",
            "lang",
            "call_type",
            "status",
            "created_at",
            "queued_at",
            "assigned_at",
            "connected_at",
            "ends_at",
            "scheduled_at",
            "updated_at",
            "wait_duration",
            "queue_duration",
            "call_duration",
            "hold_duration",
            "rating",
            "has_feedback",
            "voip_provider",
            "out_ticket_id",
            "out_ticket_url",
            "verified",
            "recording_url",
            "recording_permission",
            "voicemail_reason",
            "deflection",
            "disconnected_by",
            "fail_details",
            "fail_reason",
            "support_number",
            "sub_status",
            "finish_reason",
            "adapter_fail_code",
            "adapter_fail_message",
            "answer_type",
            "offer_type",
            "offer_events",
            "outbound_number",
            "deflection_details",
            "selected_menu",
            "menu_path",
            "agent_info",
            "end_user",
            "photos",
            "videos",
            "transfers",
            "participants",
        ],
        "call",
    );
    assert_eq!(c["id"], call_id);
    assert_eq!(c["status"], "finished");
    assert_eq!(c["call_type"], "Voice Inbound (App)");
    assert_eq!(c["lang"], "en");
    assert_eq!(c["created_at"], iso(t0));
    assert_eq!(c["queued_at"], iso(t0));
    assert_eq!(c["assigned_at"], iso(t0));
    assert_eq!(c["connected_at"], iso(t0 + 3_000));
    assert_eq!(c["ends_at"], iso(t0 + 23_000));
    assert_eq!(c["scheduled_at"], Value::Null);
    assert_iso(&c["updated_at"], "updated_at");
    assert_eq!(c["queue_duration"], 3);
    assert_eq!(c["wait_duration"], 3);
    assert_eq!(c["call_duration"], 20);
    assert_eq!(c["hold_duration"], 0);
    assert_eq!(c["disconnected_by"], "disconnected_by_end_user");
    assert_eq!(c["fail_reason"], "nothing");
    assert_eq!(c["offer_type"], "cascade");
    assert_eq!(
        c["offer_events"],
        json!([{"casting_time": iso(t0), "group": "Group 1"}])
    );
    assert_eq!(
        c["selected_menu"],
        json!({"id": 9002, "name": "Support", "parent_id": null, "position": c["selected_menu"]["position"],
               "deleted": false, "hidden": false, "menu_type": "ivr_menu", "output_msg": null})
    );
    assert!(c["selected_menu"]["position"].is_i64());
    assert_eq!(
        c["menu_path"],
        json!({"items_count": 1, "name": "Support", "materialized_path": "Support"})
    );
    assert_eq!(
        c["agent_info"],
        json!({"id": 1003, "name": c["agent_info"]["name"], "last_name": "Diaz", "first_name": "Carol",
               "agent_number": "1003", "avatar_url": null})
    );
    assert!(c["agent_info"]["name"].is_string());
    assert_eq!(keys(&c["end_user"]), ["id", "identifier", "out_contact_id"]);
    for l in [
        "photos",
        "videos",
        "transfers",
        "participants",
        "offer_events",
        "deflection_details",
    ] {
        assert_array_or_null(&c[l], l);
    }
    let parts = c["participants"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{parts:?}");
    for p in parts {
        assert_eq!(
            keys(p),
            [
                "call_duration",
                "call_id",
                "connected_at",
                "end_user_id",
                "ended_at",
                "fail_reason",
                "hold_duration",
                "id",
                "status",
                "type",
                "user_id"
            ]
        );
        assert_eq!(p["call_id"], call_id);
        assert_eq!(p["status"], "finished");
        assert_eq!(p["call_duration"], 20);
        assert_eq!(p["connected_at"], iso(t0 + 3_000));
        assert_eq!(p["ended_at"], iso(t0 + 23_000));
    }
    assert_eq!(parts[1]["type"], "agent");
    assert_eq!(parts[1]["user_id"], 1003);

    // Chats: row and single are the same Manager chat.
    let list = manager(&s, "/chats").await;
    let one = manager(&s, &format!("/chats/{chat_id}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(list.rows()[0], one.body);
    let ch = &one.body;
    assert_has(
        ch,
        &[
            "id",
            "lang",
            "chat_type",
            "status",
            "created_at",
            "updated_at",
            "assigned_at",
            "ends_at",
            "wait_duration",
            "chat_duration",
            "rating",
            "has_feedback",
            "out_ticket_id",
            "out_ticket_url",
            "verified",
            "fail_reason",
            "selected_menu",
            "menu_path",
            "agent_info",
            "end_user",
            "message_count",
            "first_msg_sent_at",
            "last_msg_sent_at",
            "average_response_time",
            "longest_response_time",
            "transcript",
            "offer_type",
            "offer_events",
            "photos",
            "videos",
            "transfers",
            "participants",
        ],
        "chat",
    );
    assert_eq!(ch["id"], chat_id);
    assert_eq!(ch["status"], "finished");
    assert_eq!(ch["created_at"], iso(t0 + 23_000));
    assert_eq!(ch["assigned_at"], iso(t0 + 25_000));
    assert_eq!(ch["ends_at"], iso(t0 + 35_000));
    assert_eq!(ch["wait_duration"], 2);
    assert_eq!(ch["chat_duration"], 10);
    assert_eq!(ch["message_count"], 0);
    assert_eq!(ch["transcript"], false);
    assert_eq!(ch["first_msg_sent_at"], Value::Null);
    assert_eq!(ch["agent_info"]["id"], 1004);
    assert_eq!(ch["agent_info"]["agent_number"], "1004");
    assert_eq!(ch["selected_menu"]["id"], 9002);
    for l in [
        "photos",
        "videos",
        "transfers",
        "participants",
        "offer_events",
    ] {
        assert_array_or_null(&ch[l], l);
    }
    for p in ch["participants"].as_array().unwrap() {
        assert_has(
            p,
            &[
                "chat_id",
                "fail_reason",
                "chat_duration",
                "finished_at",
                "connected_at",
            ],
            "chat participant",
        );
        assert_eq!(p["chat_id"], chat_id);
    }

    // Menus, plural and singular alike.
    for (plural, singular) in [
        ("/menus", "/menu"),
        ("/menus/tree", "/menu/tree"),
        ("/menus/9002", "/menu/9002"),
        ("/menus/current_status", "/menu/current_status"),
        ("/menus/sla", "/menu/sla"),
        ("/menus/sla_by_queue_group", "/menu/sla_by_queue_group"),
        ("/menus/operation_hours", "/menu/operation_hours"),
        ("/teams", "/team"),
        ("/teams/tree", "/team/tree"),
    ] {
        let (p, q) = (manager(&s, plural).await, manager(&s, singular).await);
        assert_eq!(p.status, 200, "{plural}: {}", p.body);
        assert_eq!((q.status, &q.body), (200, &p.body), "{singular}");
    }
    let menus = manager(&s, "/menus").await;
    assert_eq!(menus.total(), 2);
    let ids: Vec<i64> = menus
        .rows()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [9001, 9002]);
    for m in menus.rows() {
        assert_has(
            m,
            &[
                "id",
                "name",
                "parent_id",
                "position",
                "deleted",
                "hidden",
                "menu_type",
                "output_msg",
                "agent_assignments",
                "team_assignments",
            ],
            "menu",
        );
        assert_eq!(m["menu_type"], "ivr_menu");
        assert!(m["agent_assignments"].is_array() && m["team_assignments"].is_array());
        for a in m["agent_assignments"].as_array().unwrap() {
            assert_has(
                a,
                &["lang", "queue_level", "channel_type", "assignee"],
                "assignment",
            );
            assert_eq!(
                keys(&a["assignee"]),
                [
                    "agent_number",
                    "avatar_url",
                    "first_name",
                    "id",
                    "last_name",
                    "name"
                ]
            );
        }
    }
    let support = manager(&s, "/menus/9002").await;
    assert!(support.body.is_object(), "{}", support.body);
    assert_eq!(support.body["name"], "Support");
    let primary: Vec<i64> = support.body["agent_assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["queue_level"] == "primary")
        .map(|a| a["assignee"]["id"].as_i64().unwrap())
        .collect();
    assert!(primary.contains(&1003) && primary.contains(&1004) && !primary.contains(&1001));
    let tree = manager(&s, "/menus/tree").await;
    for m in tree.rows() {
        assert_eq!(
            keys(m),
            [
                "agents_count",
                "children",
                "deleted",
                "id",
                "name",
                "parent_id",
                "position"
            ]
        );
        assert!(m["children"].is_array());
    }
    let sla = manager(&s, "/menus/sla").await;
    let row = sla
        .rows()
        .iter()
        .find(|r| r["menu_id"] == 9002)
        .unwrap_or_else(|| panic!("{}", sla.body));
    // One call and one chat offered, both answered within the 20 s threshold.
    assert_eq!(row["sla_threshold"], 20);
    assert_eq!(row["offered_count"], 2, "{row}");
    assert_eq!(row["answered_count"], 2, "{row}");
    assert_eq!(row["answered_in_sla_count"], 2, "{row}");
    assert_eq!(row["abandoned_count"], 0, "{row}");
    let status = manager(&s, "/menus/current_status").await;
    for r in status.rows() {
        assert_has(
            r,
            &[
                "menu_id",
                "name",
                "menu_type",
                "materialized_path",
                "queued_count",
                "longest_wait_time",
                "current_queue_ewt",
                "logged_in_agents",
                "available_agents",
            ],
            "current_status",
        );
    }
    let groups = manager(&s, "/menus/sla_by_queue_group").await;
    assert!(groups.rows().iter().all(|g| g["queue_group_id"].is_i64()));
    let hours = manager(&s, "/menus/operation_hours").await;
    for h in hours.rows() {
        assert_eq!(h["time_zone"], "UTC");
        assert!(h["operation_hours"].is_array());
    }

    // Teams: assignees an array, never an object.
    let teams = manager(&s, "/teams").await;
    assert_eq!(teams.total(), 2);
    for t in teams.rows() {
        assert_eq!(
            keys(t),
            [
                "agents_count",
                "assignees",
                "deleted",
                "id",
                "name",
                "parent_id",
                "position"
            ]
        );
        assert!(t["assignees"].is_array(), "{t}");
        assert_eq!(t["agents_count"], 2);
    }
    let team = manager(&s, "/teams/12").await;
    assert_eq!(team.body["name"], "Support");
    let members: Vec<i64> = team.body["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(members, [1003, 1004]);
    let tree = manager(&s, "/teams/tree").await;
    assert_eq!(tree.total(), 2);
    assert!(tree.rows().iter().all(|t| t["children"].is_array()));

    // User statuses: the doc's fixture.
    let r = manager(&s, "/user_statuses?page=1&per=100").await;
    assert_eq!(
        r.body,
        json!([{"id":0,"name":"Available","color":"green","wfm_id":11},{"id":-1,"name":"Unavailable","color":"red","wfm_id":12},{"id":-2,"name":"Break","color":"yellow","wfm_id":29},{"id":-3,"name":"Special Task","color":"pink","wfm_id":30},{"id":-4,"name":"Meal","color":"brown","wfm_id":31},{"id":-5,"name":"Missed Call","color":"blue_grey","wfm_id":32},{"id":-6,"name":"Wrap-up","color":"purple","wfm_id":33},{"id":-7,"name":"In-call","color":"light_blue","wfm_id":34},{"id":-8,"name":"In-chat","color":"indigo","wfm_id":35},{"id":-10,"name":"Offline","color":"grey","wfm_id":36},{"id":5,"name":"Meal","color":"green","wfm_id":45}])
    );
    assert_eq!(r.total(), 11);

    // Campaigns, both paths.
    for base in ["/outbound_dialer/campaigns", "/campaigns"] {
        let r = manager(&s, base).await;
        assert_eq!(r.status, 200, "{base}");
        assert_eq!(r.total(), 1);
        let c = &r.rows()[0];
        assert_eq!(c["id"], 240);
        assert_eq!(c["name"], "Renewals");
        assert_eq!(c["status"], "draft");
        assert_eq!(c["mode"], "progressive");
        assert_iso(&c["created_at"], "created_at");
        assert_iso(&c["updated_at"], "updated_at");
        assert!(c.get("description").is_some());
        assert_eq!(c["contact_stats"]["total"], 2, "{c}");
        let one = manager(&s, &format!("{base}/240")).await;
        assert_eq!((one.status, &one.body), (200, c), "{base}/240");
    }

    // Emails are not emulated: 501 in the Manager shape.
    for (path, op) in [("/emails", "list_emails"), ("/emails/1", "get_email")] {
        let r = manager(&s, path).await;
        assert_eq!(
            (r.status, r.body),
            (
                501,
                manager_error(
                    501,
                    "Not Implemented",
                    &format!("{op} is not emulated by ccemu yet")
                )
            ),
            "{path}"
        );
    }
}

/// The request sequence of a real reporting client (§4), byte for byte, through a path prefix:
/// every answer 200 with an array and an integer `Total`; `Link` followed where there is one.
#[tokio::test]
async fn the_reporting_client_sequence_replays_verbatim_through_a_prefix() {
    let s = Server::start_with(&["--tls"]).await;
    let t0 = t0();
    activity(&s, t0).await;
    let base = s.url("/ujet.acme.co/manager/api/v1");
    let r = s
        .http
        .get(format!("{base}/settings/organization"))
        .basic_auth(LEGACY.0, Some(LEGACY.1))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.json::<Value>().await.unwrap().is_object());
    let ts = "2019-01-01T00:00:00Z";
    let sequence = [
        format!("/agents?page=1&per=100&sort_column=status_updated_at&sort_direction=ASC&status_updated_at%5Bfrom%5D={ts}"),
        format!("/agent_activity_logs?page=1&per=100&sort_column=started_at&sort_direction=ASC&started_at%5Bfrom%5D={ts}"),
        format!("/calls?page=1&per=100&sort_column=updated_at&sort_direction=ASC&updated_at%5Bfrom%5D={ts}"),
        format!("/chats?page=1&per=100&sort_column=updated_at&sort_direction=ASC&updated_at%5Bfrom%5D={ts}"),
        "/menus/tree?page=1&per=100".to_owned(),
        "/menus?page=1&per=100".to_owned(),
        "/teams?page=1&per=100&sort_column=id&sort_direction=ASC".to_owned(),
        "/teams/tree?page=1&per=100".to_owned(),
        "/user_statuses?page=1&per=100".to_owned(),
    ];
    let want_totals = [4, -1, 1, 1, 2, 2, 2, 2, 11];
    for (path, want) in sequence.iter().zip(want_totals) {
        let r = get_url(&s, &format!("{base}{path}"), LEGACY).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(r.body.is_array(), "{path}");
        if want >= 0 {
            assert_eq!(r.total(), want, "{path}");
        } else {
            assert!(r.total() > 0, "{path}");
        }
        assert_eq!(
            i64::try_from(r.rows().len()).unwrap(),
            r.total().min(100),
            "{path}"
        );
    }
    // The same sequence one row a page: Link carries the prefix and every parameter, and the
    // pages add up to the one-page answer.
    for path in &sequence {
        let one_page = get_url(&s, &format!("{base}{path}"), LEGACY).await;
        let paged = format!("{base}{}", path.replacen("per=100", "per=1", 1));
        let first = get_url(&s, &paged, LEGACY).await;
        if first.total() > 1 {
            let next = next_link(&first.headers).unwrap_or_else(|| panic!("{path}: no Link"));
            assert_eq!(next, paged.replacen("page=1", "page=2", 1), "{path}");
        } else {
            assert!(first.headers.get(LINK).is_none(), "{path}");
        }
        let (rows, pages) = follow(&s, &paged).await;
        assert_eq!(&Value::Array(rows), &one_page.body, "{path}");
        assert_eq!(
            i64::try_from(pages).unwrap(),
            one_page.total().max(1),
            "{path}"
        );
    }
}

/// `page`/`per`/`sort_*`, `[from]`/`[to]` in the clients' spellings, `id[]` repeated, bad paging,
/// unknown ids, and another tenant's credentials.
#[tokio::test]
async fn paging_filters_sorting_and_errors_follow_the_shared_rules() {
    let s = Server::start_with(&["--tls"]).await;
    let t0 = t0();
    let (call_id, chat_id) = activity(&s, t0).await;

    // Sorting both ways, ties by id.
    let r = manager(&s, "/agents?sort_column=id&sort_direction=DESC").await;
    let ids: Vec<i64> = r.rows().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1004, 1003, 1002, 1001]);
    let r = manager(&s, "/agents?sort_column=first_name&sort_direction=asc").await;
    let names: Vec<&str> = r
        .rows()
        .iter()
        .map(|a| a["first_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Alice", "Bob", "Carol", "Dan"]);
    // page/per: the second page of two.
    let r = manager(&s, "/agents?page=2&per=2&sort_column=id&sort_direction=ASC").await;
    let ids: Vec<i64> = r.rows().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1003, 1004]);
    assert_eq!(r.total(), 4);
    assert_eq!(r.headers["per-page"], "2");
    assert!(r.headers.get(LINK).is_none());
    let r = manager(&s, "/agents?page=9&per=2").await;
    assert_eq!((r.status, &r.body), (200, &json!([])));
    assert_eq!(r.total(), 4);

    // id[] repeated, raw and percent-encoded brackets.
    for q in ["id[]=1002&id[]=1004", "id%5B%5D=1002&id%5B%5D=1004"] {
        let r = manager(&s, &format!("/agents?{q}")).await;
        let ids: Vec<i64> = r.rows().iter().map(|a| a["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [1002, 1004], "{q}");
        assert_eq!(r.total(), 2, "{q}");
    }
    // status_id[] matches status.id: Dan wraps up (-6), Carol is available again (0).
    let r = manager(&s, "/agents?status_id[]=-6").await;
    let ids: Vec<i64> = r.rows().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1004], "{}", r.body);
    let r = manager(&s, "/agents?status_id[]=-6&status_id[]=0").await;
    let ids: Vec<i64> = r.rows().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1003, 1004], "{}", r.body);
    let r = manager(&s, "/agents?status_id[]=-10&online[]=false").await;
    assert_eq!(r.total(), 2);

    // Team filters of the note: agents_count[from|to], id[], name[], parent_id[], position[].
    for (q, want) in [
        ("agents_count[from]=2&agents_count[to]=2", vec![11, 12]),
        ("agents_count[from]=3", vec![]),
        ("id[]=12", vec![12]),
        ("name[]=Sales&name[]=Nobody", vec![11]),
        ("position[]=1", vec![12]),
        ("sort_column=position&sort_direction=DESC", vec![12, 11]),
    ] {
        for base in ["/teams", "/team"] {
            let r = manager(&s, &format!("{base}?{q}")).await;
            let ids: Vec<i64> = r.rows().iter().map(|t| t["id"].as_i64().unwrap()).collect();
            assert_eq!(ids, want, "{base}?{q}");
        }
    }
    // Menus page like every list.
    let r = manager(&s, "/menus?page=2&per=1").await;
    assert_eq!((r.total(), r.rows().len()), (2, 1));
    assert_eq!(r.rows()[0]["id"], 9002);
    assert!(r.headers.get(LINK).is_none());

    // [from]/[to] in every spelling clients send; bounds are inclusive.
    let call = manager(&s, &format!("/calls/{call_id}")).await.body;
    let updated = call["updated_at"].as_str().unwrap().to_owned();
    let updated_ms = ccemu_core::clock::parse_rfc3339(&updated).unwrap();
    let secs = ccemu_core::clock::format_rfc3339_secs(updated_ms);
    assert_eq!(updated_ms % 1000, 0, "the call ended on a whole second");
    let bare = secs.trim_end_matches('Z').to_owned();
    for (spelling, hits) in [
        (format!("{bare}Z"), 1),
        (format!("{bare}.000000Z"), 1),
        (format!("{bare}+00:00"), 1),
        (format!("{bare}%2B00:00"), 1),
        (format!("{bare}+01:00"), 1),
        (
            ccemu_core::clock::format_rfc3339_secs(updated_ms + 1_000),
            0,
        ),
    ] {
        for key in ["updated_at[from]", "updated_at%5Bfrom%5D"] {
            let r = manager(&s, &format!("/calls?{key}={spelling}")).await;
            assert_eq!(r.status, 200, "{key}={spelling}: {}", r.body);
            assert_eq!(r.total(), hits, "{key}={spelling}");
        }
    }
    let r = manager(
        &s,
        &format!("/calls?updated_at[to]={bare}.000000Z&updated_at[from]=2019-01-01T00:00:00Z"),
    )
    .await;
    assert_eq!(r.total(), 1);
    let r = manager(
        &s,
        &format!(
            "/calls?updated_at[to]={}",
            ccemu_core::clock::format_rfc3339_secs(updated_ms - 1_000)
        ),
    )
    .await;
    assert_eq!(r.total(), 0);
    // Activity logs tail by started_at with a raw `+` (decoded as a space).
    let all = manager(&s, "/agent_activity_logs").await.total();
    let from = ccemu_core::clock::format_rfc3339_secs(t0 + 3_000)
        .trim_end_matches('Z')
        .to_owned();
    let later = manager(
        &s,
        &format!("/agent_activity_logs?started_at[from]={from}+00:00"),
    )
    .await;
    assert_eq!(later.status, 200, "{}", later.body);
    assert!(
        later.total() < all && later.total() > 0,
        "{all} {}",
        later.total()
    );
    for l in later.rows() {
        let at = ccemu_core::clock::parse_rfc3339(l["started_at"].as_str().unwrap()).unwrap();
        assert!(at >= t0 + 3_000, "{l}");
    }
    // Link carries the timestamp and every other parameter as sent.
    let url = s.url(
        "/ujet.acme.co/manager/api/v1/agents?page=1&per=1&sort_column=status_updated_at&sort_direction=ASC&status_updated_at%5Bfrom%5D=2019-01-01T00:00:00Z",
    );
    let r = get_url(&s, &url, TOKEN).await;
    assert_eq!(
        next_link(&r.headers).as_deref(),
        Some(url.replacen("page=1", "page=2", 1).as_str())
    );
    let (rows, pages) = follow(&s, &url).await;
    assert_eq!(pages, 4);
    let stamps: Vec<i64> = rows
        .iter()
        .map(|a| {
            ccemu_core::clock::parse_rfc3339(a["status_updated_at"].as_str().unwrap()).unwrap()
        })
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");

    // Bad paging and sorting: 400 in the Manager shape.
    for (q, message) in [
        ("page=0", "page must be a positive integer"),
        ("page=x", "page must be a positive integer"),
        ("per=0", "per must be a positive integer"),
        ("per=-5", "per must be a positive integer"),
        ("per=1001", "per must be at most 1000"),
        ("sort_column=nope", "Invalid sort_column: nope"),
        (
            "sort_column=id&sort_direction=UP",
            "Invalid sort_direction: UP",
        ),
        ("updated_at[from]=yesterday", "updated_at[from] is invalid"),
    ] {
        let r = manager(&s, &format!("/calls?{q}")).await;
        assert_eq!(
            (r.status, r.body),
            (400, manager_error(400, "Bad Request", message)),
            "{q}"
        );
    }
    // Unknown ids: the Manager 404.
    for path in [
        "/agents/999999".to_owned(),
        "/calls/999999".to_owned(),
        "/chats/999999".to_owned(),
        format!("/chats/{call_id}"),
        format!("/calls/{chat_id}"),
        "/menus/999999".to_owned(),
        "/menu/999999".to_owned(),
        "/teams/999999".to_owned(),
        "/outbound_dialer/campaigns/999".to_owned(),
        "/campaigns/999".to_owned(),
        "/nothing_here".to_owned(),
    ] {
        let r = manager(&s, &path).await;
        assert_eq!((r.status, &r.body), (404, &not_found()), "{path}");
    }

    // Another tenant's credentials see none of these rows.
    let other = s.create_tenant("other").await;
    let o = &other["credentials"]["ujet"];
    let pair = (
        o["subdomain"].as_str().unwrap(),
        o["api_token"].as_str().unwrap(),
    );
    let legacy = (
        o["company_key"].as_str().unwrap(),
        o["company_secret"].as_str().unwrap(),
    );
    for creds in [pair, legacy] {
        for path in [
            "/calls",
            "/chats",
            "/agents",
            "/agent_activity_logs",
            "/menus",
            "/teams",
            "/outbound_dialer/campaigns",
        ] {
            let r = get_url(&s, &s.url(&format!("/manager/api/v1{path}")), creds).await;
            assert_eq!(r.status, 200, "{path}");
            assert_eq!(r.total(), 0, "{path}: {}", r.body);
            assert_eq!(r.body, json!([]), "{path}");
        }
        for path in [
            format!("/calls/{call_id}"),
            format!("/chats/{chat_id}"),
            "/agents/1003".to_owned(),
            "/menus/9002".to_owned(),
            "/teams/12".to_owned(),
            "/campaigns/240".to_owned(),
        ] {
            let r = get_url(&s, &s.url(&format!("/manager/api/v1{path}")), creds).await;
            assert_eq!((r.status, &r.body), (404, &not_found()), "{path}");
        }
        let org = get_url(&s, &s.url("/manager/api/v1/settings/organization"), creds).await;
        assert_eq!(org.body["subdomain"], pair.0);
    }
}
