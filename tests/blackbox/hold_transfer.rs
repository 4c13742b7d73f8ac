//! Hold, resume and blind transfer of connected interactions, on a manual clock.

use crate::harness::{assert_error, steps, want_steps, Server};
use serde_json::{json, Value};

const T0: i64 = 1_800_000_000_000;

async fn act(s: &Server, id: &str, action: &str, body: Value) -> (u16, Value) {
    s.post(
        &format!("/_ccemu/tenants/demo/sim/interactions/{id}/{action}"),
        body,
    )
    .await
}

#[tokio::test]
async fn hold_and_resume_count_hold_time_until_the_call_ends() {
    let s = Server::start().await;
    s.sim_on_manual_clock("demo", T0, json!({ "auto": false, "wrap_up_ms": 0 }))
        .await;
    s.ready("demo", "1003").await;
    let id = s.sim_contact("demo", "calls", "9002").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1003/answer", json!({}))
        .await;
    assert_eq!(st, 200, "{body}");
    let start = s.last_seq("demo").await;

    let (st, held) = act(&s, &id, "hold", json!({})).await;
    assert_eq!(st, 200, "{held}");
    assert_eq!(held["state"], "held");
    assert_eq!(s.agent_state("demo", "1003").await, "on_contact");
    let (st, body) = act(&s, &id, "hold", json!({})).await;
    assert_error(st, &body, 409, "illegal_transition");
    s.advance("demo", 4000).await;
    let (st, resumed) = act(&s, &id, "resume", json!({})).await;
    assert_eq!(st, 200, "{resumed}");
    assert_eq!(resumed["state"], "connected");
    assert_eq!(resumed["hold_ms"], 4000);
    let (st, body) = act(&s, &id, "resume", json!({})).await;
    assert_error(st, &body, 409, "illegal_transition");

    s.advance("demo", 1000).await;
    act(&s, &id, "hold", json!({})).await;
    s.advance("demo", 2500).await;
    // Hanging up while held closes the hold period too.
    let (st, ended) = act(&s, &id, "hangup", json!({ "by": "customer" })).await;
    assert_eq!(st, 200, "{ended}");
    assert_eq!(ended["state"], "ended");
    assert_eq!(ended["hold_ms"], 6500);
    assert_eq!(s.interaction("demo", &id).await["hold_ms"], 6500);
    assert_eq!(s.agent_state("demo", "1003").await, "available");

    let events = s.events_after("demo", start).await;
    assert_eq!(
        steps(&events, T0),
        want_steps(&[
            ("interaction.held", 0),
            ("interaction.resumed", 4000),
            ("interaction.held", 5000),
            ("interaction.ended", 7500),
            ("agent.state_changed:1003:available", 7500),
        ])
    );
}

