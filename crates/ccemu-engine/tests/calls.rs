//! An agent's own outbound call on a manual clock, on the backend selected by
//! `CCEMU_TEST_BACKEND`: login and its preconditions, call mode, the originated call step by step
//! (agent leg, customer leg, talk, hang-up), hold, resume, transfer to a number, restarts.

mod common;
use common::{demo, engine, T0};

use std::collections::BTreeMap;

use ccemu_core::agent::{Agent, AgentState, CallMode};
use ccemu_core::campaign::DialOutcome;
use ccemu_core::clock::ClockMode;
use ccemu_core::event::DomainEvent;
use ccemu_core::interaction::{
    Channel, Direction, EndReason, EndedBy, Interaction, InteractionState, ParticipantKind,
    ParticipantState, TransferStatus,
};
use ccemu_core::DomainError;
use ccemu_engine::sim::SimSettings;
use ccemu_engine::{Engine, EngineError, NewExtension, Op, OpOutput, TransferTarget};
use ccemu_store::testing::TestDb;
use serde_json::json;

const CUSTOMER: &str = "+15550001111";

async fn exec(engine: &Engine, op: Op) -> Result<OpOutput, EngineError> {
    engine.execute(&demo(), op).await
}

fn interaction(output: OpOutput) -> Interaction {
    match output {
        OpOutput::Interaction(i) => *i,
        other => panic!("unexpected output {other:?}"),
    }
}

fn agent_of(output: OpOutput) -> Agent {
    match output {
        OpOutput::Agent(a) => *a,
        other => panic!("unexpected output {other:?}"),
    }
}

