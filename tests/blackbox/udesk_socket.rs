//! The Udesk agent WebSocket (§5.2) against the real binary, with a real WebSocket client: the
//! signed handshake, the request methods, the agent's call and state events with their ACKs and
//! re-sends, error REPs for frames that cannot be served, and the server's `disconnect`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::harness::Server;
use crate::udesk::{err, Udesk};

/// How long a test waits for a frame it expects.
const WAIT: Duration = Duration::from_secs(10);

/// Resend interval the servers of these tests run with (`[udesk] ws_resend_ms`).
const RESEND_MS: u64 = 1000;

/// A server whose un-ACKed EVTs come again after [`RESEND_MS`]; the config file lives as long
/// as the server may restart.
pub(crate) async fn server() -> (Server, tempfile::NamedTempFile) {
    let config = tempfile::NamedTempFile::new().expect("config file");
    std::fs::write(
        config.path(),
        format!("[udesk]\nws_resend_ms = {RESEND_MS}\n"),
    )
    .expect("write config");
    let path = config.path().to_str().expect("utf-8 path").to_owned();
    (Server::start_with(&["--config", &path]).await, config)
}

/// The socket URL with a front-end signature: `Sign = SHA1(AgentId + AuthToken + Timestamp)`.
pub(crate) fn ws_url(s: &Server, u: &Udesk, agent: &str, ts: &str) -> String {
    let sign = ccemu_vendor_udesk::sign::sign(agent, &u.token, ts);
    format!(
        "{}/ccapi/v2/ws?AppId={}&AgentId={agent}&Timestamp={ts}&Sign={sign}",
        s.base.replacen("http", "ws", 1),
        u.app
    )
}

pub(crate) fn now_s() -> String {
    (ccemu_engine::wall_ms() / 1000).to_string()
}

/// Connects, expecting a refusal before the upgrade: its HTTP status and Udesk body.
async fn refused(url: &str) -> (u16, Value) {
    match tokio_tungstenite::connect_async(url).await {
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            let body = serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)));
            (response.status().as_u16(), body)
        }
        Err(other) => panic!("{url}: {other}"),
        Ok(_) => panic!("{url} was upgraded"),
    }
}

/// A connected agent client: requests by increasing `SeqId`, EVTs kept until asked for.
pub(crate) struct Agent {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The URL's Sign, which `login` carries as its `Token`.
    token: String,
    agent: String,
    app: String,
    pub(crate) seq: u64,
    events: std::collections::VecDeque<Value>,
}

impl Agent {
    pub(crate) async fn connect(s: &Server, u: &Udesk, agent: &str) -> Self {
        let url = ws_url(s, u, agent, &now_s());
        let token = url.rsplit("Sign=").next().expect("Sign").to_owned();
        let (ws, response) = tokio_tungstenite::connect_async(url)
            .await
            .expect("upgrade");
        assert_eq!(response.status().as_u16(), 101);
        Self {
            ws,
            token,
            agent: agent.into(),
            app: u.app.clone(),
            seq: 0,
            events: Default::default(),
        }
    }

