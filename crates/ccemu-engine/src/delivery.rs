//! The delivery worker: sends the outbox's notifications over HTTP, with retries and a log.
//!
//! One task per engine. It wakes when a commit added notifications, when the next retry falls due,
//! and when an attempt finishes; it sends due rows concurrently (at most
//! [`DeliveryConfig::concurrency`] at a time) and records every attempt in the store. A 2xx answer
//! delivers; anything else (other status, connection error, timeout) is retried with exponential
//! backoff until [`DeliveryConfig::max_attempts`] (0 = forever). Rows stay in the store until they
//! are delivered, so a receiver that is down, or a server that restarts, loses nothing.
//!
//! Anyone who may subscribe a URL could make ccemu call any address it reaches: a delivery goes
//! only to loopback or to a host of [`DeliveryConfig::allowed_hosts`] (else it fails at once, with
//! no request made), and the log keeps at most [`DeliveryConfig::answer_excerpt`] bytes of an answer.
//!
//! Guarantees: at least once (a crash or a lost answer after the receiver accepted a request sends
//! it again), and in commit order per tenant and URL (the store hands out only the oldest pending
//! row of each such queue, so a later notification waits until the earlier one is delivered or
//! given up). Retry times are wall-clock time, not tenant time: a frozen tenant clock does not stop
//! deliveries. Before each attempt the notifiers may finish the request ([`Notifier::prepare`]),
//! e.g. sign it over the current time; the stored row, and so its place in line, stays as it is.
//!
//! [`Notifier::prepare`]: crate::Notifier::prepare

use crate::notify::Notifiers;
use ccemu_store::outbox::{Attempt, DueDelivery, NextStep, Notification};
use ccemu_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How deliveries are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// Wait before the first retry; it doubles with each further attempt.
    pub initial_backoff: Duration,
    /// Longest wait between two attempts.
    pub max_backoff: Duration,
    /// Attempts before a delivery is given up as failed; 0 retries forever.
    pub max_attempts: u32,
    /// Time limit of one request (connect, send, answer).
    pub timeout: Duration,
    /// Requests in flight at once, over all tenants.
    pub concurrency: usize,
    /// Hosts a delivery may go to besides loopback: names (any case), `*.suffix`, or `*` for any.
    pub allowed_hosts: Vec<String>,
    /// Bytes of a non-2xx answer kept in the delivery log.
    pub answer_excerpt: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
            max_attempts: 10,
            timeout: Duration::from_secs(5),
            concurrency: 16,
            allowed_hosts: Vec::new(),
            answer_excerpt: 200,
        }
    }
}

impl DeliveryConfig {
    /// Whether a delivery may go to `url`: loopback always, another host when it is allowed.
    pub fn allows(&self, url: &reqwest::Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        if ccemu_core::origin::is_loopback_host(host) {
            return true;
        }
        let name = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        self.allowed_hosts.iter().any(|allowed| {
            let allowed = allowed.trim().to_ascii_lowercase();
            let allowed = allowed.trim_start_matches('[').trim_end_matches(']');
            allowed == "*"
                || allowed == name
                || allowed
                    .strip_prefix("*.")
                    .is_some_and(|suffix| name.ends_with(&format!(".{suffix}")))
        })
    }

    /// The wait after the `attempts`-th failed attempt: `initial * 2^(attempts-1)`, at most `max`.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let doublings = (attempts - 1).clamp(0, 30) as u32;
        self.initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}

/// Even with nothing announced the worker looks at the outbox this often, so rows written by
/// anything other than this engine's commits are not stranded.
const IDLE_POLL: Duration = Duration::from_secs(30);
/// Pause after a store error before trying again.
const STORE_RETRY: Duration = Duration::from_secs(1);
/// Bytes of an answer read at most (the rest is dropped with the connection).
const MAX_READ_BYTES: usize = 64 * 1024;