#[tokio::test]
async fn a_blind_transfer_to_a_queue_is_routed_to_an_agent_there() {
    let s = Server::start().await;
    // Auto mode: agents answer after 2 s and talk 60 s; each agent's own 10 s wrap-up.
    s.sim_on_manual_clock(
        "demo",
        T0,
        json!({ "auto": true, "answer_delay_ms": 2000, "talk_time": { "mean_ms": 60000 } }),
    )
    .await;
    s.ready("demo", "1001").await;
    s.ready("demo", "1003").await;
    let start = s.last_seq("demo").await;
    let first = s.sim_contact("demo", "calls", "9001").await;
    let id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(first["agent_id"], "1001");
    s.advance("demo", 10_000).await;
    assert_eq!(s.interaction("demo", &id).await["state"], "connected");

    let (st, moved) = act(&s, &id, "transfer", json!({ "queue_id": "9002" })).await;
    assert_eq!(st, 200, "{moved}");
    assert_eq!(moved["state"], "ringing", "routed at once: {moved}");
    assert_eq!(moved["agent_id"], "1003");
    assert_eq!(moved["queue_id"], "9002");
    assert_eq!(moved["transfers"][0]["status"], "transferring");
    assert_eq!(s.agent_state("demo", "1001").await, "wrap_up");

    // 1003 answers at +12 s. The first agent's talk timer (due at +62 s) must not end the call.
    s.advance("demo", 52_000).await;
    let i = s.interaction("demo", &id).await;
    assert_eq!(i["state"], "connected", "{i}");
    assert_eq!(i["agent_id"], "1003");
    s.advance("demo", 10_000).await;
    let i = s.interaction("demo", &id).await;
    assert_eq!(i["state"], "ended", "{i}");
    assert_eq!(i["ended_at_ms"], T0 + 72_000);
    let t = &i["transfers"][0];
    assert_eq!(
        (
            &t["status"],
            &t["from_agent_id"],
            &t["from_queue_id"],
            &t["to_queue_id"]
        ),
        (
            &json!("completed"),
            &json!("1001"),
            &json!("9001"),
            &json!("9002")
        )
    );
    let legs: Vec<(Value, Value)> = i["participants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "agent")
        .map(|p| (p["agent_id"].clone(), p["left_reason"].clone()))
        .collect();
    assert_eq!(
        legs,
        vec![
            (json!("1001"), json!("transferred_out")),
            (json!("1003"), Value::Null)
        ]
    );

    let events = s.events_after("demo", start).await;
    assert_eq!(
        steps(&events, T0),
        want_steps(&[
            ("interaction.created", 0),
            ("interaction.queued", 0),
            ("interaction.offered", 0),
            ("interaction.ringing", 0),
            ("agent.state_changed:1001:ringing", 0),
            ("interaction.answered", 2000),
            ("agent.state_changed:1001:on_contact", 2000),
            ("interaction.transferred:transferring", 10_000),
            ("interaction.queued", 10_000),
            ("agent.state_changed:1001:wrap_up", 10_000),
            ("interaction.offered", 10_000),
            ("interaction.ringing", 10_000),
            ("agent.state_changed:1003:ringing", 10_000),
            ("interaction.answered", 12_000),
            ("interaction.transferred:completed", 12_000),
            ("agent.state_changed:1003:on_contact", 12_000),
            ("agent.state_changed:1001:available", 20_000),
            ("interaction.ended", 72_000),
            ("agent.state_changed:1003:wrap_up", 72_000),
        ])
    );
    let queued: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "interaction.queued")
        .map(|e| &e["data"]["queue_id"])
        .collect();
    assert_eq!(queued, [&json!("9001"), &json!("9002")]);
}

#[tokio::test]
async fn a_transferred_caller_who_hangs_up_while_waiting_fails_the_transfer() {
    let s = Server::start().await;
    s.sim_on_manual_clock("demo", T0, json!({ "auto": false }))
        .await;
    s.ready("demo", "1002").await;
    let id = s.sim_contact("demo", "calls", "9001").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.post("/_ccemu/tenants/demo/sim/agents/1002/answer", json!({}))
        .await;
    // Nobody serves support: the caller waits there.
    let (st, moved) = act(&s, &id, "transfer", json!({ "queue_id": "9002" })).await;
    assert_eq!(st, 200, "{moved}");
    assert_eq!(moved["state"], "queued");
    let (_, waiting) = s.get("/_ccemu/tenants/demo/queues/9002/waiting").await;
    assert_eq!(waiting["waiting"], json!([id]));
    let (st, gone) = act(&s, &id, "hangup", json!({ "by": "customer" })).await;
    assert_eq!(st, 200, "{gone}");
    assert_eq!(gone["state"], "abandoned");
    assert_eq!(gone["transfers"][0]["status"], "failed");
}

