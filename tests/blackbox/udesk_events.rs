//! Udesk event subscriptions (§3.5) and signed callbacks (§5.1) against the real binary: a CRM
//! subscribes through ccapi, a simulated inbound call to a Udesk queue is answered and hung up,
//! and a real local HTTP receiver, down at first, gets each callback once, in order, signed with
//! `SHA1(AppId + Secret + Timestamp)`.

use crate::udesk::{ok, Udesk};
use crate::webhooks::{deliveries, eventually, start_fast, Received, Receiver};
use serde_json::{json, Value};
use std::time::Duration;

/// The demo app's documented callback secret (README).
const DEMO_SECRET: &str = "demo-udesk-app-secret";

/// The events the CRM subscribes to: the call's steps and the seat's state.
const EVENTS: [&str; 8] = [
    "begin",
    "enqueue_succ",
    "agent_ringing",
    "agent_answer",
    "agent_hangup",
    "user_hangup",
    "end",
    "acd_agent_state",
];

/// Checks a callback's query is `Timestamp`, `AppId`, `Sign` of the demo app, signed with its
/// secret over wall-clock seconds, and returns the JSON body.
fn verified(r: &Received, app: &str) -> Value {
    verified_with(r, app, DEMO_SECRET)
}

/// [`verified`] for any app: `Sign = SHA1(app + secret + Timestamp)`.
pub(crate) fn verified_with(r: &Received, app: &str, secret: &str) -> Value {
    let params: Vec<(&str, &str)> = r
        .query
        .split('&')
        .map(|p| p.split_once('=').expect("key=value"))
        .collect();
    let keys: Vec<&str> = params.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, ["Timestamp", "AppId", "Sign"], "{}", r.query);
    let (ts, got_app, sign) = (params[0].1, params[1].1, params[2].1);
    assert_eq!(got_app, app);
    assert_eq!(
        sign,
        ccemu_vendor_udesk::sign::sign(app, secret, ts),
        "bad Sign for {}",
        r.body
    );
    let secs: i64 = ts.parse().expect("Timestamp in seconds");
    let now = ccemu_engine::wall_ms() / 1000;
    assert!(
        (now - 120..=now + 1).contains(&secs),
        "Timestamp {secs} is not UTC seconds near {now}"
    );
    assert_eq!(r.headers["content-type"], "application/json");
    serde_json::from_str(&r.body).expect("JSON body")
}

