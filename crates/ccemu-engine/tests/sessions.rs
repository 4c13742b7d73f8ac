//! Sessions without a human yet: a bot-held chat and an unrouted messaging session, handed to a
//! queue and routed by the ACD; surface data on an open interaction.

mod common;
use common::{demo, engine, T0};

use std::collections::BTreeMap;

use ccemu_core::agent::AgentState;
use ccemu_core::clock::ClockMode;
use ccemu_core::interaction::{
    Channel, Direction, EndedBy, Interaction, InteractionState, ParticipantKind, ParticipantState,
};
use ccemu_core::DomainError;
use ccemu_engine::sim::SimSettings;
use ccemu_engine::{Engine, EngineError, Op, OpOutput};
use ccemu_store::testing::TestDb;
use serde_json::json;

async fn exec(engine: &Engine, op: Op) -> Result<OpOutput, EngineError> {
    engine.execute(&demo(), op).await
}

fn interaction(output: OpOutput) -> Interaction {
    match output {
        OpOutput::Interaction(i) => *i,
        other => panic!("unexpected output {other:?}"),
    }
}

async fn setup(engine: &Engine) {
    engine
        .set_clock(&demo(), ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    let sim = SimSettings {
        auto: false,
        ..SimSettings::default()
    };
    exec(engine, Op::PutSimSettings(sim)).await.unwrap();
}

fn session(bot: Option<&str>, queue: Option<&str>) -> Op {
    Op::StartSession {
        channel: Channel::Chat,
        direction: Direction::Inbound,
        queue_id: queue.map(str::to_owned),
        from: "visitor".into(),
        to: String::new(),
        bot: bot.map(str::to_owned),
        data: BTreeMap::from([("k".to_owned(), json!(1)), ("gone".to_owned(), json!(null))]),
    }
}

#[tokio::test]
async fn a_bot_session_is_connected_without_an_agent_and_escalates_to_the_acd() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    setup(&engine).await;
    exec(
        &engine,
        Op::SetAgentState {
            agent_id: "1003".into(),
            state: AgentState::Available,
        },
    )
    .await
    .unwrap();
    let i = interaction(
        exec(&engine, session(Some("Bot"), Some("9002")))
            .await
            .unwrap(),
    );
    assert_eq!(i.state, InteractionState::Connected);
    assert_eq!(i.agent_id, None);
    assert_eq!(i.custom_data, BTreeMap::from([("k".to_owned(), json!(1))]));
    let bot = &i.participants[1];
    assert_eq!(
        (bot.kind, bot.state, bot.nickname.as_str()),
        (ParticipantKind::Bot, ParticipantState::Connected, "Bot")
    );
    // A bot-held session is not waiting for anyone: nobody rings.
    assert_eq!(
        engine.waiting(&demo(), "9002").await.unwrap(),
        Vec::<String>::new()
    );

    engine.advance_clock(&demo(), 5_000).await.unwrap();
    let i = interaction(
        exec(
            &engine,
            Op::HandToQueue {
                interaction_id: i.id.clone(),
                queue_id: None,
            },
        )
        .await
        .unwrap(),
    );
    // The only available agent of the queue is offered it at once.
    assert_eq!(i.state, InteractionState::Ringing);
    assert_eq!(i.agent_id.as_deref(), Some("1003"));
    assert_eq!(i.queued_at_ms, Some(T0 + 5_000));
    assert_eq!(i.participants[1].state, ParticipantState::Left);
    // Handing over twice is refused.
    let again = exec(
        &engine,
        Op::HandToQueue {
            interaction_id: i.id.clone(),
            queue_id: None,
        },
    )
    .await;
    assert!(matches!(
        again,
        Err(EngineError::Domain(DomainError::Conflict(_)))
    ));
    let ended = exec(
        &engine,
        Op::Hangup {
            interaction_id: i.id.clone(),
            by: EndedBy::Customer,
        },
    )
    .await
    .unwrap();
    assert_eq!(interaction(ended).state, InteractionState::Abandoned);
}

#[tokio::test]
async fn an_unrouted_session_waits_in_created_and_a_bot_session_can_end() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    setup(&engine).await;
    let i = interaction(exec(&engine, session(None, None)).await.unwrap());
    assert_eq!(i.state, InteractionState::Created);
    let no_queue = exec(
        &engine,
        Op::HandToQueue {
            interaction_id: i.id.clone(),
            queue_id: None,
        },
    )
    .await;
    assert!(matches!(
        no_queue,
        Err(EngineError::Domain(DomainError::Invalid {
            field: "queue_id",
            ..
        }))
    ));
    let unknown = exec(
        &engine,
        Op::HandToQueue {
            interaction_id: i.id.clone(),
            queue_id: Some("nope".into()),
        },
    )
    .await;
    assert!(matches!(
        unknown,
        Err(EngineError::Domain(DomainError::NotFound { .. }))
    ));
    let queued = interaction(
        exec(
            &engine,
            Op::HandToQueue {
                interaction_id: i.id.clone(),
                queue_id: Some("9001".into()),
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(queued.state, InteractionState::Queued);
    assert_eq!(
        engine.waiting(&demo(), "9001").await.unwrap(),
        vec![i.id.clone()]
    );

    let bot = interaction(
        exec(&engine, session(Some("Bot"), Some("9001")))
            .await
            .unwrap(),
    );
    let ended = interaction(
        exec(
            &engine,
            Op::Hangup {
                interaction_id: bot.id.clone(),
                by: EndedBy::Customer,
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(ended.state, InteractionState::Ended);
    let unknown_queue = exec(&engine, session(None, Some("nope"))).await;
    assert!(matches!(
        unknown_queue,
        Err(EngineError::Domain(DomainError::NotFound { .. }))
    ));
}

#[tokio::test]
async fn bot_and_unrouted_sessions_survive_a_restart_and_still_end_or_escalate() {
    let db = TestDb::new().await;
    let first = engine(&db).await;
    setup(&first).await;
    let bot = interaction(
        exec(&first, session(Some("Bot"), Some("9001")))
            .await
            .unwrap(),
    );
    let unrouted = interaction(exec(&first, session(None, Some("9002"))).await.unwrap());
    drop(first);
    let second = engine(&db).await;
    let ended = interaction(
        exec(
            &second,
            Op::Hangup {
                interaction_id: bot.id.clone(),
                by: EndedBy::Customer,
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(ended.state, InteractionState::Ended);
    let queued = interaction(
        exec(
            &second,
            Op::HandToQueue {
                interaction_id: unrouted.id.clone(),
                queue_id: None,
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(queued.state, InteractionState::Queued);
    assert_eq!(
        second.waiting(&demo(), "9002").await.unwrap(),
        vec![unrouted.id]
    );
}