/// A manual clock at T0 and the given simulation settings.
async fn setup(engine: &Engine, sim: SimSettings) {
    engine
        .set_clock(&demo(), ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    exec(engine, Op::PutSimSettings(sim)).await.unwrap();
}

fn login(agent_id: &str) -> Op {
    Op::LoginAgent {
        agent_id: agent_id.into(),
        state: AgentState::Available,
        queue_ids: vec![],
        number: None,
    }
}

fn originate(agent_id: &str, to: &str) -> Op {
    let mut custom_data = BTreeMap::new();
    custom_data.insert(
        "user_data".to_owned(),
        json!([{"evt": "user_answer", "data": "1111111"}, {"evt": "agent_answer", "data": "22222"}]),
    );
    Op::Originate {
        agent_id: agent_id.into(),
        to: to.into(),
        from: None,
        custom_data,
    }
}

async fn last_seq(engine: &Engine) -> i64 {
    engine
        .events(&demo(), 0, 10_000)
        .await
        .unwrap()
        .last()
        .map_or(0, |e| e.seq)
}

/// Every event after `after` but the clock's own as `(at, kind, detail)`; the detail names what
/// the kind alone does not (the timer, the agent's new state, the end reason).
async fn steps(engine: &Engine, after: i64) -> Vec<(i64, String, String)> {
    engine
        .events(&demo(), after, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| !matches!(e.event, DomainEvent::ClockChanged { .. }))
        .map(|e| {
            let detail = match &e.event {
                DomainEvent::TimerFired { action, .. } => serde_json::to_value(action).unwrap()
                    ["type"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                DomainEvent::AgentStateChanged { agent_id, to, .. } => format!("{agent_id} {to}"),
                DomainEvent::InteractionEnded {
                    ended_by, reason, ..
                } => format!("{ended_by:?} {reason:?}"),
                DomainEvent::InteractionRinging { agent_id, .. }
                | DomainEvent::InteractionAnswered {
                    agent_id: Some(agent_id),
                    ..
                } => agent_id.clone(),
                DomainEvent::CustomerRinging { number, .. }
                | DomainEvent::CustomerAnswered { number, .. } => number.clone(),
                DomainEvent::InteractionTransferred { status, .. } => format!("{status:?}"),
                _ => String::new(),
            };
            (e.at_ms - T0, e.event.kind(), detail)
        })
        .collect()
}

fn step(at: i64, kind: &str, detail: &str) -> (i64, String, String) {
    (at, kind.to_owned(), detail.to_owned())
}

async fn stored(engine: &Engine, id: &str) -> Interaction {
    engine
        .interaction(&demo(), id)
        .await
        .unwrap()
        .expect("interaction stored")
}

async fn agent_state(engine: &Engine, id: &str) -> AgentState {
    engine.agents(&demo(), Some(id)).await.unwrap()[0]
        .agent
        .state
        .clone()
}

fn participant(i: &Interaction, kind: ParticipantKind) -> &ccemu_core::interaction::Participant {
    i.participants.iter().find(|p| p.kind == kind).unwrap()
}

#[tokio::test]
async fn an_originated_call_rings_the_agent_then_the_customer_then_talks_and_hangs_up() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    setup(&engine, SimSettings::default()).await;
    exec(&engine, login("1001")).await.unwrap();
    let before = last_seq(&engine).await;

    let call = interaction(exec(&engine, originate("1001", CUSTOMER)).await.unwrap());
    assert_eq!(call.state, InteractionState::Ringing);
    assert_eq!(
        (call.channel, call.direction),
        (Channel::Voice, Direction::Outbound)
    );
    assert_eq!(call.agent_id.as_deref(), Some("1001"));
    // No caller number asked for, none on the agent: the tenant's default relay number.
    assert_eq!(
        (call.from.as_str(), call.to.as_str()),
        ("+14155550100", CUSTOMER)
    );
    assert_eq!(
        call.custom_data["user_data"],
        json!([{"evt": "user_answer", "data": "1111111"}, {"evt": "agent_answer", "data": "22222"}])
    );
    assert_eq!(call.queue_id, None);
    assert_eq!(agent_state(&engine, "1001").await, AgentState::Ringing);

    // Agent answers after 2 s, the customer's phone rings 5 s, they talk 60 s.
    engine.advance_clock(&demo(), 2_000).await.unwrap();
    let talking = stored(&engine, &call.id).await;
    assert_eq!(talking.state, InteractionState::Connected);
    assert_eq!(
        participant(&talking, ParticipantKind::Customer).state,
        ParticipantState::Ringing
    );
    engine.advance_clock(&demo(), 5_000).await.unwrap();
    engine.advance_clock(&demo(), 60_000).await.unwrap();

    assert_eq!(
        steps(&engine, before).await,
        vec![
            step(0, "interaction.created", ""),
            step(0, "interaction.ringing", "1001"),
            step(0, "agent.state_changed", "1001 ringing"),
            step(2_000, "timer.fired", "sim_answer"),
            step(2_000, "interaction.answered", "1001"),
            step(2_000, "interaction.customer_ringing", CUSTOMER),
            step(2_000, "agent.state_changed", "1001 on_contact"),
            step(7_000, "timer.fired", "sim_dial_result"),
            step(7_000, "interaction.customer_answered", CUSTOMER),
            step(67_000, "timer.fired", "sim_hangup"),
            step(67_000, "interaction.ended", "Agent Normal"),
            step(67_000, "agent.state_changed", "1001 wrap_up"),
        ]
    );
    let ended = stored(&engine, &call.id).await;
    assert_eq!(ended.state, InteractionState::Ended);
    assert_eq!(
        (ended.ended_by, ended.end_reason),
        (Some(EndedBy::Agent), Some(EndReason::Normal))
    );
    assert_eq!(ended.answered_at_ms, Some(T0 + 2_000));
    assert_eq!(ended.ended_at_ms, Some(T0 + 67_000));
    let agent = participant(&ended, ParticipantKind::Agent);
    assert_eq!(
        (agent.agent_id.as_deref(), agent.connected_at_ms),
        (Some("1001"), Some(T0 + 2_000))
    );
    let customer = participant(&ended, ParticipantKind::Customer);
    assert_eq!(
        (customer.address.as_deref(), customer.connected_at_ms),
        (Some(CUSTOMER), Some(T0 + 7_000))
    );
    assert_eq!(ended.custom_data, call.custom_data);
    assert_eq!(
        agent_state(&engine, "1001").await,
        AgentState::WrapUp {
            until_ms: Some(T0 + 77_000)
        }
    );
}

#[tokio::test]
async fn a_callee_who_does_not_answer_ends_the_call_and_frees_the_agent() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    let mut sim = SimSettings {
        auto: false,
        wrap_up_ms: Some(0),
        ..SimSettings::default()
    };
    sim.dial_outcomes
        .insert(CUSTOMER.to_owned(), DialOutcome::NoAnswer);
    setup(&engine, sim).await;
    exec(&engine, login("1001")).await.unwrap();
    let call = interaction(exec(&engine, originate("1001", CUSTOMER)).await.unwrap());
    // Without `auto` nobody answers until test code does.
    engine.advance_clock(&demo(), 30_000).await.unwrap();
    assert_eq!(
        stored(&engine, &call.id).await.state,
        InteractionState::Ringing
    );
    let before = last_seq(&engine).await;
    let answered = interaction(
        exec(
            &engine,
            Op::Answer {
                agent_id: "1001".into(),
                interaction_id: None,
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(answered.id, call.id);
    assert_eq!(answered.state, InteractionState::Connected);
    engine.advance_clock(&demo(), 5_000).await.unwrap();
    assert_eq!(
        steps(&engine, before).await,
        vec![
            step(30_000, "interaction.answered", "1001"),
            step(30_000, "interaction.customer_ringing", CUSTOMER),
            step(30_000, "agent.state_changed", "1001 on_contact"),
            step(35_000, "timer.fired", "sim_dial_result"),
            step(35_000, "interaction.ended", "System NoAnswer"),
            step(35_000, "agent.state_changed", "1001 available"),
        ]
    );
    let ended = stored(&engine, &call.id).await;
    assert_eq!(
        (ended.state, ended.end_reason),
        (InteractionState::Ended, Some(EndReason::NoAnswer))
    );
    assert_eq!(
        participant(&ended, ParticipantKind::Customer).connected_at_ms,
        None
    );
}

#[tokio::test]
async fn unmet_preconditions_are_refused_and_change_nothing() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    setup(&engine, SimSettings::default()).await;
    let field = |r: Result<OpOutput, EngineError>| match r {
        Err(EngineError::Domain(DomainError::Invalid { field, .. })) => field,
        other => panic!("expected Invalid, got {other:?}"),
    };
    let before = last_seq(&engine).await;
    // Logged out; no such agent; blank number.
    assert_eq!(
        field(exec(&engine, originate("1001", CUSTOMER)).await),
        "agent_state"
    );
    assert!(matches!(
        exec(&engine, originate("7777", CUSTOMER)).await,
        Err(EngineError::Domain(DomainError::NotFound {
            kind: "agent",
            ..
        }))
    ));
    // 1002 holds no extension: no login, no voip mode.
    assert_eq!(field(exec(&engine, login("1002")).await), "extension");
    assert_eq!(
        field(
            exec(
                &engine,
                Op::SetCallMode {
                    agent_id: "1002".into(),
                    mode: CallMode::Voip,
                    number: None,
                }
            )
            .await
        ),
        "extension"
    );
    // 1003 has no mobile number: no cellphone mode without one.
    assert_eq!(
        field(
            exec(
                &engine,
                Op::SetCallMode {
                    agent_id: "1003".into(),
                    mode: CallMode::Cellphone,
                    number: None,
                }
            )
            .await
        ),
        "number"
    );
    assert_eq!(steps(&engine, before).await, vec![], "nothing happened");

    exec(&engine, login("1001")).await.unwrap();
    assert_eq!(field(exec(&engine, originate("1001", " ")).await), "to");
    let call = interaction(exec(&engine, originate("1001", CUSTOMER)).await.unwrap());
    // One call at a time.
    assert!(matches!(
        exec(&engine, originate("1001", CUSTOMER)).await,
        Err(EngineError::Domain(DomainError::Conflict(_)))
    ));
    // No hold before the customer is on the line.
    engine.advance_clock(&demo(), 2_000).await.unwrap();
    for op in [
        Op::Hold {
            interaction_id: call.id.clone(),
        },
        Op::Transfer {
            interaction_id: call.id.clone(),
            target: TransferTarget::Number("+15559990000".into()),
        },
    ] {
        assert!(matches!(
            exec(&engine, op).await,
            Err(EngineError::Domain(DomainError::Conflict(_)))
        ));
    }
    // While 1001 is on its own call the ACD offers it nothing: an inbound call to its queue
    // waits (1002, the other member, is logged out) and rings for 1001 once the call is over.
    let inbound = interaction(
        exec(
            &engine,
            Op::StartInbound {
                channel: Channel::Voice,
                queue_id: "9001".into(),
                from: "+15550003333".into(),
                to: "+14155550100".into(),
                priority: 0,
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(inbound.state, InteractionState::Queued);
    exec(
        &engine,
        Op::Hangup {
            interaction_id: call.id.clone(),
            by: EndedBy::Agent,
        },
    )
    .await
    .unwrap();
    // Wrap-up of 10 s, then the waiting call rings.
    engine.advance_clock(&demo(), 10_000).await.unwrap();
    let offered = stored(&engine, &inbound.id).await;
    assert_eq!(
        (offered.state, offered.agent_id.as_deref()),
        (InteractionState::Ringing, Some("1001"))
    );
}

#[tokio::test]
async fn caller_number_is_the_given_one_then_the_agents_then_the_tenants() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    setup(
        &engine,
        SimSettings {
            auto: false,
            ..SimSettings::default()
        },
    )
    .await;
    exec(&engine, login("1001")).await.unwrap();
    let mut op = originate("1001", CUSTOMER);
    if let Op::Originate { from, .. } = &mut op {
        *from = Some("+14155550999".into());
    }
    let call = interaction(exec(&engine, op).await.unwrap());
    assert_eq!(call.from, "+14155550999");

    // A tenant without relay numbers and no number asked for: nothing to call from.
    let other = engine.create_tenant(None).await.unwrap();
    let mut seat = Agent::new("10032", "Seat", 0);
    seat.work_id = "10032".into();
    engine
        .execute(
            &other.id,
            Op::CreateAgents {
                agents: vec![seat],
                extensions: vec![NewExtension {
                    id: "4567".into(),
                    number: "900000004567".into(),
                    agent_id: Some("10032".into()),
                }],
            },
        )
        .await
        .unwrap();
    engine.execute(&other.id, login("10032")).await.unwrap();
    let refused = engine
        .execute(&other.id, originate("10032", CUSTOMER))
        .await;
    assert!(
        matches!(
            refused,
            Err(EngineError::Domain(DomainError::Invalid {
                field: "from",
                ..
            }))
        ),
        "{refused:?}"
    );
    // The demo's call is not the other tenant's.
    assert!(engine
        .interaction(&other.id, &call.id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn hold_resume_and_transfer_to_a_number_then_the_outside_party_hangs_up() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    setup(&engine, SimSettings::default()).await;
    exec(&engine, login("1001")).await.unwrap();
    let call = interaction(exec(&engine, originate("1001", CUSTOMER)).await.unwrap());
    engine.advance_clock(&demo(), 7_000).await.unwrap();
    let before = last_seq(&engine).await;
    let held = interaction(
        exec(
            &engine,
            Op::Hold {
                interaction_id: call.id.clone(),
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(held.state, InteractionState::Held);
    engine.advance_clock(&demo(), 3_000).await.unwrap();
    let resumed = interaction(
        exec(
            &engine,
            Op::Resume {
                interaction_id: call.id.clone(),
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (resumed.state, resumed.hold_ms),
        (InteractionState::Connected, 3_000)
    );
    let moved = interaction(
        exec(
            &engine,
            Op::Transfer {
                interaction_id: call.id.clone(),
                target: TransferTarget::Number("+15559990000".into()),
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(moved.state, InteractionState::Connected);
    assert_eq!(moved.agent_id, None);
    let t = &moved.transfers[0];
    assert_eq!(
        (t.status, t.to_number.as_deref(), t.from_agent_id.as_deref()),
        (
            TransferStatus::Transferring,
            Some("+15559990000"),
            Some("1001")
        )
    );
    let agent = participant(&moved, ParticipantKind::Agent);
    assert_eq!(
        (agent.state, agent.left_reason),
        (ParticipantState::Left, Some(EndReason::TransferredOut))
    );
    // The number rings 5 s and picks up; the agent's own talk timer (due at 67 s) is stale; the
    // outside party talks 60 s from 15 s.
    engine.advance_clock(&demo(), 65_000).await.unwrap();
    let steps = steps(&engine, before).await;
    assert_eq!(
        steps,
        vec![
            step(7_000, "interaction.held", ""),
            step(10_000, "interaction.resumed", ""),
            step(10_000, "interaction.transferred", "Transferring"),
            step(10_000, "agent.state_changed", "1001 wrap_up"),
            step(15_000, "timer.fired", "sim_dial_result"),
            step(15_000, "interaction.transferred", "Completed"),
            step(20_000, "timer.fired", "agent_state_ends"),
            step(20_000, "agent.state_changed", "1001 available"),
            step(67_000, "timer.fired", "sim_hangup"),
            step(75_000, "timer.fired", "sim_hangup"),
            step(75_000, "interaction.ended", "Agent Normal"),
        ]
    );
    let ended = stored(&engine, &call.id).await;
    assert_eq!(ended.state, InteractionState::Ended);
    assert_eq!(ended.hold_ms, 3_000);
    assert_eq!(ended.transfers[0].status, TransferStatus::Completed);
}

#[tokio::test]
async fn a_number_that_does_not_take_the_transfer_fails_it_and_ends_the_call() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    let mut sim = SimSettings::default();
    sim.dial_outcomes
        .insert("+15559990000".to_owned(), DialOutcome::Busy);
    setup(&engine, sim).await;
    exec(&engine, login("1001")).await.unwrap();
    let call = interaction(exec(&engine, originate("1001", CUSTOMER)).await.unwrap());
    engine.advance_clock(&demo(), 7_000).await.unwrap();
    exec(
        &engine,
        Op::Transfer {
            interaction_id: call.id.clone(),
            target: TransferTarget::Number("+15559990000".into()),
        },
    )
    .await
    .unwrap();
    let before = last_seq(&engine).await;
    engine.advance_clock(&demo(), 5_000).await.unwrap();
    assert_eq!(
        steps(&engine, before).await,
        vec![
            step(12_000, "timer.fired", "sim_dial_result"),
            step(12_000, "interaction.transferred", "Failed"),
            step(12_000, "interaction.ended", "System Busy"),
        ]
    );
    let ended = stored(&engine, &call.id).await;
    assert_eq!(
        (ended.state, ended.end_reason, ended.transfers[0].status),
        (
            InteractionState::Ended,
            Some(EndReason::Busy),
            TransferStatus::Failed
        )
    );
}

#[tokio::test]
async fn an_originated_call_survives_restarts_at_each_step() {
    let db = TestDb::new().await;
    let first = engine(&db).await;
    setup(&first, SimSettings::default()).await;
    exec(&first, login("1001")).await.unwrap();
    let call = interaction(exec(&first, originate("1001", CUSTOMER)).await.unwrap());
    // Crash while the agent's phone rings: it rings on and the persisted timer answers it.
    drop(first);
    let second = engine(&db).await;
    assert_eq!(
        stored(&second, &call.id).await.state,
        InteractionState::Ringing
    );
    assert_eq!(agent_state(&second, "1001").await, AgentState::Ringing);
    second.advance_clock(&demo(), 2_000).await.unwrap();
    assert_eq!(
        stored(&second, &call.id).await.state,
        InteractionState::Connected
    );
    // Crash while the customer's phone rings.
    drop(second);
    let third = engine(&db).await;
    // The ACD knows 1001 is busy after the restart too: an inbound call to its queue waits.
    let inbound = interaction(
        exec(
            &third,
            Op::StartInbound {
                channel: Channel::Voice,
                queue_id: "9001".into(),
                from: "+15550003333".into(),
                to: "+14155550100".into(),
                priority: 0,
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(inbound.state, InteractionState::Queued);
    third.advance_clock(&demo(), 5_000).await.unwrap();
    let talking = stored(&third, &call.id).await;
    assert_eq!(
        participant(&talking, ParticipantKind::Customer).connected_at_ms,
        Some(T0 + 7_000)
    );
    third.advance_clock(&demo(), 60_000).await.unwrap();
    let ended = stored(&third, &call.id).await;
    assert_eq!(
        (ended.state, ended.ended_at_ms),
        (InteractionState::Ended, Some(T0 + 67_000))
    );
    assert_eq!(ended.custom_data, call.custom_data);
}

#[tokio::test]
async fn login_joins_queues_and_a_contact_number_sets_the_call_mode() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    setup(&engine, SimSettings::default()).await;
    let before = last_seq(&engine).await;
    let agent = agent_of(
        exec(
            &engine,
            Op::LoginAgent {
                agent_id: "1003".into(),
                state: AgentState::NotReady { reason: None },
                queue_ids: vec!["9001".into()],
                number: Some("13800000000".into()),
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(agent.state, AgentState::NotReady { reason: None });
    assert_eq!(
        (agent.call_mode, agent.phone.as_str()),
        (CallMode::Cellphone, "13800000000")
    );
    let queue = &engine.queues(&demo(), Some("9001")).await.unwrap()[0];
    assert!(queue.member("1003").is_some());
    // Logging in again in the same state changes nothing; the extension's number is voip.
    exec(
        &engine,
        Op::LoginAgent {
            agent_id: "1003".into(),
            state: AgentState::NotReady { reason: None },
            queue_ids: vec![],
            number: Some("8002".into()),
        },
    )
    .await
    .unwrap();
    let kinds: Vec<String> = steps(&engine, before)
        .await
        .into_iter()
        .map(|(_, kind, detail)| format!("{kind} {detail}"))
        .collect();
    assert_eq!(
        kinds,
        [
            "agent.call_mode_changed ",
            "queue.updated ",
            "agent.state_changed 1003 not_ready",
            "agent.call_mode_changed ",
        ]
    );
    let events = engine.events(&demo(), before, 100).await.unwrap();
    assert_eq!(
        events.last().unwrap().event,
        DomainEvent::AgentCallModeChanged {
            agent_id: "1003".into(),
            from: CallMode::Cellphone,
            to: CallMode::Voip,
            number: Some("8002".into()),
        }
    );
    // A number that is neither of the agent's extensions is no voip number.
    assert!(matches!(
        exec(
            &engine,
            Op::SetCallMode {
                agent_id: "1003".into(),
                mode: CallMode::Voip,
                number: Some("8001".into()),
            }
        )
        .await,
        Err(EngineError::Domain(DomainError::Invalid {
            field: "extension",
            ..
        }))
    ));
}

#[tokio::test]
async fn refusing_ones_own_ringing_call_ends_it_and_nothing_else_moves_the_agent_meanwhile() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    setup(
        &engine,
        SimSettings {
            auto: false,
            ..SimSettings::default()
        },
    )
    .await;
    exec(&engine, login("1001")).await.unwrap();
    let call = interaction(exec(&engine, originate("1001", CUSTOMER)).await.unwrap());
    // While its phone rings for its own call the agent cannot log out or change state.
    for state in [
        AgentState::LoggedOut,
        AgentState::NotReady { reason: None },
        AgentState::Available,
    ] {
        let refused = exec(
            &engine,
            Op::SetAgentState {
                agent_id: "1001".into(),
                state,
            },
        )
        .await;
        assert!(
            matches!(refused, Err(EngineError::Domain(DomainError::Conflict(_)))),
            "{refused:?}"
        );
    }
    assert_eq!(agent_state(&engine, "1001").await, AgentState::Ringing);
    let before = last_seq(&engine).await;
    let ended = interaction(
        exec(
            &engine,
            Op::Reject {
                agent_id: "1001".into(),
                interaction_id: Some(call.id.clone()),
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (ended.state, ended.ended_by, ended.answered_at_ms),
        (InteractionState::Failed, Some(EndedBy::Agent), None)
    );
    assert_eq!(
        steps(&engine, before).await,
        vec![
            step(0, "interaction.failed", ""),
            step(0, "agent.state_changed", "1001 available"),
        ]
    );
    // Never answered, so nothing to wrap up: the agent may call again at once.
    let again = interaction(exec(&engine, originate("1001", CUSTOMER)).await.unwrap());
    assert_eq!(again.state, InteractionState::Ringing);
}

#[tokio::test]
async fn an_inbound_call_transferred_to_a_number_ends_after_talk_time_even_across_a_restart() {
    let db = TestDb::new().await;
    let first = engine(&db).await;
    setup(&first, SimSettings::default()).await;
    exec(
        &first,
        Op::SetAgentState {
            agent_id: "1003".into(),
            state: AgentState::Available,
        },
    )
    .await
    .unwrap();
    let call = interaction(
        exec(
            &first,
            Op::StartInbound {
                channel: Channel::Voice,
                queue_id: "9002".into(),
                from: "+15550003333".into(),
                to: "+14155550100".into(),
                priority: 0,
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(call.agent_id.as_deref(), Some("1003"));
    // The simulated agent answers after 2 s; 3 s later it hands the caller to a number, which
    // rings 5 s; the engine restarts meanwhile.
    first.advance_clock(&demo(), 5_000).await.unwrap();
    // The routed answer put both legs on the line.
    let answered = stored(&first, &call.id).await;
    for kind in [ParticipantKind::Customer, ParticipantKind::Agent] {
        let p = participant(&answered, kind);
        assert_eq!(
            (p.state, p.connected_at_ms),
            (ParticipantState::Connected, Some(T0 + 2_000)),
            "{kind:?}"
        );
    }
    let moved = interaction(
        exec(
            &first,
            Op::Transfer {
                interaction_id: call.id.clone(),
                target: TransferTarget::Number("+15559990000".into()),
            },
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        (moved.state, moved.agent_id.as_deref()),
        (InteractionState::Connected, None)
    );
    assert_eq!(
        agent_state(&first, "1003").await,
        AgentState::WrapUp {
            until_ms: Some(T0 + 15_000)
        }
    );
    drop(first);
    let second = engine(&db).await;
    // The number picks up at 10 s; the agent's own talk timer (62 s) is stale; the number's
    // talk time ends the call at 70 s.
    second.advance_clock(&demo(), 65_000).await.unwrap();
    let ended = stored(&second, &call.id).await;
    assert_eq!(
        (ended.state, ended.ended_at_ms),
        (InteractionState::Ended, Some(T0 + 70_000))
    );
    assert_eq!(ended.transfers[0].status, TransferStatus::Completed);
    assert_eq!(
        ended.transfers[0].to_number.as_deref(),
        Some("+15559990000")
    );
    assert_eq!(agent_state(&second, "1003").await, AgentState::Available);
}

#[tokio::test]
async fn on_the_real_clock_callers_sent_together_all_hang_up_when_their_patience_runs_out() {
    // Calls queue with nobody ready and their callers hang up 2 ms later: the hang-ups fall due
    // while later calls wait to be taken, and fire in those calls' commits or their own.
    let db = TestDb::new().await;
    let first = engine(&db).await;
    first
        .set_clock(&demo(), ClockMode::Real, None)
        .await
        .unwrap();
    let sim = SimSettings {
        auto: false,
        patience: Some(ccemu_engine::sim::Duration::fixed(2)),
        ..SimSettings::default()
    };
    exec(&first, Op::PutSimSettings(sim)).await.unwrap();
    let mut ids = Vec::new();
    for round in 0..4 {
        let tasks: Vec<_> = (0..24)
            .map(|n| {
                let engine = first.clone();
                tokio::spawn(async move {
                    let op = Op::StartInbound {
                        channel: Channel::Voice,
                        queue_id: "9002".into(),
                        from: format!("+1555{round}{n:03}"),
                        to: "+14155550100".into(),
                        priority: 0,
                    };
                    interaction(exec(&engine, op).await.unwrap()).id
                })
            })
            .collect();
        for task in tasks {
            ids.push(task.await.unwrap());
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    // Wait for the outcome, not for a time: the last hang-ups are a few ms away.
    let mut open = ids.clone();
    for _ in 0..1000 {
        let mut still = Vec::new();
        for id in open {
            let i = first.interaction(&demo(), &id).await.unwrap().unwrap();
            if !i.state.is_terminal() {
                still.push(id);
            }
        }
        open = still;
        if open.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(open.is_empty(), "{} calls never ended", open.len());
    let fired = first
        .events(&demo(), 0, 100_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| matches!(e.event, DomainEvent::TimerFired { .. }))
        .count();
    assert_eq!(
        fired,
        ids.len(),
        "one patience timer per call, each fired once"
    );
    drop(first);
    let second = engine(&db).await;
    for id in &ids {
        let stored = second.interaction(&demo(), id).await.unwrap().unwrap();
        assert_eq!(stored.state, InteractionState::Abandoned, "{id}");
    }
    assert!(second.waiting(&demo(), "9002").await.unwrap().is_empty());
}
