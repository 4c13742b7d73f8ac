//! Retention on the backend selected by `CCEMU_TEST_BACKEND`: a tenant's own limits override the
//! defaults and survive a restart, and pruning removes the oldest ended interactions but never
//! an open one, which goes on as before.

mod common;
use common::{demo, engine};

use ccemu_core::interaction::{Channel, EndedBy, Interaction, InteractionState};
use ccemu_core::{Retention, TenantRetention};
use ccemu_engine::{Engine, InteractionFilter, Op, OpOutput};
use ccemu_store::testing::TestDb;

fn interaction(output: OpOutput) -> Interaction {
    match output {
        OpOutput::Interaction(i) => *i,
        other => panic!("unexpected output {other:?}"),
    }
}

async fn inbound(engine: &Engine) -> Interaction {
    let op = Op::StartInbound {
        channel: Channel::Voice,
        queue_id: "9001".into(),
        from: "+15550001111".into(),
        to: "+15550009999".into(),
        priority: 0,
    };
    interaction(engine.execute(&demo(), op).await.unwrap())
}

async fn hang_up(engine: &Engine, id: &str) -> Interaction {
    let op = Op::Hangup {
        interaction_id: id.into(),
        by: EndedBy::Customer,
    };
    interaction(engine.execute(&demo(), op).await.unwrap())
}

#[tokio::test]
async fn pruning_keeps_the_newest_ended_interactions_and_every_open_one() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    common::manual(&engine).await;
    let mut ended = Vec::new();
    for _ in 0..3 {
        let call = inbound(&engine).await;
        ended.push(hang_up(&engine, &call.id).await);
    }
    let open = inbound(&engine).await;
    assert_eq!(open.state, InteractionState::Queued);

    assert_eq!(
        engine.retention(&demo()).await.unwrap(),
        Retention::default()
    );
    let own = TenantRetention {
        id: String::new(),
        ended_interactions: Some(1),
        ..TenantRetention::default()
    };
    engine
        .execute(&demo(), Op::PutRetention(own))
        .await
        .unwrap();
    let limits = engine.retention(&demo()).await.unwrap();
    assert_eq!(limits.ended_interactions, 1);
    assert_eq!(limits.events, Retention::default().events);

    let pruned = engine.prune().await.unwrap();
    let (_, demo_pruned) = pruned.iter().find(|(t, _)| *t == demo()).unwrap();
    assert_eq!(demo_pruned.ended_interactions, 2);
    let left = engine
        .interactions(&demo(), &InteractionFilter::first(10))
        .await
        .unwrap();
    let ids: Vec<&str> = left.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, vec![ended[2].id.as_str(), open.id.as_str()]);
    assert!(engine
        .interaction(&demo(), &ended[0].id)
        .await
        .unwrap()
        .is_none());
    // The open call is live as ever: the customer can still leave it.
    let gone = hang_up(&engine, &open.id).await;
    assert_eq!(gone.state, InteractionState::Abandoned);

    // The tenant's own limits are durable.
    engine.shutdown().await;
    let engine = common::engine(&db).await;
    assert_eq!(
        engine.retention(&demo()).await.unwrap().ended_interactions,
        1
    );
    let next = inbound(&engine).await;
    assert_eq!(next.number, open.number + 1, "numbers go on after a prune");
}
