//! The request journal: the last N vendor requests with their responses, for test code to inspect.
//!
//! It is bounded twice: by entries and by the bytes of the bodies it keeps, so a flood of large
//! requests cannot grow the server. A request no tenant owns (an unknown path, failed
//! authentication) is journaled without its body: anyone can send those.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ccemu_core::TenantId;
use http_body_util::BodyExt;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::mount::{Surface, CONTROL};

/// One journaled exchange.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Increasing id.
    pub id: u64,
    /// Wall-clock time of arrival, written as RFC 3339.
    #[serde(rename = "at", serialize_with = "rfc3339")]
    pub at_ms: i64,
    /// Tenant the vendor surface resolved, if any.
    pub tenant: Option<String>,
    /// Vendor surface name.
    pub vendor: &'static str,
    /// HTTP method.
    pub method: String,
    /// Path as routed (after any prefix was stripped).
    pub path: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// Response status.
    pub status: u16,
    /// Time to produce the response, milliseconds.
    pub duration_ms: f64,
    /// Request body (written as UTF-8, lossy, truncated to the configured size).
    pub request_body: Text,
    /// Response body (same rules).
    pub response_body: Text,
}

/// A journaled body, kept as the bytes that were sent: the copy and the UTF-8 check happen only
/// when someone reads the journal, not on every request.
#[derive(Debug, Clone)]
pub struct Text(Bytes);

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&String::from_utf8_lossy(&self.0))
    }
}

fn rfc3339<S: serde::Serializer>(at_ms: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&ccemu_core::clock::format_rfc3339_ms(*at_ms))
}

/// Filters of `GET /_ccemu/requests`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Only this tenant.
    pub tenant: Option<String>,
    /// Only this vendor.
    pub vendor: Option<String>,
    /// Only this method (case-insensitive).
    pub method: Option<String>,
    /// Only paths starting with this.
    pub path_prefix: Option<String>,
    /// At most this many (default 100, at most [`MAX_LIMIT`]).
    pub limit: Option<usize>,
}

/// The most entries one read returns.
pub const MAX_LIMIT: usize = 1000;

/// The bounded journal, shared by the middleware and the control plane.
#[derive(Debug, Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    // std Mutex: each critical section is a push or a scan with no await inside.
    entries: Mutex<Entries>,
    capacity: usize,
    max_body: usize,
    max_total: usize,
    body_limit: usize,
    next_id: AtomicU64,
}

/// The entries, oldest first, and the body bytes they hold.
#[derive(Debug, Default)]
struct Entries {
    list: VecDeque<Entry>,
    bytes: usize,
}

impl Entry {
    fn body_bytes(&self) -> usize {
        self.request_body.0.len() + self.response_body.0.len()
    }
}

impl Journal {
    /// A journal keeping `capacity` entries, with bodies cut at `max_body` bytes and at most
    /// `max_total` body bytes in all; `body_limit` is the server's request body limit.
    pub fn new(capacity: usize, max_body: usize, max_total: usize, body_limit: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                entries: Mutex::new(Entries::default()),
                capacity: capacity.max(1),
                max_body,
                max_total,
                body_limit,
                next_id: AtomicU64::new(1),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner
            .entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Adds an entry, dropping the oldest ones until both bounds hold.
    fn push(&self, entry: Entry) {
        let mut entries = self.lock();
        entries.bytes += entry.body_bytes();
        entries.list.push_back(entry);
        while entries.list.len() > self.inner.capacity
            || (entries.bytes > self.inner.max_total && entries.list.len() > 1)
        {
            let Some(old) = entries.list.pop_front() else {
                break;
            };
            entries.bytes -= old.body_bytes();
        }
    }

    /// Entries matching the filter, newest first.
    pub fn list(&self, filter: &Filter) -> Vec<Entry> {
        let limit = filter.limit.unwrap_or(100).min(MAX_LIMIT);
        self.lock()
            .list
            .iter()
            .rev()
            .filter(|e| {
                filter
                    .tenant
                    .as_deref()
                    .is_none_or(|t| e.tenant.as_deref() == Some(t))
            })
            .filter(|e| filter.vendor.as_deref().is_none_or(|v| e.vendor == v))
            .filter(|e| {
                filter
                    .method
                    .as_deref()
                    .is_none_or(|m| e.method.eq_ignore_ascii_case(m))
            })
            .filter(|e| {
                filter
                    .path_prefix
                    .as_deref()
                    .is_none_or(|p| e.path.starts_with(p))
            })
            .take(limit)
            .cloned()
            .collect()
    }

    /// Removes every entry and gives their memory back.
    pub fn clear(&self) {
        // Freed outside the lock, and before the release is counted.
        let entries = std::mem::take(&mut *self.lock());
        drop(entries);
        crate::memory::released();
    }

    /// The first `max_body` bytes, copied: the buffer a body arrived or was written in may be
    /// larger than the body, and the journal keeps exactly what it counts.
    fn cut(&self, bytes: &[u8]) -> Text {
        let kept = &bytes[..bytes.len().min(self.inner.max_body)];
        Text(if kept.is_empty() {
            Bytes::new()
        } else {
            Bytes::copy_from_slice(kept)
        })
    }
}

/// Middleware: records every vendor request (not control-plane calls) and its response.
pub async fn record(State(journal): State<Journal>, req: Request, next: Next) -> Response {
    let vendor = match req.extensions().get::<Surface>() {
        Some(Surface(s)) if *s != CONTROL => *s,
        _ => return next.run(req).await,
    };
    let started = Instant::now();
    let at_ms = crate::wall_ms();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    // WebSocket upgrades stream forever: journal the handshake only, leave both bodies alone.
    let upgrade = req.headers().contains_key(axum::http::header::UPGRADE);
    let (response, request_bytes) = if upgrade {
        (next.run(req).await, Bytes::new())
    } else {
        let (parts, body) = req.into_parts();
        let bytes = read_capped(body, journal.inner.body_limit).await;
        let req = Request::from_parts(parts, Body::from(bytes.clone()));
        (next.run(req).await, bytes)
    };
    let status = response.status().as_u16();
    let tenant = response
        .extensions()
        .get::<TenantId>()
        .map(|t| t.to_string());
    let (parts, body) = response.into_parts();
    let (body, response_bytes) = if upgrade {
        (body, Bytes::new())
    } else {
        let bytes = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        (Body::from(bytes.clone()), bytes)
    };
    // Anyone can send a request no tenant owns: its body is not worth the memory.
    let request_bytes = if tenant.is_some() {
        request_bytes
    } else {
        Bytes::new()
    };
    journal.push(Entry {
        id: journal.inner.next_id.fetch_add(1, Ordering::Relaxed),
        at_ms,
        tenant,
        vendor,
        method,
        path,
        query,
        status,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        request_body: journal.cut(&request_bytes),
        response_body: journal.cut(&response_bytes),
    });
    Response::from_parts(parts, body)
}

/// Reads a body but stops once it is over `limit`: the handler's own body limit then rejects the
/// (still too large) prefix with the vendor's error, and memory stays bounded.
pub(crate) async fn read_capped(mut body: Body, limit: usize) -> Bytes {
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { break };
        if let Ok(data) = frame.into_data() {
            buf.extend_from_slice(&data);
            if buf.len() > limit {
                break;
            }
        }
    }
    buf.freeze()
}
