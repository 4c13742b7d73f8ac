//! The store against the backend selected by `CCEMU_TEST_BACKEND`; CI runs this file on both.

use ccemu_core::clock::{Clock, ClockMode};
use ccemu_core::event::{DomainEvent, EventRecord};
use ccemu_core::tenant::*;
use ccemu_core::timer::{Timer, TimerAction};
use ccemu_store::testing::{tenant, TestDb};
use ccemu_store::{Changes, Document, Store};

fn doc(kind: &str, id: &str, n: i64) -> Document {
    Document {
        kind: kind.into(),
        id: id.into(),
        data: serde_json::json!({ "id": id, "n": n }),
    }
}

async fn store() -> (TestDb, Store) {
    let db = TestDb::new().await;
    let store = Store::connect(&db.url).await.expect("connect");
    assert_eq!(store.backend(), db.backend);
    (db, store)
}

#[tokio::test]
async fn tenant_round_trips_with_credentials_and_clock() {
    let (_db, store) = store().await;
    let t = tenant("t1");
    let clock = Clock {
        mode: ClockMode::Manual,
        offset_ms: 0,
        frozen_ms: 42,
    };
    assert!(store.insert_tenant(&t, &clock).await.unwrap());
    assert!(
        !store.insert_tenant(&t, &clock).await.unwrap(),
        "duplicate id must be refused"
    );
    let got = store.get_tenant(&t.id).await.unwrap().unwrap();
    assert_eq!(got.tenant, t);
    assert_eq!(got.clock, clock);
    assert_eq!(store.list_tenants().await.unwrap().len(), 1);
    assert!(store
        .get_tenant(&TenantId::parse("nope").unwrap())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn commit_writes_documents_events_timers_and_clock_atomically() {
    let (_db, store) = store().await;
    let t = tenant("t1");
    store.insert_tenant(&t, &Clock::default()).await.unwrap();
    let mut changes = Changes::default();
    changes.puts.push(doc("note", "a1", 1));
    changes.puts.push(doc("note", "a2", 2));
    changes.events.push(EventRecord {
        seq: 1,
        at_ms: 10,
        event: DomainEvent::TenantCreated { name: "x".into() },
    });
    changes.events.push(EventRecord {
        seq: 2,
        at_ms: 11,
        event: DomainEvent::TenantReset,
    });
    changes.timers_armed.push(Timer {
        id: 1,
        due_ms: 500,
        action: TimerAction::AgentStateEnds {
            agent_id: "a1".into(),
        },
    });
    changes.timers_armed.push(Timer {
        id: 2,
        due_ms: 100,
        action: TimerAction::AgentStateEnds {
            agent_id: "a2".into(),
        },
    });
    changes.clock = Some(Clock {
        mode: ClockMode::Manual,
        offset_ms: 0,
        frozen_ms: 7,
    });
    store.commit(&t.id, &changes).await.unwrap();

    let docs = store.documents(&t.id).await.unwrap();
    assert_eq!(docs, vec![doc("note", "a1", 1), doc("note", "a2", 2)]);
    let events = store.list_events(&t.id, 0, 10).await.unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(events[1].event, DomainEvent::TenantReset);
    assert_eq!(store.list_events(&t.id, 1, 10).await.unwrap().len(), 1);
    assert_eq!(store.last_event_seq(&t.id).await.unwrap(), 2);
    let timers = store.list_timers(&t.id).await.unwrap();
    assert_eq!(
        timers.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![2, 1],
        "timers in due order"
    );
    assert_eq!(
        store
            .get_tenant(&t.id)
            .await
            .unwrap()
            .unwrap()
            .clock
            .frozen_ms,
        7
    );

    let mut next = Changes::default();
    next.puts.push(doc("note", "a1", 10));
    next.deletes.push(("note".into(), "a2".into()));
    next.timers_done.push(2);
    store.commit(&t.id, &next).await.unwrap();
    assert_eq!(
        store.documents(&t.id).await.unwrap(),
        vec![doc("note", "a1", 10)]
    );
    assert_eq!(store.list_timers(&t.id).await.unwrap().len(), 1);

    // Armed and done in one commit: never stored, and it does not hide the others' writes.
    let mut group = Changes::default();
    for (id, due_ms) in [(3, 30), (4, 40), (5, 50)] {
        group.timers_armed.push(Timer {
            id,
            due_ms,
            action: TimerAction::AgentStateEnds {
                agent_id: format!("a{id}"),
            },
        });
    }
    group.timers_done.extend([4, 1]);
    store.commit(&t.id, &group).await.unwrap();
    let ids: Vec<i64> = store
        .list_timers(&t.id)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, vec![3, 5]);
    let mut both = Changes::default();
    both.timers_done.extend([3, 5]);
    store.commit(&t.id, &both).await.unwrap();
    assert!(store.list_timers(&t.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_commit_writes_nothing() {
    let (_db, store) = store().await;
    let t = tenant("t1");
    store.insert_tenant(&t, &Clock::default()).await.unwrap();
    let mut changes = Changes::default();
    changes.puts.push(doc("note", "a1", 1));
    // The same event sequence twice violates the primary key, after the document was written.
    let ev = EventRecord {
        seq: 1,
        at_ms: 1,
        event: DomainEvent::TenantReset,
    };
    changes.events.push(ev.clone());
    changes.events.push(ev);
    assert!(store.commit(&t.id, &changes).await.is_err());
    assert!(
        store.documents(&t.id).await.unwrap().is_empty(),
        "the transaction must roll back"
    );
}

#[tokio::test]
async fn tenants_do_not_see_each_other_and_delete_removes_every_row() {
    let (_db, store) = store().await;
    let (a, b) = (tenant("ta"), tenant("tb"));
    for t in [&a, &b] {
        store.insert_tenant(t, &Clock::default()).await.unwrap();
        let mut c = Changes::default();
        c.puts
            .push(doc("note", "same-id", if t.id == a.id { 1 } else { 2 }));
        c.events.push(EventRecord {
            seq: 1,
            at_ms: 1,
            event: DomainEvent::TenantReset,
        });
        c.timers_armed.push(Timer {
            id: 1,
            due_ms: 1,
            action: TimerAction::AgentStateEnds {
                agent_id: "x".into(),
            },
        });
        store.commit(&t.id, &c).await.unwrap();
    }
    assert_eq!(
        store.documents(&a.id).await.unwrap(),
        vec![doc("note", "same-id", 1)]
    );
    assert_eq!(
        store.documents(&b.id).await.unwrap(),
        vec![doc("note", "same-id", 2)]
    );
    assert_eq!(store.count_rows(&a.id).await.unwrap(), 4);
    assert!(store.delete_tenant(&a.id).await.unwrap());
    assert!(!store.delete_tenant(&a.id).await.unwrap());
    assert_eq!(store.count_rows(&a.id).await.unwrap(), 0);
    assert_eq!(
        store.count_rows(&b.id).await.unwrap(),
        4,
        "the other tenant is untouched"
    );
}

#[tokio::test]
async fn wipe_clears_data_but_keeps_the_tenant() {
    let (_db, store) = store().await;
    let t = tenant("t1");
    store.insert_tenant(&t, &Clock::default()).await.unwrap();
    let mut c = Changes::default();
    c.puts.push(doc("note", "a1", 1));
    store.commit(&t.id, &c).await.unwrap();
    let wipe = Changes {
        wipe: true,
        ..Default::default()
    };
    store.commit(&t.id, &wipe).await.unwrap();
    assert!(store.documents(&t.id).await.unwrap().is_empty());
    assert_eq!(store.get_tenant(&t.id).await.unwrap().unwrap().tenant, t);
}