#[tokio::test]
async fn a_subscribed_crm_gets_each_call_callback_once_in_order_even_after_being_down() {
    let s = start_fast().await;
    let u = Udesk::demo();
    let mut receiver = Receiver::reserve();
    // A manual clock at the wall clock's time keeps request signatures valid; test code makes
    // every step of the call.
    let t0 = ccemu_engine::wall_ms() + 1000;
    s.manual_clock("demo", t0).await;
    let (status, sim) = s.get("/_ccemu/tenants/demo/sim").await;
    assert_eq!(status, 200, "{sim}");
    let mut sim = sim;
    sim["auto"] = json!(false);
    let (status, body) = s.put("/_ccemu/tenants/demo/sim", sim).await;
    assert_eq!(status, 200, "{body}");

    let create = json!({"subscriptions": [
        {"callback": receiver.url(), "name": "crm", "events": EVENTS},
    ]})
    .to_string();
    assert_eq!(
        u.call(&s, "POST", "subscriptions", &create).await,
        (
            200,
            ok(json!({"sub_succ": [{"id": 1, "name": "crm"}], "sub_fail": []}))
        )
    );
    assert_eq!(
        u.call(&s, "GET", "subscriptions/1", "").await,
        (
            200,
            ok(json!({"id": 1, "callback": receiver.url(), "name": "crm",
                      "events": EVENTS, "enable": true}))
        )
    );

    // Only 1001 is ready in Sales (9001): the call rings it; it answers and hangs up.
    s.ready("demo", "1001").await;
    let call = s.sim_contact("demo", "calls", "9001").await;
    let call_id = call["id"].as_str().expect("call id").to_owned();
    assert_eq!(call["agent_id"], "1001", "{call}");
    let (status, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1001/answer", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{call_id}/hangup"),
            json!({"by": "agent"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let interaction = s.interaction("demo", &call_id).await;
    let (from, to) = (
        interaction["from"].as_str().unwrap().to_owned(),
        interaction["to"].as_str().unwrap().to_owned(),
    );

    // The receiver is down: the oldest callback is retried, the later ones wait behind it.
    eventually(10, "retries while the receiver is down", || async {
        let d = deliveries(&s, "demo").await;
        d.last()
            .is_some_and(|x| x["attempts"].as_i64().unwrap() >= 2)
    })
    .await;
    let pending = deliveries(&s, "demo").await;
    assert!(
        pending.iter().all(|x| x["source"] == "udesk"),
        "{pending:?}"
    );
    // Stored under the bare callback URL: one line per subscription, signed at each attempt.
    assert!(
        pending.iter().all(|x| x["url"] == receiver.url()),
        "{pending:?}"
    );
    assert!(
        pending.iter().all(|x| x["state"] == "pending"),
        "{pending:?}"
    );

    receiver.listen();
    let want = [
        ("acd_agent_state", ""),
        ("begin", ""),
        ("enqueue_succ", ""),
        ("agent_ringing", "1001"),
        ("acd_agent_state", ""),
        ("agent_answer", "1001"),
        ("acd_agent_state", ""),
        ("agent_hangup", "1001"),
        ("end", "1001"),
        ("acd_agent_state", ""),
    ];
    eventually(20, "every callback", || async {
        receiver.received().len() >= want.len()
    })
    .await;
    // Give a duplicate the chance to show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| verified(r, &u.app))
        .collect();
    let names: Vec<&str> = got.iter().map(|b| b["Event"].as_str().unwrap()).collect();
    let want_names: Vec<&str> = want.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, want_names, "each callback once, in order");
    for (body, (name, agent)) in got.iter().zip(want) {
        if name == "acd_agent_state" {
            continue;
        }
        assert_eq!(
            body,
            &json!({
                "AppId": u.app, "Event": name, "CallId": call_id, "AgentId": agent,
                "Timestamp": t0, "DestNumber": from, "SpNumber": to, "CallDirection": "in",
                "UserData": "",
            })
        );
    }
    let states: Vec<(&Value, &Value)> = got
        .iter()
        .filter(|b| b["Event"] == "acd_agent_state")
        .map(|b| (&b["OldState"], &b["CurState"]))
        .collect();
    assert_eq!(
        states,
        [
            (&json!("offline"), &json!("idle")),
            (&json!("idle"), &json!("ringing")),
            (&json!("ringing"), &json!("talking")),
            (&json!("talking"), &json!("wrapUp")),
        ]
    );
    for b in got.iter().filter(|b| b["Event"] == "acd_agent_state") {
        assert_eq!(
            (
                &b["AppId"],
                &b["AgentId"],
                &b["CurStateSubId"],
                &b["Timestamp"]
            ),
            (&json!(u.app), &json!("1001"), &json!(0), &json!(t0)),
            "{b}"
        );
    }
    eventually(5, "the log to show them delivered", || async {
        deliveries(&s, "demo")
            .await
            .iter()
            .all(|x| x["state"] == "delivered")
    })
    .await;
}

#[tokio::test]
async fn a_disabled_or_deleted_subscription_gets_nothing_and_tenants_stay_apart() {
    let s = start_fast().await;
    let u = Udesk::demo();
    let mut receiver = Receiver::reserve();
    receiver.listen();
    let other = Udesk::of(&s.create_tenant("Other").await);
    let create = |name: &str| {
        json!({"subscriptions": [
            {"callback": receiver.url(), "name": name, "events": ["acd_agent_state"]},
        ]})
        .to_string()
    };
    assert_eq!(
        u.call(&s, "POST", "subscriptions", &create("a")).await.0,
        200
    );
    assert_eq!(
        other
            .call(&s, "POST", "subscriptions", &create("b"))
            .await
            .0,
        200
    );
    // The example's flat update with state 0 disables it.
    let disable =
        json!({"callback": receiver.url(), "name": "a", "events": ["acd_agent_state"], "state": 0})
            .to_string();
    assert_eq!(
        u.call(&s, "PUT", "subscriptions/1", &disable).await,
        (200, ok(json!({"a": 1})))
    );
    s.ready("demo", "1002").await;
    // Re-enabled through the table's nested form: the next change is sent.
    let enable = r#"{"subscription":{"enable":true}}"#;
    assert_eq!(
        u.call(&s, "PUT", "subscriptions/1", enable).await,
        (200, ok(json!({"a": 1})))
    );
    let (status, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1002/not-ready", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    eventually(10, "the callback of the enabled subscription", || async {
        !receiver.received().is_empty()
    })
    .await;
    assert_eq!(
        u.call(&s, "DELETE", "subscriptions/1", "").await,
        (200, ok(json!("")))
    );
    assert_eq!(
        other.call(&s, "DELETE", "subscriptions/1", "").await,
        (200, ok(json!("")))
    );
    s.ready("demo", "1002").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| verified(r, &u.app))
        .collect();
    let seen: Vec<(&Value, &Value)> = got
        .iter()
        .map(|b| (&b["AgentId"], &b["CurState"]))
        .collect();
    assert_eq!(seen, [(&json!("1002"), &json!("busy"))], "{got:?}");
}

