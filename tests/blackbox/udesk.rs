//! Udesk ccapi v2 seats, extensions and queues against the real binary, signed like a Udesk
//! client with the demo tenant's documented credentials (README), bodies sent the way the doc's
//! curl examples send them (form-urlencoded Content-Type, JSON content, bodies on GET/DELETE).

use crate::harness::{send, Server};
use serde_json::{json, Value};

/// A Udesk app's credentials; every Udesk black-box test signs its requests with it.
pub(crate) struct Udesk {
    pub sid: String,
    pub token: String,
    pub app: String,
}

impl Udesk {
    /// The demo tenant's documented credentials.
    pub fn demo() -> Self {
        Self {
            sid: "ACdemo0000000001".into(),
            token: "demo-udesk-auth-token".into(),
            app: "a54a8b77-f12d-4ac9-742d-5b2bef5c4d11".into(),
        }
    }

    /// The credentials of a tenant created through the control plane.
    pub fn of(tenant: &Value) -> Self {
        let c = &tenant["credentials"]["udesk"];
        let field = |k: &str| c[k].as_str().expect("udesk credential").to_owned();
        Self {
            sid: field("sid"),
            token: field("auth_token"),
            app: field("app_id"),
        }
    }

    /// `/ccapi/v2/{api}` signed now by the account; `api` may carry its own query.
    pub fn signed(&self, api: &str) -> String {
        self.signed_by(("Sid", &self.sid), api)
    }

    /// `/ccapi/v2/{api}` signed now by `principal`: `("Sid", sid)` server-side, or
    /// `("AgentId", seat)` with the front-end Sign a business server hands to a browser.
    pub fn signed_by(&self, principal: (&str, &str), api: &str) -> String {
        let ts = (ccemu_engine::wall_ms() / 1000).to_string();
        let sign = ccemu_vendor_udesk::sign::sign(principal.1, &self.token, &ts);
        let sep = if api.contains('?') { '&' } else { '?' };
        format!(
            "/ccapi/v2/{api}{sep}Timestamp={ts}&AppId={}&{}={}&Sign={sign}",
            self.app, principal.0, principal.1
        )
    }

    /// Sends `body` as curl `-d` does: a form-urlencoded Content-Type over JSON text.
    pub async fn call(&self, s: &Server, method: &str, api: &str, body: &str) -> (u16, Value) {
        self.call_by(s, ("Sid", &self.sid), method, api, body).await
    }

