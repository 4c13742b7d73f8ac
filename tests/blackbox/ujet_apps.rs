//! UJET Apps API groups 3.4–3.6 (campaign contacts, Do-Not-Call, contact lists), the chats of
//! 3.5 and the chat webhooks of §6 against the real binary, spoken like a UJET client: Basic auth,
//! JSON bodies (DELETE with one too), bracketed query strings and multipart uploads.

use crate::harness::Server;
use crate::webhooks::{eventually, start_fast, Received, Receiver};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// The demo tenant's API-token pair (README).
const TOKEN: (&str, &str) = ("demo", "demo-ujet-api-token");
const COMPANY_SECRET: &str = "demo-ujet-company-secret";
const APPS: &str = "/apps/api/v1";

fn wall_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

/// A UJET client of one tenant.
struct Ujet<'s> {
    s: &'s Server,
    user: String,
    password: String,
}

impl<'s> Ujet<'s> {
    fn demo(s: &'s Server) -> Self {
        Self {
            s,
            user: TOKEN.0.into(),
            password: TOKEN.1.into(),
        }
    }

    /// The client of a new tenant, with its own UJET API token.
    async fn other(s: &'s Server) -> Self {
        let t = s.create_tenant("other").await;
        let u = &t["credentials"]["ujet"];
        Self {
            s,
            user: u["subdomain"].as_str().unwrap().into(),
            password: u["api_token"].as_str().unwrap().into(),
        }
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.s
            .http
            .request(method, self.s.url(path))
            .basic_auth(&self.user, Some(&self.password))
            .header("accept", "application/json")
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self.req(method, path);
        if let Some(body) = body {
            r = r
                .header("content-type", "application/json; charset=utf-8")
                .body(body.to_string());
        }
        crate::harness::send(r).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }

    async fn delete(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, Some(body)).await
    }

    /// `POST` of a multipart body with one part `file` holding `file`.
    async fn upload(&self, path: &str, file: &str) -> (u16, reqwest::header::HeaderMap, Value) {
        let body = format!(
            "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"contacts.json\"\r\nContent-Type: application/json\r\n\r\n{file}\r\n--b0undary--\r\n"
        );
        let res = self
            .req(reqwest::Method::POST, path)
            .header("content-type", "multipart/form-data; boundary=b0undary")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        (status, headers, res.json().await.unwrap())
    }
}

fn message(text: &str) -> Value {
    json!({ "message": text })
}

fn not_found() -> Value {
    message("Not Found")
}

/// An ISO-8601 UTC time with milliseconds, as UJET writes them.
fn assert_time(v: &Value) {
    let s = v.as_str().unwrap_or_else(|| panic!("not a time: {v}"));
    assert!(
        s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T',
        "not ISO-8601: {s}"
    );
}

