//! The engine on the backend selected by `CCEMU_TEST_BACKEND`: tenants, clock, timers, restarts.

mod common;
use common::{demo, engine, T0};

use ccemu_core::agent::AgentState;
use ccemu_core::clock::ClockMode;
use ccemu_core::event::DomainEvent;
use ccemu_core::timer::TimerAction;
use ccemu_engine::{Engine, EngineError, Op, OpOutput};
use ccemu_store::testing::TestDb;

async fn set_state(engine: &Engine, agent: &str, state: AgentState) -> ccemu_core::agent::Agent {
    match engine
        .execute(
            &demo(),
            Op::SetAgentState {
                agent_id: agent.into(),
                state,
            },
        )
        .await
        .expect("set state")
    {
        OpOutput::Agent(a) => *a,
        other => panic!("unexpected output {other:?}"),
    }
}

/// Logs two agents in and puts them in wrap-up ending at T0+5s and T0+3s.
async fn two_wrap_ups(engine: &Engine) {
    engine
        .set_clock(&demo(), ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    for (agent, secs) in [("1001", 5), ("1002", 3)] {
        set_state(engine, agent, AgentState::Available).await;
        set_state(engine, agent, AgentState::OnContact).await;
        set_state(
            engine,
            agent,
            AgentState::WrapUp {
                until_ms: Some(T0 + secs * 1000),
            },
        )
        .await;
    }
}

#[tokio::test]
async fn advancing_a_manual_clock_fires_timers_in_due_order_at_their_due_time() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    two_wrap_ups(&engine).await;
    let before = engine
        .events(&demo(), 0, 1000)
        .await
        .unwrap()
        .last()
        .unwrap()
        .seq;

    // Not yet due: nothing fires.
    let clock = engine.advance_clock(&demo(), 2_999).await.unwrap();
    assert_eq!(clock.now_ms, T0 + 2_999);
    let fired: Vec<_> = engine.events(&demo(), before, 1000).await.unwrap();
    assert!(fired
        .iter()
        .all(|e| !matches!(e.event, DomainEvent::TimerFired { .. })));

    let clock = engine.advance_clock(&demo(), 10_000).await.unwrap();
    assert_eq!(clock.now_ms, T0 + 12_999);
    let events = engine.events(&demo(), before, 1000).await.unwrap();
    let fired: Vec<(String, i64)> = events
        .iter()
        .filter_map(|e| match &e.event {
            DomainEvent::TimerFired {
                action: TimerAction::AgentStateEnds { agent_id },
                due_ms,
                ..
            } => {
                assert_eq!(e.at_ms, *due_ms, "stamped with its own due time");
                Some((agent_id.clone(), *due_ms))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        fired,
        vec![
            ("1002".to_owned(), T0 + 3_000),
            ("1001".to_owned(), T0 + 5_000)
        ]
    );
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "no gaps: {seqs:?}"
    );
    let ats: Vec<i64> = events.iter().map(|e| e.at_ms).collect();
    assert!(
        ats.windows(2).all(|w| w[0] <= w[1]),
        "time never goes back: {ats:?}"
    );
    // Both agents are available again, each from its own due time.
    let agents = engine.store().agents(&demo()).await.unwrap();
    for (id, due) in [("1001", T0 + 5_000), ("1002", T0 + 3_000)] {
        let a = agents.iter().find(|a| a.id == id).unwrap();
        assert_eq!(a.state, AgentState::Available, "{id}");
        assert_eq!(a.state_since_ms, due, "{id}");
    }
}

#[tokio::test]
async fn pending_timers_survive_a_restart_and_fire_afterwards() {
    let db = TestDb::new().await;
    let engine1 = engine(&db).await;
    two_wrap_ups(&engine1).await;
    // No graceful shutdown: drop the handle as a crash would (the store already has everything).
    drop(engine1);
    let engine2 = engine(&db).await;
    let clock = engine2.clock(&demo()).await.unwrap();
    assert_eq!(
        (clock.mode, clock.now_ms),
        (ClockMode::Manual, T0),
        "clock restored"
    );
    engine2.advance_clock(&demo(), 4_000).await.unwrap();
    let agents = engine2.store().agents(&demo()).await.unwrap();
    let state = |id: &str| agents.iter().find(|a| a.id == id).unwrap().state.clone();
    assert_eq!(
        state("1002"),
        AgentState::Available,
        "due at +3 s: fired after restart"
    );
    assert!(
        matches!(state("1001"), AgentState::WrapUp { .. }),
        "due at +5 s: still pending"
    );
}

#[tokio::test]
async fn an_illegal_transition_changes_nothing() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    let last = engine.events(&demo(), 0, 1000).await.unwrap().len();
    let err = engine
        .execute(
            &demo(),
            Op::SetAgentState {
                agent_id: "1001".into(),
                state: AgentState::Ringing,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::Domain(ccemu_core::DomainError::IllegalTransition { .. })
        ),
        "{err:?}"
    );
    assert_eq!(engine.events(&demo(), 0, 1000).await.unwrap().len(), last);
    let err = engine
        .execute(
            &demo(),
            Op::SetAgentState {
                agent_id: "nobody".into(),
                state: AgentState::Available,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::Domain(ccemu_core::DomainError::NotFound { .. })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn state_changes_are_logged_and_evented() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    engine
        .set_clock(&demo(), ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    set_state(&engine, "1003", AgentState::Available).await;
    engine.advance_clock(&demo(), 60_000).await.unwrap();
    set_state(
        &engine,
        "1003",
        AgentState::NotReady {
            reason: Some("lunch".into()),
        },
    )
    .await;
    let filter = ccemu_engine::StateLogFilter {
        agent_id: Some("1003".into()),
        limit: 100,
        ..Default::default()
    };
    let logs = engine.state_logs(&demo(), &filter).await.unwrap().items;
    assert_eq!(logs.len(), 2);
    let available = logs
        .iter()
        .find(|l| l.from == AgentState::Available)
        .unwrap();
    assert_eq!(
        (available.start_ms, available.end_ms, available.duration_ms),
        (T0, T0 + 60_000, 60_000)
    );
    let changes: Vec<_> = engine
        .events(&demo(), 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(&e.event, DomainEvent::AgentStateChanged { agent_id, .. } if agent_id == "1003"))
        .collect();
    assert_eq!(changes.len(), 2);
}

#[tokio::test]
async fn deleting_a_tenant_removes_every_row_and_leaves_others() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    let t = engine.create_tenant(Some("gone".into())).await.unwrap();
    engine
        .set_clock(&t.id, ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    assert!(engine.store().count_rows(&t.id).await.unwrap() > 1);
    engine.delete_tenant(&t.id).await.unwrap();
    assert_eq!(engine.store().count_rows(&t.id).await.unwrap(), 0);
    assert!(matches!(
        engine.tenant(&t.id),
        Err(EngineError::TenantNotFound)
    ));
    assert!(
        engine.store().count_rows(&demo()).await.unwrap() > 1,
        "demo untouched"
    );
}

#[tokio::test]
async fn a_tier_one_backup_is_offered_a_contact_only_when_no_tier_zero_member_is_free() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    engine
        .set_clock(&demo(), ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    // Support (9002): Carol and Dan at tier 0, Alice at tier 1. Alice is ready first, so the
    // longest-idle order alone would pick her.
    for agent in ["1001", "1003"] {
        set_state(&engine, agent, AgentState::Available).await;
    }
    let inbound = || Op::StartInbound {
        channel: ccemu_core::interaction::Channel::Voice,
        queue_id: "9002".into(),
        from: "+15550001111".into(),
        to: String::new(),
        priority: 0,
    };
    let agent_of = |out: OpOutput| match out {
        OpOutput::Interaction(i) => i.agent_id,
        other => panic!("unexpected output {other:?}"),
    };
    let first = engine.execute(&demo(), inbound()).await.unwrap();
    assert_eq!(agent_of(first).as_deref(), Some("1003"));
    // Carol is taken: the backup gets the next one.
    let second = engine.execute(&demo(), inbound()).await.unwrap();
    assert_eq!(agent_of(second).as_deref(), Some("1001"));
}

/// A vendor surface's own per-tenant state type, as a vendor crate would declare it.
#[derive(Default)]
struct Hits(std::sync::atomic::AtomicU64);

impl Hits {
    fn hit(&self) -> u64 {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
    }
}

#[tokio::test]
async fn vendor_state_is_per_engine_and_tenant_and_goes_with_a_reset_or_delete() {
    let (db_a, db_b) = (TestDb::new().await, TestDb::new().await);
    let (a, b) = (common::engine(&db_a).await, common::engine(&db_b).await);
    let demo = common::demo();
    assert_eq!(a.vendor_state::<Hits>(&demo).unwrap().hit(), 1);
    assert_eq!(a.vendor_state::<Hits>(&demo).unwrap().hit(), 2);
    // The same tenant id in another engine of this process has its own.
    assert_eq!(b.vendor_state::<Hits>(&demo).unwrap().hit(), 1);
    let other = a.create_tenant(None).await.unwrap();
    assert_eq!(a.vendor_state::<Hits>(&other.id).unwrap().hit(), 1);
    a.reset_tenant(&demo, None).await.unwrap();
    assert_eq!(a.vendor_state::<Hits>(&demo).unwrap().hit(), 1);
    a.delete_tenant(&other.id).await.unwrap();
    assert!(matches!(
        a.vendor_state::<Hits>(&other.id),
        Err(ccemu_engine::EngineError::TenantNotFound)
    ));
    assert_eq!(b.vendor_state::<Hits>(&demo).unwrap().hit(), 2);
}