    /// The next frame, text JSON; `None` if none comes within `wait`.
    async fn frame_within(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(wait, self.ws.next()).await.ok()?;
            match message.expect("socket open").expect("frame") {
                Message::Text(text) => {
                    return Some(serde_json::from_str(text.as_str()).expect("JSON frame"))
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    async fn frame(&mut self) -> Value {
        self.frame_within(WAIT).await.expect("a frame within 10 s")
    }

    async fn send_text(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    /// The REP to the frame with `msg_id`; EVTs that come first are kept for [`Agent::evt`].
    async fn rep_to(&mut self, msg_id: &str) -> Value {
        loop {
            let frame = self.frame().await;
            if frame["MsgType"] == "REP" && frame["MsgId"] == msg_id {
                return frame;
            }
            assert_eq!(frame["MsgType"], "EVT", "{frame}");
            self.events.push_back(frame);
        }
    }

    /// Sends a REQ with the standard header and `fields`, and returns its REP.
    pub(crate) async fn req(&mut self, method: &str, fields: Value) -> Value {
        self.seq += 1;
        let msg_id = format!("req-{}", self.seq);
        let mut frame = json!({
            "Ver": "1.0", "UA": "Chrome 62;uvcsdk-js-1.0", "SeqId": self.seq, "MsgId": msg_id,
            "MsgType": "REQ", "AppId": self.app, "AgentId": self.agent,
            "Timestamp": ccemu_engine::wall_ms(), "Method": method,
        });
        for (k, v) in fields.as_object().expect("fields") {
            frame[k] = v.clone();
        }
        self.send_text(frame.to_string()).await;
        self.rep_to(&msg_id).await
    }

    /// The next EVT, not ACKed.
    pub(crate) async fn evt_unacked(&mut self) -> Value {
        if let Some(frame) = self.events.pop_front() {
            return frame;
        }
        let frame = self.frame().await;
        assert_eq!(frame["MsgType"], "EVT", "{frame}");
        frame
    }

    /// The next EVT, which must be `method`; ACKed as the doc's event response.
    pub(crate) async fn evt(&mut self, method: &str) -> Value {
        let frame = self.evt_unacked().await;
        assert_eq!(frame["Method"], method, "{frame}");
        self.ack(&frame).await;
        frame
    }

    pub(crate) async fn ack(&mut self, frame: &Value) {
        let ack = json!({
            "Ver": "1.0", "SeqId": frame["SeqId"], "MsgId": frame["MsgId"], "MsgType": "ACK",
            "Timestamp": ccemu_engine::wall_ms(), "Method": frame["Method"],
        });
        self.send_text(ack.to_string()).await;
    }

    /// Nothing more arrives for a while (longer than two resend intervals).
    pub(crate) async fn quiet(&mut self) {
        assert!(self.events.is_empty(), "{:?}", self.events);
        let extra = self
            .frame_within(Duration::from_millis(RESEND_MS * 2 + 400))
            .await;
        assert_eq!(extra, None);
    }
}

/// A REP of success: the documented header, `SeqId`/`MsgId` echoed, tenant time.
pub(crate) fn ok_rep(seq: u64, method: &str, now_ms: i64, fields: Value) -> Value {
    let mut rep = json!({
        "Ver": "1.0", "SeqId": seq, "MsgId": format!("req-{seq}"), "MsgType": "REP",
        "Timestamp": now_ms, "ErrCode": "000000", "ErrDesc": "OK", "Method": method,
    });
    for (k, v) in fields.as_object().expect("fields") {
        rep[k] = v.clone();
    }
    rep
}

fn err_rep(seq: u64, method: &str, now_ms: i64, code: &str, desc: &str) -> Value {
    let mut rep = ok_rep(seq, method, now_ms, json!({}));
    rep["ErrCode"] = json!(code);
    rep["ErrDesc"] = json!(desc);
    rep
}

/// The fields of an EVT besides its header, after checking the header.
pub(crate) fn evt_fields(frame: &Value, at_ms: i64) -> Value {
    let mut rest = frame.as_object().expect("frame").clone();
    for key in ["Ver", "SeqId", "MsgId", "MsgType", "Timestamp", "Method"] {
        assert!(rest.remove(key).is_some(), "{key} missing: {frame}");
    }
    assert_eq!(frame["Ver"], "1.0");
    assert_eq!(frame["Timestamp"], at_ms, "{frame}");
    assert!(frame["SeqId"].as_u64().is_some_and(|s| s >= 1), "{frame}");
    assert!(
        frame["MsgId"].as_str().is_some_and(|m| m.len() == 36),
        "{frame}"
    );
    Value::Object(rest)
}

#[tokio::test]
async fn the_handshake_refuses_bad_expired_or_foreign_signatures_before_the_upgrade() {
    let (s, _config) = server().await;
    let u = Udesk::demo();
    let sign_invalid = (401, err("000001", "Sign invalid"));
    let good = ws_url(&s, &u, "1001", &now_s());
    assert_eq!(
        refused(&good.replace("&Sign=", "&Sign=0")).await,
        sign_invalid
    );
    let stale = (ccemu_engine::wall_ms() / 1000 - 11 * 60).to_string();
    assert_eq!(refused(&ws_url(&s, &u, "1001", &stale)).await, sign_invalid);
    // The server-side signature over the Sid is not the browser's.
    let ts = now_s();
    let server_side = format!(
        "{}/ccapi/v2/ws?AppId={}&Sid={}&AgentId=1001&Timestamp={ts}&Sign={}",
        s.base.replacen("http", "ws", 1),
        u.app,
        u.sid,
        ccemu_vendor_udesk::sign::sign(&u.sid, &u.token, &ts)
    );
    assert_eq!(refused(&server_side).await, sign_invalid);
    // Another tenant: its own AgentIds only, and only with its own AuthToken.
    let other = Udesk::of(&s.create_tenant("Other").await);
    assert_eq!(
        refused(&ws_url(&s, &other, "1001", &now_s())).await,
        (404, err("100018", "RecordNotFound"))
    );
    let forged = Udesk {
        app: other.app.clone(),
        ..Udesk::demo()
    };
    assert_eq!(
        refused(&ws_url(&s, &forged, "1001", &now_s())).await,
        sign_invalid
    );
    assert_eq!(
        refused(&ws_url(&s, &u, "4242", &now_s())).await,
        (404, err("100018", "RecordNotFound"))
    );
    // A good signature without the upgrade is a parameter error, in the Udesk envelope.
    let (status, body) = crate::harness::send(s.http.get(good.replacen("ws", "http", 1))).await;
    assert_eq!((status, body), (400, err("000001", "ParamsInvalid")));
    // With the upgrade it connects.
    let mut agent = Agent::connect(&s, &u, "1001").await;
    let rep = agent.req("getState", json!({})).await;
    assert_eq!(rep["ErrDesc"], "AgentNotLogin", "{rep}");
}

#[tokio::test]
async fn login_get_state_and_set_state_answer_reps_and_announce_each_state() {
    let (s, _config) = server().await;
    let u = Udesk::demo();
    let t0 = ccemu_engine::wall_ms() + 1000;
    s.manual_clock("demo", t0).await;
    let mut a = Agent::connect(&s, &u, "1001").await;
    assert_eq!(
        a.req("getState", json!({})).await,
        err_rep(1, "getState", t0, "000001", "AgentNotLogin")
    );
    assert_eq!(
        a.req("login", json!({"Token": "not-the-sign"})).await,
        err_rep(2, "login", t0, "000001", "Sign invalid")
    );
    let token = a.token.clone();
    // The doc's check-in, with the URL's Sign as Token and the default state.
    assert_eq!(
        a.req(
            "login",
            json!({"AppId": u.app, "AgentId": "1001", "Token": token.to_uppercase()})
        )
        .await,
        ok_rep(3, "login", t0, json!({}))
    );
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t0),
        json!({"CurState": "idle", "OldState": "offline"})
    );
    assert_eq!(s.agent_state("demo", "1001").await, "available");
    assert_eq!(
        a.req("getState", json!({})).await,
        ok_rep(
            4,
            "getState",
            t0,
            json!({"CurState": "idle", "StartTime": t0, "CurMode": "voip", "CurExtState": "offline"})
        )
    );
    s.advance("demo", 5000).await;
    let t1 = t0 + 5000;
    assert_eq!(
        a.req("setState", json!({"State": "busy"})).await,
        ok_rep(5, "setState", t1, json!({}))
    );
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t1),
        json!({"CurState": "busy", "OldState": "idle"})
    );
    assert_eq!(s.agent_state("demo", "1001").await, "not_ready");
    assert_eq!(
        a.req("setState", json!({"State": "onBreak", "SubState": 2}))
            .await,
        ok_rep(6, "setState", t1, json!({}))
    );
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t1),
        json!({"CurState": "onBreak", "CurStateSubId": 2, "OldState": "busy"})
    );
    let (_, agents) = s.get("/_ccemu/tenants/demo/agents").await;
    let alice = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "1001")
        .cloned()
        .unwrap();
    assert_eq!(alice["state"]["state"], "on_break");
    assert_eq!(alice["state"]["sub_state"], 2);
    let state = a.req("getState", json!({})).await;
    assert_eq!(
        (&state["CurState"], &state["StartTime"]),
        (&json!("onBreak"), &json!(t1))
    );
    assert_eq!(
        a.req("setState", json!({"State": "idle"})).await,
        ok_rep(8, "setState", t1, json!({}))
    );
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t1),
        json!({"CurState": "idle", "OldState": "onBreak"})
    );
    // Logging out announces the seat going offline, and the socket may log in again.
    assert_eq!(
        a.req("logout", json!({})).await,
        ok_rep(9, "logout", t1, json!({}))
    );
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t1),
        json!({"CurState": "offline", "OldState": "idle"})
    );
    assert_eq!(s.agent_state("demo", "1001").await, "logged_out");
    assert_eq!(
        a.req("setState", json!({"State": "busy"})).await["ErrDesc"],
        "AgentNotLogin"
    );
    assert_eq!(
        a.req("login", json!({"Token": token, "State": "busy"}))
            .await,
        ok_rep(11, "login", t1, json!({}))
    );
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t1),
        json!({"CurState": "busy", "OldState": "offline"})
    );
    a.quiet().await;
}

