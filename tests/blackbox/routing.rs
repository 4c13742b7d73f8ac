//! Contacts routed through the engine and the simulator, on a manual clock.

use crate::harness::Server;
use serde_json::json;

const T0: i64 = 1_800_000_000_000;

#[tokio::test]
async fn an_inbound_call_is_routed_rings_is_answered_talks_wraps_up_and_ends() {
    let s = Server::start().await;
    s.manual_clock("demo", T0).await;
    let (st, sim) = s
        .put(
            "/_ccemu/tenants/demo/sim",
            json!({ "auto": true, "answer_delay_ms": 3000, "talk_time": { "mean_ms": 60000 }, "wrap_up_ms": 10000 }),
        )
        .await;
    assert_eq!(st, 200, "{sim}");
    let (st, a) = s
        .post("/_ccemu/tenants/demo/sim/agents/1003/ready", json!({}))
        .await;
    assert_eq!(st, 200, "{a}");
    assert_eq!(a["agent"]["state"]["state"], "available");
    let start = s.last_seq("demo").await;

    let (st, call) = s
        .post(
            "/_ccemu/tenants/demo/sim/calls",
            json!({ "queue_id": "9002", "from": "+15551230000" }),
        )
        .await;
    assert_eq!(st, 201, "{call}");
    let id = call["id"].as_str().unwrap().to_owned();
    assert_eq!(
        call["state"], "ringing",
        "routed at once to the available agent"
    );
    assert_eq!(call["agent_id"], "1003");
    assert_eq!(s.agent_state("demo", "1003").await, "ringing");

    s.post("/_ccemu/tenants/demo/clock/advance", json!({ "ms": 3000 }))
        .await;
    let (_, i) = s
        .get(&format!("/_ccemu/tenants/demo/interactions/{id}"))
        .await;
    assert_eq!(i["state"], "connected");
    assert_eq!(i["answered_at_ms"], T0 + 3000);
    assert_eq!(s.agent_state("demo", "1003").await, "on_contact");
    // The caller, waiting since 0, and the agent's leg, added at the answer, are both on the line.
    let legs: Vec<_> = i["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_owned(),
                p["state"].clone(),
                p["joined_at_ms"].as_i64().unwrap() - T0,
                p["connected_at_ms"].as_i64().unwrap() - T0,
            )
        })
        .collect();
    assert_eq!(
        legs,
        [
            ("customer".to_owned(), json!("connected"), 0, 3000),
            ("agent".to_owned(), json!("connected"), 3000, 3000),
        ]
    );

    s.post("/_ccemu/tenants/demo/clock/advance", json!({ "ms": 60000 }))
        .await;
    let (_, i) = s
        .get(&format!("/_ccemu/tenants/demo/interactions/{id}"))
        .await;
    assert_eq!(i["state"], "ended");
    assert_eq!(i["ended_at_ms"], T0 + 63000);
    assert_eq!(i["ended_by"], "agent");
    assert_eq!(s.agent_state("demo", "1003").await, "wrap_up");

    s.post("/_ccemu/tenants/demo/clock/advance", json!({ "ms": 10000 }))
        .await;
    assert_eq!(s.agent_state("demo", "1003").await, "available");

    let events = s.events_after("demo", start).await;
    let steps: Vec<(String, i64)> = events
        .iter()
        .filter(|e| e["kind"] != "timer.fired" && e["kind"] != "clock.changed")
        .map(|e| {
            let kind = e["kind"].as_str().unwrap().to_owned();
            let detail = match kind.as_str() {
                "agent.state_changed" => {
                    format!("{}:{}", kind, e["data"]["to"]["state"].as_str().unwrap())
                }
                _ => kind,
            };
            (detail, e["at_ms"].as_i64().unwrap() - T0)
        })
        .collect();
    let want: Vec<(String, i64)> = [
        ("interaction.created", 0),
        ("interaction.queued", 0),
        ("interaction.offered", 0),
        ("interaction.ringing", 0),
        ("agent.state_changed:ringing", 0),
        ("interaction.answered", 3000),
        ("agent.state_changed:on_contact", 3000),
        ("interaction.ended", 63000),
        ("agent.state_changed:wrap_up", 63000),
        ("agent.state_changed:available", 73000),
    ]
    .iter()
    .map(|(k, t)| (k.to_string(), *t))
    .collect();
    assert_eq!(steps, want);

    let (_, log) = s.get("/_ccemu/tenants/demo/agents/1003/state-log").await;
    let periods: Vec<(String, i64)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"]["state"].as_str().unwrap().to_owned(),
                e["duration_ms"].as_i64().unwrap(),
            )
        })
        .collect();
    // The first period runs from the seed's creation until the agent logged in.
    assert_eq!(periods[0].0, "logged_out");
    assert!(periods[0].1 > 0);
    assert_eq!(
        periods[1..],
        vec![
            ("available".to_owned(), 0),
            ("ringing".to_owned(), 3000),
            ("on_contact".to_owned(), 60000),
            ("wrap_up".to_owned(), 10000),
        ]
    );
}

