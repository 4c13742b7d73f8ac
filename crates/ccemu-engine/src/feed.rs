//! The live feed of one tenant's events: what a WebSocket or streaming surface listens to.
//!
//! The tenant's owner task broadcasts each event right after the transaction that made it durable
//! commits, so a listener never sees an event the log does not hold. A broadcast channel is bounded:
//! a listener that falls behind is told it lagged and loses the oldest events. [`EventFeed`] hides
//! that: whenever the sequence numbers it receives skip, it reads the missing ones from the durable
//! log, so a slow listener gets every event once, in order, just later.

use std::collections::VecDeque;
use std::sync::Arc;

use ccemu_core::event::EventRecord;
use ccemu_core::TenantId;
use ccemu_store::Store;
use tokio::sync::broadcast;

use crate::Result;

/// Events a listener may fall behind by before it reads the rest from the log.
pub const FEED_CAPACITY: usize = 1024;

/// Events read from the log at once when a listener catches up.
const CATCH_UP_PAGE: i64 = 256;

/// The sending side, owned by the tenant's task: when the task stops, every feed ends.
pub(crate) type FeedSender = broadcast::Sender<Arc<EventRecord>>;

/// A sender for a new tenant task.
pub(crate) fn sender() -> FeedSender {
    broadcast::channel(FEED_CAPACITY).0
}

/// Publishes committed events; free when nobody listens (no clone, no allocation).
pub(crate) fn publish(sender: &FeedSender, events: &[EventRecord]) {
    if sender.receiver_count() == 0 {
        return;
    }
    for event in events {
        // An error only means the last listener left meanwhile.
        let _ = sender.send(Arc::new(event.clone()));
    }
}

/// One listener's view of a tenant's committed events, from the moment it subscribed on.
pub struct EventFeed {
    rx: broadcast::Receiver<Arc<EventRecord>>,
    store: Store,
    tenant: TenantId,
    last_seq: i64,
    /// Events read from the log, to hand out before anything received.
    backlog: VecDeque<Arc<EventRecord>>,
    /// The newest `seq` known committed while the feed is behind it.
    behind_until: Option<i64>,
}

impl std::fmt::Debug for EventFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventFeed")
            .field("tenant", &self.tenant)
            .field("last_seq", &self.last_seq)
            .field("backlog", &self.backlog.len())
            .finish()
    }
}

impl EventFeed {
    /// A feed that starts after `last_seq`, the tenant's last committed event when `rx` subscribed.
    pub(crate) fn new(
        rx: broadcast::Receiver<Arc<EventRecord>>,
        store: Store,
        tenant: TenantId,
        last_seq: i64,
    ) -> Self {
        Self {
            rx,
            store,
            tenant,
            last_seq,
            backlog: VecDeque::new(),
            behind_until: None,
        }
    }

    /// The `seq` of the last event handed out (or of the last one committed before subscribing).
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// The next committed event, in `seq` order without gaps; `None` once the tenant's task has
    /// stopped (tenant deleted, server shutting down). Fails only if catching up from the log
    /// fails; the feed keeps its place and may be polled again. Cancel-safe: a call dropped while
    /// it reads the log loses nothing, the next call resumes the catch-up.
    pub async fn next(&mut self) -> Result<Option<Arc<EventRecord>>> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                if event.seq > self.last_seq {
                    self.last_seq = event.seq;
                    return Ok(Some(event));
                }
                continue;
            }
            if let Some(target) = self.behind_until {
                if self.last_seq >= target {
                    self.behind_until = None;
                    continue;
                }
                // Everything up to `target` is durable (it was committed before `target` was
                // sent), so the log has it.
                let page = self
                    .store
                    .list_events(&self.tenant, self.last_seq, CATCH_UP_PAGE)
                    .await?;
                if page.is_empty() {
                    // Only if a tenant reset wiped the log meanwhile: nothing left to catch up.
                    self.behind_until = None;
                }
                self.backlog.extend(page.into_iter().map(Arc::new));
                continue;
            }
            match self.rx.recv().await {
                Ok(event) if event.seq <= self.last_seq => {
                    // Already handed out from the log while catching up.
                }
                Ok(event) if event.seq == self.last_seq + 1 => {
                    self.last_seq = event.seq;
                    return Ok(Some(event));
                }
                Ok(event) => self.behind_until = Some(event.seq),
                // The receiver skipped ahead; the sequence gap of the next event shows how far.
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(tenant.id = %self.tenant, missed, "event feed lagged");
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(None),
            }
        }
    }
}
