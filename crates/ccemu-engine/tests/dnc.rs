//! The do-not-call list in the engine: entries are validated, survive a restart, and block
//! campaign dials, previews and agent-placed calls to listed numbers.

mod common;
use common::{demo, engine, T0};

use ccemu_core::agent::AgentState;
use ccemu_core::campaign::CampaignContactStatus;
use ccemu_core::clock::ClockMode;
use ccemu_core::{Campaign, CampaignContact, DncEntry, DomainError};
use ccemu_engine::sim::{Duration, SimSettings};
use ccemu_engine::{CampaignAction, EngineError, Op, OpOutput};
use ccemu_store::testing::TestDb;
use serde_json::json;

fn put(number: &str, expires_at_ms: Option<i64>) -> Op {
    Op::PutDncEntry {
        phone_number: number.into(),
        expires_at_ms,
    }
}

#[tokio::test]
async fn entries_are_created_updated_refused_removed_and_kept_across_restarts() {
    let db = TestDb::new().await;
    let e = engine(&db).await;
    e.set_clock(&demo(), ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    let out = e
        .execute(&demo(), put("+1-7187309219", None))
        .await
        .unwrap();
    let OpOutput::DncEntry { entry, created } = out else {
        panic!("{out:?}")
    };
    assert!(created);
    assert_eq!(entry.id, "+17187309219");
    let out = e
        .execute(&demo(), put("+1 718 730 9219", Some(T0 + 5_000)))
        .await
        .unwrap();
    let OpOutput::DncEntry { entry, created } = out else {
        panic!("{out:?}")
    };
    assert!(!created);
    assert_eq!(entry.phone_number, "+1-7187309219");
    assert_eq!(entry.expires_at_ms, Some(T0 + 5_000));
    for (op, field) in [
        (put("911", None), "phone_number"),
        (put("12ab", None), "phone_number"),
        (put("+15550001", Some(T0)), "expires_at"),
    ] {
        let err = e.execute(&demo(), op).await.unwrap_err();
        assert!(
            matches!(&err, EngineError::Domain(DomainError::Invalid { field: f, .. }) if *f == field),
            "{err:?}"
        );
    }
    e.shutdown().await;
    e.store().close().await;
    let e = engine(&db).await;
    let stored: Vec<DncEntry> = e.records(&demo()).await.unwrap();
    assert_eq!(stored.len(), 1);
    let op = Op::RemoveDncEntry {
        phone_number: "17187309219".into(),
    };
    // Without the `+` the number normalises differently: it was never listed.
    assert!(e.execute(&demo(), op).await.is_err());
    let op = Op::RemoveDncEntry {
        phone_number: "+1 (718) 730-9219".into(),
    };
    assert!(matches!(
        e.execute(&demo(), op).await.unwrap(),
        OpOutput::Deleted
    ));
    assert!(e.records::<DncEntry>(&demo()).await.unwrap().is_empty());
}

async fn campaign_with_listed_numbers(mode: &str) {
    let db = TestDb::new().await;
    let e = engine(&db).await;
    e.set_clock(&demo(), ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    let sim = SimSettings {
        answer_delay_ms: 500,
        talk_time: Duration::fixed(2_000),
        wrap_up_ms: Some(0),
        dial_answer_rate: 0.5,
        dial_ring_time: Duration::fixed(1_000),
        seed: 3,
        ..SimSettings::default()
    };
    e.execute(&demo(), Op::PutSimSettings(sim)).await.unwrap();
    for agent in ["1001", "1003", "1004"] {
        let op = Op::SetAgentState {
            agent_id: agent.into(),
            state: AgentState::Available,
        };
        e.execute(&demo(), op).await.unwrap();
    }
    e.execute(&demo(), put("+1 555 000 0003", None))
        .await
        .unwrap();
    e.execute(&demo(), put("+1-555-000-0007", None))
        .await
        .unwrap();
    // An entry that has lapsed blocks nothing.
    e.execute(&demo(), put("+15550000009", Some(T0 + 1)))
        .await
        .unwrap();
    e.advance_clock(&demo(), 10).await.unwrap();
    let campaign: Campaign = serde_json::from_value(
        json!({"id": "dnc", "name": "dnc", "queue_id": "9002", "mode": mode}),
    )
    .unwrap();
    let contacts: Vec<CampaignContact> = (0..10)
        .map(|i| {
            serde_json::from_value(
                json!({"id": "", "campaign_id": "", "phone_number": format!("+1555000000{i}")}),
            )
            .unwrap()
        })
        .collect();
    let op = Op::CreateCampaign {
        campaign: Box::new(campaign),
        contacts,
    };
    e.execute(&demo(), op).await.unwrap();
    let op = Op::ControlCampaign {
        campaign_id: "dnc".into(),
        action: CampaignAction::Start,
    };
    e.execute(&demo(), op).await.unwrap();
    for _ in 0..120 {
        e.advance_clock(&demo(), 1_000).await.unwrap();
    }
    let view = e.campaigns(&demo()).await.unwrap().remove(0);
    for (i, c) in view.contacts.iter().enumerate() {
        if i == 3 || i == 7 {
            assert_eq!(c.status, CampaignContactStatus::DoNotCall, "{mode} {c:?}");
            assert_eq!(c.attempts, 0, "{mode} {c:?}");
            assert_eq!(c.interaction_id, None, "{mode} {c:?}");
        } else {
            assert_ne!(c.status, CampaignContactStatus::DoNotCall, "{mode} {c:?}");
            assert!(c.status.is_final(), "{mode} {c:?}");
        }
    }
    assert!(view.exhausted, "{mode}");
}

#[tokio::test]
async fn a_progressive_campaign_never_dials_listed_numbers() {
    campaign_with_listed_numbers("progressive").await;
}

#[tokio::test]
async fn a_preview_campaign_never_shows_listed_numbers() {
    campaign_with_listed_numbers("preview").await;
}

#[tokio::test]
async fn jobs_are_numbered_per_tenant_and_the_numbering_survives_a_restart() {
    use ccemu_core::{Job, JobStatus};
    let db = TestDb::new().await;
    let e = engine(&db).await;
    let create = || Op::CreateJob(Box::new(Job::new("import", None, json!([1, 2]))));
    let OpOutput::Job(first) = e.execute(&demo(), create()).await.unwrap() else {
        panic!()
    };
    assert_eq!(first.id, "1");
    e.shutdown().await;
    e.store().close().await;
    let e = engine(&db).await;
    let OpOutput::Job(second) = e.execute(&demo(), create()).await.unwrap() else {
        panic!()
    };
    assert_eq!(second.id, "2");
    let mut done = *second;
    done.status = JobStatus::Finished;
    e.execute(&demo(), Op::UpdateJob(Box::new(done)))
        .await
        .unwrap();
    let stored: Job = e.record(&demo(), "2").await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.input),
        (JobStatus::Finished, json!([1, 2]))
    );
    let mut unknown = Job::new("import", None, json!(null));
    unknown.id = "3".into();
    assert!(e
        .execute(&demo(), Op::UpdateJob(Box::new(unknown)))
        .await
        .is_err());
}

