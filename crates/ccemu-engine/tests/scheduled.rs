//! Scheduled interactions (callbacks) on a manual clock, on the backend selected by
//! `CCEMU_TEST_BACKEND`: the timer fires at `scheduled_at` and not before, the callback enters its
//! queue and is routed by the ACD, it survives a restart, one whose queue is gone fails, and one
//! called off before it starts ends and stays ended.

mod common;
use common::{demo, engine, T0};

use ccemu_core::agent::AgentState;
use ccemu_core::event::DomainEvent;
use ccemu_core::interaction::{Channel, Direction};
use ccemu_core::interaction::{EndReason, EndedBy, Interaction, InteractionState};
use ccemu_core::Queue;
use ccemu_engine::{Annotation, Engine, Op, OpOutput, QueueLimits};
use ccemu_store::testing::TestDb;

const DUE: i64 = T0 + 60_000;

fn interaction(output: OpOutput) -> Interaction {
    match output {
        OpOutput::Interaction(i) => *i,
        other => panic!("unexpected output {other:?}"),
    }
}

async fn schedule(engine: &Engine, queue: &str) -> Interaction {
    let op = Op::ScheduleInteraction {
        channel: Channel::Voice,
        queue_id: Some(queue.into()),
        customer: "+15550002222".into(),
        scheduled_at_ms: DUE,
        note: Annotation::default(),
    };
    interaction(engine.execute(&demo(), op).await.unwrap())
}

async fn available(engine: &Engine, agent_id: &str) {
    let op = Op::SetAgentState {
        agent_id: agent_id.into(),
        state: AgentState::Available,
    };
    engine.execute(&demo(), op).await.unwrap();
}

async fn current(engine: &Engine, id: &str) -> Interaction {
    engine
        .interaction(&demo(), id)
        .await
        .unwrap()
        .expect("interaction stored")
}

#[tokio::test]
async fn a_callback_is_routed_at_scheduled_at_and_not_before() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    common::manual(&engine).await;
    available(&engine, "1002").await;
    let i = schedule(&engine, "9001").await;
    assert_eq!(i.direction, Direction::Outbound);

    engine.advance_clock(&demo(), DUE - T0 - 1).await.unwrap();
    let before = current(&engine, &i.id).await;
    assert_eq!(before.state, InteractionState::Scheduled, "1 ms early");
    assert_eq!(before.queued_at_ms, None);
    assert!(engine.waiting(&demo(), "9001").await.unwrap().is_empty());

    engine.advance_clock(&demo(), 1).await.unwrap();
    let due = current(&engine, &i.id).await;
    assert_eq!(due.state, InteractionState::Ringing, "offered to the agent");
    assert_eq!(due.agent_id.as_deref(), Some("1002"));
    assert_eq!(due.queued_at_ms, Some(DUE));
    assert_eq!(due.offered_at_ms, Some(DUE));
    let events = engine.events(&demo(), 0, 1000).await.unwrap();
    let queued = events
        .iter()
        .find(|e| {
            matches!(&e.event, DomainEvent::InteractionQueued { interaction_id, queue_id }
                if *interaction_id == i.id && queue_id == "9001")
        })
        .expect("interaction.queued");
    assert_eq!(queued.at_ms, DUE);

    let op = Op::Answer {
        agent_id: "1002".into(),
        interaction_id: Some(i.id.clone()),
    };
    let answered = interaction(engine.execute(&demo(), op).await.unwrap());
    assert_eq!(answered.state, InteractionState::Connected);
    assert_eq!(answered.answered_at_ms, Some(DUE));
}

#[tokio::test]
async fn a_due_callback_waits_in_its_queue_until_an_agent_is_free() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    common::manual(&engine).await;
    let i = schedule(&engine, "9001").await;
    engine.advance_clock(&demo(), DUE - T0).await.unwrap();
    assert_eq!(
        current(&engine, &i.id).await.state,
        InteractionState::Queued
    );
    assert_eq!(
        engine.waiting(&demo(), "9001").await.unwrap(),
        vec![i.id.clone()]
    );
    available(&engine, "1001").await;
    let routed = current(&engine, &i.id).await;
    assert_eq!(routed.state, InteractionState::Ringing);
    assert_eq!(routed.agent_id.as_deref(), Some("1001"));
}