#[tokio::test]
async fn test_code_can_drive_every_step_itself() {
    let s = Server::start().await;
    s.manual_clock("demo", T0).await;
    s.put(
        "/_ccemu/tenants/demo/sim",
        json!({ "auto": false, "wrap_up_ms": 0 }),
    )
    .await;
    s.post("/_ccemu/tenants/demo/sim/agents/1001/ready", json!({}))
        .await;
    let (_, call) = s
        .post(
            "/_ccemu/tenants/demo/sim/calls",
            json!({ "queue_id": "9001" }),
        )
        .await;
    let id = call["id"].as_str().unwrap().to_owned();
    assert_eq!(call["agent_id"], "1001");
    // Nothing happens by itself.
    s.post("/_ccemu/tenants/demo/clock/advance", json!({ "ms": 5000 }))
        .await;
    let (_, i) = s
        .get(&format!("/_ccemu/tenants/demo/interactions/{id}"))
        .await;
    assert_eq!(i["state"], "ringing");
    let (st, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1001/answer", json!({}))
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["interaction"]["state"], "connected");
    let (st, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1001/answer", json!({}))
        .await;
    assert_eq!(st, 409, "nothing rings any more: {body}");
    let (st, ended) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{id}/hangup"),
            json!({ "by": "customer" }),
        )
        .await;
    assert_eq!(st, 200, "{ended}");
    assert_eq!(ended["state"], "ended");
    assert_eq!(ended["ended_by"], "customer");
    assert_eq!(s.agent_state("demo", "1001").await, "available");
}

#[tokio::test]
async fn a_rejected_call_goes_to_the_next_agent_and_abandons_are_recorded() {
    let s = Server::start().await;
    s.manual_clock("demo", T0).await;
    s.put("/_ccemu/tenants/demo/sim", json!({ "auto": false }))
        .await;
    s.post("/_ccemu/tenants/demo/sim/agents/1001/ready", json!({}))
        .await;
    s.post("/_ccemu/tenants/demo/clock/advance", json!({ "ms": 1000 }))
        .await;
    s.post("/_ccemu/tenants/demo/sim/agents/1002/ready", json!({}))
        .await;
    let (_, call) = s
        .post(
            "/_ccemu/tenants/demo/sim/calls",
            json!({ "queue_id": "9001" }),
        )
        .await;
    let id = call["id"].as_str().unwrap().to_owned();
    assert_eq!(call["agent_id"], "1001", "longest idle first");
    let (st, body) = s
        .post(
            "/_ccemu/tenants/demo/sim/agents/1001/reject",
            json!({ "interaction_id": id }),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let (_, i) = s
        .get(&format!("/_ccemu/tenants/demo/interactions/{id}"))
        .await;
    assert_eq!(i["agent_id"], "1002", "re-offered to the other agent: {i}");
    assert_eq!(i["state"], "ringing");
    // The phone of the agent who refused stops ringing.
    assert_eq!(s.agent_state("demo", "1001").await, "available");
    let (st, gone) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{id}/hangup"),
            json!({}),
        )
        .await;
    assert_eq!(st, 200, "{gone}");
    assert_eq!(gone["state"], "abandoned");
    assert_eq!(s.agent_state("demo", "1002").await, "available");
}

