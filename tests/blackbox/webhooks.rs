//! ccemu's own event webhooks through the durable outbox, delivered to a real local HTTP receiver
//! that is down at first, across a crash, with bad input and between tenants.

use crate::harness::{assert_error, Server};
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const T0: i64 = 1_800_000_000_000;
const SECRET: &str = "webhook-secret";

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub headers: HeaderMap,
    /// The query string, without `?` (Udesk callbacks sign there).
    pub query: String,
    pub body: String,
}

/// A webhook receiver on a reserved port: refuses connections until [`Receiver::listen`].
pub(crate) struct Receiver {
    port: u16,
    socket: Option<tokio::net::TcpSocket>,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    /// Binds a port without listening: connections to it are refused, and nobody else takes it.
    pub fn reserve() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("reuseaddr");
        socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
        let port = socket.local_addr().expect("addr").port();
        Self {
            port,
            socket: Some(socket),
            got: Arc::default(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Starts answering `POST /hook` with 200.
    pub fn listen(&mut self) {
        let listener = self
            .socket
            .take()
            .expect("not listening yet")
            .listen(1024)
            .expect("listen");
        let got = self.got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |uri: axum::http::Uri, headers: HeaderMap, body: String| {
                    let got = got.clone();
                    async move {
                        let query = uri.query().unwrap_or_default().to_owned();
                        got.lock().unwrap().push(Received {
                            headers,
                            query,
                            body,
                        });
                        "ok"
                    }
                },
            ),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// A config file with short retry waits, so the test does not sit through 30 s backoffs, and
/// no limit on attempts: however long a receiver stays down, nothing is given up.
/// A server whose deliveries retry fast and for ever.
pub(crate) async fn start_fast() -> Server {
    Server::start_with_config(
        "[delivery]\ninitial_backoff_ms = 50\nmax_backoff_ms = 300\ntimeout_ms = 2000\nmax_attempts = 0\n",
    )
    .await
}

async fn subscribe(s: &Server, tenant: &str, url: &str, events: Value) -> Value {
    let (status, body) = s
        .post(
            &format!("/_ccemu/tenants/{tenant}/subscriptions"),
            json!({ "url": url, "events": events, "secret": SECRET }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

pub(crate) async fn deliveries(s: &Server, tenant: &str) -> Vec<Value> {
    let (status, body) = s
        .get(&format!("/_ccemu/tenants/{tenant}/deliveries?limit=1000"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["deliveries"].as_array().unwrap().clone()
}

async fn events_after(s: &Server, tenant: &str, after: i64) -> Vec<Value> {
    let (status, body) = s
        .get(&format!(
            "/_ccemu/tenants/{tenant}/events?after={after}&limit=10000"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().unwrap().clone()
}

async fn last_seq(s: &Server, tenant: &str) -> i64 {
    events_after(s, tenant, 0)
        .await
        .last()
        .map_or(0, |e| e["seq"].as_i64().unwrap())
}

/// Moves a manual clock forward `n` times through `PUT .../clock`: `n` `clock.changed` events.
async fn tick(s: &Server, tenant: &str, n: i64) {
    for i in 0..n {
        let (status, body) = s
            .put(
                &format!("/_ccemu/tenants/{tenant}/clock"),
                json!({ "mode": "manual", "now_ms": T0 + i * 1000 }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

/// Polls `check` every 50 ms until it holds; fails after `secs`.
pub(crate) async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn hmac_hex(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks every received request is a signed event webhook of `tenant` and returns their seqs.
fn verified_seqs(received: &[Received], tenant: &str) -> Vec<i64> {
    received
        .iter()
        .map(|r| {
            let signature = r.headers["x-ccemu-signature"].to_str().unwrap();
            assert_eq!(
                signature,
                format!("sha256={}", hmac_hex(SECRET, &r.body)),
                "bad signature for {}",
                r.body
            );
            assert_eq!(r.headers["content-type"], "application/json");
            let body: Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(body["tenant"], tenant, "{body}");
            assert_eq!(r.headers["x-ccemu-event"], body["kind"].as_str().unwrap());
            assert!(body["at_ms"].is_i64(), "{body}");
            assert!(body["data"].is_object() || body["data"].is_null(), "{body}");
            body["seq"].as_i64().unwrap()
        })
        .collect()
}

#[tokio::test]
async fn a_receiver_that_is_down_gets_every_event_once_it_is_up() {
    let s = start_fast().await;
    let mut receiver = Receiver::reserve();
    let t = s.create_tenant("Hooks").await;
    let id = t["id"].as_str().unwrap();

    let sub = subscribe(&s, id, &receiver.url(), json!(["clock.changed"])).await;
    assert!(sub["id"].as_str().is_some_and(|i| !i.is_empty()), "{sub}");
    assert_eq!(sub["url"], receiver.url());
    assert_eq!(sub["events"], json!(["clock.changed"]));
    assert_eq!(sub["surface"], "ccemu");
    let (status, list) = s.get(&format!("/_ccemu/tenants/{id}/subscriptions")).await;
    assert_eq!(status, 200);
    assert_eq!(list["subscriptions"], json!([sub.clone()]));

    let before = last_seq(&s, id).await;
    tick(&s, id, 5).await;
    let want: Vec<i64> = events_after(&s, id, before)
        .await
        .iter()
        .filter(|e| e["kind"] == "clock.changed")
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(want.len(), 5);

    // The receiver is down: the oldest delivery is retried, the later ones wait behind it.
    eventually(10, "retries while the receiver is down", || async {
        let d = deliveries(&s, id).await;
        d.len() == 5 && d.last().unwrap()["attempts"].as_i64().unwrap() >= 2
    })
    .await;
    let d = deliveries(&s, id).await;
    let seqs: Vec<i64> = d.iter().map(|x| x["event_seq"].as_i64().unwrap()).collect();
    let mut newest_first = want.clone();
    newest_first.reverse();
    assert_eq!(seqs, newest_first, "newest first");
    for x in &d {
        assert_eq!(x["state"], "pending", "{x}");
        assert_eq!(x["source"], "ccemu", "{x}");
        assert_eq!(x["method"], "POST", "{x}");
        assert_eq!(x["url"], receiver.url(), "{x}");
        assert!(x["next_attempt_at"].as_str().is_some(), "{x}");
        assert!(x["delivered_at"].is_null(), "{x}");
    }
    let oldest = d.last().unwrap();
    assert!(oldest["last_status"].is_null(), "{oldest}");
    assert!(
        oldest["last_error"]
            .as_str()
            .is_some_and(|e| e.starts_with("connect")),
        "{oldest}"
    );
    let log = oldest["attempts_log"].as_array().unwrap();
    assert!(log.len() >= 2, "{oldest}");
    for (i, a) in log.iter().enumerate() {
        assert_eq!(a["attempt"], i as i64 + 1, "{a}");
        assert!(a["status"].is_null() && a["error"].is_string(), "{a}");
        assert!(a["at"].as_str().unwrap().ends_with('Z'), "{a}");
        assert!(a["duration_ms"].is_i64(), "{a}");
    }

    receiver.listen();
    eventually(20, "every notification", || async {
        receiver.received().len() >= want.len()
    })
    .await;
    // Give a duplicate the chance to show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        verified_seqs(&receiver.received(), id),
        want,
        "each event once, in order"
    );
    eventually(5, "the log to show them delivered", || async {
        deliveries(&s, id)
            .await
            .iter()
            .all(|x| x["state"] == "delivered")
    })
    .await;
    for x in deliveries(&s, id).await {
        assert_eq!(x["last_status"], 200, "{x}");
        assert!(x["last_error"].is_null(), "{x}");
        assert!(x["delivered_at"].as_str().is_some(), "{x}");
        assert!(x["next_attempt_at"].is_null(), "{x}");
        let log = x["attempts_log"].as_array().unwrap();
        assert_eq!(log.last().unwrap()["status"], 200, "{x}");
    }
    let (status, filtered) = s
        .get(&format!("/_ccemu/tenants/{id}/deliveries?state=pending"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(filtered["deliveries"], json!([]));
}

#[tokio::test]
async fn deliveries_pending_at_a_crash_are_made_after_the_restart() {
    let mut s = start_fast().await;
    let mut receiver = Receiver::reserve();
    let t = s.create_tenant("Crash").await;
    let id = t["id"].as_str().unwrap().to_owned();
    subscribe(&s, &id, &receiver.url(), json!(["*"])).await;
    let before = last_seq(&s, &id).await;
    tick(&s, &id, 3).await;
    eventually(10, "a failed attempt", || async {
        deliveries(&s, &id)
            .await
            .iter()
            .any(|x| x["attempts"].as_i64().unwrap() >= 1)
    })
    .await;

    s.crash_and_restart().await;
    let d = deliveries(&s, &id).await;
    assert_eq!(d.len(), 3, "{d:?}");
    assert!(d.iter().all(|x| x["state"] == "pending"), "{d:?}");

    receiver.listen();
    let want: Vec<i64> = events_after(&s, &id, before)
        .await
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(want.len(), 3);
    eventually(20, "every notification after the restart", || async {
        receiver.received().len() >= want.len()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(verified_seqs(&receiver.received(), &id), want);
}

#[tokio::test]
async fn bad_input_on_subscriptions_and_deliveries_gets_json_errors() {
    let s = Server::start().await;
    let t = s.create_tenant("Bad").await;
    let id = t["id"].as_str().unwrap();
    let path = format!("/_ccemu/tenants/{id}/subscriptions");
    for (body, field) in [
        (json!({ "url": "ftp://x/y", "events": ["*"] }), "url"),
        (json!({ "url": "/hook", "events": ["*"] }), "url"),
        (
            json!({ "url": "http://127.0.0.1:9/h", "events": [] }),
            "events",
        ),
        (
            json!({ "url": "http://127.0.0.1:9/h", "events": ["Not An Event"] }),
            "events",
        ),
        (
            json!({ "url": "http://127.0.0.1:9/h", "events": ["*"], "secret": "" }),
            "secret",
        ),
        (json!({ "events": ["*"] }), "url"),
        (
            json!({ "url": "http://127.0.0.1:9/h", "events": "*" }),
            "events",
        ),
        (
            json!({ "url": "http://127.0.0.1:9/h", "events": ["*"], "extra": 1 }),
            "extra",
        ),
    ] {
        let (status, got) = s.post(&path, body.clone()).await;
        assert_error(status, &got, 400, "invalid_body");
        assert!(
            got["message"].as_str().unwrap().contains(field),
            "{body} -> {got}"
        );
    }
    let (status, got) = s.post_raw(&path, "{not json").await;
    assert_error(status, &got, 400, "invalid_json");

    let good = json!({ "url": "http://127.0.0.1:9/h", "events": ["*"] });
    let (status, got) = s
        .post("/_ccemu/tenants/nosuchtenant/subscriptions", good)
        .await;
    assert_error(status, &got, 404, "tenant_not_found");
    for p in [
        "/_ccemu/tenants/nosuchtenant/subscriptions",
        "/_ccemu/tenants/nosuchtenant/deliveries",
    ] {
        let (status, got) = s.get(p).await;
        assert_error(status, &got, 404, "tenant_not_found");
    }
    let (status, got) = s
        .delete(&format!("/_ccemu/tenants/{id}/subscriptions/sub_nope"))
        .await;
    assert_error(status, &got, 404, "not_found");
    for q in [
        "state=bogus",
        "limit=0",
        "limit=1001",
        "limit=x",
        "color=red",
    ] {
        let (status, got) = s.get(&format!("/_ccemu/tenants/{id}/deliveries?{q}")).await;
        assert_error(status, &got, 400, "invalid_query");
    }
    let (status, got) = s.get(&path).await;
    assert_eq!(status, 200);
    assert_eq!(got["subscriptions"], json!([]), "nothing was created");
}

#[tokio::test]
async fn tenants_see_only_their_own_subscriptions_and_deliveries() {
    let s = start_fast().await;
    let receiver = Receiver::reserve();
    let a = s.create_tenant("A").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = s.create_tenant("B").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sub = subscribe(&s, &a, &receiver.url(), json!(["clock.changed"])).await;
    let sub_id = sub["id"].as_str().unwrap();
    tick(&s, &a, 2).await;
    tick(&s, &b, 2).await;
    assert_eq!(deliveries(&s, &a).await.len(), 2);
    assert!(deliveries(&s, &b).await.is_empty());
    let (_, list) = s.get(&format!("/_ccemu/tenants/{b}/subscriptions")).await;
    assert_eq!(list["subscriptions"], json!([]));
    let (status, got) = s
        .delete(&format!("/_ccemu/tenants/{b}/subscriptions/{sub_id}"))
        .await;
    assert_error(status, &got, 404, "not_found");

    // Deleted: later events are not sent; the deliveries already made stay in the log.
    let (status, _) = s
        .delete(&format!("/_ccemu/tenants/{a}/subscriptions/{sub_id}"))
        .await;
    assert_eq!(status, 204);
    let (_, list) = s.get(&format!("/_ccemu/tenants/{a}/subscriptions")).await;
    assert_eq!(list["subscriptions"], json!([]));
    let (status, _) = s
        .post(
            &format!("/_ccemu/tenants/{a}/clock/advance"),
            json!({ "ms": 1000 }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(deliveries(&s, &a).await.len(), 2);

    // A reset drops deliveries not yet made along with everything else.
    let (status, _) = s
        .post(&format!("/_ccemu/tenants/{a}/reset"), json!({}))
        .await;
    assert_eq!(status, 204);
    assert!(deliveries(&s, &a).await.is_empty());
}

#[tokio::test]
async fn deliveries_go_only_to_allowed_hosts_keep_a_short_answer_and_give_up() {
    let s = Server::start_with_config(
        "[delivery]\ninitial_backoff_ms = 10\nmax_backoff_ms = 20\ntimeout_ms = 2000\n\
         answer_excerpt_bytes = 16\nallowed_hosts = [\"hooks.invalid\"]\n",
    )
    .await;
    // A receiver on loopback that always fails, with a long answer.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(|| async {
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "x".repeat(5000),
            )
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let failing = format!("http://127.0.0.1:{port}/hook");
    // A cloud metadata address: not loopback, not allowed.
    let metadata = "http://169.254.169.254/latest/meta-data/";
    // Allowed by name; `.invalid` never resolves, so every attempt fails to connect.
    let allowed = "http://hooks.invalid:9/hook";
    for url in [failing.as_str(), metadata, allowed] {
        subscribe(&s, "demo", url, json!(["clock.changed"])).await;
    }
    tick(&s, "demo", 1).await;
    eventually(60, "every delivery given up", || async {
        let all = deliveries(&s, "demo").await;
        all.len() == 3 && all.iter().all(|d| d["state"] == "failed")
    })
    .await;
    let all = deliveries(&s, "demo").await;
    let of = |url: &str| all.iter().find(|d| d["url"] == url).expect(url).clone();

    let refused = of(metadata);
    assert_eq!(refused["attempts"], 1, "no retry: {refused}");
    assert_eq!(refused["last_status"], Value::Null);
    assert_eq!(
        refused["last_error"],
        "not sent: 169.254.169.254 is neither loopback nor in delivery.allowed_hosts"
    );
    // Retries end at delivery.max_attempts (10 by default); the log keeps 16 bytes of the answer.
    let failed = of(&failing);
    assert_eq!(failed["attempts"], 10, "{failed}");
    assert_eq!(failed["last_status"], 500);
    assert_eq!(
        failed["last_error"],
        format!("HTTP 500: {}", "x".repeat(16))
    );
    let tried = of(allowed);
    assert_eq!(tried["attempts"], 10, "{tried}");
    let error = tried["last_error"].as_str().unwrap();
    assert!(error.starts_with("connect: "), "{error}");
}
