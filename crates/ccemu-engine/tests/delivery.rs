//! Notifiers and the delivery worker on the backend selected by `CCEMU_TEST_BACKEND`, against a
//! minimal HTTP receiver written on plain tokio sockets.

use ccemu_core::clock::ClockMode;
use ccemu_core::event::EventRecord;
use ccemu_core::{Subscription, Tenant, TenantId};
use ccemu_engine::{
    DeliveryConfig, DeliveryState, Engine, EngineConfig, Notification, Notifier, Op, View,
};
use ccemu_store::testing::TestDb;
use ccemu_store::Store;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends `PUT <callback_url>` with the event kind as body to every `test` subscription that wants it.
struct KindNotifier;

impl Notifier for KindNotifier {
    fn notify(
        &self,
        tenant: &Tenant,
        subscriptions: &[Subscription],
        _view: &View<'_>,
        event: &EventRecord,
        out: &mut Vec<Notification>,
    ) {
        let kind = event.event.kind();
        for sub in subscriptions.iter().filter(|s| s.surface == "test") {
            if sub.wants(&kind) {
                out.push(Notification {
                    source: "test".into(),
                    event_seq: Some(event.seq),
                    url: sub.callback_url.clone(),
                    method: "PUT".into(),
                    headers: vec![("X-Tenant".into(), tenant.id.to_string())],
                    body: format!("{}:{kind}", event.seq),
                });
            }
        }
    }
}

/// Answers each request with the next status of `statuses` (the last one repeats) and keeps
/// `(method, x-tenant, body)` of each.
async fn receiver(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<(String, String, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let seen = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            let statuses = statuses.clone();
            tokio::spawn(async move {
                // One request per connection is enough here: we answer `Connection: close`.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head, body_start) = loop {
                    let n = conn.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break (String::from_utf8_lossy(&buf[..at]).into_owned(), at + 4);
                    }
                };
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let len: usize = header("content-length").parse().unwrap_or(0);
                while buf.len() < body_start + len {
                    let n = conn.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let method = head.split(' ').next().unwrap_or_default().to_owned();
                let body = String::from_utf8_lossy(&buf[body_start..]).into_owned();
                let status = {
                    let mut seen = seen.lock().unwrap();
                    seen.push((method, header("x-tenant"), body));
                    statuses[(seen.len() - 1).min(statuses.len() - 1)]
                };
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 4\r\nconnection: close\r\n\r\nnope"
                );
                let _ = conn.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, got)
}

fn subscription(id: &str, url: &str, events: &[&str]) -> Subscription {
    Subscription {
        id: id.into(),
        surface: "test".into(),
        name: String::new(),
        callback_url: url.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        secret: None,
        enabled: true,
        created_at_ms: 0,
    }
}

async fn engine(db: &TestDb, max_attempts: u32) -> Engine {
    let store = Store::connect(&db.url).await.expect("store");
    Engine::start(
        store,
        EngineConfig {
            demo_credentials: None,
            notifiers: vec![Arc::new(KindNotifier)],
            delivery: DeliveryConfig {
                initial_backoff: Duration::from_millis(20),
                max_backoff: Duration::from_millis(100),
                max_attempts,
                ..DeliveryConfig::default()
            },
            ..EngineConfig::default()
        },
    )
    .await
    .expect("engine")
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn notifier_output_is_retried_until_accepted_and_a_dead_receiver_fails_alone() {
    let db = TestDb::new().await;
    let engine = engine(&db, 3).await;
    let tenant = engine.create_tenant(None).await.unwrap();
    let id: TenantId = tenant.id.clone();

    // Answers 500 once, then 200.
    let (url, got) = receiver(vec![500, 200]).await;
    // Nobody listens here: refused every time.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    for sub in [
        subscription("live", &url, &["clock.changed"]),
        subscription("dead", &dead, &["*"]),
    ] {
        engine.execute(&id, Op::PutSubscription(sub)).await.unwrap();
    }
    let clock = engine
        .set_clock(&id, ClockMode::Manual, Some(1_800_000_000_000))
        .await
        .unwrap();
    engine.advance_clock(&id, 1000).await.unwrap();
    let events = engine.events(&id, 0, 100).await.unwrap();
    let clock_seqs: Vec<i64> = events
        .iter()
        .filter(|e| e.event.kind() == "clock.changed")
        .map(|e| e.seq)
        .collect();
    assert_eq!(clock_seqs.len(), 2);
    assert!(clock.now_ms > 0);

    eventually("both deliveries to the live receiver", || {
        got.lock().unwrap().len() >= 3
    })
    .await;
    let want: Vec<(String, String, String)> = [clock_seqs[0], clock_seqs[0], clock_seqs[1]]
        .iter()
        .map(|seq| {
            (
                "PUT".to_owned(),
                id.to_string(),
                format!("{seq}:clock.changed"),
            )
        })
        .collect();
    assert_eq!(
        *got.lock().unwrap(),
        want,
        "the 500 is retried before the next is sent"
    );

    // The dead receiver's two deliveries each fail after 3 attempts, in order.
    let mut done = false;
    for _ in 0..200 {
        let dead_rows: Vec<_> = engine
            .deliveries(&id, None, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.notification.url == dead)
            .collect();
        if dead_rows.len() == 2 && dead_rows.iter().all(|d| d.state == DeliveryState::Failed) {
            for d in &dead_rows {
                assert_eq!(d.attempts, 3);
                assert_eq!(d.attempts_log.len(), 3);
                assert!(d.last_error.as_deref().unwrap().starts_with("connect"));
            }
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(done, "dead deliveries did not fail");
    let live = engine
        .deliveries(&id, Some(DeliveryState::Delivered), 100)
        .await
        .unwrap();
    assert_eq!(live.len(), 2);
    assert!(live.iter().all(|d| d.notification.url == url));
    assert_eq!(live[1].attempts, 2, "oldest first attempt got a 500");
    assert_eq!(live[1].attempts_log[0].status, Some(500));
    assert_eq!(
        live[1].attempts_log[0].error.as_deref(),
        Some("HTTP 500: nope")
    );

    // Deleted subscriptions get nothing more; shutdown returns.
    engine
        .execute(&id, Op::DeleteSubscription { id: "live".into() })
        .await
        .unwrap();
    engine.advance_clock(&id, 1000).await.unwrap();
    let after = engine.deliveries(&id, None, 100).await.unwrap();
    assert_eq!(
        after.iter().filter(|d| d.notification.url == url).count(),
        2
    );
    tokio::time::timeout(Duration::from_secs(10), engine.shutdown())
        .await
        .expect("shutdown");
}

#[tokio::test]
async fn subscriptions_are_reloaded_after_a_restart() {
    let db = TestDb::new().await;
    let (url, got) = receiver(vec![200]).await;
    let engine1 = engine(&db, 0).await;
    let tenant = engine1.create_tenant(None).await.unwrap();
    engine1
        .execute(
            &tenant.id,
            Op::PutSubscription(subscription("s", &url, &["clock.changed"])),
        )
        .await
        .unwrap();
    engine1.shutdown().await;

    let engine2 = engine(&db, 0).await;
    assert_eq!(engine2.subscriptions(&tenant.id).await.unwrap().len(), 1);
    engine2
        .set_clock(&tenant.id, ClockMode::Manual, None)
        .await
        .unwrap();
    eventually("the delivery after the restart", || {
        got.lock().unwrap().len() == 1
    })
    .await;
    engine2.shutdown().await;
}