#[tokio::test]
async fn an_agent_cannot_call_a_listed_number_until_it_lapses() {
    let db = TestDb::new().await;
    let e = engine(&db).await;
    e.set_clock(&demo(), ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    let sim = SimSettings {
        auto: false,
        ..SimSettings::default()
    };
    e.execute(&demo(), Op::PutSimSettings(sim)).await.unwrap();
    let login = Op::LoginAgent {
        agent_id: "1001".into(),
        state: AgentState::Available,
        queue_ids: vec![],
        number: None,
    };
    e.execute(&demo(), login).await.unwrap();
    e.execute(&demo(), put("+1 (415) 555-0100", Some(T0 + 1_000)))
        .await
        .unwrap();
    let call = || Op::Originate {
        agent_id: "1001".into(),
        to: "+14155550100".into(),
        from: None,
        custom_data: Default::default(),
    };
    let err = e.execute(&demo(), call()).await.unwrap_err();
    assert!(
        matches!(&err, EngineError::Domain(DomainError::Invalid { field: "to", reason }) if reason.contains("do-not-call")),
        "{err:?}"
    );
    e.advance_clock(&demo(), 1_000).await.unwrap();
    assert!(matches!(
        e.execute(&demo(), call()).await.unwrap(),
        OpOutput::Interaction(_)
    ));
}
