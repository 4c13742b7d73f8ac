//! Udesk seat sessions and calls against the real binary: a seat with an extension logs in, sets
//! its call mode, places a call with `originatev2`, holds, resumes and transfers it to an outside
//! number, and the interaction record and the event log show every step. The tenant's clock is
//! manual but starts at the wall clock, because Udesk signatures are judged on it.

use crate::harness::{steps, want_steps, Server};
use crate::udesk::{err, ok, Udesk};
use serde_json::{json, Value};

/// Envelope B of a success.
pub(crate) fn ok_b(msg_id: &str, results: &str) -> Value {
    json!({"ErrCode": "000000", "ErrDesc": "OK", "msg_id": msg_id, "results": results, "data": null})
}

/// Envelope C of a success.
pub(crate) fn ok_c() -> Value {
    json!({"code": "000000", "message": "OK", "results": ""})
}

/// `api` signed with the account's `Sid` alone, as the doc's `agent/hold` and `transfer/agent`
/// examples are (no `AppId`: the tenant is the account's).
pub(crate) async fn sid_only(
    u: &Udesk,
    s: &Server,
    method: &str,
    api: &str,
    body: &Value,
) -> (u16, Value) {
    let ts = (ccemu_engine::wall_ms() / 1000).to_string();
    let sign = ccemu_vendor_udesk::sign::sign(&u.sid, &u.token, &ts);
    let url = s.url(&format!(
        "/ccapi/v2/{api}?Timestamp={ts}&Sign={sign}&Sid={}",
        u.sid
    ));
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let req = s
        .http
        .request(method, url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string());
    crate::harness::send(req).await
}

/// The demo tenant on a manual clock a little ahead of the wall clock (Udesk signatures are judged
/// on it), its simulated seats answering nothing by themselves.
async fn demo_without_auto_answer() -> (Server, Udesk) {
    let s = Server::start().await;
    s.sim_on_manual_clock(
        "demo",
        ccemu_engine::wall_ms() + 5_000,
        json!({ "auto": false }),
    )
    .await;
    (s, Udesk::demo())
}

fn hold_body(call_id: &str) -> Value {
    json!({"call_id": call_id, "agent_id": "10032", "on_succ": "demo", "on_failed": "demo"})
}