#[tokio::test]
async fn an_inbound_call_to_the_seats_queue_is_announced_step_by_step() {
    let (s, _config) = server().await;
    let u = Udesk::demo();
    let t0 = ccemu_engine::wall_ms() + 1000;
    s.sim_on_manual_clock("demo", t0, json!({"auto": false}))
        .await;
    let mut a = Agent::connect(&s, &u, "1001").await;
    let token = a.token.clone();
    assert_eq!(
        a.req("login", json!({"Token": token})).await["ErrCode"],
        "000000"
    );
    a.evt("agentStateChange").await;
    // Only 1001 is ready in Sales (9001): the call rings it.
    let call = s.sim_contact("demo", "calls", "9001").await;
    let call_id = call["id"].as_str().unwrap().to_owned();
    let call = s.interaction("demo", &call_id).await;
    let (from, to) = (call["from"].clone(), call["to"].clone());
    let call_fields = json!({
        "AgentNumber": "9000000008001", "DestNumber": from, "DestNumberLoc": "",
        "SpNumber": to, "CallDirection": "in", "UserData": ""
    });
    let ringing = a.evt("agentRinging").await;
    assert_eq!(evt_fields(&ringing, t0), call_fields);
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t0),
        json!({"CurState": "ringing", "OldState": "idle"})
    );
    let state = a.req("getState", json!({})).await;
    assert_eq!(
        (
            &state["CurState"],
            &state["DestNumber"],
            &state["CallDirection"]
        ),
        (&json!("ringing"), &from, &json!("in")),
        "{state}"
    );
    s.advance("demo", 1500).await;
    let (status, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1001/answer", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let t1 = t0 + 1500;
    let answered = a.evt("agentAnswered").await;
    assert_eq!(evt_fields(&answered, t1), call_fields);
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t1),
        json!({"CurState": "talking", "OldState": "ringing"})
    );
    // In a call getState also names the call.
    let state = a.req("getState", json!({})).await;
    let mut want = ok_rep(
        a.seq,
        "getState",
        t1,
        json!({"CurState": "talking", "StartTime": t1, "CurMode": "voip", "CurExtState": "offline"}),
    );
    for key in [
        "DestNumber",
        "DestNumberLoc",
        "SpNumber",
        "CallDirection",
        "UserData",
    ] {
        want[key] = call_fields[key].clone();
    }
    assert_eq!(state, want);
    s.advance("demo", 30_000).await;
    let t2 = t1 + 30_000;
    // The agent hangs up from the toolbar: the agent's leg first, then the customer's.
    assert_eq!(
        a.req("hangup", json!({})).await,
        ok_rep(a.seq, "hangup", t2, json!({}))
    );
    let hangup = a.evt("agnetHangup").await;
    assert_eq!(evt_fields(&hangup, t2), json!({"Reason": "normal"}));
    let hangup = a.evt("userHangup").await;
    assert_eq!(evt_fields(&hangup, t2), json!({"Reason": "normal"}));
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t2),
        json!({"CurState": "wrapUp", "OldState": "talking"})
    );
    let ended = s.interaction("demo", &call_id).await;
    assert_eq!(
        (&ended["state"], &ended["ended_by"]),
        (&json!("ended"), &json!("agent"))
    );
    // Wrap-up (10 s for the demo's seats) ends on the tenant clock.
    s.advance("demo", 10_000).await;
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t2 + 10_000),
        json!({"CurState": "idle", "OldState": "wrapUp"})
    );
    // No call now: hangup has nothing to end.
    assert_eq!(
        a.req("hangup", json!({})).await,
        err_rep(
            a.seq,
            "hangup",
            t2 + 10_000,
            "000004",
            "Data does not exist"
        )
    );
    // A second call, hung up by the customer: the customer's leg first.
    let second = s.sim_contact("demo", "calls", "9001").await;
    a.evt("agentRinging").await;
    a.evt("agentStateChange").await;
    let (status, _) = s
        .post("/_ccemu/tenants/demo/sim/agents/1001/answer", json!({}))
        .await;
    assert_eq!(status, 200);
    a.evt("agentAnswered").await;
    a.evt("agentStateChange").await;
    let path = format!(
        "/_ccemu/tenants/demo/sim/interactions/{}/hangup",
        second["id"].as_str().unwrap()
    );
    let (status, body) = s.post(&path, json!({"by": "customer"})).await;
    assert_eq!(status, 200, "{body}");
    a.evt("userHangup").await;
    a.evt("agnetHangup").await;
    a.evt("agentStateChange").await;
    // Every EVT was ACKed: none comes again.
    a.quiet().await;
}