/// The running worker: a stop signal and the task to wait for.
pub(crate) struct Worker {
    stop: watch::Sender<bool>,
    // std Mutex: taken once, at shutdown, to move the handle out; never held across an await.
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Worker {
    /// Starts the worker; it begins with whatever is pending in the store (after a restart too).
    pub fn start(
        store: Store,
        config: DeliveryConfig,
        notifiers: Arc<Notifiers>,
        centers: crate::Centers,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let client = reqwest::Client::builder()
            .user_agent(concat!("ccemu/", env!("CARGO_PKG_VERSION")))
            // A redirect is an answer that is not 2xx: retried, not followed.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .build()
            .unwrap_or_else(|error| {
                tracing::error!(%error, "building the delivery HTTP client failed; using defaults");
                reqwest::Client::new()
            });
        let run = Run {
            store,
            config: Arc::new(config),
            client,
            notifiers,
            centers,
        };
        Self {
            stop,
            task: Mutex::new(Some(tokio::spawn(run.run(stopped)))),
        }
    }

    /// Stops taking new work, lets requests in flight finish (each within the timeout) and waits.
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        let task = self
            .task
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

struct Run {
    store: Store,
    config: Arc<DeliveryConfig>,
    client: reqwest::Client,
    notifiers: Arc<Notifiers>,
    centers: crate::Centers,
}

impl Run {
    /// The tenant a row belongs to, `None` once it is gone (its rows are deleted with it).
    fn tenant(&self, id: &str) -> Option<Arc<ccemu_core::Tenant>> {
        let id = ccemu_core::TenantId::parse(id).ok()?;
        // std RwLock, held only to clone one Arc out.
        let centers = self
            .centers
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        centers.get(&id).map(|c| c.tenant.clone())
    }

    async fn run(self, mut stopped: watch::Receiver<bool>) {
        let limit = self.config.concurrency.max(1);
        let mut tasks = JoinSet::new();
        // Outbox ids in flight, by task: never send the same row twice at once.
        let mut in_flight: HashMap<tokio::task::Id, i64> = HashMap::new();
        loop {
            if *stopped.borrow() {
                break;
            }
            let now = crate::wall_ms();
            let mut wait = IDLE_POLL;
            if in_flight.len() < limit {
                // Rows in flight are still pending, so they come back too: ask for enough.
                let want = (limit + in_flight.len()) as i64;
                match self.store.due_deliveries(now, want).await {
                    Ok(rows) => {
                        for row in rows {
                            if in_flight.len() >= limit {
                                break;
                            }
                            if in_flight.values().any(|id| *id == row.id) {
                                continue;
                            }
                            let id = row.id;
                            let mut request = row.notification.clone();
                            if let Some(tenant) = self.tenant(&row.tenant_id) {
                                self.notifiers.prepare(&tenant, &mut request);
                            }
                            let task = tasks.spawn(attempt(
                                self.client.clone(),
                                self.store.clone(),
                                self.config.clone(),
                                row,
                                request,
                            ));
                            in_flight.insert(task.id(), id);
                        }
                    }
                    Err(error) => {
                        tracing::error!(%error, "reading due deliveries failed");
                        wait = STORE_RETRY;
                    }
                }
            }
            match self.store.next_delivery_due(now).await {
                Ok(Some(at)) => wait = wait.min(Duration::from_millis((at - now).max(0) as u64)),
                Ok(None) => {}
                Err(error) => {
                    tracing::error!(%error, "reading the next delivery time failed");
                    wait = STORE_RETRY;
                }
            }
            tokio::select! {
                _ = stopped.changed() => {}
                _ = self.notifiers.woken() => {}
                Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    finished(&mut in_flight, done);
                    while let Some(done) = tasks.try_join_next_with_id() {
                        finished(&mut in_flight, done);
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
        // Requests in flight are bounded by the timeout; let them finish and be recorded.
        while let Some(done) = tasks.join_next_with_id().await {
            finished(&mut in_flight, done);
        }
        tracing::debug!("delivery worker stopped");
    }
}

fn finished(
    in_flight: &mut HashMap<tokio::task::Id, i64>,
    done: Result<(tokio::task::Id, ()), tokio::task::JoinError>,
) {
    let id = match done {
        Ok((id, ())) => id,
        Err(error) => {
            tracing::error!(%error, "delivery attempt task failed");
            error.id()
        }
    };
    in_flight.remove(&id);
}

/// Makes one attempt with `request` (the row's notification as its notifier prepared it) and
/// records it with what follows.
async fn attempt(
    client: reqwest::Client,
    store: Store,
    config: Arc<DeliveryConfig>,
    row: DueDelivery,
    request: Notification,
) {
    let number = row.attempts + 1;
    let at_ms = crate::wall_ms();
    let started = Instant::now();
    let outcome = send(&client, &request, &config).await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let next = match &outcome {
        Outcome::Delivered { .. } => NextStep::Delivered,
        Outcome::Permanent { .. } => NextStep::Failed,
        Outcome::Retry { .. }
            if config.max_attempts > 0 && number >= config.max_attempts as i64 =>
        {
            NextStep::Failed
        }
        Outcome::Retry { .. } => {
            let wait = config.backoff(number).as_millis() as i64;
            NextStep::RetryAt(crate::wall_ms() + wait)
        }
    };
    let (status, error) = match outcome {
        Outcome::Delivered { status } => (Some(status), None),
        Outcome::Retry { status, error } | Outcome::Permanent { status, error } => {
            (status, Some(error))
        }
    };
    tracing::debug!(
        delivery.id = row.id,
        tenant.id = %row.tenant_id,
        attempt = number,
        http.status = status,
        error = error.as_deref(),
        duration_ms,
        "delivery attempt"
    );
    let record = Attempt {
        attempt: number,
        at_ms,
        status,
        error,
        duration_ms,
    };
    match store.record_attempt(row.id, &record, next).await {
        Ok(true) => {}
        // The tenant was reset or deleted while the request was in flight.
        Ok(false) => tracing::debug!(delivery.id = row.id, "delivery gone before it was recorded"),
        // The row stays pending as it was and is sent again: at least once, never lost.
        Err(error) => tracing::error!(delivery.id = row.id, %error, "recording a delivery failed"),
    }
}

enum Outcome {
    Delivered { status: i64 },
    Retry { status: Option<i64>, error: String },
    Permanent { status: Option<i64>, error: String },
}

async fn send(client: &reqwest::Client, n: &Notification, config: &DeliveryConfig) -> Outcome {
    let method = match reqwest::Method::from_bytes(n.method.as_bytes()) {
        Ok(method) => method,
        Err(_) => {
            return Outcome::Permanent {
                status: None,
                error: format!("invalid HTTP method {:?}", n.method),
            }
        }
    };
    let url = match reqwest::Url::parse(&n.url) {
        Ok(url) => url,
        Err(error) => {
            return Outcome::Permanent {
                status: None,
                error: format!("invalid request: {error}"),
            }
        }
    };
    if !config.allows(&url) {
        return Outcome::Permanent {
            status: None,
            error: format!(
                "not sent: {} is neither loopback nor in delivery.allowed_hosts",
                url.host_str().unwrap_or("the host")
            ),
        };
    }
    let mut request = client.request(method, url).body(n.body.clone());
    for (name, value) in &n.headers {
        request = request.header(name, value);
    }
    match request.send().await {
        Ok(mut response) => {
            let status = i64::from(response.status().as_u16());
            let success = response.status().is_success();
            // Read (a bounded part of) the answer so the connection can be reused.
            let mut body = Vec::new();
            while body.len() < MAX_READ_BYTES {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            if success {
                Outcome::Delivered { status }
            } else {
                let text = String::from_utf8_lossy(&body[..body.len().min(config.answer_excerpt)])
                    .trim()
                    .to_owned();
                let error = if text.is_empty() {
                    format!("HTTP {status}")
                } else {
                    format!("HTTP {status}: {text}")
                };
                Outcome::Retry {
                    status: Some(status),
                    error,
                }
            }
        }
        // A request that cannot be built (bad URL or header) will never succeed.
        Err(error) if error.is_builder() => Outcome::Permanent {
            status: None,
            error: describe(&error, config),
        },
        Err(error) => Outcome::Retry {
            status: None,
            error: describe(&error, config),
        },
    }
}

/// A short description of a request error: its kind and innermost cause (no URL, no body).
fn describe(error: &reqwest::Error, config: &DeliveryConfig) -> String {
    if error.is_timeout() {
        return format!("timeout after {} ms", config.timeout.as_millis());
    }
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let kind = if error.is_connect() {
        "connect"
    } else if error.is_builder() {
        "invalid request"
    } else if error.is_body() || error.is_decode() {
        "body"
    } else {
        "request"
    };
    format!("{kind}: {cause}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_go_to_loopback_and_to_allowed_hosts_only() {
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        let none = DeliveryConfig::default();
        for u in [
            "http://127.0.0.1:9/h",
            "http://127.8.0.1/h",
            "http://[::1]:9/h",
            "http://LocalHost/h",
        ] {
            assert!(none.allows(&url(u)), "{u}");
        }
        for u in [
            "http://10.0.0.1/h",
            "http://169.254.169.254/latest",
            "http://example.com/h",
            "http://[::2]/h",
        ] {
            assert!(!none.allows(&url(u)), "{u}");
        }
        let some = DeliveryConfig {
            allowed_hosts: vec![
                "Hooks.Test".into(),
                "*.corp.test".into(),
                "10.0.0.1".into(),
                "[fd00::1]".into(),
            ],
            ..DeliveryConfig::default()
        };
        for u in [
            "http://hooks.test/h",
            "https://a.corp.test/h",
            "http://10.0.0.1:8/h",
            "http://[fd00::1]/h",
        ] {
            assert!(some.allows(&url(u)), "{u}");
        }
        for u in [
            "http://corp.test/h",
            "http://evilcorp.test/h",
            "http://hooks.test.evil/h",
            "http://10.0.0.2/h",
        ] {
            assert!(!some.allows(&url(u)), "{u}");
        }
        let any = DeliveryConfig {
            allowed_hosts: vec!["*".into()],
            ..DeliveryConfig::default()
        };
        assert!(any.allows(&url("http://example.com/h")));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let c = DeliveryConfig::default();
        let ms = |n| c.backoff(n).as_millis();
        assert_eq!(
            [ms(1), ms(2), ms(3), ms(4), ms(8), ms(9)],
            [200, 400, 800, 1600, 25_600, 30_000]
        );
        assert_eq!(ms(1_000_000), 30_000);
        assert_eq!(ms(0), 200);
    }
}
