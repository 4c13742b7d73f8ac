//! Outbound campaigns paced by the dialer against the demo tenant's agents, on a manual clock.

use crate::harness::{assert_error, Server};
use serde_json::{json, Value};

const T0: i64 = 1_800_000_000_000;

fn numbers(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("+1555000{i:04}")).collect()
}

async fn create(s: &Server, body: Value) -> Value {
    let (st, c) = s.post("/_ccemu/tenants/demo/sim/campaigns", body).await;
    assert_eq!(st, 201, "{c}");
    c
}

async fn control(s: &Server, id: &str, action: &str) -> Value {
    let (st, c) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/campaigns/{id}/{action}"),
            json!({}),
        )
        .await;
    assert_eq!(st, 200, "{c}");
    c
}

async fn campaign(s: &Server, id: &str) -> Value {
    let (st, c) = s
        .get(&format!("/_ccemu/tenants/demo/sim/campaigns/{id}"))
        .await;
    assert_eq!(st, 200, "{c}");
    c
}

/// Advances to `T0 + at` and returns the campaign then.
async fn at(s: &Server, id: &str, at: i64) -> Value {
    let (_, clock) = s.get("/_ccemu/tenants/demo/clock").await;
    s.advance("demo", T0 + at - clock["now_ms"].as_i64().unwrap())
        .await;
    campaign(s, id).await
}

fn contact<'a>(c: &'a Value, number: &str) -> &'a Value {
    c["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["phone_number"] == number)
        .unwrap_or_else(|| panic!("no contact {number}: {c}"))
}

/// The most dials ever in flight at once, from the event log.
fn peak_dials(events: &[Value]) -> i64 {
    let (mut now, mut peak) = (0i64, 0i64);
    for e in events {
        match e["kind"].as_str() {
            Some("campaign.dialing") => now += 1,
            Some("campaign.dial_result") => now -= 1,
            _ => {}
        }
        peak = peak.max(now);
    }
    peak
}

/// Every answered dial of a campaign was taken and finished by an agent.
async fn answered_calls_reached_agents(s: &Server, id: &str) -> usize {
    let (_, all) = s.get("/_ccemu/tenants/demo/interactions").await;
    let answered: Vec<&Value> = all["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["campaign_id"] == id && i["state"] != "failed")
        .collect();
    for i in &answered {
        assert_eq!(i["direction"], "outbound", "{i}");
        assert_eq!(i["state"], "ended", "{i}");
        assert!(i["agent_id"].is_string(), "{i}");
        assert!(i["answered_at_ms"].is_i64(), "{i}");
    }
    answered.len()
}

#[tokio::test]
async fn a_ratio_campaign_dials_ratio_times_the_free_agents_up_to_max_concurrent() {
    let s = Server::start().await;
    let list = numbers(10);
    s.sim_on_manual_clock("demo", T0, json!({
            "auto": true, "answer_delay_ms": 1000, "talk_time": { "mean_ms": 30000 }, "wrap_up_ms": 0,
            "dial_ring_time": { "mean_ms": 5000 },
            "dial_outcomes": { list[1].as_str(): "no_answer", list[3].as_str(): "no_answer" }
        }),
    )
    .await;
    s.ready("demo", "1003").await;
    s.ready("demo", "1004").await;
    let start = s.last_seq("demo").await;
    let c = create(
        &s,
        json!({ "id": "r1", "name": "Renewals", "queue_id": "9002", "mode": "ratio", "ratio": 2.0,
                "max_concurrent": 5, "numbers": list }),
    )
    .await;
    assert_eq!(
        (&c["status"], &c["in_flight"], &c["exhausted"]),
        (&json!("draft"), &json!(0), &json!(false))
    );
    let c = control(&s, "r1", "start").await;
    assert_eq!(c["status"], "running");
    assert_eq!(
        (&c["ratio"], &c["current_ratio"]),
        (&json!(2.0), &json!(2.0))
    );
    assert_eq!(c["in_flight"], 4, "2 free agents × ratio 2: {c}");
    // A third free agent would allow 6; max_concurrent holds it at 5.
    s.ready("demo", "1001").await;
    assert_eq!(campaign(&s, "r1").await["in_flight"], 5);

    // Three answered calls take the three agents; one dial freed by a no-answer replaced it.
    let c = at(&s, "r1", 5_000).await;
    assert_eq!(c["in_flight"], 1, "{c}");
    assert_eq!(contact(&c, &list[1])["status"], "not_picked_up");
    assert_eq!(contact(&c, &list[5])["status"], "dialing");
    for n in [0, 2, 4] {
        assert_eq!(contact(&c, &list[n])["status"], "queued", "{c}");
    }
    let c = at(&s, "r1", 6_000).await;
    assert_eq!(contact(&c, &list[0])["status"], "connected", "{c}");
    // The sixth call is answered while every agent talks: it waits, nothing more is dialled.
    let c = at(&s, "r1", 10_000).await;
    assert_eq!(c["in_flight"], 0, "{c}");
    let (_, waiting) = s.get("/_ccemu/tenants/demo/queues/9002/waiting").await;
    assert_eq!(waiting["waiting"].as_array().unwrap().len(), 1, "{waiting}");
    // The calls end at 36 s: one agent takes the waiting call, two are free → 4 dials.
    let c = at(&s, "r1", 36_000).await;
    assert_eq!(c["in_flight"], 4, "{c}");
    assert_eq!(c["exhausted"], false);
    let c = at(&s, "r1", 41_000).await;
    assert_eq!(c["exhausted"], true, "{c}");
    assert_eq!(c["status"], "completed");
    let c = at(&s, "r1", 200_000).await;
    assert_eq!(c["counts"], json!({ "finished": 8, "not_picked_up": 2 }));
    assert_eq!(c["dialled"], 10);
    assert_eq!(answered_calls_reached_agents(&s, "r1").await, 8);

    let events = s.events_after("demo", start).await;
    assert_eq!(peak_dials(&events), 5);
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .filter(|k| k.starts_with("campaign."))
        .collect();
    assert_eq!(kinds.first(), Some(&"campaign.created"));
    assert_eq!(
        kinds.iter().filter(|k| **k == "campaign.dialing").count(),
        10
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == "campaign.dial_result")
            .count(),
        10
    );
    assert_eq!(
        kinds[kinds.len() - 2..],
        ["campaign.exhausted", "campaign.status_changed"]
    );
}