#[tokio::test]
async fn simulator_input_is_validated() {
    let s = Server::start().await;
    let (st, b) = s
        .post(
            "/_ccemu/tenants/demo/sim/calls",
            json!({ "queue_id": "nope" }),
        )
        .await;
    assert_eq!((st, b["error"].as_str()), (404, Some("not_found")), "{b}");
    let (st, b) = s.post("/_ccemu/tenants/demo/sim/calls", json!({})).await;
    assert_eq!(
        (st, b["error"].as_str()),
        (400, Some("invalid_body")),
        "{b}"
    );
    let (st, b) = s
        .post("/_ccemu/tenants/demo/sim/agents/9999/ready", json!({}))
        .await;
    assert_eq!((st, b["error"].as_str()), (404, Some("not_found")), "{b}");
    let (st, b) = s
        .post("/_ccemu/tenants/demo/sim/agents/1001/dance", json!({}))
        .await;
    assert_eq!((st, b["error"].as_str()), (404, Some("not_found")), "{b}");
    let (st, b) = s
        .post("/_ccemu/tenants/demo/sim/agents/1001/answer", json!({}))
        .await;
    assert_eq!((st, b["error"].as_str()), (409, Some("conflict")), "{b}");
    let (st, b) = s
        .post("/_ccemu/tenants/demo/sim/agents/1001/logout", json!({}))
        .await;
    assert_eq!(
        (st, b["error"].as_str()),
        (409, Some("illegal_transition")),
        "already logged out: {b}"
    );
    let (st, b) = s
        .put("/_ccemu/tenants/demo/sim", json!({ "answer_delay_ms": -5 }))
        .await;
    assert_eq!((st, b["error"].as_str()), (422, Some("invalid")), "{b}");
    let (st, b) = s
        .put("/_ccemu/tenants/demo/sim", json!({ "auto": "yes" }))
        .await;
    assert_eq!(
        (st, b["error"].as_str()),
        (400, Some("invalid_body")),
        "{b}"
    );
    let (st, b) = s
        .post(
            "/_ccemu/tenants/demo/sim/interactions/nope/hangup",
            json!({}),
        )
        .await;
    assert_eq!((st, b["error"].as_str()), (404, Some("not_found")), "{b}");
    let other = s.create_tenant("other").await;
    let other = other["id"].as_str().unwrap();
    let (st, b) = s
        .post(
            &format!("/_ccemu/tenants/{other}/sim/calls"),
            json!({ "queue_id": "9001" }),
        )
        .await;
    assert_eq!(
        (st, b["error"].as_str()),
        (404, Some("not_found")),
        "demo's queue is not the other tenant's: {b}"
    );
}

#[tokio::test]
async fn sigkill_keeps_waiting_contacts_in_order_and_agent_states() {
    let mut s = Server::start().await;
    s.manual_clock("demo", T0).await;
    s.put(
        "/_ccemu/tenants/demo/sim",
        json!({ "auto": false, "wrap_up_ms": 0 }),
    )
    .await;
    s.post("/_ccemu/tenants/demo/sim/agents/1001/ready", json!({}))
        .await;
    s.post("/_ccemu/tenants/demo/sim/agents/1002/ready", json!({}))
        .await;
    // Two calls occupy both agents, three more wait.
    let mut calls = Vec::new();
    for i in 0..5 {
        let (st, c) = s
            .post(
                "/_ccemu/tenants/demo/sim/calls",
                json!({ "queue_id": "9001", "priority": if i == 4 { 5 } else { 0 } }),
            )
            .await;
        assert_eq!(st, 201, "{c}");
        calls.push(c["id"].as_str().unwrap().to_owned());
        s.post("/_ccemu/tenants/demo/clock/advance", json!({ "ms": 1000 }))
            .await;
    }
    s.post("/_ccemu/tenants/demo/sim/agents/1001/answer", json!({}))
        .await;
    s.post("/_ccemu/tenants/demo/sim/agents/1002/answer", json!({}))
        .await;
    s.post(
        "/_ccemu/tenants/demo/sim/agents/1004/not-ready",
        json!({ "reason": "lunch" }),
    )
    .await;
    let (_, before) = s.get("/_ccemu/tenants/demo/queues/9001/waiting").await;
    assert_eq!(
        before["waiting"],
        json!([calls[4], calls[2], calls[3]]),
        "priority first, then age"
    );
    let (_, agents_before) = s.get("/_ccemu/tenants/demo/agents").await;

    s.crash_and_restart().await;

    let (st, after) = s.get("/_ccemu/tenants/demo/queues/9001/waiting").await;
    assert_eq!(st, 200);
    assert_eq!(after, before);
    let (_, agents_after) = s.get("/_ccemu/tenants/demo/agents").await;
    assert_eq!(agents_after, agents_before);
    // Routing goes on where it stopped: the freed agent gets the highest-priority caller.
    let (st, _) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{}/hangup", calls[0]),
            json!({ "by": "agent" }),
        )
        .await;
    assert_eq!(st, 200);
    let (_, next) = s
        .get(&format!("/_ccemu/tenants/demo/interactions/{}", calls[4]))
        .await;
    assert_eq!(next["state"], "ringing", "{next}");
    assert_eq!(next["agent_id"], "1001");
}

