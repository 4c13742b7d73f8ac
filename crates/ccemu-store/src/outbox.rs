//! The durable outbox: HTTP notifications waiting to be delivered, and the log of every attempt.
//!
//! A notification is written in the same transaction as the change that produced it (see
//! [`crate::Changes::notifications`]), so nothing is announced that did not happen and nothing that
//! happened goes unannounced, even across a crash. The delivery worker in `ccemu-engine` reads due
//! rows with [`Store::due_deliveries`] and records each try with [`Store::record_attempt`].
//!
//! Times here are wall-clock epoch milliseconds, not tenant time: retries are network I/O and a
//! frozen tenant clock must not stop them.
//!
//! Order: rows of one tenant and one URL form a queue. Only the oldest pending row of a queue is
//! ever due, so a receiver gets its notifications in the order they were committed, and one slow or
//! dead receiver holds up only its own queue.

/// How many attempts of one delivery the log keeps (the newest); older ones are pruned.
pub const ATTEMPTS_KEPT: i64 = 50;

/// What to send: produced by a vendor surface (or ccemu's own webhooks), delivered by the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Who produced it: `ccemu` or a vendor surface (`udesk`, `ujet`, ...).
    pub source: String,
    /// The domain event it announces, when there is one.
    pub event_seq: Option<i64>,
    /// Absolute http(s) URL.
    pub url: String,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request headers, in order; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Not delivered yet; will be tried (again) at `next_attempt_at_ms`.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Given up: the attempt limit was reached or the request cannot be built.
    Failed,
}

impl DeliveryState {
    /// Name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "pending" => Some(DeliveryState::Pending),
            "delivered" => Some(DeliveryState::Delivered),
            "failed" => Some(DeliveryState::Failed),
            _ => None,
        }
    }
}

/// A row of the outbox that is due: everything the worker needs to make one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// Outbox id.
    pub id: i64,
    /// Owning tenant (as stored).
    pub tenant_id: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// What to send.
    pub notification: Notification,
}

/// One try to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// 1 for the first try.
    pub attempt: i64,
    /// When it started, wall-clock epoch ms.
    pub at_ms: i64,
    /// HTTP status of the answer, if one came.
    pub status: Option<i64>,
    /// What went wrong (connection error, timeout, non-2xx); `None` on success.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// What becomes of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// It succeeded.
    Delivered,
    /// Try again at this wall-clock time (epoch ms).
    RetryAt(i64),
    /// Give up.
    Failed,
}

/// A delivery as listed through the control plane, with its attempt log (oldest attempt first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Outbox id.
    pub id: i64,
    /// When it was committed, wall-clock epoch ms.
    pub created_at_ms: i64,
    /// What was (or will be) sent.
    pub notification: Notification,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: i64,
    /// Next try, wall-clock epoch ms (meaningful while pending).
    pub next_attempt_at_ms: i64,
    /// HTTP status of the last answer.
    pub last_status: Option<i64>,
    /// Error of the last attempt.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at_ms: Option<i64>,
    /// The newest [`ATTEMPTS_KEPT`] attempts, oldest first.
    pub attempts_log: Vec<Attempt>,
}

/// Wall-clock time, epoch milliseconds.
pub(crate) fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
