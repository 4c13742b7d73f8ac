//! The outbox against the backend selected by `CCEMU_TEST_BACKEND`; CI runs this file on both.

use ccemu_core::clock::Clock;
use ccemu_core::event::{DomainEvent, EventRecord};
use ccemu_core::{Credentials, Tenant, TenantId};
use ccemu_store::outbox::{Attempt, DeliveryState, NextStep, Notification};
use ccemu_store::testing::TestDb;
use ccemu_store::{Changes, Store};

fn tenant(id: &str) -> Tenant {
    let credentials: Credentials = serde_json::from_value(serde_json::json!({
        "udesk": {"sid": id, "auth_token": "t", "app_id": id, "app_secret": "s"},
        "ujet": {"subdomain": id, "api_token": "t", "company_key": "k", "company_secret": "s"},
        "genesys": {"contact_center_id": id, "agent_password": "p"},
        "cention": {"workspace": id, "jwt": "j", "jwt_secret": "s", "access_key_id": "k",
                    "access_key_secret": "s"},
        "sangoma": {"tenant_domain": id, "client_id": id, "client_secret": "s"},
    }))
    .unwrap();
    Tenant {
        id: TenantId::parse(id).unwrap(),
        name: id.into(),
        created_at_ms: 1,
        credentials,
    }
}

fn note(url: &str, seq: i64) -> Notification {
    Notification {
        source: "ccemu".into(),
        event_seq: Some(seq),
        url: url.into(),
        method: "POST".into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-dup".into(), "1".into()),
            ("x-dup".into(), "2".into()),
        ],
        body: format!("{{\"seq\":{seq}}}"),
    }
}

fn attempt(n: i64, status: Option<i64>, error: Option<&str>) -> Attempt {
    Attempt {
        attempt: n,
        at_ms: 1_000 + n,
        status,
        error: error.map(str::to_owned),
        duration_ms: 3,
    }
}

async fn store_with(tenants: &[&str]) -> (TestDb, Store) {
    let db = TestDb::new().await;
    let store = Store::connect(&db.url).await.expect("connect");
    for t in tenants {
        assert!(store
            .insert_tenant(&tenant(t), &Clock::default())
            .await
            .unwrap());
    }
    (db, store)
}

async fn commit_notes(store: &Store, t: &str, notes: Vec<Notification>) {
    let changes = Changes {
        notifications: notes,
        ..Changes::default()
    };
    assert!(!changes.is_empty());
    store
        .commit(&TenantId::parse(t).unwrap(), &changes)
        .await
        .unwrap();
}

const FAR: i64 = i64::MAX / 2;

#[tokio::test]
async fn notifications_commit_with_the_change_and_survive_reconnect() {
    let (db, store) = store_with(&["t1"]).await;
    let changes = Changes {
        events: vec![EventRecord {
            seq: 1,
            at_ms: 5,
            event: DomainEvent::TenantReset,
        }],
        notifications: vec![note("http://a.example/h", 1)],
        ..Changes::default()
    };
    store
        .commit(&TenantId::parse("t1").unwrap(), &changes)
        .await
        .unwrap();
    store.close().await;

    let store = Store::connect(&db.url).await.unwrap();
    let due = store.due_deliveries(FAR, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].tenant_id, "t1");
    assert_eq!(due[0].attempts, 0);
    assert_eq!(due[0].notification, note("http://a.example/h", 1));
    let listed = store
        .list_deliveries(&TenantId::parse("t1").unwrap(), None, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, DeliveryState::Pending);
    assert!(listed[0].created_at_ms > 0);
    assert_eq!(listed[0].next_attempt_at_ms, listed[0].created_at_ms);
    assert!(listed[0].attempts_log.is_empty());
}

