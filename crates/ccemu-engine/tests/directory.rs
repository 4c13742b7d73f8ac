//! Directory ops on the backend selected by `CCEMU_TEST_BACKEND`: agents, extensions, queues
//! and memberships, their refusals, their events, routing and restarts.

mod common;
use common::{demo, engine};

use ccemu_core::agent::{Agent, AgentState};
use ccemu_core::event::DomainEvent;
use ccemu_core::interaction::{Channel, InteractionState};
use ccemu_core::{DomainError, Queue, RoutingStrategy};
use ccemu_engine::{
    AgentPatch, Engine, EngineError, NewExtension, Op, OpOutput, QueueLimits, QueuePatch,
};
use ccemu_store::testing::TestDb;

const LIMITS: QueueLimits = QueueLimits {
    max_length: 512,
    max_queues: 100,
};

fn ext(id: &str, agent: Option<&str>) -> NewExtension {
    NewExtension {
        id: id.into(),
        number: format!("9123456789{id}"),
        agent_id: agent.map(str::to_owned),
    }
}

async fn run(engine: &Engine, op: Op) -> Result<OpOutput, EngineError> {
    engine.execute(&demo(), op).await
}

fn domain(result: Result<OpOutput, EngineError>) -> DomainError {
    match result {
        Err(EngineError::Domain(e)) => e,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

async fn agent_ids(engine: &Engine) -> Vec<String> {
    let views = engine.agents(&demo(), None).await.unwrap();
    views.into_iter().map(|v| v.agent.id).collect()
}

#[tokio::test]
async fn create_agents_is_all_or_nothing_and_generates_extension_passwords() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    let before = agent_ids(&engine).await;
    // The second agent repeats an existing id: neither is created.
    let refused = run(
        &engine,
        Op::CreateAgents {
            agents: vec![Agent::new("199", "Li", 0), Agent::new("1001", "Again", 0)],
            extensions: vec![ext("2457", Some("199"))],
        },
    )
    .await;
    assert_eq!(
        domain(refused),
        DomainError::AlreadyExists {
            kind: "agent",
            id: "1001".into()
        }
    );
    assert_eq!(agent_ids(&engine).await, before);
    assert!(engine
        .extensions(&demo())
        .await
        .unwrap()
        .iter()
        .all(|e| e.id != "2457"));

    let out = run(
        &engine,
        Op::CreateAgents {
            agents: vec![Agent::new("199", "Li", 0), Agent::new("200", "Qian", 0)],
            extensions: vec![ext("2457", Some("199"))],
        },
    )
    .await
    .unwrap();
    let OpOutput::Provisioned { agents, extensions } = out else {
        panic!("unexpected output");
    };
    assert_eq!(agents.len(), 2);
    assert_eq!(agents[0].state, AgentState::LoggedOut);
    assert_eq!(extensions.len(), 1);
    assert_eq!(extensions[0].password.len(), 16);
    assert!(extensions[0]
        .password
        .bytes()
        .all(|b| b.is_ascii_hexdigit()));
    let view = engine.agents(&demo(), Some("199")).await.unwrap().remove(0);
    assert_eq!(view.extensions[0].id, "2457");
    let events = engine.events(&demo(), 0, 1000).await.unwrap();
    let created: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.event {
            DomainEvent::AgentCreated { agent_id } => Some(agent_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(created, ["199", "200"]);
    // An extension number that exists already is refused as such.
    let dup = run(&engine, Op::CreateExtension(ext("2457", None))).await;
    assert_eq!(
        domain(dup),
        DomainError::AlreadyExists {
            kind: "extension",
            id: "2457".into()
        }
    );
}

#[tokio::test]
async fn deletes_are_refused_while_something_is_bound() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    // 1001 is in queues 9001/9002 and holds extension 8001.
    assert!(matches!(
        domain(
            run(
                &engine,
                Op::DeleteAgent {
                    agent_id: "1001".into(),
                    delete_extensions: true
                }
            )
            .await
        ),
        DomainError::InUse { kind: "agent", .. }
    ));
    assert!(matches!(
        domain(
            run(
                &engine,
                Op::DeleteExtension {
                    extension_id: "8001".into()
                }
            )
            .await
        ),
        DomainError::InUse {
            kind: "extension",
            ..
        }
    ));
    assert!(matches!(
        domain(
            run(
                &engine,
                Op::DeleteQueue {
                    queue_id: "9001".into()
                }
            )
            .await
        ),
        DomainError::InUse { kind: "queue", .. }
    ));
    // Out of its queues, 1001 still holds 8001: refused without the flag, deleted with it.
    run(
        &engine,
        Op::RemoveQueueMembers {
            queue_ids: vec!["9001".into(), "9002".into()],
            agent_ids: vec!["1001".into()],
        },
    )
    .await
    .unwrap();
    let delete = |flag| Op::DeleteAgent {
        agent_id: "1001".into(),
        delete_extensions: flag,
    };
    assert!(matches!(
        domain(run(&engine, delete(false)).await),
        DomainError::InUse { kind: "agent", .. }
    ));
    run(&engine, delete(true)).await.unwrap();
    assert!(!agent_ids(&engine).await.contains(&"1001".to_owned()));
    let exts = engine.extensions(&demo()).await.unwrap();
    assert!(exts.iter().all(|e| e.id != "8001"));
    assert!(matches!(
        domain(run(&engine, delete(true)).await),
        DomainError::NotFound { kind: "agent", .. }
    ));
}

#[tokio::test]
async fn an_agent_binds_at_most_two_extensions() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    for id in ["2345", "9527", "9528"] {
        run(&engine, Op::CreateExtension(ext(id, None)))
            .await
            .unwrap();
    }
    let bind = |agent: &str, ids: &[&str]| Op::BindExtensions {
        agent_id: agent.into(),
        extension_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
    };
    run(&engine, bind("1002", &["2345", "9527"])).await.unwrap();
    assert!(matches!(
        domain(run(&engine, bind("1002", &["9528"])).await),
        DomainError::LimitExceeded(_)
    ));
    // Held by 1002, so 1004 cannot have it; an unknown extension is not found.
    assert!(matches!(
        domain(run(&engine, bind("1004", &["2345"])).await),
        DomainError::InUse { .. }
    ));
    assert!(matches!(
        domain(run(&engine, bind("1004", &["7777"])).await),
        DomainError::NotFound {
            kind: "extension",
            ..
        }
    ));
    run(
        &engine,
        Op::UnbindExtensions {
            agent_id: "1002".into(),
            extension_ids: vec!["2345".into()],
        },
    )
    .await
    .unwrap();
    let view = engine
        .agents(&demo(), Some("1002"))
        .await
        .unwrap()
        .remove(0);
    let held: Vec<&str> = view.extensions.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(held, ["9527"]);
    run(
        &engine,
        Op::DeleteExtension {
            extension_id: "2345".into(),
        },
    )
    .await
    .unwrap();
    let events = engine.events(&demo(), 0, 1000).await.unwrap();
    let of_2345: Vec<&DomainEvent> = events
        .iter()
        .map(|e| &e.event)
        .filter(|e| match e {
            DomainEvent::ExtensionCreated { extension_id }
            | DomainEvent::ExtensionUpdated { extension_id, .. }
            | DomainEvent::ExtensionDeleted { extension_id } => extension_id == "2345",
            _ => false,
        })
        .collect();
    let bound = |agent: Option<&str>| DomainEvent::ExtensionUpdated {
        extension_id: "2345".into(),
        agent_id: agent.map(str::to_owned),
    };
    assert_eq!(
        of_2345,
        [
            &DomainEvent::ExtensionCreated {
                extension_id: "2345".into()
            },
            &bound(Some("1002")),
            &bound(None),
            &DomainEvent::ExtensionDeleted {
                extension_id: "2345".into()
            },
        ]
    );
}

#[tokio::test]
async fn a_new_queue_and_a_new_member_route_calls_and_survive_a_restart() {
    let db = TestDb::new().await;
    let engine1 = engine(&db).await;
    run(
        &engine1,
        Op::CreateAgents {
            agents: vec![Agent::new("7001", "New", 0)],
            extensions: vec![],
        },
    )
    .await
    .unwrap();
    run(
        &engine1,
        Op::CreateQueue {
            queue: Box::new(Queue::new("9009", "New queue", 0)),
            limits: LIMITS,
        },
    )
    .await
    .unwrap();
    run(
        &engine1,
        Op::UpdateQueue {
            queue_id: "9009".into(),
            patch: QueuePatch {
                strategy: Some(RoutingStrategy::RoundRobin),
                timeout_secs: Some(120),
                ..QueuePatch::default()
            },
            limits: LIMITS,
        },
    )
    .await
    .unwrap();
    run(
        &engine1,
        Op::UpdateAgent {
            agent_id: "7001".into(),
            patch: AgentPatch {
                name: Some("Renamed".into()),
                ..AgentPatch::default()
            },
        },
    )
    .await
    .unwrap();
    // The agent is ready before it joins: joining alone must let the waiting call ring.
    run(
        &engine1,
        Op::SetAgentState {
            agent_id: "7001".into(),
            state: AgentState::Available,
        },
    )
    .await
    .unwrap();
    let call = run(
        &engine1,
        Op::StartInbound {
            channel: Channel::Voice,
            queue_id: "9009".into(),
            from: "+15550001".into(),
            to: "+14155550100".into(),
            priority: 0,
        },
    )
    .await
    .unwrap();
    let OpOutput::Interaction(call) = call else {
        panic!("unexpected output");
    };
    assert_eq!(call.state, InteractionState::Queued);
    let added = run(
        &engine1,
        Op::AddQueueMembers {
            queue_ids: vec!["9009".into()],
            agent_ids: vec!["7001".into()],
        },
    )
    .await
    .unwrap();
    let OpOutput::Queues(queues) = added else {
        panic!("unexpected output");
    };
    assert_eq!(queues[0].members[0].agent_id, "7001");
    let view = engine1
        .agents(&demo(), Some("7001"))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(view.agent.state, AgentState::Ringing);
    assert_eq!(view.agent.name, "Renamed");
    assert_eq!(view.queues, [("9009".to_owned(), "New queue".to_owned())]);
    // The view says what the agent works on, without reading the interaction itself.
    assert_eq!(view.contacts.len(), 1, "{:?}", view.contacts);
    assert_eq!(
        (
            view.contacts[0].interaction_id.as_str(),
            view.contacts[0].number,
            view.contacts[0].channel
        ),
        (call.id.as_str(), call.number, Channel::Voice)
    );
    assert!(matches!(
        view.contacts[0].state,
        InteractionState::Offered | InteractionState::Ringing
    ));
    let others = engine1.agents(&demo(), None).await.unwrap();
    assert!(others
        .iter()
        .filter(|v| v.agent.id != "7001")
        .all(|v| v.contacts.is_empty()));
    // Another 100 - 3 queues fit; the 101st does not.
    for n in 0..97 {
        run(
            &engine1,
            Op::CreateQueue {
                queue: Box::new(Queue::new(format!("8{n:03}"), "Q", 0)),
                limits: LIMITS,
            },
        )
        .await
        .unwrap();
    }
    assert!(matches!(
        domain(
            run(
                &engine1,
                Op::CreateQueue {
                    queue: Box::new(Queue::new("9999", "Q", 0)),
                    limits: LIMITS,
                },
            )
            .await
        ),
        DomainError::LimitExceeded(_)
    ));
    // Each change was announced, in order.
    let kinds: Vec<String> = engine1
        .events(&demo(), 0, 10_000)
        .await
        .unwrap()
        .iter()
        .map(|e| {
            serde_json::to_value(&e.event).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .filter(|k| {
            k.starts_with("agent.") && k != "agent.state_changed" || k.starts_with("queue.")
        })
        .take(4)
        .collect();
    assert_eq!(
        kinds,
        [
            "agent.created",
            "queue.created",
            "queue.updated",
            "agent.updated"
        ]
    );
    drop(engine1);
    let engine2 = engine(&db).await;
    let q = engine2
        .queues(&demo(), Some("9009"))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        (q.strategy, q.timeout_secs, q.members.len()),
        (RoutingStrategy::RoundRobin, 120, 1)
    );
    let view = engine2
        .agents(&demo(), Some("7001"))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(view.agent.name, "Renamed");
    // Still ringing after the restart, and still shown on the agent.
    assert_eq!(view.contacts.len(), 1);
    assert_eq!(view.contacts[0].number, call.number);
    // Teams and skills are answered from memory, loaded again at start.
    let teams = engine2.teams(&demo()).await.unwrap();
    assert!(!teams.is_empty());
    let ids: Vec<&str> = teams.iter().map(|t| t.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert!(!engine2.skills(&demo()).await.unwrap().is_empty());
}
