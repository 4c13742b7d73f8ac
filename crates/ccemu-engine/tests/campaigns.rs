//! Outbound campaigns in the engine, on the backend selected by `CCEMU_TEST_BACKEND`: a run that
//! restarts the engine again and again dials exactly like one that never restarts.

mod common;
use common::{demo, engine, T0};

use ccemu_core::agent::AgentState;
use ccemu_core::clock::ClockMode;
use ccemu_core::interaction::{Interaction, ParticipantKind, ParticipantState};
use ccemu_core::{Campaign, CampaignContact};
use ccemu_engine::sim::{Duration, SimSettings};
use ccemu_engine::{CampaignAction, CampaignView, Engine, Op, OpOutput};
use ccemu_store::testing::TestDb;
use serde_json::json;

async fn run(engine: &Engine, op: Op) -> OpOutput {
    engine.execute(&demo(), op).await.expect("op")
}

/// Two campaigns sharing the support queue (three agents): ratio 2 and progressive, with
/// redials, a 40 % answer rate and fixed ring and talk times.
async fn start(engine: &Engine) {
    prepare(engine, 0.4, &["1001", "1003", "1004"]).await;
    let a = json!({ "mode": "ratio", "ratio": 2.0, "concurrency_limit": 4, "max_attempts": 3, "retry_after_ms": 7000 });
    launch(engine, "a", a, (0..10).map(|i| format!("+15551{i:03}"))).await;
    let b = json!({ "mode": "progressive", "concurrency_limit": 3, "max_attempts": 2, "retry_after_ms": 3000 });
    launch(engine, "b", b, (0..6).map(|i| format!("+15552{i:03}"))).await;
}

/// A manual clock at T0; callees pick up at `answer_rate` after 5 s, agents answer after 1 s
/// and talk 20 s; the given agents are available.
async fn prepare(engine: &Engine, answer_rate: f64, agents: &[&str]) {
    engine
        .set_clock(&demo(), ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    let sim = SimSettings {
        answer_delay_ms: 1_000,
        talk_time: Duration::fixed(20_000),
        wrap_up_ms: Some(0),
        dial_answer_rate: answer_rate,
        dial_ring_time: Duration::fixed(5_000),
        seed: 7,
        ..SimSettings::default()
    };
    run(engine, Op::PutSimSettings(sim)).await;
    for agent in agents {
        let op = Op::SetAgentState {
            agent_id: (*agent).into(),
            state: AgentState::Available,
        };
        run(engine, op).await;
    }
}

/// Creates a campaign on the support queue with `body`'s settings and these numbers, and
/// starts it.
async fn launch(
    engine: &Engine,
    id: &str,
    body: serde_json::Value,
    phones: impl Iterator<Item = String>,
) {
    let mut campaign = json!({ "id": id, "name": id, "queue_id": "9002" });
    campaign
        .as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    let campaign: Campaign = serde_json::from_value(campaign).unwrap();
    let contacts = phones
        .map(|phone| {
            serde_json::from_value::<CampaignContact>(json!({
                "id": "", "campaign_id": "", "phone_number": phone
            }))
            .unwrap()
        })
        .collect();
    let op = Op::CreateCampaign {
        campaign: Box::new(campaign),
        contacts,
    };
    run(engine, op).await;
    let op = Op::ControlCampaign {
        campaign_id: id.into(),
        action: CampaignAction::Start,
    };
    run(engine, op).await;
}

/// What must not depend on restarts: per campaign, its counters and every contact's status,
/// attempts and redial time.
fn snapshot(views: &[CampaignView]) -> serde_json::Value {
    views
        .iter()
        .map(|v| {
            let contacts: Vec<_> = v
                .contacts
                .iter()
                .map(|c| json!([c.id, c.status, c.attempts, c.retry_at_ms]))
                .collect();
            json!({
                "id": v.campaign.id, "status": v.campaign.status, "in_flight": v.in_flight,
                "dialled": v.dialled, "exhausted": v.exhausted, "contacts": contacts,
            })
        })
        .collect()
}

/// Advances 1 s at a time for 150 s; restarts the engine every `restart_every` steps.
async fn scenario(restart_every: Option<usize>) -> Vec<serde_json::Value> {
    let db = TestDb::new().await;
    let mut current = engine(&db).await;
    start(&current).await;
    let mut trace = vec![snapshot(&current.campaigns(&demo()).await.unwrap())];
    for step in 1..=150 {
        current.advance_clock(&demo(), 1_000).await.unwrap();
        if restart_every.is_some_and(|n| step % n == 0) {
            // Every command committed before it answered, so stopping here loses nothing a
            // crash would keep; closing the pool keeps PostgreSQL's connection limit away.
            current.shutdown().await;
            current.store().close().await;
            current = engine(&db).await;
        }
        trace.push(snapshot(&current.campaigns(&demo()).await.unwrap()));
    }
    trace
}

#[tokio::test]
async fn restarts_do_not_change_what_the_dialer_does() {
    let steady = scenario(None).await;
    let last = steady.last().unwrap();
    assert!(
        last.as_array()
            .unwrap()
            .iter()
            .all(|c| c["exhausted"] == true),
        "both campaigns finish within the scenario: {last}"
    );
    let redialled = last
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["contacts"].as_array().unwrap().clone())
        .filter(|c| c[2].as_u64().unwrap() > 1)
        .count();
    assert!(redialled > 3, "the scenario exercises redials: {last}");
    let restarted = scenario(Some(3)).await;
    for (step, (a, b)) in steady.iter().zip(&restarted).enumerate() {
        assert_eq!(a, b, "diverged at +{step} s");
    }
}

