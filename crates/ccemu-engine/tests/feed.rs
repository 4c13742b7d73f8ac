//! The live event feed (`Engine::watch`): committed events only, in log order, none lost by a
//! listener that falls behind, and an end when the tenant stops.

mod common;

use std::time::Duration;

use ccemu_core::agent::{Agent, AgentState};
use ccemu_core::event::{DomainEvent, EventRecord};
use ccemu_engine::feed::FEED_CAPACITY;
use ccemu_engine::{Engine, EventFeed, Op};
use ccemu_store::testing::TestDb;
use common::{demo, engine};

/// The next event of `feed`, failing the test if none comes within 10 s.
async fn next(feed: &mut EventFeed) -> Option<EventRecord> {
    tokio::time::timeout(Duration::from_secs(10), feed.next())
        .await
        .expect("the feed answered within 10 s")
        .expect("the feed read the log")
        .map(|e| (*e).clone())
}

async fn set_state(engine: &Engine, agent: &str, state: AgentState) {
    engine
        .execute(
            &demo(),
            Op::SetAgentState {
                agent_id: agent.into(),
                state,
            },
        )
        .await
        .expect("state change");
}

#[tokio::test]
async fn the_feed_hands_out_committed_events_in_log_order() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    let before = engine.events(&demo(), 0, 10_000).await.unwrap();
    let mut feed = engine.watch(&demo()).await.unwrap();
    // The feed starts after the last committed event.
    assert_eq!(feed.last_seq(), before.last().map_or(0, |e| e.seq));
    let start = feed.last_seq();
    // A refused command commits nothing, so it publishes nothing.
    let refused = engine
        .execute(
            &demo(),
            Op::SetAgentState {
                agent_id: "no-such-agent".into(),
                state: AgentState::Available,
            },
        )
        .await;
    assert!(refused.is_err());
    set_state(&engine, "1001", AgentState::Available).await;
    set_state(&engine, "1001", AgentState::NotReady { reason: None }).await;
    let log = engine.events(&demo(), start, 100).await.unwrap();
    assert!(log.len() >= 2, "{log:?}");
    let mut got = Vec::new();
    for _ in 0..log.len() {
        let event = next(&mut feed).await.expect("an event");
        // Whatever the feed hands out is already in the durable log.
        let stored = engine.events(&demo(), event.seq - 1, 1).await.unwrap();
        assert_eq!(stored, std::slice::from_ref(&event));
        got.push(event);
    }
    assert_eq!(got, log);
    assert_eq!(got[0].seq, start + 1);
    let first_change = got.iter().find_map(|e| match &e.event {
        DomainEvent::AgentStateChanged { agent_id, from, to } => Some((agent_id, from, to)),
        _ => None,
    });
    assert_eq!(
        first_change,
        Some((
            &"1001".to_owned(),
            &AgentState::LoggedOut,
            &AgentState::Available
        ))
    );
    assert_eq!(feed.last_seq(), log.last().unwrap().seq);
}

#[tokio::test]
async fn a_listener_that_falls_behind_catches_up_from_the_log() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    let mut feed = engine.watch(&demo()).await.unwrap();
    let start = feed.last_seq();
    // One command with more events than the feed holds: the listener lags by hundreds.
    let count = FEED_CAPACITY + 300;
    let agents = (0..count)
        .map(|n| Agent::new(format!("{}", 50_000 + n), format!("Agent {n}"), 0))
        .collect();
    engine
        .execute(
            &demo(),
            Op::CreateAgents {
                agents,
                extensions: Vec::new(),
            },
        )
        .await
        .unwrap();
    set_state(&engine, "1002", AgentState::Available).await;
    let log = engine.events(&demo(), start, 100_000).await.unwrap();
    assert!(log.len() > count, "{}", log.len());
    let mut got = Vec::with_capacity(log.len());
    for _ in 0..log.len() {
        got.push(next(&mut feed).await.expect("an event"));
    }
    // Every event once, in order, without gaps: the ones the channel dropped came from the log.
    let seqs: Vec<i64> = got.iter().map(|e| e.seq).collect();
    let want: Vec<i64> = (start + 1..=start + log.len() as i64).collect();
    assert_eq!(seqs, want);
    assert_eq!(got, log);
    let created = got
        .iter()
        .filter(|e| matches!(e.event, DomainEvent::AgentCreated { .. }))
        .count();
    assert_eq!(created, count);
    // After catching up the feed is live again.
    set_state(&engine, "1002", AgentState::NotReady { reason: None }).await;
    let live = next(&mut feed).await.expect("a live event");
    assert_eq!(live.seq, start + log.len() as i64 + 1);
    assert!(
        matches!(
            &live.event,
            DomainEvent::AgentStateChanged { agent_id, to: AgentState::NotReady { .. }, .. }
                if agent_id == "1002"
        ),
        "{live:?}"
    );
}

#[tokio::test]
async fn the_feed_ends_when_the_tenant_is_deleted_and_stays_within_its_tenant() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    let other = engine.create_tenant(Some("Other".into())).await.unwrap();
    let mut theirs = engine.watch(&other.id).await.unwrap();
    let mut ours = engine.watch(&demo()).await.unwrap();
    set_state(&engine, "1003", AgentState::Available).await;
    let event = next(&mut ours).await.expect("demo's event");
    assert!(matches!(event.event, DomainEvent::AgentStateChanged { .. }));
    engine.delete_tenant(&other.id).await.unwrap();
    // The other tenant's feed saw none of demo's events, then ends with its tenant.
    assert_eq!(next(&mut theirs).await, None);
    assert!(engine.watch(&other.id).await.is_err());
}