#[tokio::test]
async fn hold_resume_and_transfer_refuse_bad_input_with_control_plane_errors() {
    let s = Server::start().await;
    s.sim_on_manual_clock("demo", T0, json!({ "auto": false }))
        .await;
    for (action, body) in [
        ("hold", json!({})),
        ("resume", json!({})),
        ("transfer", json!({ "queue_id": "9002" })),
    ] {
        let (st, body) = act(&s, "nope", action, body).await;
        assert_error(st, &body, 404, "not_found");
    }
    let (st, body) = act(&s, "nope", "hold", json!({ "queue_id": "9002" })).await;
    assert_error(st, &body, 400, "invalid_body");
    // Nobody is ready: the call waits, and a waiting call cannot be held or transferred.
    let id = s.sim_contact("demo", "calls", "9001").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, body) = act(&s, &id, "hold", json!({})).await;
    assert_error(st, &body, 409, "illegal_transition");
    let (st, body) = act(&s, &id, "resume", json!({})).await;
    assert_error(st, &body, 409, "illegal_transition");
    let (st, body) = act(&s, &id, "transfer", json!({ "queue_id": "9002" })).await;
    assert_error(st, &body, 409, "illegal_transition");
    let path = format!("/_ccemu/tenants/demo/sim/interactions/{id}/transfer");
    let (st, body) = s.post_raw(&path, "{\"queue_id\":").await;
    assert_error(st, &body, 400, "invalid_json");
    let (st, body) = act(&s, &id, "transfer", json!({})).await;
    assert_error(st, &body, 400, "invalid_body");
    let (st, body) = act(&s, &id, "transfer", json!({ "queue_id": 9002 })).await;
    assert_error(st, &body, 400, "invalid_body");
    s.ready("demo", "1001").await;
    s.post("/_ccemu/tenants/demo/sim/agents/1001/answer", json!({}))
        .await;
    let (st, body) = act(&s, &id, "transfer", json!({ "queue_id": "nope" })).await;
    assert_error(st, &body, 404, "not_found");
    assert_eq!(
        s.interaction("demo", &id).await["state"],
        "connected",
        "a refused transfer changes nothing"
    );
    let (st, body) = s
        .post("/_ccemu/tenants/nobody/sim/interactions/x/hold", json!({}))
        .await;
    assert_error(st, &body, 404, "tenant_not_found");
}

#[tokio::test]
async fn a_transfer_to_a_number_rings_it_while_the_agent_is_free_again() {
    let s = Server::start().await;
    let sim = json!({
        "auto": false, "wrap_up_ms": 0, "dial_answer_rate": 1.0,
        "dial_ring_time": { "mean_ms": 3000 }, "talk_time": { "mean_ms": 10000 },
    });
    s.sim_on_manual_clock("demo", T0, sim).await;
    s.ready("demo", "1003").await;
    let id = s.sim_contact("demo", "calls", "9002").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1003/answer", json!({}))
        .await;
    assert_eq!(st, 200, "{body}");
    for body in [
        json!({}),
        json!({ "queue_id": "9002", "number": "+15550009999" }),
    ] {
        let (st, got) = act(&s, &id, "transfer", body).await;
        assert_error(st, &got, 400, "invalid_body");
    }
    let (st, moved) = act(&s, &id, "transfer", json!({ "number": "+15550009999" })).await;
    assert_eq!(st, 200, "{moved}");
    assert_eq!(moved["transfers"][0]["to_number"], "+15550009999");
    assert_eq!(moved["transfers"][0]["status"], "transferring");
    assert_eq!(s.agent_state("demo", "1003").await, "available");
    // The number answers after its 3 s of ringing; the customer hangs up (the sim drives
    // nothing else by itself here).
    s.advance("demo", 2_999).await;
    let i = s.interaction("demo", &id).await;
    assert_eq!(i["transfers"][0]["status"], "transferring", "{i}");
    s.advance("demo", 1).await;
    let i = s.interaction("demo", &id).await;
    assert_eq!(i["transfers"][0]["status"], "completed", "{i}");
    s.advance("demo", 7_000).await;
    let (st, ended) = act(&s, &id, "hangup", json!({ "by": "customer" })).await;
    assert_eq!(st, 200, "{ended}");
    assert_eq!(
        (&ended["state"], &ended["ended_at_ms"]),
        (&json!("ended"), &json!(T0 + 10_000))
    );
}