    /// [`Self::call`] signed by `principal` (see [`Self::signed_by`]).
    pub async fn call_by(
        &self,
        s: &Server,
        principal: (&str, &str),
        method: &str,
        api: &str,
        body: &str,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let req = s
            .http
            .request(method, s.url(&self.signed_by(principal, api)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        send(req).await
    }
}

/// Envelope A around a success `Result`.
pub(crate) fn ok(result: Value) -> Value {
    json!({"ErrCode": "000000", "ErrDesc": "OK", "Result": result})
}

/// Envelope A around an error.
pub(crate) fn err(code: &str, desc: &str) -> Value {
    json!({"ErrCode": code, "ErrDesc": desc, "Result": null})
}

/// The doc's seat-creation example, as its curl sends it (quotes escaped inside single quotes).
const DOC_CREATE: &str = r#"{\"Agents\":[{\"AgentId\":\"199\",\"WorkId\":\"199\",\"Name\":\"Li\",
\"Mobile\":\"18512520714\",\"Email\":\"123@qq.com\",\"Role\":\"agent\",\"Extension\":\"2457\",\"WrapUpTime\":0},{\"AgentId\":\"200\",\"WorkId\":\"200\",\"Name\":\"Qian\",\"Mobile\":\"18512520714\",\"Email\":\"456@qq.com\",\"Role\":\"agent\",\"Extension\":\"2458\",\"WrapUpTime\":1}]}"#;

#[tokio::test]
async fn the_docs_seat_and_extension_examples_replay_against_the_binary() {
    let s = Server::start().await;
    let u = Udesk::demo();
    let null = ok(Value::Null);
    assert_eq!(
        u.call(&s, "POST", "agents", DOC_CREATE).await,
        (200, null.clone())
    );
    // Update: the doc's URL names 7763, its body 10030.
    let seat = r#"{"Agents":[{"AgentId":"7763","WorkId":"1"},{"AgentId":"7765","WorkId":"7765"},{"AgentId":"7777","WorkId":"7777"},{"AgentId":"10031","WorkId":"10031"},{"AgentId":"6655","WorkId":"6655"}]}"#;
    assert_eq!(u.call(&s, "POST", "agents", seat).await.0, 200);
    let update = "{\n\"AgentId\": \"10030\",\n\"WorkId\": \"22024\",\n\"Name\": \"test 5\",\n\"Mobile\": \"17777773333\",\n\"Email\": \"5544@qq.com\",\n\"Role\": \"agent\"\n}\n";
    assert_eq!(
        u.call(&s, "PUT", "agents/7763", update).await,
        (200, null.clone())
    );
    // Details: GET with a body, and POST as the doc's curl without -X really sends.
    let expected = ok(json!({
        "AppId": u.app, "AgentId": format!("7763@{}", u.app), "WorkId": "22024", "Name": "test 5",
        "Mobile": "17777773333", "Email": "5544@qq.com", "Role": "agent", "Queues": null,
        "QueuesNames": null, "Extensions": null, "DefSpNumber": "", "State": 4, "ExtState": 3,
        "WrapUpTime": 0, "Enable": true, "ExtenInfos": null
    }));
    for method in ["GET", "POST"] {
        let got = u
            .call(&s, method, "agents/7763", r#"{"AgentId":"7763"}"#)
            .await;
        assert_eq!(got, (200, expected.clone()), "{method}");
    }
    let (status, seat) = u
        .call(&s, "GET", "agents/7765", r#"{"AgentId":"7765"}"#)
        .await;
    assert_eq!(
        (status, &seat["Result"]["AgentId"]),
        (200, &json!(format!("7765@{}", u.app)))
    );
    // Extensions, then the binding and unbinding examples.
    let (status, ext) = u
        .call(&s, "POST", "extensions", r#"{"Extension":"4567"}"#)
        .await;
    assert_eq!(status, 200, "{ext}");
    let keys: Vec<&String> = ext["Result"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Extension", "Number", "Password"]);
    assert_eq!(ext["Result"]["Extension"], "4567");
    for n in ["2345", "9527"] {
        let body = format!(r#"{{"Extension":"{n}"}}"#);
        assert_eq!(u.call(&s, "POST", "extensions", &body).await.0, 200);
    }
    let bind = "\n{\n\"AgentId\" : \"10031\",\n\"Extensions\" : [\"2345\",\"9527\"]\n}\n";
    assert_eq!(
        u.call(&s, "POST", "agents/extensions", bind).await,
        (200, null.clone())
    );
    let unbind_all = r#"{"AgentId":"10031","Extensions":["2345","9527"]}"#;
    assert_eq!(
        u.call(&s, "DELETE", "agents/extensions", unbind_all)
            .await
            .0,
        200
    );
    let bind_6655 = r#"{"AgentId":"6655","Extensions":["2345"]}"#;
    assert_eq!(
        u.call(&s, "POST", "agents/extensions", bind_6655).await.0,
        200
    );
    let unbind = "\n{\n\"AgentId\":\"6655\",\n\"Extensions\":[\"2345\"]\n}\n";
    assert_eq!(
        u.call(&s, "DELETE", "agents/extensions", unbind).await,
        (200, null.clone())
    );
    let delete_ext = r#"{"Extension":"4567"}"#;
    assert_eq!(
        u.call(&s, "DELETE", "extensions", delete_ext).await,
        (200, null.clone())
    );
    let delete = r#"{"AgentId":"7777"}"#;
    assert_eq!(
        u.call(&s, "DELETE", "agents/7777", delete).await,
        (200, null.clone())
    );
    // The list example's envelope and paging.
    let (status, list) = u.call(&s, "GET", "agents", "").await;
    assert_eq!(status, 200);
    assert_eq!(
        (&list["ErrCode"], &list["ErrDesc"]),
        (&json!("000000"), &json!(""))
    );
    let r = &list["Result"];
    assert_eq!(
        (&r["CurrPage"], &r["PageSize"], &r["Total"], &r["TotalPage"]),
        (&json!(1), &json!(10), &json!(10), &json!(1)),
        "{list}"
    );
    // The demo's 4 and 199, 200, 7763, 7765, 10031, 6655, by id as text.
    assert_eq!(r["AgentList"].as_array().unwrap().len(), 10);
    assert_eq!(r["AgentList"][4]["AgentId"], "1004");
}

#[tokio::test]
async fn bad_bodies_and_refusals_answer_the_documented_codes() {
    let s = Server::start().await;
    let u = Udesk::demo();
    let bad_json = err("100004", "unexpected end of JSON input");
    let params = err("000001", "ParamsInvalid");
    for (method, api, body, want) in [
        ("POST", "agents", "", (400, bad_json.clone())),
        ("POST", "agents", r#"{"Agents":[{"#, (400, bad_json.clone())),
        (
            "POST",
            "agents",
            r#"{"Agents":{"AgentId":"1"}}"#,
            (400, params.clone()),
        ),
        ("PUT", "agents/1002", "", (400, bad_json.clone())),
        (
            "PUT",
            "agents/1002",
            r#"{"AgentId":"1002","WorkId":{}}"#,
            (400, params.clone()),
        ),
        ("DELETE", "agents/1002", "", (400, bad_json.clone())),
        ("GET", "agents/1002", "not json", (400, bad_json.clone())),
        (
            "POST",
            "agents/extensions",
            r#"{"AgentId":"1002","Extensions":"8001"}"#,
            (400, params.clone()),
        ),
        ("POST", "extensions", "", (400, bad_json.clone())),
        (
            "POST",
            "extensions",
            r#"{"Extension":"812"}"#,
            (400, params.clone()),
        ),
        (
            "POST",
            "agents",
            r#"{"Agents":[{"AgentId":"1001","WorkId":"1001"}]}"#,
            (422, err("100004", "Duplicate entry 1001 for AgentId")),
        ),
        (
            "DELETE",
            "agents/1003",
            r#"{"AgentId":"1003"}"#,
            (422, err("100004", "Agent has queue or voip, can't delete")),
        ),
        (
            "POST",
            "extensions",
            r#"{"Extension":"8001"}"#,
            (422, err("100015", "NumberIsExisted")),
        ),
        (
            "DELETE",
            "extensions",
            r#"{"Extension":"8001"}"#,
            (422, err("100016", "VoipBindAgent")),
        ),
        (
            "GET",
            "agents/4242",
            r#"{"AgentId":"4242"}"#,
            (404, err("100018", "RecordNotFound")),
        ),
        (
            "DELETE",
            "agents/4242",
            r#"{"AgentId":"4242"}"#,
            (404, err("000004", "Data does not exist")),
        ),
    ] {
        assert_eq!(
            u.call(&s, method, api, body).await,
            want,
            "{method} {api} {body}"
        );
    }
}

#[tokio::test]
async fn another_tenants_app_id_never_reaches_this_tenants_seats() {
    let s = Server::start().await;
    let a = Udesk::demo();
    let b = Udesk::of(&s.create_tenant("Other").await);
    let seat = |id: &str| format!(r#"{{"Agents":[{{"AgentId":"{id}","WorkId":"{id}"}}]}}"#);
    assert_eq!(b.call(&s, "POST", "agents", &seat("555")).await.0, 200);
    assert_eq!(a.call(&s, "POST", "agents", &seat("556")).await.0, 200);
    let ids = |list: &Value| -> Vec<String> {
        list["Result"]["AgentList"]
            .as_array()
            .expect("AgentList")
            .iter()
            .map(|a| a["AgentId"].as_str().expect("AgentId").to_owned())
            .collect()
    };
    assert_eq!(ids(&b.call(&s, "GET", "agents", "").await.1), ["555"]);
    assert_eq!(
        ids(&a.call(&s, "GET", "agents", "").await.1),
        ["1001", "1002", "1003", "1004", "556"]
    );
    // Neither reads, changes nor deletes the other's seats.
    let not_found = (404, err("100018", "RecordNotFound"));
    assert_eq!(
        a.call(&s, "GET", "agents/555", r#"{"AgentId":"555"}"#)
            .await,
        not_found
    );
    assert_eq!(
        b.call(&s, "GET", "agents/1001", r#"{"AgentId":"1001"}"#)
            .await,
        not_found
    );
    let put = r#"{"AgentId":"1001","WorkId":"x","Name":"Mallory"}"#;
    assert_eq!(b.call(&s, "PUT", "agents/1001", put).await, not_found);
    let gone = (404, err("000004", "Data does not exist"));
    assert_eq!(
        b.call(&s, "DELETE", "agents/556", r#"{"AgentId":"556"}"#)
            .await,
        gone
    );
    // The extension numbers of the two tenants are separate too.
    assert_eq!(
        b.call(&s, "POST", "extensions", r#"{"Extension":"8001"}"#)
            .await
            .0,
        200
    );
    // A's account signing for B's app is refused before anything is read.
    let forged = Udesk {
        app: b.app.clone(),
        ..Udesk::demo()
    };
    assert_eq!(
        forged.call(&s, "GET", "agents", "").await,
        (401, err("000001", "Sign invalid"))
    );
    let (_, alice) = a
        .call(&s, "GET", "agents/1001", r#"{"AgentId":"1001"}"#)
        .await;
    assert_eq!(alice["Result"]["Name"], "Alice Chen");
    assert_eq!(ids(&a.call(&s, "GET", "agents", "").await.1).len(), 5);
}

#[tokio::test]
async fn a_udesk_seat_is_the_agent_the_control_plane_lists_and_the_acd_rings() {
    let s = Server::start().await;
    let u = Udesk::demo();
    // A manual clock at the wall clock's time keeps the signatures valid and the ring observable.
    s.manual_clock("demo", ccemu_engine::wall_ms() + 1000).await;
    assert_eq!(u.call(&s, "POST", "agents", DOC_CREATE).await.0, 200);
    let (_, agents) = s.get("/_ccemu/tenants/demo/agents").await;
    let li = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "199")
        .cloned()
        .unwrap_or_else(|| panic!("no agent 199: {agents}"));
    assert_eq!(
        (&li["name"], &li["work_id"], &li["phone"]),
        (&json!("Li"), &json!("199"), &json!("18512520714"))
    );
    // Only 199 is ready, in support (9002), so the support call rings it.
    let bind = r#"{"AgentId":"199","Queues":["9002"]}"#;
    assert_eq!(
        u.call(&s, "POST", "agents/queues", bind).await,
        (200, ok(Value::Null))
    );
    s.ready("demo", "199").await;
    let (_, seat) = u
        .call(&s, "GET", "agents/199", r#"{"AgentId":"199"}"#)
        .await;
    assert_eq!(seat["Result"]["State"], 0, "{seat}");
    let call = s.sim_contact("demo", "calls", "9002").await;
    assert_eq!(s.agent_state("demo", "199").await, "ringing");
    let call = s.interaction("demo", call["id"].as_str().unwrap()).await;
    assert_eq!(call["agent_id"], "199", "{call}");
    let (_, seat) = u
        .call(&s, "GET", "agents/199", r#"{"AgentId":"199"}"#)
        .await;
    assert_eq!(seat["Result"]["State"], 2, "ringing is Locked: {seat}");
}

#[tokio::test]
async fn seats_extensions_and_bindings_survive_sigkill() {
    let mut s = Server::start().await;
    let u = Udesk::demo();
    let create = r#"{"Agents":[{"AgentId":"301","WorkId":"w301","Name":"Kept","IsCreateExtension":true,"Extension":"4567"}]}"#;
    let (status, created) = u.call(&s, "POST", "agents", create).await;
    assert_eq!(status, 200, "{created}");
    let bind = r#"{"AgentId":"301","Queues":["9001"]}"#;
    assert_eq!(u.call(&s, "POST", "agents/queues", bind).await.0, 200);
    let (_, before) = u
        .call(&s, "GET", "agents/301", r#"{"AgentId":"301"}"#)
        .await;
    s.crash_and_restart().await;
    let (status, after) = u
        .call(&s, "GET", "agents/301", r#"{"AgentId":"301"}"#)
        .await;
    assert_eq!(status, 200);
    assert_eq!(after, before);
    assert_eq!(
        (
            &after["Result"]["Extensions"],
            &after["Result"]["Queues"],
            &after["Result"]["Name"]
        ),
        (&json!(["4567"]), &json!(["9001"]), &json!("Kept"))
    );
    assert_eq!(
        u.call(&s, "POST", "extensions", r#"{"Extension":"4567"}"#)
            .await,
        (422, err("100015", "NumberIsExisted"))
    );
}

#[tokio::test]
async fn a_udesk_queue_routes_calls_to_its_seats_and_survives_sigkill() {
    let mut s = Server::start().await;
    let u = Udesk::demo();
    s.manual_clock("demo", ccemu_engine::wall_ms() + 1000).await;
    let null = (200, ok(Value::Null));
    // The doc's create, update and queue-agents examples.
    let create = "\n{\n\"QueueId\":\"9009\",\n\"QueueName\":\"Test Create Queue 007\"\n}\n";
    assert_eq!(u.call(&s, "POST", "queues", create).await, null);
    let update = "\n{\n\"QueueId\":\"9009\",\n\"QueueName\":\"Test Create Queue 89757\",\n\"Timeout\": 120\n}\n";
    assert_eq!(u.call(&s, "PUT", "queues", update).await, null);
    let seats = r#"{"Agents":[{"AgentId":"10031","WorkId":"1"},{"AgentId":"10032","WorkId":"2"}]}"#;
    assert_eq!(u.call(&s, "POST", "agents", seats).await.0, 200);
    let add = "\n{\n\"QueueId\":\"9009\",\n\"AgentIds\":[\"10031\", \"10032\"]\n}\n";
    assert_eq!(u.call(&s, "POST", "queues/agents", add).await, null);
    let expected = ok(
        json!({"QueueId": "9009", "QueueName": "Test Create Queue 89757",
        "Strategy": "longest_idle", "Timeout": 120, "MaxLength": 128,
        "Agents": ["10031", "10032"]}),
    );
    assert_eq!(
        u.call(&s, "GET", "queues/9009", "").await,
        (200, expected.clone())
    );
    // A queue with seats is not deleted.
    assert_eq!(
        u.call(&s, "DELETE", "queues", r#"{ "QueueId":"9009" }"#)
            .await,
        (422, err("100004", "Queue has agents, can't delete"))
    );
    s.crash_and_restart().await;
    assert_eq!(u.call(&s, "GET", "queues/9009", "").await, (200, expected));
    let (_, list) = u.call(&s, "GET", "queues", "").await;
    let ids: Vec<&str> = list["Result"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|q| q["QueueID"].as_str().expect("QueueID"))
        .collect();
    assert_eq!(ids, ["9001", "9002", "9009"]);
    // After the restart the ACD still knows the queue and its members.
    s.ready("demo", "10032").await;
    let call = s.sim_contact("demo", "calls", "9009").await;
    assert_eq!(s.agent_state("demo", "10032").await, "ringing");
    let call = s.interaction("demo", call["id"].as_str().unwrap()).await;
    assert_eq!(call["agent_id"], "10032", "{call}");
}
