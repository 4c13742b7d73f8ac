//! Every answered voice call is recorded, one recording per agent leg; nothing else is.

mod common;

use ccemu_core::agent::AgentState;
use ccemu_core::clock::ClockMode;
use ccemu_core::interaction::{Channel, EndedBy, Recording};
use ccemu_engine::sim::SimSettings;
use ccemu_engine::{Engine, Op, OpOutput, TransferTarget};
use ccemu_store::testing::TestDb;
use common::{demo, T0};

/// The demo tenant on a manual clock at `T0`, with agents 1001 and 1003 available and no
/// simulated agent acting on its own.
async fn setup(db: &TestDb) -> Engine {
    let engine = common::engine(db).await;
    engine
        .set_clock(&demo(), ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    let sim = SimSettings {
        auto: false,
        wrap_up_ms: Some(0),
        ..SimSettings::default()
    };
    engine
        .execute(&demo(), Op::PutSimSettings(sim))
        .await
        .unwrap();
    for agent in ["1001", "1003"] {
        let op = Op::SetAgentState {
            agent_id: agent.into(),
            state: AgentState::Available,
        };
        engine.execute(&demo(), op).await.unwrap();
    }
    engine
}

async fn op(engine: &Engine, op: Op) -> OpOutput {
    engine.execute(&demo(), op).await.unwrap()
}

async fn start(engine: &Engine, channel: Channel, queue: &str) -> String {
    let op_ = Op::StartInbound {
        channel,
        queue_id: queue.into(),
        from: "13800138000".into(),
        to: "057126200670".into(),
        priority: 0,
    };
    match op(engine, op_).await {
        OpOutput::Interaction(i) => i.id,
        other => panic!("{other:?}"),
    }
}

async fn answer(engine: &Engine, agent: &str) {
    let op_ = Op::Answer {
        agent_id: agent.into(),
        interaction_id: None,
    };
    op(engine, op_).await;
}

async fn hangup(engine: &Engine, id: &str, by: EndedBy) {
    let op_ = Op::Hangup {
        interaction_id: id.into(),
        by,
    };
    op(engine, op_).await;
}

async fn recordings(engine: &Engine, id: &str) -> Vec<Recording> {
    engine
        .interaction(&demo(), id)
        .await
        .unwrap()
        .expect("interaction")
        .recordings
}

#[tokio::test]
async fn an_answered_call_is_recorded_from_the_answer_to_the_hangup() {
    let db = TestDb::new().await;
    let engine = setup(&db).await;
    let id = start(&engine, Channel::Voice, "9001").await;
    engine.advance_clock(&demo(), 2_000).await.unwrap();
    answer(&engine, "1001").await;
    engine.advance_clock(&demo(), 45_000).await.unwrap();
    hangup(&engine, &id, EndedBy::Customer).await;
    let recs = recordings(&engine, &id).await;
    assert_eq!(recs.len(), 1, "{recs:?}");
    let r = &recs[0];
    assert_eq!((r.started_at_ms, r.ended_at_ms), (T0 + 2_000, T0 + 47_000));
    assert_eq!(
        r.url,
        format!("/_ccemu/tenants/demo/recordings/{id}/{}.wav", r.id)
    );
    assert_eq!(r.url, ccemu_engine::recording_path(&demo(), &id, &r.id));
}

#[tokio::test]
async fn a_transfer_closes_one_leg_and_the_next_agent_opens_another() {
    let db = TestDb::new().await;
    let engine = setup(&db).await;
    let id = start(&engine, Channel::Voice, "9001").await;
    answer(&engine, "1001").await;
    engine.advance_clock(&demo(), 10_000).await.unwrap();
    let transfer = Op::Transfer {
        interaction_id: id.clone(),
        target: TransferTarget::Queue("9002".into()),
    };
    op(&engine, transfer).await;
    // The first leg is on record as soon as it is transferred away.
    let first = recordings(&engine, &id).await;
    assert_eq!(
        first
            .iter()
            .map(|r| (r.started_at_ms, r.ended_at_ms))
            .collect::<Vec<_>>(),
        [(T0, T0 + 10_000)]
    );
    engine.advance_clock(&demo(), 3_000).await.unwrap();
    answer(&engine, "1003").await;
    engine.advance_clock(&demo(), 7_000).await.unwrap();
    hangup(&engine, &id, EndedBy::Agent).await;
    let legs: Vec<(i64, i64)> = recordings(&engine, &id)
        .await
        .iter()
        .map(|r| (r.started_at_ms - T0, r.ended_at_ms - T0))
        .collect();
    assert_eq!(legs, [(0, 10_000), (13_000, 20_000)]);
}

#[tokio::test]
async fn unanswered_calls_and_chats_have_no_recording() {
    let db = TestDb::new().await;
    let engine = setup(&db).await;
    // Rings for 1001, and the customer hangs up before anyone answers.
    let abandoned = start(&engine, Channel::Voice, "9001").await;
    engine.advance_clock(&demo(), 5_000).await.unwrap();
    hangup(&engine, &abandoned, EndedBy::Customer).await;
    assert!(recordings(&engine, &abandoned).await.is_empty());
    // An answered chat is not a call.
    let chat = start(&engine, Channel::Chat, "9001").await;
    answer(&engine, "1001").await;
    engine.advance_clock(&demo(), 5_000).await.unwrap();
    hangup(&engine, &chat, EndedBy::Agent).await;
    assert!(recordings(&engine, &chat).await.is_empty());
}