/// A progressive campaign on the sales queue (two agents) with one busy number redialled once.
/// With `crash_at`, the server is killed then and restarted; everything goes on as without.
async fn progressive_campaign(crash_at: Option<i64>) {
    let mut s = Server::start().await;
    let list = numbers(4);
    s.sim_on_manual_clock("demo", T0, json!({
            "auto": true, "answer_delay_ms": 1000, "talk_time": { "mean_ms": 20000 }, "wrap_up_ms": 0,
            "dial_ring_time": { "mean_ms": 5000 }, "dial_outcomes": { list[0].as_str(): "busy" }
        }),
    )
    .await;
    s.ready("demo", "1001").await;
    s.ready("demo", "1002").await;
    create(
        &s,
        json!({ "id": "p1", "queue_id": "9001", "mode": "progressive", "max_attempts": 2,
                "retry_after_ms": 10000, "numbers": list }),
    )
    .await;
    let c = control(&s, "p1", "start").await;
    assert_eq!(c["in_flight"], 2, "one dial per free agent: {c}");
    // The busy number is scheduled again; the answered call takes an agent, the other gets a dial.
    let c = at(&s, "p1", 5_000).await;
    assert_eq!(c["in_flight"], 1, "{c}");
    let first = contact(&c, &list[0]);
    assert_eq!(
        (&first["status"], &first["attempts"], &first["retry_at_ms"]),
        (&json!("redial_scheduled"), &json!(1), &json!(T0 + 15_000))
    );
    if let Some(crash) = crash_at {
        let before = at(&s, "p1", crash).await;
        s.crash_and_restart().await;
        assert_eq!(
            campaign(&s, "p1").await,
            before,
            "the campaign survives SIGKILL"
        );
    }
    let c = at(&s, "p1", 10_000).await;
    assert_eq!(c["in_flight"], 0, "both agents talk: {c}");
    // The redial falls due while nobody is free: it waits for an agent.
    let c = at(&s, "p1", 15_000).await;
    assert_eq!(c["in_flight"], 0, "{c}");
    assert_eq!(contact(&c, &list[3])["status"], "upcoming");
    // The first call ends at 26 s; the due redial goes before the last fresh number.
    let c = at(&s, "p1", 26_000).await;
    assert_eq!(c["in_flight"], 1, "{c}");
    assert_eq!(contact(&c, &list[0])["status"], "dialing");
    assert_eq!(contact(&c, &list[0])["attempts"], 2);
    assert_eq!(contact(&c, &list[3])["status"], "upcoming");
    let c = at(&s, "p1", 31_000).await;
    assert_eq!(c["in_flight"], 1, "{c}");
    assert_eq!(contact(&c, &list[0])["status"], "busy", "no third attempt");
    assert_eq!(c["exhausted"], false);
    let c = at(&s, "p1", 36_000).await;
    assert_eq!(
        (&c["in_flight"], &c["exhausted"], &c["status"]),
        (&json!(0), &json!(true), &json!("completed")),
        "{c}"
    );
    let c = at(&s, "p1", 100_000).await;
    assert_eq!(c["counts"], json!({ "busy": 1, "finished": 3 }));
    assert_eq!(c["dialled"], 5);
    assert_eq!(answered_calls_reached_agents(&s, "p1").await, 3);
    let events = s.events_after("demo", 0).await;
    assert_eq!(peak_dials(&events), 2);
}