/// Creates campaign `id` on the demo's sales queue through the control plane.
async fn campaign(s: &Server, id: &str, numbers: &[&str]) -> Value {
    let (status, body) = s
        .post(
            "/_ccemu/tenants/demo/sim/campaigns",
            json!({"id": id, "name": "Renewals", "queue_id": "9001", "mode": "progressive",
                   "max_concurrent": 2, "numbers": numbers}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

fn contacts_path(campaign: &str) -> String {
    format!("{APPS}/outbound_dialer/campaigns/{campaign}/contacts")
}

fn contact_path(campaign: &str) -> String {
    format!("{APPS}/outbound_dialer/campaigns/{campaign}/contact")
}

#[tokio::test]
async fn campaign_contacts_are_added_listed_imported_changed_and_removed() {
    let s = Server::start().await;
    let u = Ujet::demo(&s);
    campaign(&s, "240", &["+15550000001"]).await;
    let contacts = contacts_path("240");

    let (status, c) = u
        .post(
            &contacts,
            json!({"name": "Ann", "email": "ann@example.com", "phone_number": "+1 111-111-1111",
                   "outbound_number": "+1 760-867-5309", "external_unique_id": "UID_123456"}),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["id"], 2, "the second on the list: {c}");
    assert_eq!(c["campaign_id"], 240);
    assert_eq!(c["name"], "Ann");
    assert_eq!(c["email"], "ann@example.com");
    assert_eq!(c["phone_number"], "+1 111-111-1111");
    assert_eq!(c["outbound_number"], "+1 760-867-5309");
    assert_eq!(c["unique_id"], "UID_123456");
    assert_eq!(c["status"], "Upcoming");
    assert_eq!(c["assigned_call_id"], Value::Null);
    assert_eq!(c["priority"], Value::Null);
    assert_time(&c["created_at"]);
    assert_time(&c["updated_at"]);

    for (body, want) in [
        (
            json!({"name": "x"}),
            "param is missing or the value is empty: phone_number",
        ),
        (
            json!({"phone_number": "call me"}),
            "phone_number is invalid",
        ),
        (
            json!({"phone_number": ["+15550000009"]}),
            "phone_number is invalid",
        ),
    ] {
        let (status, got) = u.post(&contacts, body.clone()).await;
        assert_eq!((status, got), (400, message(want)), "{body}");
    }
    let (status, got) = u.call(reqwest::Method::POST, &contacts, None).await;
    assert_eq!(status, 400, "an empty body lacks the number: {got}");

    // Import: a JSON array in part `file`; the job reports bad rows with their 1-based row.
    let file = json!([
        {"name": "Bea", "phone_number": "+15550000003", "external_unique_id": "B"},
        {"name": "no number"},
        {"name": "Cy", "phone_number": 15550000004_i64},
        {"name": "Dee", "phone_number": "???"}
    ]);
    let (status, headers, job) = u
        .upload(&format!("{contacts}/import"), &file.to_string())
        .await;
    assert_eq!(status, 202, "{job}");
    let job_id = job["id"].as_i64().expect("an integer job id");
    assert_eq!(job["job_id"], job_id);
    let location = headers["location"].to_str().unwrap();
    assert!(
        location.ends_with(&format!(
            "/apps/api/v1/outbound_dialer/campaigns/240/contacts/jobs/{job_id}"
        )),
        "{location}"
    );
    let job_path = format!("{contacts}/jobs/{job_id}");
    let mut done = Value::Null;
    for _ in 0..200 {
        let (status, job) = u.get(&job_path).await;
        assert_eq!(status, 200, "{job}");
        done = job;
        if done["status"] == "finished" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(done["status"], "finished", "{done}");
    assert_eq!(done["total"], 4, "{done}");
    assert_eq!(done["imported"], 2, "{done}");
    assert_eq!(done["failed"], 2, "{done}");
    assert_eq!(
        done["errors"],
        json!([
            {"row": 2, "message": "param is missing or the value is empty: phone_number"},
            {"row": 4, "message": "phone_number is invalid"}
        ])
    );
    let (status, _, bad) = u
        .upload(&format!("{contacts}/import"), "{\"not\":\"an array\"}")
        .await;
    assert_eq!(status, 400, "{bad}");
    assert!(bad["message"].is_string(), "{bad}");
    let (status, got) = u.get(&format!("{contacts}/jobs/999999")).await;
    assert_eq!((status, got), (404, not_found()));

    let (status, list) = u.get(&contacts).await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap().clone();
    let ids: Vec<i64> = list.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1, 2, 3, 4]);
    let numbers: Vec<&str> = list
        .iter()
        .map(|c| c["phone_number"].as_str().unwrap())
        .collect();
    assert_eq!(
        numbers,
        [
            "+15550000001",
            "+1 111-111-1111",
            "+15550000003",
            "15550000004"
        ]
    );
    assert!(list.iter().all(|c| c["status"] == "Upcoming"));

    // PATCH names the contact by contact_id (int or string).
    let (status, c) = u
        .patch(
            &contact_path("240"),
            json!({"contact_id": "3", "name": "Bea B", "phone_number": "+1 555 000 0033"}),
        )
        .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(
        (c["id"].clone(), c["name"].clone()),
        (json!(3), json!("Bea B"))
    );
    assert_eq!(c["phone_number"], "+1 555 000 0033");
    assert_eq!(c["unique_id"], "B");
    for (body, want_status, want) in [
        (
            json!({"name": "x"}),
            400,
            message("param is missing or the value is empty: contact_id"),
        ),
        (
            json!({"contact_id": "three"}),
            400,
            message("contact_id is invalid"),
        ),
        (json!({"contact_id": 99, "name": "x"}), 404, not_found()),
    ] {
        let (status, got) = u.patch(&contact_path("240"), body.clone()).await;
        assert_eq!((status, got), (want_status, want), "{body}");
    }

    // DELETE carries its JSON body: by contact_id, by external_unique_id, by phone_number.
    let (status, got) = u
        .delete(&contact_path("240"), json!({"contact_id": 16312}))
        .await;
    assert_eq!((status, got), (404, not_found()));
    let (status, got) = u
        .delete(
            &contact_path("240"),
            json!({"external_unique_id": "UID_123456"}),
        )
        .await;
    assert_eq!((status, got), (200, json!({})));
    let (status, got) = u
        .delete(
            &contact_path("240"),
            json!({"phone_number": "+1 (555) 000-0033"}),
        )
        .await;
    assert_eq!((status, got), (200, json!({})));
    let (status, got) = u.delete(&contact_path("240"), json!({})).await;
    assert_eq!(
        (status, got),
        (
            400,
            message("param is missing or the value is empty: contact_id")
        )
    );
    let (_, list) = u.get(&contacts).await;
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 4], "removed contacts leave the list: {list}");

    // Unknown campaigns, and another tenant's credentials, find nothing.
    let (status, got) = u.get(&contacts_path("241")).await;
    assert_eq!((status, got), (404, not_found()));
    let (status, got) = u
        .post(
            &contacts_path("241"),
            json!({"phone_number": "+15550000001"}),
        )
        .await;
    assert_eq!((status, got), (404, not_found()));
    let other = Ujet::other(&s).await;
    let (status, got) = other.get(&contacts).await;
    assert_eq!((status, got), (404, not_found()));
    let (status, got) = other
        .delete(&contact_path("240"), json!({"contact_id": 1}))
        .await;
    assert_eq!((status, got), (404, not_found()));
    let (status, got) = other.get(&job_path).await;
    assert_eq!((status, got), (404, not_found()));
    let (status, _) = other
        .get("/manager/api/v1/outbound_dialer/campaigns/240")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_campaign_of_ten_dials_eight_and_marks_the_two_dnc_numbers_do_not_call() {
    let s = Server::start().await;
    let u = Ujet::demo(&s);
    let numbers: Vec<String> = (1..=10).map(|i| format!("+1555000{i:04}")).collect();
    let first: Vec<&str> = numbers[..4].iter().map(String::as_str).collect();
    // Two numbers ring out; the rest answer.
    s.sim_on_manual_clock(
        "demo",
        wall_ms() + 1_000,
        json!({"auto": true, "answer_delay_ms": 500, "talk_time": {"distribution": "fixed", "mean_ms": 3000},
               "wrap_up_ms": 0, "dial_ring_time": {"distribution": "fixed", "mean_ms": 2000},
               "dial_outcomes": {numbers[4].as_str(): "no_answer", numbers[6].as_str(): "no_answer"}}),
    )
    .await;
    campaign(&s, "77", &first).await;
    for n in &numbers[4..] {
        let (status, c) = u
            .post(&contacts_path("77"), json!({"phone_number": n, "name": n}))
            .await;
        assert_eq!(status, 201, "{c}");
    }
    // Two on the company DNC list, written the way people write numbers.
    let (status, added) = u
        .post(
            &format!("{APPS}/outbound_dialer/dnc"),
            json!({"contacts": [{"phone_number": "+1-555-000-0002"}, {"phone_number": "+1 (555) 000-0009"}]}),
        )
        .await;
    assert_eq!(status, 200, "{added}");
    assert_eq!(added[0]["status"], "created");
    assert_eq!(added[1]["status"], "created");
    for agent in ["1001", "1002"] {
        s.ready("demo", agent).await;
    }
    let (status, c) = s
        .post("/_ccemu/tenants/demo/sim/campaigns/77/start", json!({}))
        .await;
    assert_eq!(status, 200, "{c}");
    for _ in 0..60 {
        s.advance("demo", 1_000).await;
    }
    let (status, list) = u.get(&contacts_path("77")).await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 10);
    for (i, row) in list.iter().enumerate() {
        let want = match i + 1 {
            2 | 9 => "Do Not Call",
            5 | 7 => "Not Picked Up",
            _ => "Finished",
        };
        assert_eq!(row["status"], want, "contact {}: {row}", i + 1);
        if want == "Do Not Call" {
            assert_eq!(row["assigned_call_id"], Value::Null, "never dialled: {row}");
        } else {
            assert!(row["assigned_call_id"].is_string(), "dialled: {row}");
        }
    }
    // The dialled ones reached the sales agents: each answered call's interaction has one.
    for row in list.iter().filter(|r| r["status"] == "Finished") {
        let i = s
            .interaction("demo", row["assigned_call_id"].as_str().unwrap())
            .await;
        assert!(
            ["1001", "1002"].contains(&i["agent_id"].as_str().unwrap_or("")),
            "{i}"
        );
    }
    let (status, m) = u.get("/manager/api/v1/outbound_dialer/campaigns/77").await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["id"], 77);
    assert_eq!(m["name"], "Renewals");
    assert_eq!(m["status"], "completed");
    assert_eq!(m["mode"], "progressive");
    assert_time(&m["created_at"]);
    assert_time(&m["updated_at"]);
    assert_eq!(
        m["contact_stats"],
        json!({"total": 10, "Finished": 6, "Not Picked Up": 2, "Do Not Call": 2})
    );
    let (status, rows) = u.get("/manager/api/v1/outbound_dialer/campaigns").await;
    assert_eq!(status, 200);
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    assert_eq!(rows[0]["id"], 77);
}