#[tokio::test]
async fn an_evt_is_sent_again_until_it_is_acked() {
    let (s, _config) = server().await;
    let u = Udesk::demo();
    let mut a = Agent::connect(&s, &u, "1002").await;
    let token = a.token.clone();
    assert_eq!(
        a.req("login", json!({"Token": token})).await["ErrCode"],
        "000000"
    );
    let first = a.evt_unacked().await;
    assert_eq!(first["Method"], "agentStateChange");
    // Not ACKed: the very same frame (SeqId, MsgId, Timestamp) comes again, and again.
    for _ in 0..2 {
        let again = a.frame().await;
        assert_eq!(again, first);
    }
    // An ACK by SeqId alone also counts.
    let ack = json!({"Ver": "1.0", "SeqId": first["SeqId"], "MsgType": "ACK", "Method": "agentStateChange"});
    a.send_text(ack.to_string()).await;
    // A re-send may have crossed the ACK; after it, nothing more.
    if let Some(late) = a.frame_within(Duration::from_millis(RESEND_MS)).await {
        assert_eq!(late, first);
    }
    a.quiet().await;
    // The next event has the next SeqId.
    assert_eq!(
        a.req("setState", json!({"State": "busy"})).await["ErrCode"],
        "000000"
    );
    let next = a.evt("agentStateChange").await;
    assert_eq!(next["SeqId"], first["SeqId"].as_u64().unwrap() + 1);
    assert_ne!(next["MsgId"], first["MsgId"]);
    a.quiet().await;
}