#[tokio::test]
async fn a_progressive_campaign_dials_one_call_per_free_agent_and_redials_busy_numbers() {
    progressive_campaign(None).await;
}

#[tokio::test]
async fn a_campaign_survives_sigkill_with_a_dial_in_flight_and_a_redial_scheduled() {
    progressive_campaign(Some(8_000)).await;
}

#[tokio::test]
async fn pausing_stops_new_dials_and_stopping_cancels_the_rest() {
    let s = Server::start().await;
    s.sim_on_manual_clock(
        "demo",
        T0,
        json!({ "auto": false, "dial_ring_time": { "mean_ms": 5000 } }),
    )
    .await;
    s.ready("demo", "1001").await;
    create(
        &s,
        json!({ "id": "s1", "queue_id": "9001", "mode": "progressive", "numbers": numbers(3) }),
    )
    .await;
    assert_eq!(control(&s, "s1", "start").await["in_flight"], 1);
    let c = control(&s, "s1", "pause").await;
    assert_eq!(
        (&c["status"], &c["in_flight"]),
        (&json!("paused"), &json!(1))
    );
    // The call in flight is still answered and queued while paused; nothing new is dialled.
    s.ready("demo", "1002").await;
    let c = at(&s, "s1", 5_000).await;
    assert_eq!(c["in_flight"], 0, "{c}");
    assert_eq!(c["counts"], json!({ "queued": 1, "upcoming": 2 }));
    let c = control(&s, "s1", "resume").await;
    assert_eq!(c["in_flight"], 1, "one agent is still free: {c}");
    let c = control(&s, "s1", "stop").await;
    assert_eq!(c["status"], "stopped");
    assert_eq!(
        c["counts"],
        json!({ "queued": 1, "dialing": 1, "cancelled": 1 })
    );
    assert_eq!(c["exhausted"], false, "a dial is still in flight");
    let c = at(&s, "s1", 10_000).await;
    assert_eq!(c["exhausted"], true, "{c}");
    assert_eq!(c["status"], "stopped");
}