#[tokio::test]
async fn webhook_events_go_to_the_apps_callback_url() {
    let s = start_fast().await;
    let u = Udesk::demo();
    let mut receiver = Receiver::reserve();
    receiver.listen();
    // Events chosen before the app has a CallbackUrl are kept, and sent once it has one.
    let events = r#"{"Events":[{"category":"agent_state","all_type":["acd_agent_state"]},{"category":"call","all_type":["begin"]}]}"#;
    assert_eq!(
        u.call(&s, "POST", "webhooks/events", events).await,
        (200, ok(Value::Null))
    );
    s.ready("demo", "1002").await;
    let app = json!({"Name": "CRM", "Type": "default", "CallbackUrl": receiver.url()}).to_string();
    let (status, body) = u.call(&s, "PUT", "apps", &app).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1002/not-ready", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    eventually(10, "the state callback", || async {
        !receiver.received().is_empty()
    })
    .await;
    // After DELETE webhooks/events the URL gets nothing more.
    assert_eq!(
        u.call(&s, "DELETE", "webhooks/events", "").await,
        (200, ok(Value::Null))
    );
    s.ready("demo", "1002").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| verified(r, &u.app))
        .collect();
    let seen: Vec<(&Value, &Value, &Value)> = got
        .iter()
        .map(|b| (&b["Event"], &b["OldState"], &b["CurState"]))
        .collect();
    assert_eq!(
        seen,
        [(&json!("acd_agent_state"), &json!("idle"), &json!("busy"))],
        "{got:?}"
    );
    let (_, app) = u.call(&s, "GET", "apps", "").await;
    assert_eq!(app["Result"]["CallbackUrl"], receiver.url(), "{app}");
}

#[tokio::test]
async fn an_originatev2_call_reports_both_legs_with_each_steps_user_data() {
    let s = start_fast().await;
    let u = Udesk::demo();
    let mut receiver = Receiver::reserve();
    receiver.listen();
    let t0 = ccemu_engine::wall_ms() + 5_000;
    s.sim_on_manual_clock("demo", t0, json!({ "auto": false, "wrap_up_ms": 0 }))
        .await;
    let events = [
        "begin",
        "agent_ringing",
        "agent_answer",
        "start_dialout",
        "user_ringing",
        "user_answer",
        "agent_hangup",
        "end",
    ];
    let create = json!({"subscriptions": [
        {"callback": receiver.url(), "name": "crm", "events": events},
    ]})
    .to_string();
    assert_eq!(u.call(&s, "POST", "subscriptions", &create).await.0, 200);
    // Demo seat 1001 holds extension 8001: it logs in and calls the doc's number.
    let (status, body) = u
        .call(&s, "POST", "agent/login", r#"{"agent_Id":"1001"}"#)
        .await;
    assert_eq!(status, 200, "{body}");
    let originate = r#"{\"caller\": \"057128091649\", \"called\": \"15652692674\",\"called_display\":\"057128091649\",\"agent_id\": \"1001\", \"user_data\":[{\"evt\": \"user_answer\", \"data\":\"1111111\"}, {\"evt\": \"agent_answer\",\"data\": \"22222\"}]}"#;
    let (status, body) = u.call(&s, "POST", "originatev2", originate).await;
    assert_eq!(status, 200, "{body}");
    let call_id = body["results"].as_str().expect("CallId").to_owned();
    let (status, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1001/answer", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    // The callee's phone rings for the sim's dial ring time, then it picks up.
    s.advance("demo", 60_000).await;
    let (status, body) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{call_id}/hangup"),
            json!({"by": "agent"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let call = s.interaction("demo", &call_id).await;
    assert_eq!(call["to"], "15652692674", "{call}");
    assert!(
        call["from"].as_str().is_some_and(|n| !n.is_empty()),
        "the call has a caller number: {call}"
    );

    eventually(10, "every callback", || async {
        receiver.received().len() >= events.len()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got: Vec<Value> = receiver
        .received()
        .iter()
        .map(|r| verified(r, &u.app))
        .collect();
    let seen: Vec<(&str, &str)> = got
        .iter()
        .map(|b| {
            (
                b["Event"].as_str().unwrap(),
                b["UserData"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("begin", ""),
            ("agent_ringing", ""),
            ("agent_answer", "22222"),
            ("start_dialout", ""),
            ("user_ringing", ""),
            ("user_answer", "1111111"),
            ("agent_hangup", ""),
            ("end", ""),
        ]
    );
    for b in &got {
        assert_eq!(
            (
                &b["CallId"],
                &b["AgentId"],
                &b["DestNumber"],
                &b["SpNumber"],
                &b["CallDirection"]
            ),
            (
                &json!(call_id),
                &json!("1001"),
                &json!("15652692674"),
                &call["from"],
                &json!("out")
            ),
            "{b}"
        );
    }
}
