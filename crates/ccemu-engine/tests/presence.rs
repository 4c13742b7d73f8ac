//! Logging agents out on request (`Op::LogoutAgent`) on a manual clock: at once when free, after
//! the last contact when busy, on the backend selected by `CCEMU_TEST_BACKEND`.

mod common;
use common::{demo, engine, T0};

use ccemu_core::agent::{AgentState, AgentStateLog};
use ccemu_core::clock::ClockMode;
use ccemu_core::interaction::{Channel, EndedBy};
use ccemu_engine::sim::SimSettings;
use ccemu_engine::{Engine, Op, OpOutput};
use ccemu_store::testing::TestDb;

async fn exec(engine: &Engine, op: Op) -> OpOutput {
    engine.execute(&demo(), op).await.unwrap()
}

async fn agent(engine: &Engine, id: &str) -> ccemu_core::Agent {
    engine.agents(&demo(), Some(id)).await.unwrap()[0]
        .agent
        .clone()
}

fn logout(id: &str) -> Op {
    Op::LogoutAgent {
        agent_id: id.into(),
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
    exec(engine, Op::PutSimSettings(sim)).await;
}

#[tokio::test]
async fn a_free_agent_leaves_at_once_and_a_logged_out_one_stays_out() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    setup(&engine).await;
    exec(
        &engine,
        Op::SetAgentState {
            agent_id: "1002".into(),
            state: AgentState::Available,
        },
    )
    .await;
    exec(&engine, logout("1002")).await;
    assert_eq!(agent(&engine, "1002").await.state, AgentState::LoggedOut);
    let OpOutput::Agent(a) = exec(&engine, logout("1002")).await else {
        panic!("agent expected")
    };
    assert_eq!(a.state, AgentState::LoggedOut);
    assert!(!a.logout_after_contact);
    let err = engine.execute(&demo(), logout("77")).await.unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
}

#[tokio::test]
async fn a_busy_agent_leaves_when_its_contact_ends_without_wrapping_up() {
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
    .await;
    let OpOutput::Interaction(call) = exec(
        &engine,
        Op::StartInbound {
            channel: Channel::Voice,
            queue_id: "9002".into(),
            from: "+15550001111".into(),
            to: "+14155550100".into(),
            priority: 0,
        },
    )
    .await
    else {
        panic!("interaction expected")
    };
    exec(
        &engine,
        Op::Answer {
            agent_id: "1003".into(),
            interaction_id: None,
        },
    )
    .await;
    exec(&engine, logout("1003")).await;
    let carol = agent(&engine, "1003").await;
    assert_eq!(carol.state, AgentState::OnContact);
    assert!(carol.logout_after_contact);
    // The mark is stored with the agent, so it survives a restart while the contact lasts.
    engine.shutdown().await;
    let engine = common::engine(&db).await;
    assert!(agent(&engine, "1003").await.logout_after_contact);
    engine.advance_clock(&demo(), 1_000).await.unwrap();
    exec(
        &engine,
        Op::Hangup {
            interaction_id: call.id.clone(),
            by: EndedBy::Customer,
        },
    )
    .await;
    let carol = agent(&engine, "1003").await;
    assert_eq!(carol.state, AgentState::LoggedOut);
    assert!(!carol.logout_after_contact);
    let filter = ccemu_engine::StateLogFilter {
        agent_id: Some("1003".into()),
        limit: 1000,
        ..Default::default()
    };
    let logs: Vec<AgentStateLog> = engine.state_logs(&demo(), &filter).await.unwrap().items;
    let last = logs
        .iter()
        .filter(|l| l.agent_id == "1003")
        .max_by_key(|l| l.end_ms)
        .unwrap();
    assert_eq!(last.to, AgentState::LoggedOut);
    assert!(logs
        .iter()
        .all(|l| l.agent_id != "1003" || !matches!(l.to, AgentState::WrapUp { .. })));
}