#[tokio::test]
async fn waiting_order_survives_restarts_when_callers_share_a_millisecond() {
    let mut s = Server::start().await;
    s.sim_on_manual_clock("demo", T0, json!({ "auto": false }))
        .await;
    // A sales caller, answered, to be sent to support's line later.
    s.ready("demo", "1002").await;
    let moved = s.sim_contact("demo", "calls", "9001").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, _) = s
        .post("/_ccemu/tenants/demo/sim/agents/1002/answer", json!({}))
        .await;
    assert_eq!(st, 200);
    s.advance("demo", 1000).await;
    // Twenty callers in one millisecond of a frozen clock; every seventh has priority.
    let (mut urgent, mut rest) = (Vec::new(), Vec::new());
    for n in 0..20 {
        let priority = if n % 7 == 3 { 2 } else { 0 };
        let (st, c) = s
            .post(
                "/_ccemu/tenants/demo/sim/calls",
                json!({ "queue_id": "9002", "priority": priority }),
            )
            .await;
        assert_eq!(st, 201, "{c}");
        let id = c["id"].as_str().unwrap().to_owned();
        if priority > 0 {
            urgent.push(id)
        } else {
            rest.push(id)
        }
    }
    // The sales caller, queued first of all, joins support's line last, in the same millisecond.
    let (st, t) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{moved}/transfer"),
            json!({ "queue_id": "9002" }),
        )
        .await;
    assert_eq!(st, 200, "{t}");
    let mut line = urgent;
    line.extend(rest);
    line.push(moved);
    let (_, before) = s.get("/_ccemu/tenants/demo/queues/9002/waiting").await;
    assert_eq!(before["waiting"], json!(line), "priority, then arrival");
    for _ in 0..2 {
        s.crash_and_restart().await;
        let (st, after) = s.get("/_ccemu/tenants/demo/queues/9002/waiting").await;
        assert_eq!(st, 200);
        assert_eq!(after["waiting"], json!(line));
    }
}

#[tokio::test]
async fn contacts_that_end_leave_nothing_behind_in_the_routing_engine() {
    let s = Server::start().await;
    s.sim_on_manual_clock(
        "demo",
        T0,
        json!({ "auto": false, "wrap_up_ms": 0, "patience": {"distribution": "fixed", "mean_ms": 1000} }),
    )
    .await;
    let routed = || async {
        let (st, text) = s.get_text("/_ccemu/metrics").await;
        assert_eq!(st, 200);
        text.lines()
            .find_map(|l| l.strip_prefix("ccemu_routed_contacts "))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no ccemu_routed_contacts in {text}"))
    };
    assert_eq!(routed().await, 0);
    // Fifty callers wait, then give up.
    for _ in 0..50 {
        s.sim_contact("demo", "calls", "9002").await;
    }
    assert_eq!(routed().await, 50);
    s.advance("demo", 2000).await;
    assert_eq!(routed().await, 0, "abandoned calls are forgotten");
    // One is answered and hung up.
    s.ready("demo", "1003").await;
    let call = s.sim_contact("demo", "calls", "9002").await;
    let id = call["id"].as_str().unwrap();
    let (st, _) = s
        .post("/_ccemu/tenants/demo/sim/agents/1003/answer", json!({}))
        .await;
    assert_eq!(st, 200);
    assert_eq!(routed().await, 1);
    let (st, b) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{id}/hangup"),
            json!({ "by": "agent" }),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(routed().await, 0, "an ended call is forgotten");
    // Routing goes on: the next caller rings the agent.
    let next = s.sim_contact("demo", "calls", "9002").await;
    assert_eq!(next["state"], "ringing", "{next}");
}