#[tokio::test]
async fn frames_that_cannot_be_served_get_error_reps_and_the_socket_stays_open() {
    let (s, _config) = server().await;
    let u = Udesk::demo();
    let t0 = ccemu_engine::wall_ms() + 1000;
    s.manual_clock("demo", t0).await;
    let mut a = Agent::connect(&s, &u, "1001").await;
    let bad = |seq: Value, msg: Value, method: &str, code: &str, desc: &str| {
        json!({"Ver": "1.0", "SeqId": seq, "MsgId": msg, "MsgType": "REP", "Timestamp": t0,
               "ErrCode": code, "ErrDesc": desc, "Method": method})
    };
    let bad_json = bad(
        json!(0),
        json!(""),
        "",
        "100004",
        "unexpected end of JSON input",
    );
    for text in ["not json", "{\"SeqId\":1,", ""] {
        a.send_text(text.into()).await;
        assert_eq!(a.frame().await, bad_json, "{text:?}");
    }
    a.ws.send(Message::binary(vec![0xff, 0x00])).await.unwrap();
    assert_eq!(a.frame().await, bad_json);
    for text in ["[1]", "{}", r#"{"SeqId":2,"MsgId":"m2","MsgType":"REQ"}"#] {
        a.send_text(text.into()).await;
        let rep = a.frame().await;
        assert_eq!(
            (&rep["ErrCode"], &rep["ErrDesc"], &rep["MsgType"]),
            (&json!("000001"), &json!("ParamsInvalid"), &json!("REP")),
            "{text}"
        );
    }
    a.send_text(r#"{"SeqId":3,"MsgId":"m3","MsgType":"EVT","Method":"agentRinging"}"#.into())
        .await;
    assert_eq!(
        a.frame().await,
        bad(
            json!(3),
            json!("m3"),
            "agentRinging",
            "000001",
            "ParamsInvalid"
        )
    );
    // An unknown method echoes the header and answers like an unknown API.
    a.send_text(r#"{"Ver":"1.0","SeqId":"4","MsgId":"m4","MsgType":"REQ","Method":"fly"}"#.into())
        .await;
    assert_eq!(
        a.frame().await,
        bad(
            json!("4"),
            json!("m4"),
            "fly",
            "000004",
            "API does not exist"
        )
    );
    let token = a.token.clone();
    assert_eq!(
        a.req("login", json!({"Token": token})).await["ErrCode"],
        "000000"
    );
    a.evt("agentStateChange").await;
    // Fields of the wrong shape or value, and another seat named in the header.
    for (method, fields) in [
        ("setState", json!({"State": "away"})),
        ("setState", json!({})),
        ("setState", json!({"State": "onBreak", "SubState": -1})),
        ("setState", json!({"State": {"x": 1}})),
        ("getState", json!({"AgentId": "1002"})),
        ("getState", json!({"AppId": "someone-else"})),
        ("setCallMode", json!({"Contact": "pigeon"})),
        ("dialout", json!({"SpNumber": "057126200670"})),
    ] {
        let rep = a.req(method, fields.clone()).await;
        assert_eq!(
            rep,
            err_rep(a.seq, method, t0, "000001", "ParamsInvalid"),
            "{method} {fields}"
        );
    }
    assert_eq!(s.agent_state("demo", "1001").await, "available");
    // Still open and serving.
    let state = a.req("getState", json!({})).await;
    assert_eq!(
        (&state["ErrCode"], &state["CurState"]),
        (&json!("000000"), &json!("idle"))
    );
    a.quiet().await;
}

#[tokio::test]
async fn the_server_closes_with_disconnect_on_logout_elsewhere_seat_deletion_and_app_deletion() {
    let (s, _config) = server().await;
    let u = Udesk::demo();
    let login = |agent: &Agent| json!({"Token": agent.token});
    let mut a = Agent::connect(&s, &u, "1003").await;
    assert_eq!(a.req("login", login(&a)).await["ErrCode"], "000000");
    a.evt("agentStateChange").await;
    // Logged out through the control plane: the state change, then the server's goodbye.
    let (status, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1003/logout", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        (&change["CurState"], &change["OldState"]),
        (&json!("offline"), &json!("idle"))
    );
    let bye = a.evt_unacked().await;
    assert_eq!(bye["Method"], "disconnect");
    assert_eq!(bye["Reason"], "logged out elsewhere");
    // Then the close; the un-ACKed goodbye may be re-sent first, but nothing else.
    loop {
        match a.ws.next().await {
            Some(Ok(Message::Close(_))) | None => break,
            Some(Ok(Message::Text(text))) => {
                let again: Value = serde_json::from_str(text.as_str()).expect("JSON frame");
                assert_eq!(again["Method"], "disconnect", "{again}");
            }
            other => panic!("expected the close, got {other:?}"),
        }
    }
    // A seat deleted while its socket is open.
    let seat = r#"{"Agents":[{"AgentId":"7001","WorkId":"7001"}]}"#;
    assert_eq!(u.call(&s, "POST", "agents", seat).await.0, 200);
    let mut b = Agent::connect(&s, &u, "7001").await;
    assert_eq!(b.req("login", login(&b)).await["ErrCode"], "000000");
    b.evt("agentStateChange").await;
    let (status, body) = u
        .call(&s, "DELETE", "agents/7001", r#"{"AgentId":"7001"}"#)
        .await;
    assert_eq!(status, 200, "{body}");
    loop {
        let frame = b.evt_unacked().await;
        if frame["Method"] == "disconnect" {
            assert_eq!(frame["Reason"], "seat deleted");
            break;
        }
        assert_eq!(frame["Method"], "agentStateChange", "{frame}");
    }
    // The app itself deleted.
    let tenant = s.create_tenant("Gone").await;
    let other = Udesk::of(&tenant);
    let seat = r#"{"Agents":[{"AgentId":"501","WorkId":"501"}]}"#;
    assert_eq!(other.call(&s, "POST", "agents", seat).await.0, 200);
    let mut c = Agent::connect(&s, &other, "501").await;
    let id = tenant["id"].as_str().unwrap();
    let (status, _) = s.delete(&format!("/_ccemu/tenants/{id}")).await;
    assert!(status == 200 || status == 204, "{status}");
    let bye = c.evt_unacked().await;
    assert_eq!(
        (&bye["Method"], &bye["Reason"]),
        (&json!("disconnect"), &json!("app deleted"))
    );
}

#[tokio::test]
async fn set_call_mode_and_dialout_drive_the_seats_own_outbound_call() {
    let (s, _config) = server().await;
    let u = Udesk::demo();
    let t0 = ccemu_engine::wall_ms() + 1000;
    s.sim_on_manual_clock("demo", t0, json!({"auto": false, "dial_answer_rate": 1.0}))
        .await;
    let mut a = Agent::connect(&s, &u, "1001").await;
    let token = a.token.clone();
    assert_eq!(
        a.req("login", json!({"Token": token})).await["ErrCode"],
        "000000"
    );
    a.evt("agentStateChange").await;
    // Cellphone mode needs the seat's mobile number.
    assert_eq!(
        a.req("setCallMode", json!({"Contact": "cellphone"})).await,
        err_rep(a.seq, "setCallMode", t0, "000001", "CallModeInvalid")
    );
    let mobile = r#"{"AgentId":"1001","WorkId":"1001","Mobile":"13800000001"}"#;
    assert_eq!(u.call(&s, "PUT", "agents/1001", mobile).await.0, 200);
    assert_eq!(
        a.req(
            "setCallMode",
            json!({"Contact": "cellphone", "UserData": "x"})
        )
        .await,
        ok_rep(a.seq, "setCallMode", t0, json!({}))
    );
    let mode = a.evt("agentCallModeChange").await;
    assert_eq!(evt_fields(&mode, t0), json!({"CurContact": "cellphone"}));
    assert_eq!(a.req("getState", json!({})).await["CurMode"], "cellphone");
    assert_eq!(
        a.req("setCallMode", json!({"Contact": "voip"})).await["ErrCode"],
        "000000"
    );
    let mode = a.evt("agentCallModeChange").await;
    assert_eq!(evt_fields(&mode, t0), json!({"CurContact": "voip"}));
    // The doc's outbound call: the seat's phone rings first, then the customer's.
    assert_eq!(
        a.req(
            "dialout",
            json!({"DestNumber": "13900000002", "SpNumber": "+14155550100", "UserData": "crm-42"})
        )
        .await,
        ok_rep(
            a.seq,
            "dialout",
            t0,
            json!({"DestNumberLoc": "", "UserData": "crm-42"})
        )
    );
    let call_fields = json!({
        "AgentNumber": "9000000008001", "DestNumber": "13900000002", "DestNumberLoc": "",
        "SpNumber": "+14155550100", "CallDirection": "out", "UserData": "crm-42"
    });
    let ringing = a.evt("agentRinging").await;
    assert_eq!(evt_fields(&ringing, t0), call_fields);
    let change = a.evt("agentStateChange").await;
    assert_eq!(change["CurState"], "ringing");
    let (status, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1001/answer", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let answered = a.evt("agentAnswered").await;
    assert_eq!(evt_fields(&answered, t0), call_fields);
    // agentAnswered, the seat talking, and the customer's phone ringing, in commit order.
    let mut rest = Vec::new();
    for _ in 0..2 {
        let frame = a.evt_unacked().await;
        a.ack(&frame).await;
        rest.push(frame);
    }
    let methods: Vec<&str> = rest.iter().map(|f| f["Method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["userRinging", "agentStateChange"], "{rest:?}");
    assert_eq!(evt_fields(&rest[0], t0), call_fields);
    // The simulated callee answers within its ring time.
    s.advance("demo", 60_000).await;
    let user = a.evt("userAnswered").await;
    let fields = evt_fields(&user, user["Timestamp"].as_i64().unwrap());
    assert_eq!(fields, call_fields);
    let state = a.req("getState", json!({})).await;
    assert_eq!(
        (
            &state["CurState"],
            &state["DestNumber"],
            &state["CallDirection"],
            &state["UserData"]
        ),
        (
            &json!("talking"),
            &json!("13900000002"),
            &json!("out"),
            &json!("crm-42")
        )
    );
    assert_eq!(a.req("hangup", json!({})).await["ErrCode"], "000000");
    a.evt("agnetHangup").await;
    a.evt("userHangup").await;
    a.evt("agentStateChange").await;
    a.quiet().await;
}

#[tokio::test]
async fn binding_and_releasing_the_seats_extension_are_extension_state_changes() {
    let (s, _config) = server().await;
    let u = Udesk::demo();
    let t0 = ccemu_engine::wall_ms() + 1000;
    s.manual_clock("demo", t0).await;
    let mut a = Agent::connect(&s, &u, "1001").await;
    let token = a.token.clone();
    assert_eq!(
        a.req("login", json!({"Token": token})).await["ErrCode"],
        "000000"
    );
    a.evt("agentStateChange").await;
    let (status, body) = u
        .call(&s, "POST", "extensions", r#"{"Extension":"4567"}"#)
        .await;
    assert_eq!(status, 200, "{body}");
    let ids = r#"{"AgentId":"1001","Extensions":["4567"]}"#;
    assert_eq!(u.call(&s, "POST", "agents/extensions", ids).await.0, 200);
    let bound = a.evt("extensionStateChange").await;
    assert_eq!(
        evt_fields(&bound, t0),
        json!({"CurState": "offline", "OldState": "offline", "Reason": "bind"})
    );
    // Another seat's extension is not this socket's business.
    let other = r#"{"AgentId":"1003","Extensions":["8002"]}"#;
    assert_eq!(
        u.call(&s, "DELETE", "agents/extensions", other).await.0,
        200
    );
    assert_eq!(u.call(&s, "DELETE", "agents/extensions", ids).await.0, 200);
    let released = a.evt("extensionStateChange").await;
    assert_eq!(
        evt_fields(&released, t0),
        json!({"CurState": "offline", "OldState": "offline", "Reason": "unbind"})
    );
    a.quiet().await;
}

#[tokio::test]
async fn a_socket_opened_while_the_seat_rings_sees_the_call_and_hangup_refuses_it() {
    let (s, _config) = server().await;
    let u = Udesk::demo();
    let t0 = ccemu_engine::wall_ms() + 1000;
    s.sim_on_manual_clock("demo", t0, json!({"auto": false}))
        .await;
    s.ready("demo", "1001").await;
    let call = s.sim_contact("demo", "calls", "9001").await;
    let call_id = call["id"].as_str().unwrap().to_owned();
    assert_eq!(s.agent_state("demo", "1001").await, "ringing");
    // The browser reconnects mid-ring: login keeps the seat's state, getState names the call.
    let mut a = Agent::connect(&s, &u, "1001").await;
    let token = a.token.clone();
    assert_eq!(
        a.req("login", json!({"Token": token})).await,
        ok_rep(1, "login", t0, json!({}))
    );
    assert_eq!(s.agent_state("demo", "1001").await, "ringing");
    let state = a.req("getState", json!({})).await;
    assert_eq!(
        (
            &state["CurState"],
            &state["DestNumber"],
            &state["SpNumber"],
            &state["CallDirection"]
        ),
        (&json!("ringing"), &call["from"], &call["to"], &json!("in")),
        "{state}"
    );
    // Hanging up a ringing inbound call refuses it: back to the queue, not abandoned.
    assert_eq!(
        a.req("hangup", json!({})).await,
        ok_rep(3, "hangup", t0, json!({}))
    );
    let after = s.interaction("demo", &call_id).await;
    assert_eq!(
        (&after["state"], &after["agent_id"], &after["ended_by"]),
        (&json!("queued"), &Value::Null, &Value::Null),
        "{after}"
    );
}