#[tokio::test]
async fn a_callback_survives_a_restart_and_starts_afterwards() {
    let db = TestDb::new().await;
    let engine1 = engine(&db).await;
    common::manual(&engine1).await;
    let i = schedule(&engine1, "9001").await;
    engine1.advance_clock(&demo(), 30_000).await.unwrap();
    // No graceful shutdown: dropped as a crash would (the timer was stored with the command).
    drop(engine1);
    let engine2 = engine(&db).await;
    assert_eq!(
        current(&engine2, &i.id).await.state,
        InteractionState::Scheduled
    );
    engine2.advance_clock(&demo(), 29_999).await.unwrap();
    assert_eq!(
        current(&engine2, &i.id).await.state,
        InteractionState::Scheduled
    );
    engine2.advance_clock(&demo(), 1).await.unwrap();
    let due = current(&engine2, &i.id).await;
    assert_eq!(due.state, InteractionState::Queued);
    assert_eq!(due.queued_at_ms, Some(DUE));
    assert_eq!(
        engine2.waiting(&demo(), "9001").await.unwrap(),
        vec![i.id.clone()]
    );
    // Once queued it waits across a restart like any contact, and is routed after that.
    drop(engine2);
    let engine3 = engine(&db).await;
    assert_eq!(
        engine3.waiting(&demo(), "9001").await.unwrap(),
        vec![i.id.clone()]
    );
    available(&engine3, "1002").await;
    let routed = current(&engine3, &i.id).await;
    assert_eq!(routed.state, InteractionState::Ringing);
    assert_eq!(routed.agent_id.as_deref(), Some("1002"));
    assert_eq!(routed.queued_at_ms, Some(DUE), "its place in line is kept");
}

#[tokio::test]
async fn a_callback_whose_queue_is_gone_fails_when_due() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    common::manual(&engine).await;
    let limits = QueueLimits {
        max_length: 512,
        max_queues: 100,
    };
    let op = Op::CreateQueue {
        queue: Box::new(Queue::new("9009", "Callbacks", 0)),
        limits,
    };
    engine.execute(&demo(), op).await.unwrap();
    let i = schedule(&engine, "9009").await;
    let op = Op::DeleteQueue {
        queue_id: "9009".into(),
    };
    engine.execute(&demo(), op).await.unwrap();
    engine.advance_clock(&demo(), DUE - T0).await.unwrap();
    let failed = current(&engine, &i.id).await;
    assert_eq!(failed.state, InteractionState::Failed);
    assert_eq!(failed.ended_at_ms, Some(DUE));
    assert_eq!(failed.ended_by, Some(EndedBy::System));
    assert_eq!(failed.end_reason, Some(EndReason::Error));
    let ended = engine.events(&demo(), 0, 1000).await.unwrap();
    assert!(ended.iter().any(|e| matches!(&e.event,
        DomainEvent::InteractionEnded { interaction_id, .. } if *interaction_id == i.id)));
}

#[tokio::test]
async fn a_callback_called_off_before_it_starts_ends_and_its_timer_lapses() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    common::manual(&engine).await;
    available(&engine, "1002").await;
    let i = schedule(&engine, "9001").await;
    engine.advance_clock(&demo(), 1_000).await.unwrap();
    let op = Op::Hangup {
        interaction_id: i.id.clone(),
        by: EndedBy::Customer,
    };
    let ended = interaction(engine.execute(&demo(), op).await.unwrap());
    assert_eq!(ended.state, InteractionState::Ended);
    assert_eq!(ended.end_reason, Some(EndReason::Cancelled));
    assert_eq!(ended.ended_at_ms, Some(T0 + 1_000));
    engine.advance_clock(&demo(), DUE - T0).await.unwrap();
    let after = current(&engine, &i.id).await;
    assert_eq!(after.state, InteractionState::Ended, "the timer lapsed");
    assert!(engine.waiting(&demo(), "9001").await.unwrap().is_empty());
    let agent = engine.agents(&demo(), Some("1002")).await.unwrap();
    assert_eq!(
        agent[0].agent.state,
        AgentState::Available,
        "nothing was offered"
    );
}
