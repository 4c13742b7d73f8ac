//! Campaign lists changed after creation: contacts appended, changed and removed before they are
//! dialled, in a draft and in a running campaign.

mod common;
use common::{demo, engine, T0};

use ccemu_core::agent::AgentState;
use ccemu_core::campaign::CampaignContactStatus as S;
use ccemu_core::clock::ClockMode;
use ccemu_core::{Campaign, CampaignContact, DomainError};
use ccemu_engine::sim::{Duration, SimSettings};
use ccemu_engine::{CampaignAction, CampaignContactPatch, EngineError, Op, OpOutput};
use ccemu_store::testing::TestDb;
use serde_json::json;

fn contact(number: &str) -> CampaignContact {
    serde_json::from_value(json!({"id": "", "campaign_id": "", "phone_number": number})).unwrap()
}

#[tokio::test]
async fn contacts_added_changed_and_removed_are_dialled_accordingly() {
    let db = TestDb::new().await;
    let e = engine(&db).await;
    let t = demo();
    e.set_clock(&t, ClockMode::Manual, Some(T0)).await.unwrap();
    let sim = SimSettings {
        answer_delay_ms: 500,
        talk_time: Duration::fixed(2_000),
        wrap_up_ms: Some(0),
        dial_answer_rate: 1.0,
        dial_ring_time: Duration::fixed(1_000),
        ..SimSettings::default()
    };
    e.execute(&t, Op::PutSimSettings(sim)).await.unwrap();
    let op = Op::SetAgentState {
        agent_id: "1001".into(),
        state: AgentState::Available,
    };
    e.execute(&t, op).await.unwrap();
    let campaign: Campaign = serde_json::from_value(json!({
        "id": "c", "name": "c", "queue_id": "9002", "mode": "progressive", "concurrency_limit": 1
    }))
    .unwrap();
    let op = Op::CreateCampaign {
        campaign: Box::new(campaign),
        contacts: vec![contact("+15550000001"), contact("+15550000002")],
    };
    e.execute(&t, op).await.unwrap();
    let op = Op::AddCampaignContacts {
        campaign_id: "c".into(),
        contacts: vec![contact("+15550000003"), contact("+15550000004")],
    };
    let OpOutput::Campaign(view) = e.execute(&t, op).await.unwrap() else {
        panic!()
    };
    let ids: Vec<_> = view.contacts.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c.1", "c.2", "c.3", "c.4"]);
    // Removed while a draft: never joins the dialer.
    let op = Op::RemoveCampaignContact {
        campaign_id: "c".into(),
        contact_id: "c.2".into(),
    };
    assert!(matches!(
        e.execute(&t, op).await.unwrap(),
        OpOutput::Deleted
    ));
    let op = Op::UpdateCampaignContact {
        campaign_id: "c".into(),
        contact_id: "c.3".into(),
        patch: CampaignContactPatch {
            name: Some("Ann".into()),
            phone_number: Some("+15550000033".into()),
            ..Default::default()
        },
    };
    e.execute(&t, op).await.unwrap();
    let op = Op::ControlCampaign {
        campaign_id: "c".into(),
        action: CampaignAction::Start,
    };
    e.execute(&t, op).await.unwrap();
    // c.1 is dialling; c.4 is still upcoming and is removed while the campaign runs.
    let op = Op::RemoveCampaignContact {
        campaign_id: "c".into(),
        contact_id: "c.4".into(),
    };
    e.execute(&t, op).await.unwrap();
    for (contact_id, expected) in [
        ("c.1", "conflict"),
        ("c.2", "not found"),
        ("c.9", "not found"),
    ] {
        let op = Op::UpdateCampaignContact {
            campaign_id: "c".into(),
            contact_id: contact_id.into(),
            patch: CampaignContactPatch::default(),
        };
        let err = e.execute(&t, op).await.unwrap_err();
        let kind = match err {
            EngineError::Domain(DomainError::Conflict(_)) => "conflict",
            EngineError::Domain(DomainError::NotFound { .. }) => "not found",
            other => panic!("{other:?}"),
        };
        assert_eq!(kind, expected, "{contact_id}");
    }
    let op = Op::UpdateCampaignContact {
        campaign_id: "c".into(),
        contact_id: "c.3".into(),
        patch: CampaignContactPatch {
            phone_number: Some("not a number".into()),
            ..Default::default()
        },
    };
    assert!(e.execute(&t, op).await.is_err());
    for _ in 0..60 {
        e.advance_clock(&t, 1_000).await.unwrap();
    }
    let view = e.campaigns(&t).await.unwrap().remove(0);
    let got: Vec<_> = view
        .contacts
        .iter()
        .map(|c| (c.id.as_str(), c.status, c.attempts, c.phone_number.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("c.1", S::Finished, 1, "+15550000001"),
            ("c.2", S::SkippedAndClosed, 0, "+15550000002"),
            ("c.3", S::Finished, 1, "+15550000033"),
            ("c.4", S::SkippedAndClosed, 0, "+15550000004"),
        ]
    );
    assert!(view.exhausted);
    assert_eq!(view.contacts[2].name, "Ann");
    // A completed campaign takes no more contacts.
    let op = Op::AddCampaignContacts {
        campaign_id: "c".into(),
        contacts: vec![contact("+15550000005")],
    };
    assert!(e.execute(&t, op).await.is_err());
}