#[tokio::test]
async fn dnc_numbers_are_added_per_item_removed_checked_and_refused_to_agent_calls() {
    let s = Server::start().await;
    let u = Ujet::demo(&s);
    let now = wall_ms() + 1_000;
    s.manual_clock("demo", now).await;
    let dnc = format!("{APPS}/outbound_dialer/dnc");
    let (status, got) = u
        .post(
            &dnc,
            json!({"contacts": [
                {"phone_number": "+1-7187309219", "expires_at": "2099-10-29 00:00:00 UTC"},
                {"phone_number": "+1-(358)-213-1634"},
                {"phone_number": "+1 555 000 1111", "expires_at": "2022-10-29 00:00:00 UTC"},
                {"phone_number": "call me"},
                {"phone_number": "911"},
                {"phone_number": "+1 (718) 730-9219"}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    let item = |n: &str, e: Value, st: &str, err: Value| json!({"phone_number": n, "expires_at": e, "status": st, "error": err});
    assert_eq!(
        got,
        json!([
            item(
                "+1-7187309219",
                json!("2099-10-29 00:00:00 UTC"),
                "created",
                Value::Null
            ),
            item("+1-(358)-213-1634", Value::Null, "created", Value::Null),
            item(
                "+1 555 000 1111",
                json!("2022-10-29 00:00:00 UTC"),
                "failed",
                json!("expires_at cannot be past date/time")
            ),
            item(
                "call me",
                Value::Null,
                "failed",
                json!("phone_number is invalid")
            ),
            item(
                "911",
                Value::Null,
                "failed",
                json!("emergency phone number is not allowed")
            ),
            item("+1 (718) 730-9219", Value::Null, "updated", Value::Null),
        ])
    );
    for (body, want) in [
        (
            json!({}),
            "param is missing or the value is empty: contacts",
        ),
        (json!({"contacts": "+17187309219"}), "contacts is invalid"),
    ] {
        let (status, got) = u.post(&dnc, body.clone()).await;
        assert_eq!((status, got), (400, message(want)), "{body}");
    }

    let check = |q: &str| format!("{dnc}/check?phone_number={q}");
    let (status, got) = u.get(&check("%2B13582131634")).await;
    assert_eq!(
        (status, got),
        (
            200,
            json!({"phone_number": "+13582131634", "in_dnc": true, "expires_at": null})
        )
    );
    let (status, got) = u.get(&check("%2B1-555-000-1111")).await;
    assert_eq!((status, got["in_dnc"].clone()), (200, json!(false)));
    let (status, got) = u.get(&check("nope")).await;
    assert_eq!((status, got), (400, message("phone_number is invalid")));
    let (status, got) = u.get(&format!("{dnc}/check")).await;
    assert_eq!(
        (status, got),
        (
            400,
            message("param is missing or the value is empty: phone_number")
        )
    );
    // Another tenant's list is its own.
    let other = Ujet::other(&s).await;
    let (_, got) = other.get(&check("%2B13582131634")).await;
    assert_eq!(got["in_dnc"], false, "{got}");

    // An agent's outbound call to a listed number is refused; to another number it goes out.
    s.ready("demo", "1001").await;
    let call = |to: &str| {
        json!({"call_type": "Voice Outbound (API)", "agent_email": "alice@demo.ccemu.test",
               "end_user_number": to, "outbound_number": "+1 760-867-5309"})
    };
    let (status, got) = u
        .post(&format!("{APPS}/calls"), call("+1 (358) 213-1634"))
        .await;
    assert_eq!(status, 400, "{got}");
    assert_eq!(got, message("end_user_number is on the Do Not Call list"));
    let (_, interactions) = s.get("/_ccemu/tenants/demo/interactions").await;
    assert_eq!(
        interactions["interactions"],
        json!([]),
        "nothing was dialled"
    );

    let (status, got) = u
        .post(
            &format!("{dnc}/remove"),
            json!({"phone_numbers": ["+1-(358)-213-1634", "+15550009999"]}),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        got,
        json!([
            {"phone_number": "+1-(358)-213-1634", "status": "removed", "error": null},
            {"phone_number": "+15550009999", "status": "failed", "error": "phone_number is not in the DNC list"}
        ])
    );
    let (_, got) = u.get(&check("%2B13582131634")).await;
    assert_eq!(got["in_dnc"], false);
    let (status, got) = u
        .post(&format!("{APPS}/calls"), call("+1 (358) 213-1634"))
        .await;
    assert_eq!(status, 201, "off the list, the call goes out: {got}");
    assert_eq!(got["status"], "assigned");
}

#[tokio::test]
async fn contact_lists_and_their_entries_are_created_changed_and_deleted() {
    let s = Server::start().await;
    let u = Ujet::demo(&s);
    let lists = format!("{APPS}/contact_lists");
    let (status, l) = u
        .post(&lists, json!({"name": "VIP", "description": "best"}))
        .await;
    assert_eq!(status, 201, "{l}");
    let id = l["id"].as_i64().expect("an integer id");
    assert_eq!(l["name"], "VIP");
    assert_eq!(l["description"], "best");
    assert_eq!(l["contacts_count"], 0);
    assert_eq!(l["contacts"], json!([]));
    assert_time(&l["created_at"]);
    assert_time(&l["updated_at"]);
    let (status, got) = u.post(&lists, json!({"description": "x"})).await;
    assert_eq!(
        (status, got),
        (400, message("param is missing or the value is empty: name"))
    );

    let list = format!("{lists}/{id}");
    let (status, l) = u.patch(&list, json!({"name": "VIPs"})).await;
    assert_eq!(status, 200, "{l}");
    assert_eq!(
        (l["name"].clone(), l["description"].clone()),
        (json!("VIPs"), json!("best"))
    );

    let (status, added) = u
        .post(
            &format!("{list}/contacts"),
            json!({"contacts": [
                {"name": "Ann", "phone_number": "+1 555 000 0001", "email": "ann@example.com", "external_unique_id": "U1"},
                {"phone_number": 15550000002_i64}
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    let e = &added[0];
    let entry_id = e["id"].as_i64().expect("an integer entry id");
    assert_eq!(e["contact_list_id"], id);
    assert_eq!(e["name"], "Ann");
    assert_eq!(e["phone_number"], "+1 555 000 0001");
    assert_eq!(e["email"], "ann@example.com");
    assert_eq!(e["unique_id"], "U1");
    assert_time(&e["created_at"]);
    assert_eq!(added[1]["phone_number"], "15550000002");
    assert_eq!(added[1]["unique_id"], Value::Null);
    // All or none: one bad entry adds nothing.
    let (status, got) = u
        .post(
            &format!("{list}/contacts"),
            json!({"contacts": [{"phone_number": "+15550000003"}, {"name": "no number"}]}),
        )
        .await;
    assert_eq!(
        (status, got),
        (
            400,
            message("param is missing or the value is empty: phone_number")
        )
    );

    let entry = format!("{list}/contacts/{entry_id}");
    let (status, e) = u.patch(&entry, json!({"name": "Ann B"})).await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(
        (e["name"].clone(), e["phone_number"].clone()),
        (json!("Ann B"), json!("+1 555 000 0001"))
    );
    let (status, got) = u.delete(&entry, json!({})).await;
    assert_eq!((status, got), (200, json!({})));
    let (status, got) = u.patch(&entry, json!({"name": "gone"})).await;
    assert_eq!((status, got), (404, not_found()));
    let (status, got) = u.delete(&entry, json!({})).await;
    assert_eq!((status, got), (404, not_found()));

    // Another tenant sees none of it.
    let other = Ujet::other(&s).await;
    let (status, got) = other.patch(&list, json!({"name": "mine"})).await;
    assert_eq!((status, got), (404, not_found()));
    let (status, got) = other
        .post(
            &format!("{list}/contacts"),
            json!({"phone_number": "+15550000004"}),
        )
        .await;
    assert_eq!((status, got), (404, not_found()));
    let (status, got) = other.delete(&list, json!({})).await;
    assert_eq!((status, got), (404, not_found()));

    let (status, got) = u.delete(&list, json!({})).await;
    assert_eq!((status, got), (200, json!({})));
    let (status, got) = u.patch(&list, json!({"name": "again"})).await;
    assert_eq!((status, got), (404, not_found()));
    let (status, got) = u.delete(&list, json!({})).await;
    assert_eq!((status, got), (404, not_found()));
}

/// The chat's engine interaction: UJET chat ids are the first 52 bits of the engine's UUID.
async fn interaction_of(s: &Server, chat_id: i64) -> Value {
    let (_, all) = s.get("/_ccemu/tenants/demo/interactions").await;
    all["interactions"]
        .as_array()
        .unwrap()
        .iter()
        // UJET's integer ids are the engine's per-tenant interaction numbers.
        .find(|i| i["number"].as_i64() == Some(chat_id))
        .cloned()
        .unwrap_or_else(|| panic!("no interaction for chat {chat_id}: {all}"))
}

async fn create_chat(u: &Ujet<'_>) -> Value {
    let (status, chat) = u
        .post(
            &format!("{APPS}/chats"),
            json!({"chat": {"menu_id": 9002, "end_user_id": 7, "lang": "en", "email": "joe@example.com"}}),
        )
        .await;
    assert_eq!(status, 201, "{chat}");
    chat
}

#[tokio::test]
async fn a_chat_goes_from_the_virtual_agent_to_a_routed_human_and_ends() {
    let s = Server::start().await;
    let u = Ujet::demo(&s);
    s.sim_on_manual_clock("demo", wall_ms() + 1_000, json!({"auto": false}))
        .await;
    let chats = format!("{APPS}/chats");
    for (body, want) in [
        (json!({}), "param is missing or the value is empty: chat"),
        (json!({"chat": {}}), "menu_id is required"),
        (
            json!({"chat": {"menu_id": "abc"}}),
            "menu_id is not well formed",
        ),
        (
            json!({"chat": {"menu_id": 9999}}),
            "menu_id 9999 is not found",
        ),
        (
            json!({"chat": {"menu_id": 9002, "end_user_id": "x"}}),
            "end_user_id is invalid",
        ),
    ] {
        let (status, got) = u.post(&chats, body.clone()).await;
        assert_eq!((status, got), (400, message(want)), "{body}");
    }
    let (status, got) = u.call(reqwest::Method::POST, &chats, None).await;
    assert_eq!(
        (status, got),
        (400, message("param is missing or the value is empty: chat"))
    );

    let chat = create_chat(&u).await;
    let id = chat["id"].as_i64().expect("an integer chat id");
    assert_eq!(chat["status"], "va_assigned");
    assert!(chat["status_text"].is_string(), "{chat}");
    assert_eq!(chat["features"], json!([]));
    assert_time(&chat["created_at"]);
    assert_eq!(chat["ends_at"], Value::Null);
    assert_eq!(chat["timeout_at"], Value::Null);
    assert_eq!(chat["agent"], Value::Null);
    assert!(chat["virtual_agent"].is_object(), "{chat}");
    assert_eq!(chat["all_agents"], json!([]));
    assert_eq!(chat["all_virtual_agents"].as_array().map(Vec::len), Some(1));
    assert_eq!(chat["lang"], "en");
    assert_eq!(chat["menus"], json!([{"id": 9002, "name": "Support"}]));
    assert_eq!(chat["end_user"], json!({"id": 7, "identifier": null}));
    let base = format!("{chats}/{id}");
    let (status, got) = u.get(&base).await;
    assert_eq!((status, got), (200, chat.clone()));
    // Chat ids are the tenant's interaction numbers: one never given out is not found.
    let (status, got) = u.get(&format!("{chats}/999")).await;
    assert_eq!((status, got), (404, not_found()));
    let (status, got) = u.get(&format!("{chats}/abc")).await;
    assert_eq!((status, got), (404, not_found()));
    let other = Ujet::other(&s).await;
    let (status, got) = other.get(&base).await;
    assert_eq!((status, got), (404, not_found()));
    let (status, got) = other
        .post(
            &format!("{base}/messages"),
            json!({"message": {"content": "hi"}}),
        )
        .await;
    assert_eq!((status, got), (404, not_found()));

    // The end user writes to the virtual agent.
    let (status, m) = u
        .post(
            &format!("{base}/messages"),
            json!({"message": {"type": "text", "content": "I need a human"}}),
        )
        .await;
    assert_eq!(status, 201, "{m}");
    assert!(m["id"].is_i64(), "{m}");
    assert_eq!(m["chat_id"], id);
    assert_eq!(m["from_user_id"], Value::Null);
    assert_eq!(m["sender_type"], "end_user");
    assert_eq!(m["type"], "text");
    assert_eq!(m["content"], "I need a human");
    assert_eq!(m["media_id"], Value::Null);
    assert_time(&m["created_at"]);
    for (body, want) in [
        (json!({}), "param is missing or the value is empty: message"),
        (
            json!({"message": {"content": "  "}}),
            "param is missing or the value is empty: message.content",
        ),
        (
            json!({"message": {"content": 5}}),
            "message.content is invalid",
        ),
    ] {
        let (status, got) = u.post(&format!("{base}/messages"), body.clone()).await;
        assert_eq!((status, got), (400, message(want)), "{body}");
    }

    // Resume only a dismissed chat.
    let (status, got) = u.post(&format!("{base}/resume"), json!({})).await;
    assert_eq!(
        (status, got),
        (400, message("Chat is not dismissed (status: va_assigned)"))
    );

    // Flags, custom data, end user.
    let (status, got) = u.get(&format!("{base}/customer_flag")).await;
    assert_eq!(
        (status, got),
        (
            200,
            json!({"verified_customer": false, "bad_actor": false, "repeat_customer": false})
        )
    );
    let (status, got) = u
        .patch(
            &format!("{base}/customer_flag"),
            json!({"verified_customer": true, "repeat_customers": true}),
        )
        .await;
    assert_eq!(
        (status, got),
        (
            200,
            json!({"verified_customer": true, "bad_actor": false, "repeat_customer": true})
        )
    );
    let (status, got) = u
        .call(
            reqwest::Method::PUT,
            &format!("{base}/customer_flag"),
            Some(json!({"bad_actor": true})),
        )
        .await;
    assert_eq!(
        (status, got),
        (
            200,
            json!({"verified_customer": true, "bad_actor": true, "repeat_customer": true})
        )
    );
    let (status, got) = u
        .post(
            &format!("{base}/custom_data"),
            json!({"signed": false, "data": {
                "reserved_bad_actor": {"label": "Bad", "value": false},
                "field1": {"label": "LABEL 4", "value": "dummy1"}}}),
        )
        .await;
    assert_eq!((status, got), (200, json!({})));
    let (_, got) = u.get(&format!("{base}/customer_flag")).await;
    assert_eq!(
        got["bad_actor"], false,
        "reserved_bad_actor sets the flag: {got}"
    );
    let (status, got) = u
        .post(
            &format!("{base}/custom_data"),
            json!({"signed": true, "signed_data": "not.a.jwt"}),
        )
        .await;
    assert_eq!(status, 400, "{got}");
    assert!(got["message"].is_string(), "{got}");
    let (status, got) = u
        .post(&format!("{base}/end_user"), json!({"name": "Joe"}))
        .await;
    assert_eq!(
        (status, got),
        (
            400,
            message("param is missing or the value is empty: identifier")
        )
    );
    let (status, got) = u
        .post(
            &format!("{base}/end_user"),
            json!({"identifier": "abc123", "name": "Joe Smith", "email": "joe@mydomain.com"}),
        )
        .await;
    assert_eq!((status, got), (202, json!({"message": "accepted"})));
    let (_, got) = u.get(&base).await;
    assert_eq!(got["end_user"], json!({"id": 7, "identifier": "abc123"}));

    // Photos and videos: an upload URL under the request's origin, then the stored path.
    let (status, up) = u.get(&format!("{base}/photos/upload_url")).await;
    assert_eq!(status, 200, "{up}");
    let (url, s3_path) = (up["url"].as_str().unwrap(), up["s3_path"].as_str().unwrap());
    assert!(
        url.starts_with(&format!("{}/", s.base)),
        "{url} under {}",
        s.base
    );
    assert!(url.ends_with(s3_path), "{url} {s3_path}");
    let (status, got) = u
        .post(
            &format!("{base}/photos"),
            json!({"photo": [{"s3_path": s3_path, "photo_type": "selfie"}, {"s3_path": "p/2.jpg", "photo_type": "id"}]}),
        )
        .await;
    assert_eq!(status, 201, "{got}");
    let photos = json!([
        {"id": 1, "url": s3_path, "photo_type": "selfie"},
        {"id": 2, "url": "p/2.jpg", "photo_type": "id"}
    ]);
    assert_eq!(got, photos);
    let (status, got) = u.get(&format!("{base}/photos")).await;
    assert_eq!((status, got), (200, photos));
    for (body, want) in [
        (
            json!({"photo": []}),
            "param is missing or the value is empty: photo",
        ),
        (
            json!({"photo": [{}]}),
            "param is missing or the value is empty: photo.s3_path",
        ),
        (json!({"photo": {"s3_path": "x"}}), "photo is invalid"),
    ] {
        let (status, got) = u.post(&format!("{base}/photos"), body.clone()).await;
        assert_eq!((status, got), (400, message(want)), "{body}");
    }
    let (status, up) = u.get(&format!("{base}/videos/upload_url")).await;
    assert_eq!(status, 200);
    assert!(up["url"].as_str().unwrap().starts_with(&s.base), "{up}");
    let (status, got) = u
        .post(
            &format!("{base}/videos"),
            json!({"video": {"s3_path": "v/1.mp4"}}),
        )
        .await;
    assert_eq!((status, got), (201, json!({"id": 1, "url": "v/1.mp4"})));
    let (status, got) = u.get(&format!("{base}/videos")).await;
    assert_eq!((status, got), (200, json!([{"id": 1, "url": "v/1.mp4"}])));
    let (status, got) = u.post(&format!("{base}/videos"), json!({})).await;
    assert_eq!(
        (status, got),
        (
            400,
            message("param is missing or the value is empty: video")
        )
    );
    let (status, got) = other.get(&format!("{base}/photos")).await;
    assert_eq!((status, got), (404, not_found()));

    // Media bytes: an attachment of the transcript, by its id.
    let engine_id = interaction_of(&s, id).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, got) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{engine_id}/messages"),
            json!({"from": "customer", "text": "my receipt", "attachments": [
                {"id": "4242", "name": "receipt.txt", "content_type": "text/plain", "content_base64": "YWJj"}]}),
        )
        .await;
    assert_eq!(status, 201, "{got}");
    let media = u
        .req(reqwest::Method::GET, &format!("{base}/media/4242"))
        .send()
        .await
        .unwrap();
    assert_eq!(media.status().as_u16(), 200);
    assert_eq!(media.headers()["content-type"], "text/plain");
    assert_eq!(&media.bytes().await.unwrap()[..], b"abc");
    let (status, got) = u.get(&format!("{base}/media/4243")).await;
    assert_eq!((status, got), (404, not_found()));
    let (status, got) = other.get(&format!("{base}/media/4242")).await;
    assert_eq!((status, got), (404, not_found()));

    // Escalation: the virtual agent leaves, the ACD offers the chat to the available agent.
    s.ready("demo", "1003").await;
    let (status, e) = u
        .post(
            &format!("{base}/escalations"),
            json!({"reason": "wants a human", "force_escalate": true}),
        )
        .await;
    assert_eq!(status, 201, "{e}");
    assert_eq!(e["id"], 1);
    assert_eq!(e["chat_id"], id);
    assert_eq!(e["reason"], "wants a human");
    assert_eq!(e["force_escalate"], true);
    assert_eq!(e["status"], "escalated");
    assert_eq!(e["deflection_channel"], Value::Null);
    assert_time(&e["created_at"]);
    assert_eq!(s.agent_state("demo", "1003").await, "ringing");
    let (status, got) = u
        .post(&format!("{base}/escalations"), json!({"reason": "again"}))
        .await;
    assert_eq!(
        (status, got),
        (400, message("Chat is not with a virtual agent"))
    );
    let (status, got) = u
        .patch(
            &format!("{base}/escalations/1"),
            json!({"deflection_channel": "voice_call"}),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["deflection_channel"], "voice_call");
    let (status, got) = u
        .patch(
            &format!("{base}/escalations/2"),
            json!({"deflection_channel": "x"}),
        )
        .await;
    assert_eq!((status, got), (404, not_found()));
    let (status, got) = s
        .post("/_ccemu/tenants/demo/sim/agents/1003/answer", json!({}))
        .await;
    assert_eq!(status, 200, "{got}");
    s.advance("demo", 4_000).await;
    let (_, chat) = u.get(&base).await;
    assert_eq!(chat["status"], "assigned", "{chat}");
    assert_eq!(chat["agent"]["id"], 1003);
    assert_eq!(chat["agent"]["first_name"], "Carol");
    assert_eq!(chat["virtual_agent"], Value::Null);
    assert_eq!(chat["all_agents"].as_array().map(Vec::len), Some(1));
    let (status, agent) = u.get("/manager/api/v1/agents/1003").await;
    assert_eq!(status, 200, "{agent}");
    let agent = if agent.is_array() {
        agent[0].clone()
    } else {
        agent
    };
    assert_eq!(agent["status"]["name"], "In-chat", "{agent}");
    let (status, row) = u.get(&format!("/manager/api/v1/chats/{id}")).await;
    assert_eq!(status, 200, "{row}");
    let row = if row.is_array() { row[0].clone() } else { row };
    assert_eq!(row["id"], id);
    assert_eq!(row["status"], "assigned");
    assert_eq!(row["agent_info"]["id"], 1003);
    assert_eq!(row["agent_info"]["agent_number"], "1003");
    assert_eq!(row["selected_menu"]["id"], 9002);
    assert_time(&row["assigned_at"]);
    assert!(row["message_count"].as_i64().unwrap() >= 2, "{row}");
    assert!(
        row["participants"].is_array() && row["photos"].is_array(),
        "{row}"
    );

    // The agent writes; only the chat's agent may.
    let (status, got) = u
        .post(
            &format!("{base}/messages"),
            json!({"from_user_id": 1004, "message": {"content": "hi"}}),
        )
        .await;
    assert_eq!(
        (status, got),
        (400, message("from_user_id is not the chat's agent"))
    );
    let (status, m) = u
        .post(
            &format!("{base}/messages"),
            json!({"from_user_id": "1003", "message": {"content": "Carol here"}}),
        )
        .await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(
        (m["sender_type"].clone(), m["from_user_id"].clone()),
        (json!("agent"), json!(1003))
    );

    // Dismiss, resume, finish.
    let (status, got) = u.patch(&base, json!({"chat": {"status": "closed"}})).await;
    assert_eq!((status, got), (400, message("Invalid status: closed")));
    let (status, got) = u
        .patch(&base, json!({"chat": {"status": "dismissed"}}))
        .await;
    assert_eq!(
        (status, got["status"].clone()),
        (200, json!("dismissed")),
        "{got}"
    );
    let (status, got) = u.post(&format!("{base}/resume"), json!({})).await;
    assert_eq!(
        (status, got["status"].clone()),
        (200, json!("assigned")),
        "{got}"
    );
    let (status, got) = u
        .patch(
            &base,
            json!({"finished_by_user_id": 1003, "chat": {"status": "finished"}}),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["status"], "finished");
    assert_time(&got["ends_at"]);
    assert_eq!(s.agent_state("demo", "1003").await, "wrap_up");
    for (path, body) in [
        (base.clone(), json!({"chat": {"status": "finished"}})),
        (format!("{base}/customer_flag"), json!({"bad_actor": true})),
    ] {
        let (status, got) = u.patch(&path, body).await;
        assert_eq!(
            (status, got),
            (400, message("Chat is already ended")),
            "{path}"
        );
    }
    for path in [format!("{base}/messages"), format!("{base}/end_user")] {
        let (status, got) = u
            .post(
                &path,
                json!({"identifier": "x", "message": {"content": "late"}}),
            )
            .await;
        assert_eq!(
            (status, got),
            (400, message("Chat is already ended")),
            "{path}"
        );
    }
    let (status, got) = u.get(&base).await;
    assert_eq!((status, got["status"].clone()), (200, json!("finished")));
}

#[tokio::test]
async fn sms_opens_a_messaging_session_in_the_docs_shape() {
    let s = Server::start().await;
    let u = Ujet::demo(&s);
    let sms = format!("{APPS}/sms");
    let body = json!({"chat_type": "Messaging (SMS)", "end_user_number": "+1 617-555-0101",
                      "outbound_number": "+1 760-867-5309", "message": "Your order shipped"});
    let (status, c) = u.post(&sms, body.clone()).await;
    assert_eq!(status, 201, "{c}");
    assert!(c["id"].is_i64(), "{c}");
    assert_eq!(c["lang"], "en");
    assert_eq!(c["chat_type"], "Messaging (SMS)");
    assert_eq!(c["status"], "selecting");
    assert_time(&c["created_at"]);
    for null in [
        "queued_at",
        "assigned_at",
        "ends_at",
        "rating",
        "out_ticket_id",
        "out_ticket_url",
        "fail_reason",
        "selected_menu",
        "menu_path",
        "agent_info",
    ] {
        assert_eq!(c[null], Value::Null, "{null}: {c}");
    }
    assert_eq!(
        (c["wait_duration"].clone(), c["chat_duration"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(
        (c["has_feedback"].clone(), c["verified"].clone()),
        (json!(false), json!(false))
    );
    assert_eq!(c["disconnected_by"], "disconnected_by_unknown");
    assert!(c["end_user"].is_object(), "{c}");
    let (status, row) = u.get(&format!("/manager/api/v1/chats/{}", c["id"])).await;
    assert_eq!(status, 200, "{row}");
    let row = if row.is_array() { row[0].clone() } else { row };
    assert_eq!(row["chat_type"], "Messaging (SMS)");
    let (status, got) = u
        .post(
            &sms,
            json!({"chat_type": "SMS", "end_user_number": "+16175550102",
                           "outbound_number": "+17608675309", "message": "hi"}),
        )
        .await;
    assert_eq!(
        (status, got["chat_type"].clone()),
        (201, json!("Messaging (API)"))
    );
    for (change, want) in [
        (
            json!({"chat_type": null}),
            "param is missing or the value is empty: chat_type",
        ),
        (json!({"chat_type": "Voice"}), "Invalid chat type"),
        (
            json!({"end_user_number": ""}),
            "param is missing or the value is empty: end_user_number",
        ),
        (
            json!({"outbound_number": null}),
            "param is missing or the value is empty: outbound_number",
        ),
        (
            json!({"message": " "}),
            "param is missing or the value is empty: message",
        ),
        (
            json!({"end_user_number": "call me"}),
            "end_user_number is not well-formed",
        ),
    ] {
        let mut bad = body.clone();
        for (k, v) in change.as_object().unwrap() {
            bad[k] = v.clone();
        }
        let (status, got) = u.post(&sms, bad.clone()).await;
        assert_eq!((status, got), (400, message(want)), "{bad}");
    }
}

/// The id of the tenant created as "other".
async fn other_tenant_id(s: &Server) -> String {
    let (_, all) = s.get("/_ccemu/tenants").await;
    all["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "other")
        .and_then(|t| t["id"].as_str())
        .unwrap_or_else(|| panic!("no tenant named other: {all}"))
        .to_owned()
}

/// `base64(HMAC-SHA256(secret, timestamp + body))`.
fn ujet_signature(secret: &str, ts: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks a received webhook's signature headers and returns its parsed body.
fn verified(r: &Received) -> Value {
    let ts = r.headers["x-signature-timestamp"].to_str().unwrap();
    let secs: i64 = ts.parse().expect("unix seconds");
    assert!(
        (secs - wall_ms() / 1000).abs() < 120,
        "timestamp {ts} is not now"
    );
    let header = r.headers["x-signature"].to_str().unwrap();
    let want = format!(
        "primary={} secondary={}",
        ujet_signature(COMPANY_SECRET, ts, &r.body),
        ujet_signature(TOKEN.1, ts, &r.body)
    );
    assert_eq!(header, want, "signature of {}", r.body);
    assert_eq!(r.headers["content-type"], "application/json");
    serde_json::from_str(&r.body).unwrap()
}

#[tokio::test]
async fn chat_webhooks_arrive_signed_once_each_in_order_after_the_receiver_comes_up() {
    let s = start_fast().await;
    let u = Ujet::demo(&s);
    let mut receiver = Receiver::reserve();
    let subs = "/_ccemu/tenants/demo/subscriptions";
    for (body, field) in [
        (
            json!({"url": receiver.url(), "surface": "genesys"}),
            "surface",
        ),
        (
            json!({"url": receiver.url(), "surface": "ujet", "secret": "s"}),
            "secret",
        ),
        (json!({"url": "ftp://x", "surface": "ujet"}), "url"),
    ] {
        let (status, got) = s.post(subs, body.clone()).await;
        crate::harness::assert_error(status, &got, 400, "invalid_body");
        assert!(got["message"].as_str().unwrap().starts_with(field), "{got}");
    }
    // A first URL, replaced by the receiver's: UJET keeps one webhook URL per tenant.
    let (status, _) = s
        .post(
            subs,
            json!({"url": "http://127.0.0.1:9/old", "surface": "ujet"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, sub) = s
        .post(subs, json!({"url": receiver.url(), "surface": "ujet"}))
        .await;
    assert_eq!(status, 201, "{sub}");
    assert_eq!(sub["surface"], "ujet");
    assert_eq!(sub["events"], json!(["*"]));
    assert_eq!(sub["secret"], Value::Null);
    let (_, listed) = s.get(subs).await;
    let ujet: Vec<&Value> = listed["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["surface"] == "ujet")
        .collect();
    assert_eq!(ujet.len(), 1, "{listed}");
    assert_eq!(ujet[0]["url"], receiver.url().as_str());

    // With the receiver down: a chat opens, the end user writes, the agent answers nothing yet,
    // the virtual agent escalates.
    let chat = create_chat(&u).await;
    let id = chat["id"].as_i64().unwrap();
    let base = format!("{APPS}/chats/{id}");
    let (status, _) = u
        .post(
            &format!("{base}/messages"),
            json!({"message": {"content": "I need a human"}}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = u
        .post(&format!("{base}/escalations"), json!({"reason": "asked"}))
        .await;
    assert_eq!(status, 201);
    // Another tenant knows neither the demo's menus nor its webhook.
    let other = Ujet::other(&s).await;
    let (status, got) = other
        .post(&format!("{APPS}/chats"), json!({"chat": {"menu_id": 9002}}))
        .await;
    assert_eq!((status, got), (400, message("menu_id 9002 is not found")));
    let (_, theirs) = s
        .get(&format!(
            "/_ccemu/tenants/{}/subscriptions",
            other_tenant_id(&s).await
        ))
        .await;
    assert_eq!(theirs["subscriptions"], json!([]), "{theirs}");

    eventually(10, "a refused first attempt", || async {
        crate::webhooks::deliveries(&s, "demo")
            .await
            .iter()
            .any(|d| {
                d["source"] == "ujet"
                    && d["attempts"].as_i64().unwrap_or(0) >= 1
                    && d["state"] == "pending"
            })
    })
    .await;
    assert!(receiver.received().is_empty());
    receiver.listen();
    eventually(15, "three chat webhooks", || async {
        receiver.received().len() >= 3
    })
    .await;
    // Nothing more comes, and nothing twice.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let got = receiver.received();
    let bodies: Vec<Value> = got.iter().map(verified).collect();
    let events: Vec<&str> = bodies
        .iter()
        .map(|b| b["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["chat.created", "chat.message_received", "chat.escalated"],
        "{bodies:?}"
    );
    for b in &bodies {
        assert_eq!(b["chat"]["id"], id, "{b}");
        assert_eq!(b["chat"]["menus"][0]["id"], 9002, "{b}");
    }
    assert_eq!(bodies[0]["chat"]["status"], "va_assigned");
    assert_eq!(bodies[0].get("message"), None);
    assert_eq!(bodies[1]["message"]["content"], "I need a human");
    assert_eq!(bodies[1]["message"]["type"], "text");
    assert_time(&bodies[1]["message"]["created_at"]);
    assert_eq!(bodies[2]["chat"]["status"], "queued");
    assert_eq!(bodies[2]["chat"]["virtual_agent"], Value::Null);
    let delivered = crate::webhooks::deliveries(&s, "demo").await;
    let ujet: Vec<&Value> = delivered.iter().filter(|d| d["source"] == "ujet").collect();
    assert_eq!(ujet.len(), 3, "{delivered:?}");
    assert!(ujet.iter().all(|d| d["state"] == "delivered"), "{ujet:?}");
    assert!(
        ujet.iter().any(|d| d["attempts"].as_i64().unwrap() >= 2),
        "a retry happened"
    );
}