#[tokio::test]
async fn a_seat_logs_in_calls_out_holds_resumes_and_transfers_to_a_number() {
    let s = Server::start().await;
    let u = Udesk::demo();
    // A little ahead of the wall clock: a manual clock never goes back from the server's.
    let t0 = ccemu_engine::wall_ms() + 5_000;
    s.sim_on_manual_clock("demo", t0, json!({ "auto": false, "wrap_up_ms": 0 }))
        .await;
    // A seat and its extension.
    let seat = r#"{"Agents":[{"AgentId":"10032","WorkId":"10032","Name":"Li"}]}"#;
    assert_eq!(
        u.call(&s, "POST", "agents", seat).await,
        (200, ok(Value::Null))
    );
    // Before it holds an extension it cannot log in.
    assert_eq!(
        u.call(&s, "POST", "agent/login", r#"{"agent_Id":"10032"}"#)
            .await,
        (400, err("000001", "AgentNotBindVoip"))
    );
    let (status, body) = u
        .call(&s, "POST", "extensions", r#"{"Extension":"4567"}"#)
        .await;
    assert_eq!(status, 200, "{body}");
    let bind = r#"{"AgentId":"10032","Extensions":["4567"]}"#;
    assert_eq!(u.call(&s, "POST", "agents/extensions", bind).await.0, 200);

    // The doc's login and call-mode examples.
    assert_eq!(
        u.call(
            &s,
            "POST",
            "agent/login?MsgId=123456789",
            r#" { "agent_Id": "10032" }"#
        )
        .await,
        (200, ok_b("123456789", ""))
    );
    assert_eq!(s.agent_state("demo", "10032").await, "available");
    assert_eq!(
        u.call(
            &s,
            "POST",
            "agent/set_call_mode?MsgId=123456789",
            "{\n\"AgentId\": \"10032\",\n\"Contact\": \"voip\"\n}\n"
        )
        .await,
        (200, ok_b("123456789", ""))
    );
    let start = s.last_seq("demo").await;

    // The doc's originatev2 example, escaped quotes and all, for this seat.
    let originate = r#"{\"caller\": \"057128091649\", \"called\": \"15652692674\",\"called_display\":\"057128091649\",\"agent_id\": \"10032\", \"user_data\":[{\"evt\": \"user_answer\", \"data\":\"1111111\"}, {\"evt\": \"agent_answer\",\"data\": \"22222\"}]}"#;
    let (status, body) = u.call(&s, "POST", "originatev2", originate).await;
    assert_eq!(status, 200, "{body}");
    let call_id = body["results"].as_str().expect("CallId").to_owned();
    assert_eq!(body, ok_b("", &call_id));
    let ringing = s.interaction("demo", &call_id).await;
    assert_eq!(ringing["state"], "ringing");
    assert_eq!(s.agent_state("demo", "10032").await, "ringing");

    // The seat answers; the callee's phone rings 5 s and picks up.
    let (status, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/10032/answer", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["interaction"]["state"], "connected");
    // Holding before the callee is on the line is refused.
    assert_eq!(
        sid_only(&u, &s, "POST", "agent/hold", &hold_body(&call_id)).await,
        (
            400,
            json!({"code": "000001", "message": "CallStateInvalid"})
        )
    );
    s.advance("demo", 5_000).await;
    assert_eq!(
        sid_only(&u, &s, "POST", "agent/hold", &hold_body(&call_id)).await,
        (200, ok_c())
    );
    assert_eq!(s.interaction("demo", &call_id).await["state"], "held");
    s.advance("demo", 2_000).await;
    assert_eq!(
        sid_only(&u, &s, "DELETE", "agent/hold", &hold_body(&call_id)).await,
        (200, ok_c())
    );
    let transfer = json!({"call_id": call_id, "agent_id": "10032", "agent_type": "anonymous",
        "agent_phone": "10010001000", "on_succ": "demo", "on_failed": "demo",
        "on_record_over": "demo", "on_transferee_hangup": "demo"});
    assert_eq!(
        sid_only(&u, &s, "POST", "transfer/agent", &transfer).await,
        (200, ok_c())
    );
    assert_eq!(s.agent_state("demo", "10032").await, "available");
    // The number rings 5 s and takes the call; the customer hangs up a second later.
    s.advance("demo", 5_000).await;
    s.advance("demo", 1_000).await;
    let (status, body) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{call_id}/hangup"),
            json!({"by": "customer"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let events = s.events_after("demo", start).await;
    assert_eq!(
        steps(&events, t0),
        want_steps(&[
            ("interaction.created", 0),
            ("interaction.ringing", 0),
            ("agent.state_changed:10032:ringing", 0),
            ("interaction.answered", 0),
            ("interaction.customer_ringing", 0),
            ("agent.state_changed:10032:on_contact", 0),
            ("interaction.customer_answered", 5_000),
            ("interaction.held", 5_000),
            ("interaction.resumed", 7_000),
            ("interaction.transferred:transferring", 7_000),
            ("agent.state_changed:10032:available", 7_000),
            ("interaction.transferred:completed", 12_000),
            ("interaction.ended", 13_000),
        ])
    );
    // The record shows each step.
    let c = s.interaction("demo", &call_id).await;
    assert_eq!(
        (
            &c["state"],
            &c["channel"],
            &c["direction"],
            &c["from"],
            &c["to"]
        ),
        (
            &json!("ended"),
            &json!("voice"),
            &json!("outbound"),
            &json!("057128091649"),
            &json!("15652692674")
        )
    );
    assert_eq!(
        c["custom_data"]["user_data"],
        json!([{"evt": "user_answer", "data": "1111111"}, {"evt": "agent_answer", "data": "22222"}])
    );
    assert_eq!(c["custom_data"]["called_display"], "057128091649");
    assert_eq!(
        (&c["answered_at_ms"], &c["hold_ms"], &c["ended_by"]),
        (&json!(t0), &json!(2_000), &json!("customer"))
    );
    let party = |kind: &str| {
        c["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {c}"))
            .clone()
    };
    let (agent, customer) = (party("agent"), party("customer"));
    assert_eq!(
        (
            &agent["agent_id"],
            &agent["connected_at_ms"],
            &agent["left_at_ms"],
            &agent["left_reason"]
        ),
        (
            &json!("10032"),
            &json!(t0),
            &json!(t0 + 7_000),
            &json!("transferred_out")
        )
    );
    assert_eq!(
        (&customer["address"], &customer["connected_at_ms"]),
        (&json!("15652692674"), &json!(t0 + 5_000))
    );
    let t = &c["transfers"][0];
    assert_eq!(
        (&t["status"], &t["to_number"], &t["from_agent_id"]),
        (&json!("completed"), &json!("10010001000"), &json!("10032"))
    );
    // The seat logs out when it is done.
    assert_eq!(
        u.call(&s, "POST", "agent/logout", r#"{"agent_Id":"10032"}"#)
            .await,
        (200, ok_b("", ""))
    );
    assert_eq!(s.agent_state("demo", "10032").await, "logged_out");
}

#[tokio::test]
async fn calls_are_refused_in_the_udesk_envelopes_and_never_cross_tenants() {
    let (s, u) = demo_without_auto_answer().await;
    // Demo seat 1001 holds extension 8001 but is logged out.
    let originate =
        r#"{"caller":"","called":"15652692674","called_display":"x","agent_id":"1001"}"#;
    assert_eq!(
        u.call(&s, "POST", "originatev2", originate).await,
        (400, err("000001", "AgentNotLogin"))
    );
    assert_eq!(
        u.call(&s, "POST", "agent/login", r#"{"agent_Id":"1001"}"#)
            .await,
        (200, ok_b("", ""))
    );
    // No caller given: the company's default number.
    let (status, body) = u.call(&s, "POST", "originatev2", originate).await;
    assert_eq!(status, 200, "{body}");
    let call_id = body["results"].as_str().unwrap().to_owned();
    assert_eq!(
        s.interaction("demo", &call_id).await["from"],
        "+14155550100"
    );
    assert_eq!(
        u.call(&s, "POST", "originatev2", originate).await,
        (400, err("000001", "AgentBusy"))
    );
    assert_eq!(
        u.call(&s, "POST", "originatev2", "").await,
        (400, err("100004", "unexpected end of JSON input"))
    );
    let unknown = json!({"call_id": "97688e57-7a36-40f7-694a-393d4d1a10d3", "agent_id": "1001",
        "on_succ": "a", "on_failed": "b"});
    assert_eq!(
        sid_only(&u, &s, "POST", "agent/hold", &unknown).await,
        (404, json!({"code": "100018", "message": "RecordNotFound"}))
    );
    // Another tenant, with its own account, cannot touch the demo's call.
    let other = Udesk::of(&s.create_tenant("Other").await);
    let theirs = json!({"call_id": call_id, "agent_id": "1001", "on_succ": "a", "on_failed": "b"});
    assert_eq!(
        sid_only(&other, &s, "POST", "agent/hold", &theirs).await,
        (404, json!({"code": "100018", "message": "RecordNotFound"}))
    );
    assert_eq!(
        s.interaction("demo", &call_id).await["state"],
        "ringing",
        "untouched"
    );
}

#[tokio::test]
async fn a_front_end_sign_reaches_only_its_own_seats_operations() {
    let (s, u) = demo_without_auto_answer().await;
    let seat = r#"{"Agents":[{"AgentId":"199","WorkId":"199","Name":"Li"}]}"#;
    assert_eq!(
        u.call(&s, "POST", "agents", seat).await,
        (200, ok(Value::Null))
    );
    // The Sign a business server hands to seat 1001's browser.
    let front = ("AgentId", "1001");
    let sign_invalid = (401, err("000001", "Sign invalid"));
    for (method, api, body) in [
        // Another seat: deleted, changed, read, logged in or out, made to call.
        ("DELETE", "agents/199", r#"{"AgentId":"199"}"#),
        ("PUT", "agents/199", r#"{"AgentId":"199","WorkId":"199"}"#),
        ("GET", "agents/199", r#"{"AgentId":"199"}"#),
        ("POST", "agent/login", r#"{"agent_Id":"199"}"#),
        ("POST", "agent/logout", r#"{"agent_Id":"199"}"#),
        (
            "POST",
            "agent/set_call_mode",
            r#"{"AgentId":"199","Contact":"voip"}"#,
        ),
        (
            "POST",
            "originatev2",
            r#"{"caller":"","called":"15652692674","called_display":"x","agent_id":"199"}"#,
        ),
        // Its own seat's configuration, and the app's.
        ("DELETE", "agents/1001", r#"{"AgentId":"1001"}"#),
        (
            "PUT",
            "agents/1001",
            r#"{"AgentId":"1001","WorkId":"1001"}"#,
        ),
        ("POST", "agents", seat),
        ("GET", "agents", ""),
        ("GET", "calls/logs", "{}"),
        ("GET", "apps", ""),
        ("DELETE", "webhooks/events", ""),
    ] {
        assert_eq!(
            u.call_by(&s, front, method, api, body).await,
            sign_invalid,
            "{method} {api}"
        );
    }
    // Nothing changed: seat 199 is there as it was created.
    let (status, body) = u
        .call(&s, "GET", "agents/199", r#"{"AgentId":"199"}"#)
        .await;
    assert_eq!((status, &body["Result"]["Name"]), (200, &json!("Li")));

    // Its own seat: read, logged in, call mode set, an outbound call placed.
    let (status, body) = u
        .call_by(&s, front, "GET", "agents/1001", r#"{"AgentId":"1001"}"#)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Result"]["WorkId"], "1001");
    assert_eq!(
        u.call_by(&s, front, "POST", "agent/login", r#"{"agent_Id":"1001"}"#)
            .await,
        (200, ok_b("", ""))
    );
    assert_eq!(
        u.call_by(
            &s,
            front,
            "POST",
            "agent/set_call_mode",
            r#"{"AgentId":"1001","Contact":"voip"}"#
        )
        .await,
        (200, ok_b("", ""))
    );
    let originate =
        r#"{"caller":"","called":"15652692674","called_display":"x","agent_id":"1001"}"#;
    let (status, body) = u.call_by(&s, front, "POST", "originatev2", originate).await;
    assert_eq!(status, 200, "{body}");
    let call_id = body["results"].as_str().expect("CallId");
    assert_eq!(s.interaction("demo", call_id).await["agent_id"], "1001");
}
