//! End users and interaction annotations: upsert of a contact by identifier (ids from 1, an
//! existing phone kept), annotating an open interaction (merge, removal, unknown contact), a
//! scheduled interaction, and contacts written to the store.

mod common;
use common::{demo, engine, T0};

use std::collections::BTreeMap;

use ccemu_core::clock::ClockMode;
use ccemu_core::interaction::{Channel, Interaction, InteractionState};
use ccemu_core::{Contact, DomainError};
use ccemu_engine::{Annotation, EngineError, Op, OpOutput};
use ccemu_store::testing::TestDb;
use serde_json::json;

fn upsert(identifier: &str, name: Option<&str>, phone: Option<&str>) -> Op {
    Op::UpsertContact {
        identifier: identifier.into(),
        name: name.map(Into::into),
        email: None,
        phone: phone.map(Into::into),
        external_id: None,
    }
}

fn contact(output: OpOutput) -> Contact {
    match output {
        OpOutput::Contact(c) => *c,
        other => panic!("unexpected output {other:?}"),
    }
}

fn interaction(output: OpOutput) -> Interaction {
    match output {
        OpOutput::Interaction(i) => *i,
        other => panic!("unexpected output {other:?}"),
    }
}

#[tokio::test]
async fn upsert_by_identifier_creates_then_updates_keeping_the_phone() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    let t = demo();
    let a = contact(
        engine
            .execute(&t, upsert("abc", Some("Joe"), Some("+1617")))
            .await
            .unwrap(),
    );
    assert_eq!((a.id.as_str(), a.identifier.as_deref()), ("1", Some("abc")));
    let b = contact(engine.execute(&t, upsert("xyz", None, None)).await.unwrap());
    assert_eq!(b.id, "2");
    let a2 = contact(
        engine
            .execute(&t, upsert("abc", Some("Joe S"), Some("+1999")))
            .await
            .unwrap(),
    );
    assert_eq!(a2.id, "1");
    assert_eq!((a2.name.as_str(), a2.phone.as_str()), ("Joe S", "+1617"));
    let err = engine
        .execute(&t, upsert("  ", None, None))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        EngineError::Domain(DomainError::Invalid {
            field: "identifier",
            ..
        })
    ));
    // The in-memory set is rebuilt from the store: a restart keeps numbering and matching.
    let stored = engine.contacts(&t, 0, 10).await.unwrap();
    assert_eq!(stored.total, 2);
    assert_eq!(stored.items.len(), 2);
}

#[tokio::test]
async fn after_a_restart_contacts_are_found_in_the_store_and_ids_continue() {
    let db = TestDb::new().await;
    let t = demo();
    let first = engine(&db).await;
    for identifier in ["a", "b", "c"] {
        first
            .execute(&t, upsert(identifier, None, None))
            .await
            .unwrap();
    }
    first.shutdown().await;
    // Nothing of them is loaded at start: each command reads the contact it names.
    let engine = engine(&db).await;
    let b = contact(
        engine
            .execute(&t, upsert("b", Some("Bea"), Some("+1617")))
            .await
            .unwrap(),
    );
    assert_eq!((b.id.as_str(), b.name.as_str()), ("2", "Bea"));
    let d = contact(engine.execute(&t, upsert("d", None, None)).await.unwrap());
    assert_eq!(d.id, "4");
    let b = contact(
        engine
            .execute(&t, upsert("b", None, Some("+1999")))
            .await
            .unwrap(),
    );
    assert_eq!((b.id.as_str(), b.phone.as_str()), ("2", "+1617"));
    let scheduled = |contact_id: &str| Op::ScheduleInteraction {
        channel: Channel::Voice,
        queue_id: Some("9001".into()),
        customer: "+1617".into(),
        scheduled_at_ms: i64::MAX / 2,
        note: Annotation {
            contact_id: Some(contact_id.into()),
            ..Annotation::default()
        },
    };
    let callback = interaction(engine.execute(&t, scheduled("3")).await.unwrap());
    assert_eq!(callback.contact_id.as_deref(), Some("3"));
    let err = engine.execute(&t, scheduled("99")).await.unwrap_err();
    assert!(
        matches!(&err, EngineError::Domain(DomainError::NotFound { kind: "contact", id }) if id == "99"),
        "{err:?}"
    );
    assert_eq!(engine.contacts(&t, 0, 10).await.unwrap().total, 4);
}