#[tokio::test]
async fn an_agent_on_its_own_call_leaves_when_the_call_ends() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    setup(&engine).await;
    for (agent_id, to) in [("1001", "+15550000001"), ("1003", "+15550000003")] {
        exec(
            &engine,
            Op::SetAgentState {
                agent_id: agent_id.into(),
                state: AgentState::Available,
            },
        )
        .await;
        let OpOutput::Interaction(call) = exec(
            &engine,
            Op::Originate {
                agent_id: agent_id.into(),
                to: to.into(),
                from: None,
                custom_data: Default::default(),
            },
        )
        .await
        else {
            panic!("interaction expected")
        };
        // Refused before: only the call may move an agent on its own call.
        exec(&engine, logout(agent_id)).await;
        let a = agent(&engine, agent_id).await;
        assert!(a.logout_after_contact, "{agent_id}");
        assert!(a.state.is_logged_in(), "{agent_id}");
        if agent_id == "1003" {
            // Answered first: the call ends after talking, not while it rings.
            exec(
                &engine,
                Op::Answer {
                    agent_id: agent_id.into(),
                    interaction_id: Some(call.id.clone()),
                },
            )
            .await;
        }
        engine.advance_clock(&demo(), 1_000).await.unwrap();
        exec(
            &engine,
            Op::Hangup {
                interaction_id: call.id.clone(),
                by: EndedBy::Agent,
            },
        )
        .await;
        let a = agent(&engine, agent_id).await;
        assert_eq!(a.state, AgentState::LoggedOut, "{agent_id}");
        assert!(!a.logout_after_contact, "{agent_id}");
    }
}

fn jobs_entry(value: serde_json::Value) -> ccemu_engine::SettingsEntry {
    ccemu_engine::SettingsEntry {
        settings_id: "jobs".into(),
        value,
        keep: 2,
    }
}

async fn jobs_record(engine: &Engine) -> Option<ccemu_core::SurfaceSettings> {
    engine.record(&demo(), "jobs").await.unwrap()
}

#[tokio::test]
async fn logging_out_several_files_the_record_in_the_same_command_all_or_none() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    setup(&engine).await;
    let available = |id: &str| Op::SetAgentState {
        agent_id: id.into(),
        state: AgentState::Available,
    };
    exec(&engine, available("1001")).await;
    exec(&engine, available("1002")).await;
    // An unknown agent refuses the whole command: nobody leaves, nothing is filed.
    let op = Op::LogoutAgents {
        agent_ids: vec!["1001".into(), "77".into()],
        record: Some(jobs_entry(serde_json::json!("a"))),
    };
    assert!(engine.execute(&demo(), op).await.is_err());
    assert_eq!(agent(&engine, "1001").await.state, AgentState::Available);
    assert!(jobs_record(&engine).await.is_none());
    let op = |id: &str, v: &str| Op::LogoutAgents {
        agent_ids: vec![id.into()],
        record: Some(jobs_entry(serde_json::json!(v))),
    };
    let OpOutput::LoggedOut { record } = exec(&engine, op("1001", "a")).await else {
        panic!("logged out expected")
    };
    assert_eq!(record, Some(1));
    assert_eq!(agent(&engine, "1001").await.state, AgentState::LoggedOut);
    // The numbering continues from the stored record after a restart.
    engine.shutdown().await;
    let engine = common::engine(&db).await;
    for (id, v, n) in [("1002", "b", 2), ("1003", "c", 3)] {
        let OpOutput::LoggedOut { record } = exec(&engine, op(id, v)).await else {
            panic!("logged out expected")
        };
        assert_eq!(record, Some(n));
    }
    assert_eq!(agent(&engine, "1002").await.state, AgentState::LoggedOut);
    // Only the newest `keep` entries stay.
    let values = jobs_record(&engine).await.unwrap().values;
    let kept: Vec<(&str, &serde_json::Value)> =
        values.iter().map(|(k, v)| (k.as_str(), v)).collect();
    assert_eq!(
        kept,
        [
            ("2", &serde_json::json!("b")),
            ("3", &serde_json::json!("c"))
        ]
    );
}