#[tokio::test]
async fn campaign_input_is_validated_with_control_plane_errors() {
    let s = Server::start().await;
    let base = "/_ccemu/tenants/demo/sim/campaigns";
    let ok =
        json!({ "id": "v1", "queue_id": "9001", "mode": "progressive", "numbers": ["+15550001"] });
    let (st, b) = s.get(&format!("{base}/nope")).await;
    assert_error(st, &b, 404, "not_found");
    let (st, b) = s.post(&format!("{base}/nope/start"), json!({})).await;
    assert_error(st, &b, 404, "not_found");
    let (st, b) = s.post_raw(base, "{\"queue_id\":").await;
    assert_error(st, &b, 400, "invalid_json");
    let (st, b) = s
        .post(base, json!({ "queue_id": "9001", "mode": "progressive" }))
        .await;
    assert_error(st, &b, 400, "invalid_body");
    let mut bad = ok.clone();
    bad["mode"] = json!("sideways");
    let (st, b) = s.post(base, bad).await;
    assert_error(st, &b, 400, "invalid_body");
    for (field, value, status, code) in [
        ("mode", json!("robot"), 422, "invalid"),
        ("queue_id", json!("nope"), 404, "not_found"),
        ("ratio", json!(7.0), 422, "invalid"),
        ("max_concurrent", json!(0), 422, "invalid"),
        ("max_attempts", json!(0), 422, "invalid"),
        ("retry_after_ms", json!(-1), 422, "invalid"),
        ("numbers", json!([]), 422, "invalid"),
        ("numbers", json!(["call me"]), 422, "invalid"),
    ] {
        let mut bad = ok.clone();
        bad[field] = value;
        let (st, b) = s.post(base, bad).await;
        assert_error(st, &b, status, code);
    }
    create(&s, ok.clone()).await;
    let (st, b) = s.post(base, ok).await;
    assert_error(st, &b, 409, "conflict");
    for action in ["pause", "resume"] {
        let (st, b) = s.post(&format!("{base}/v1/{action}"), json!({})).await;
        assert_error(st, &b, 409, "illegal_transition");
    }
    let (st, b) = s.post(&format!("{base}/v1/dance"), json!({})).await;
    assert_error(st, &b, 404, "not_found");
    let (st, b) = s
        .post(&format!("{base}/v1/start"), json!({ "now": true }))
        .await;
    assert_error(st, &b, 400, "invalid_body");
    control(&s, "v1", "start").await;
    let (st, b) = s.post(&format!("{base}/v1/start"), json!({})).await;
    assert_error(st, &b, 409, "illegal_transition");
    // Predictive pacing starts at ratio 1 until it has observed enough dials.
    let mut predictive =
        json!({ "id": "v2", "queue_id": "9002", "mode": "predictive", "numbers": ["+15550002"] });
    create(&s, predictive.take()).await;
    let c = control(&s, "v2", "start").await;
    assert_eq!(
        (&c["current_ratio"], &c["in_flight"]),
        (&json!(1.0), &json!(0)),
        "nobody is ready: {c}"
    );
    let (_, list) = s.get(base).await;
    let ids: Vec<&Value> = list["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, [&json!("v1"), &json!("v2")], "{list}");
    let (st, b) = s.get("/_ccemu/tenants/nobody/sim/campaigns").await;
    assert_error(st, &b, 404, "tenant_not_found");
    let (st, b) = s
        .put("/_ccemu/tenants/demo/sim", json!({ "dial_answer_rate": 2 }))
        .await;
    assert_error(st, &b, 422, "invalid");
}

#[tokio::test]
async fn an_answered_call_that_waits_too_long_is_abandoned_and_the_next_number_dialled() {
    let s = Server::start().await;
    s.sim_on_manual_clock("demo", T0, json!({ "auto": false, "patience": { "mean_ms": 2000 }, "dial_ring_time": { "mean_ms": 5000 } }),
    )
    .await;
    s.ready("demo", "1001").await;
    let list = numbers(2);
    create(
        &s,
        json!({ "id": "a1", "queue_id": "9001", "mode": "progressive", "numbers": list }),
    )
    .await;
    assert_eq!(control(&s, "a1", "start").await["in_flight"], 1);
    // Answered at 5 s, it rings for the agent, who never answers; the callee gives up at 7 s.
    let c = at(&s, "a1", 5_000).await;
    assert_eq!(contact(&c, &list[0])["status"], "queued");
    assert_eq!(c["in_flight"], 0, "the only agent is taken: {c}");
    let c = at(&s, "a1", 7_000).await;
    assert_eq!(contact(&c, &list[0])["status"], "abandoned_by_contact");
    assert_eq!(contact(&c, &list[1])["status"], "dialing", "{c}");
    let i = s
        .interaction(
            "demo",
            contact(&c, &list[0])["interaction_id"].as_str().unwrap(),
        )
        .await;
    assert_eq!(i["state"], "abandoned", "{i}");
}

#[tokio::test]
async fn a_preview_campaign_calls_once_the_agent_accepts_the_preview() {
    let s = Server::start().await;
    let list = numbers(3);
    s.sim_on_manual_clock("demo", T0, json!({
            "auto": true, "answer_delay_ms": 1000, "talk_time": { "mean_ms": 10000 }, "wrap_up_ms": 0,
            "dial_ring_time": { "mean_ms": 5000 }, "dial_outcomes": { list[1].as_str(): "no_answer" }
        }),
    )
    .await;
    s.ready("demo", "1001").await;
    s.ready("demo", "1002").await;
    create(
        &s,
        json!({ "id": "v1", "queue_id": "9001", "mode": "preview", "numbers": list }),
    )
    .await;
    // One preview per free agent, routed by the ACD; nothing is dialled yet.
    let c = control(&s, "v1", "start").await;
    assert_eq!(
        (&c["in_flight"], &c["counts"]),
        (&json!(0), &json!({ "previewing": 2, "upcoming": 1 }))
    );
    let shown = s
        .interaction(
            "demo",
            contact(&c, &list[0])["interaction_id"].as_str().unwrap(),
        )
        .await;
    assert_eq!(shown["state"], "ringing", "{shown}");
    assert!(shown["agent_id"].is_string());
    // The agents accept: the calls are placed with the agents on the line.
    let c = at(&s, "v1", 1_000).await;
    assert_eq!(c["in_flight"], 2, "{c}");
    assert_eq!(s.agent_state("demo", "1001").await, "on_contact");
    // One callee answers; the other does not, which frees its agent for the last preview.
    let c = at(&s, "v1", 6_000).await;
    assert_eq!(contact(&c, &list[0])["status"], "connected", "{c}");
    assert_eq!(contact(&c, &list[1])["status"], "not_picked_up");
    assert_eq!(contact(&c, &list[2])["status"], "previewing");
    let missed = s
        .interaction(
            "demo",
            contact(&c, &list[1])["interaction_id"].as_str().unwrap(),
        )
        .await;
    assert_eq!(
        (&missed["state"], &missed["end_reason"]),
        (&json!("ended"), &json!("no_answer"))
    );
    let c = at(&s, "v1", 12_000).await;
    assert_eq!(
        (
            &contact(&c, &list[2])["status"],
            &c["exhausted"],
            &c["status"]
        ),
        (&json!("connected"), &json!(true), &json!("completed"))
    );
    let c = at(&s, "v1", 30_000).await;
    assert_eq!(c["counts"], json!({ "finished": 2, "not_picked_up": 1 }));
    // Talk time runs from the callee's answer, not from the agent's acceptance.
    let first = s
        .interaction(
            "demo",
            contact(&c, &list[0])["interaction_id"].as_str().unwrap(),
        )
        .await;
    assert_eq!(first["ended_at_ms"], T0 + 16_000, "{first}");
}

#[tokio::test]
async fn previews_can_be_skipped_survive_sigkill_and_are_withdrawn_by_a_stop() {
    let mut s = Server::start().await;
    let list = numbers(3);
    s.sim_on_manual_clock(
        "demo",
        T0,
        json!({ "auto": false, "wrap_up_ms": 0, "dial_ring_time": { "mean_ms": 5000 } }),
    )
    .await;
    s.ready("demo", "1001").await;
    create(
        &s,
        json!({ "id": "k1", "queue_id": "9001", "mode": "preview", "numbers": list }),
    )
    .await;
    let c = control(&s, "k1", "start").await;
    let first = contact(&c, &list[0])["interaction_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s.interaction("demo", &first).await["agent_id"], "1001");
    let skip = |n: usize| format!("/_ccemu/tenants/demo/sim/campaigns/k1/contacts/k1.{n}/skip");
    let (st, c) = s.post(&skip(1), json!({})).await;
    assert_eq!(st, 200, "{c}");
    assert_eq!(contact(&c, &list[0])["status"], "skipped");
    assert_eq!(
        contact(&c, &list[1])["status"],
        "previewing",
        "the agent gets the next one"
    );
    let gone = s.interaction("demo", &first).await;
    assert_eq!(
        (&gone["state"], &gone["end_reason"]),
        (&json!("failed"), &json!("skipped"))
    );
    let (st, b) = s.post(&skip(1), json!({})).await;
    assert_error(st, &b, 409, "conflict");
    let (st, b) = s.post(&skip(9), json!({})).await;
    assert_error(st, &b, 404, "not_found");

    // A preview shown to an agent survives SIGKILL ...
    let before = campaign(&s, "k1").await;
    s.crash_and_restart().await;
    assert_eq!(campaign(&s, "k1").await, before);
    let second = contact(&before, &list[1])["interaction_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s.interaction("demo", &second).await["state"], "ringing");
    let (st, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1001/answer", json!({}))
        .await;
    assert_eq!(st, 200, "{body}");
    let c = campaign(&s, "k1").await;
    assert_eq!(
        (&contact(&c, &list[1])["status"], &c["in_flight"]),
        (&json!("dialing"), &json!(1))
    );
    let (st, b) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{second}/hangup"),
            json!({}),
        )
        .await;
    assert_error(st, &b, 409, "conflict");
    // ... and so does its call while the callee's phone rings.
    s.crash_and_restart().await;
    assert_eq!(campaign(&s, "k1").await, c);
    let c = at(&s, "k1", 5_000).await;
    assert_eq!(contact(&c, &list[1])["status"], "connected", "{c}");
    let (st, _) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{second}/hangup"),
            json!({ "by": "agent" }),
        )
        .await;
    assert_eq!(st, 200);
    let c = campaign(&s, "k1").await;
    assert_eq!(contact(&c, &list[1])["status"], "finished");
    assert_eq!(contact(&c, &list[2])["status"], "previewing");
    let c = control(&s, "k1", "stop").await;
    assert_eq!(
        (&c["counts"], &c["exhausted"], &c["status"]),
        (
            &json!({ "skipped": 1, "finished": 1, "cancelled": 1 }),
            &json!(true),
            &json!("stopped")
        )
    );
    assert_eq!(
        s.agent_state("demo", "1001").await,
        "available",
        "the preview was withdrawn"
    );
}