#[tokio::test]
async fn only_the_oldest_pending_row_of_each_receiver_is_due() {
    let (_db, store) = store_with(&["t1", "t2"]).await;
    let (a, b) = ("http://a.example/h", "http://b.example/h");
    commit_notes(&store, "t1", vec![note(a, 1), note(a, 2), note(b, 3)]).await;
    // Same URL, other tenant: its own queue.
    commit_notes(&store, "t2", vec![note(a, 1)]).await;

    let due = store.due_deliveries(FAR, 10).await.unwrap();
    let seqs: Vec<(String, &str, Option<i64>)> = due
        .iter()
        .map(|d| {
            (
                d.tenant_id.clone(),
                d.notification.url.as_str(),
                d.notification.event_seq,
            )
        })
        .collect();
    assert_eq!(
        seqs,
        vec![
            ("t1".to_owned(), a, Some(1)),
            ("t1".to_owned(), b, Some(3)),
            ("t2".to_owned(), a, Some(1)),
        ]
    );
    let a1 = due[0].id;

    // A1 fails and waits: A2 stays blocked behind it, the next wake-up is A1's retry.
    let retry_at = 4_000_000_000_000; // far after the wall-clock creation time
    assert!(store
        .record_attempt(
            a1,
            &attempt(1, None, Some("connection refused")),
            NextStep::RetryAt(retry_at)
        )
        .await
        .unwrap());
    let due: Vec<i64> = store
        .due_deliveries(retry_at - 1, 10)
        .await
        .unwrap()
        .iter()
        .filter_map(|d| d.notification.event_seq.filter(|_| d.tenant_id == "t1"))
        .collect();
    assert_eq!(due, vec![3], "A2 must wait behind A1");
    assert_eq!(
        store.next_delivery_due(retry_at - 1).await.unwrap(),
        Some(retry_at)
    );
    assert_eq!(store.next_delivery_due(retry_at).await.unwrap(), None);

    // A1 delivered: A2 is the head now.
    assert!(store
        .record_attempt(a1, &attempt(2, Some(204), None), NextStep::Delivered)
        .await
        .unwrap());
    let due = store.due_deliveries(FAR, 10).await.unwrap();
    assert_eq!(due[0].notification.event_seq, Some(2));
    assert_eq!(due[0].notification.url, a);
    // A delivered row is never recorded again.
    assert!(!store
        .record_attempt(a1, &attempt(3, Some(200), None), NextStep::Delivered)
        .await
        .unwrap());

    let t1 = TenantId::parse("t1").unwrap();
    let delivered = store
        .list_deliveries(&t1, Some(DeliveryState::Delivered), 10)
        .await
        .unwrap();
    assert_eq!(delivered.len(), 1);
    let d = &delivered[0];
    assert_eq!(d.id, a1);
    assert_eq!(d.attempts, 2);
    assert_eq!(d.last_status, Some(204));
    assert_eq!(d.last_error, None);
    assert!(d.delivered_at_ms.is_some());
    assert_eq!(
        d.attempts_log,
        vec![
            attempt(1, None, Some("connection refused")),
            attempt(2, Some(204), None)
        ]
    );
    let all = store.list_deliveries(&t1, None, 10).await.unwrap();
    let ids: Vec<Option<i64>> = all.iter().map(|d| d.notification.event_seq).collect();
    assert_eq!(ids, vec![Some(3), Some(2), Some(1)], "newest first");
    let limited = store.list_deliveries(&t1, None, 2).await.unwrap();
    assert_eq!(limited.len(), 2);
    let pending = store
        .list_deliveries(&t1, Some(DeliveryState::Pending), 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 2);
}

#[tokio::test]
async fn a_failed_row_frees_its_queue_and_the_log_is_bounded() {
    let (_db, store) = store_with(&["t1"]).await;
    let a = "http://a.example/h";
    commit_notes(&store, "t1", vec![note(a, 1), note(a, 2)]).await;
    let first = store.due_deliveries(FAR, 10).await.unwrap()[0].id;
    let n = ccemu_store::outbox::ATTEMPTS_KEPT + 5;
    for i in 1..n {
        store
            .record_attempt(
                first,
                &attempt(i, Some(500), Some("HTTP 500")),
                NextStep::RetryAt(0),
            )
            .await
            .unwrap();
    }
    store
        .record_attempt(
            first,
            &attempt(n, Some(500), Some("HTTP 500")),
            NextStep::Failed,
        )
        .await
        .unwrap();
    let due = store.due_deliveries(FAR, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].notification.event_seq, Some(2));

    let failed = store
        .list_deliveries(
            &TenantId::parse("t1").unwrap(),
            Some(DeliveryState::Failed),
            10,
        )
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, n);
    assert_eq!(failed[0].last_status, Some(500));
    let log = &failed[0].attempts_log;
    assert_eq!(log.len() as i64, ccemu_store::outbox::ATTEMPTS_KEPT);
    assert_eq!(log.last().unwrap().attempt, n);
    assert_eq!(log[0].attempt, n - ccemu_store::outbox::ATTEMPTS_KEPT + 1);
}

#[tokio::test]
async fn reset_and_delete_drop_deliveries_and_their_attempts() {
    let (_db, store) = store_with(&["t1", "t2"]).await;
    let a = "http://a.example/h";
    commit_notes(&store, "t1", vec![note(a, 1)]).await;
    commit_notes(&store, "t2", vec![note(a, 1)]).await;
    let due = store.due_deliveries(FAR, 10).await.unwrap();
    for d in &due {
        store
            .record_attempt(d.id, &attempt(1, None, Some("down")), NextStep::RetryAt(0))
            .await
            .unwrap();
    }
    let t1 = TenantId::parse("t1").unwrap();
    let t2 = TenantId::parse("t2").unwrap();
    let before = store.count_rows(&t1).await.unwrap();

    // Reset: the outbox goes with everything else, and an in-flight result finds nothing.
    let wipe = Changes {
        wipe: true,
        ..Changes::default()
    };
    store.commit(&t1, &wipe).await.unwrap();
    assert!(store
        .list_deliveries(&t1, None, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.count_rows(&t1).await.unwrap(), before - 2);
    let t1_row = due.iter().find(|d| d.tenant_id == "t1").unwrap().id;
    assert!(!store
        .record_attempt(t1_row, &attempt(2, Some(200), None), NextStep::Delivered)
        .await
        .unwrap());

    // The other tenant is untouched, then deleted completely.
    assert_eq!(store.list_deliveries(&t2, None, 10).await.unwrap().len(), 1);
    assert!(store.delete_tenant(&t2).await.unwrap());
    assert_eq!(store.count_rows(&t2).await.unwrap(), 0);
    assert!(store.due_deliveries(FAR, 10).await.unwrap().is_empty());
}