/// The dials of a campaign: (interaction state, end reason) of each, by contact.
async fn dials(engine: &Engine, campaign: &str) -> Vec<(String, String, Option<String>)> {
    let view = engine.campaign(&demo(), campaign).await.unwrap();
    let mut out = Vec::new();
    for c in view.contacts {
        let state = match &c.interaction_id {
            Some(id) => {
                let i: ccemu_core::Interaction = engine
                    .interaction(&demo(), id)
                    .await
                    .unwrap()
                    .expect("dial");
                let reason = i
                    .end_reason
                    .map(|r| serde_json::to_value(r).unwrap().to_string());
                (serde_json::to_value(i.state).unwrap().to_string(), reason)
            }
            None => ("none".to_owned(), None),
        };
        let status = serde_json::to_value(c.status).unwrap().to_string();
        out.push((status, state.0, state.1));
    }
    out
}

#[tokio::test]
async fn a_force_stop_hangs_up_the_dials_still_ringing_and_cancels_the_rest() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    start(&engine).await;
    // Campaign `a` (ratio 2, three agents, at most 4 at once) rings its first dials for 5 s.
    let before = dials(&engine, "a").await;
    let ringing = before.iter().filter(|d| d.1 == "\"created\"").count();
    assert!(ringing >= 2, "{before:?}");
    let op = Op::ControlCampaign {
        campaign_id: "a".into(),
        action: CampaignAction::ForceStop,
    };
    let OpOutput::Campaign(view) = run(&engine, op).await else {
        panic!("campaign")
    };
    assert_eq!(view.in_flight, 0);
    assert!(view.exhausted);
    let after = dials(&engine, "a").await;
    for (was, now) in before.iter().zip(&after) {
        assert_eq!(now.0, "\"cancelled\"", "{now:?}");
        if was.1 == "\"created\"" {
            assert_eq!(
                (now.1.as_str(), now.2.as_deref()),
                ("\"failed\"", Some("\"cancelled\""))
            );
        }
    }
    // Nothing rings later: the dial results that were due find nothing to report.
    engine.advance_clock(&demo(), 30_000).await.unwrap();
    assert_eq!(dials(&engine, "a").await, after);
    // Campaign `b` was stopped gently, not touched by a's force stop.
    let b = engine.campaign(&demo(), "b").await.unwrap();
    assert_eq!(serde_json::to_value(b.campaign.status).unwrap(), "running");
}

#[tokio::test]
async fn a_ratio_campaign_changes_its_ratio_and_others_refuse() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    start(&engine).await;
    let op = Op::SetCampaignRatio {
        campaign_id: "a".into(),
        ratio: 3.5,
    };
    let OpOutput::Campaign(view) = run(&engine, op).await else {
        panic!("campaign")
    };
    assert_eq!(view.campaign.ratio, 3.5);
    // It is stored: a restarted engine reads it back.
    engine.shutdown().await;
    engine.store().close().await;
    let engine = self::engine(&db).await;
    assert_eq!(
        engine.campaign(&demo(), "a").await.unwrap().campaign.ratio,
        3.5
    );
    for (campaign, ratio) in [("b", 2.0), ("a", 0.5), ("a", 9.0), ("zz", 2.0)] {
        let op = Op::SetCampaignRatio {
            campaign_id: campaign.into(),
            ratio,
        };
        assert!(
            engine.execute(&demo(), op).await.is_err(),
            "{campaign} {ratio}"
        );
    }
    assert_eq!(
        engine.campaign(&demo(), "a").await.unwrap().campaign.ratio,
        3.5
    );
}

/// A dialled callee is on the line from the pick-up on, and the agent's leg from the answer.
#[tokio::test]
async fn a_dialled_callee_connects_at_the_pick_up_and_the_agent_at_the_answer() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    prepare(&engine, 1.0, &["1001"]).await;
    let p = json!({ "mode": "progressive", "concurrency_limit": 1 });
    launch(&engine, "p", p, ["+15553000001".to_owned()].into_iter()).await;
    engine.advance_clock(&demo(), 10_000).await.unwrap();
    let views = engine.campaigns(&demo()).await.unwrap();
    let id = views[0].contacts[0]
        .interaction_id
        .clone()
        .expect("the contact was dialled");
    let call: Interaction = engine
        .interaction(&demo(), &id)
        .await
        .unwrap()
        .expect("stored");
    let leg = |kind| {
        let p = call.participants.iter().find(|p| p.kind == kind).unwrap();
        (p.state, p.connected_at_ms)
    };
    let picked_up = call.created_at_ms + 5_000;
    assert_eq!(
        leg(ParticipantKind::Customer),
        (ParticipantState::Connected, Some(picked_up))
    );
    assert_eq!(
        leg(ParticipantKind::Agent),
        (ParticipantState::Connected, Some(picked_up + 1_000))
    );
    assert_eq!(call.answered_at_ms, Some(picked_up + 1_000));
}