#[tokio::test]
async fn annotations_merge_remove_and_check_the_contact() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    let t = demo();
    engine
        .set_clock(&t, ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    let call = interaction(
        engine
            .execute(
                &t,
                Op::StartInbound {
                    channel: Channel::Voice,
                    queue_id: "9001".into(),
                    from: "+1555".into(),
                    to: "+1666".into(),
                    priority: 0,
                },
            )
            .await
            .unwrap(),
    );
    let c = contact(engine.execute(&t, upsert("abc", None, None)).await.unwrap());
    let note = |data: BTreeMap<String, serde_json::Value>, contact: Option<&str>| {
        Op::AnnotateInteraction {
            interaction_id: call.id.clone(),
            note: Annotation {
                lang: Some("es".into()),
                parent_id: None,
                contact_id: contact.map(Into::into),
                custom_data: data,
            },
        }
    };
    let data = BTreeMap::from([("a".to_owned(), json!(1)), ("b".to_owned(), json!(2))]);
    let i = interaction(engine.execute(&t, note(data, Some(&c.id))).await.unwrap());
    assert_eq!(i.lang.as_deref(), Some("es"));
    assert_eq!(i.contact_id.as_deref(), Some(c.id.as_str()));
    let data = BTreeMap::from([
        ("a".to_owned(), serde_json::Value::Null),
        ("c".to_owned(), json!(3)),
    ]);
    let i = interaction(engine.execute(&t, note(data, None)).await.unwrap());
    assert_eq!(
        i.custom_data,
        BTreeMap::from([("b".to_owned(), json!(2)), ("c".to_owned(), json!(3))])
    );
    let stored: Interaction = engine.interaction(&t, &call.id).await.unwrap().unwrap();
    assert_eq!(stored.custom_data, i.custom_data);
    let err = engine
        .execute(&t, note(BTreeMap::new(), Some("99")))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        EngineError::Domain(DomainError::NotFound {
            kind: "contact",
            ..
        })
    ));
    let err = engine
        .execute(
            &t,
            Op::AnnotateInteraction {
                interaction_id: "nope".into(),
                note: Annotation::default(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        EngineError::Domain(DomainError::NotFound {
            kind: "interaction",
            ..
        })
    ));
}

#[tokio::test]
async fn a_scheduled_interaction_waits_in_state_scheduled_and_must_be_in_the_future() {
    let db = TestDb::new().await;
    let engine = engine(&db).await;
    let t = demo();
    engine
        .set_clock(&t, ClockMode::Manual, Some(T0))
        .await
        .unwrap();
    let schedule = |at: i64, queue: &str| Op::ScheduleInteraction {
        channel: Channel::Voice,
        queue_id: Some(queue.into()),
        customer: "+1555".into(),
        scheduled_at_ms: at,
        note: Annotation::default(),
    };
    let i = interaction(
        engine
            .execute(&t, schedule(T0 + 60_000, "9001"))
            .await
            .unwrap(),
    );
    assert_eq!(i.state, InteractionState::Scheduled);
    assert_eq!(i.scheduled_at_ms, Some(T0 + 60_000));
    assert_eq!(i.queue_id.as_deref(), Some("9001"));
    let err = engine.execute(&t, schedule(T0, "9001")).await.unwrap_err();
    assert!(matches!(
        err,
        EngineError::Domain(DomainError::Invalid {
            field: "scheduled_at",
            ..
        })
    ));
    let err = engine
        .execute(&t, schedule(T0 + 1, "nope"))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        EngineError::Domain(DomainError::NotFound { kind: "queue", .. })
    ));
}

/// Ops sent together are applied one after another and committed as a group: an upsert sees the
/// contact as the ops before it in its group left it, not the store's older copy (the first phone
/// given is kept, so every answer carries the same one), a refused op takes nothing with it, and
/// every acknowledged write is there after a restart.
#[tokio::test]
async fn ops_sent_together_commit_as_a_group_in_which_each_sees_the_ones_before() {
    let db = TestDb::new().await;
    let first = engine(&db).await;
    let t = demo();
    let created = contact(first.execute(&t, upsert("same", None, None)).await.unwrap());
    let tasks: Vec<_> = (0..48)
        .map(|n| {
            let (engine, t) = (first.clone(), t.clone());
            tokio::spawn(async move {
                let op = if n % 4 == 3 {
                    upsert(" ", None, None)
                } else {
                    let phone = format!("+1555{n:04}");
                    upsert("same", Some(&format!("name {n}")), Some(&phone))
                };
                (n, engine.execute(&t, op).await)
            })
        })
        .collect();
    let mut phones = std::collections::BTreeSet::new();
    let mut names = Vec::new();
    for task in tasks {
        let (n, result) = task.await.unwrap();
        if n % 4 == 3 {
            assert!(
                matches!(
                    result,
                    Err(EngineError::Domain(DomainError::Invalid { .. }))
                ),
                "{n}: {result:?}"
            );
        } else {
            let c = contact(result.unwrap());
            assert_eq!(c.id, created.id);
            phones.insert(c.phone);
            names.push(c.name);
        }
    }
    assert_eq!(phones.len(), 1, "the first phone given is kept: {phones:?}");
    let events = first.events(&t, 0, 10_000).await.unwrap();
    let count = |created: bool| {
        events
            .iter()
            .filter(|e| match e.event {
                ccemu_core::event::DomainEvent::ContactCreated { .. } => created,
                ccemu_core::event::DomainEvent::ContactUpdated { .. } => !created,
                _ => false,
            })
            .count()
    };
    assert_eq!((count(true), count(false)), (1, 36));
    drop(first);
    let second = engine(&db).await;
    let stored = second
        .contact(
            &t,
            &ccemu_store::query::ContactKey::Identifier("same".into()),
        )
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(Some(&stored.phone), phones.first());
    assert!(names.contains(&stored.name), "{}", stored.name);
    let next = contact(
        second
            .execute(&t, upsert("other", None, None))
            .await
            .unwrap(),
    );
    assert_eq!(next.id, "2", "ids go on after the group's");
}
