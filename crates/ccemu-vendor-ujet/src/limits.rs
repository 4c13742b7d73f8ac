//! Per-tenant rate limiting (`vendor-notes/ujet.md` §1 "Rate limits"), off by default.
//!
//! UJET documents 10 requests per second per customer (the seed doc said 1); a tenant opts in
//! with a rate in its UJET settings (`PUT /_ccemu/tenants/{id}/rate-limits/ujet`). Requests
//! beyond it answer 429 in the API's error shape with `Retry-After`. The rate is never below one
//! request per 1.5 s, the pace reporting clients keep (they do not retry a 429). The bucket
//! holds one second of requests and refills on the tenant's clock, so a test on a manual clock
//! decides when the limit lifts. The buckets live in this process; the rate itself is stored.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use ccemu_core::{SurfaceSettings, TenantId};
use ccemu_engine::Engine;
use serde_json::Value;

/// Id of the tenant's UJET settings record.
pub const SETTINGS_ID: &str = "ujet";
/// Key of the rate (requests per second, a number) in those settings; absent or null is off.
pub const RATE_KEY: &str = "rate_limit_per_sec";
/// The slowest rate a tenant may set: one request per 1.5 s.
pub const MIN_RATE: f64 = 1.0 / 1.5;

/// A tenant's bucket: its rate (`None`: no limit), the tokens left and when they were counted.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    rate: Option<f64>,
    tokens: f64,
    at_ms: i64,
}

static BUCKETS: Mutex<Option<HashMap<TenantId, Bucket>>> = Mutex::new(None);

fn with_buckets<R>(f: impl FnOnce(&mut HashMap<TenantId, Bucket>) -> R) -> R {
    let mut guard = BUCKETS.lock().unwrap_or_else(PoisonError::into_inner);
    f(guard.get_or_insert_with(HashMap::new))
}

/// Checks a stored rate: a number of at least [`MIN_RATE`], or null (off).
pub fn validate(rate: &Value) -> Result<Option<f64>, String> {
    match rate {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_f64() {
            Some(r) if r >= MIN_RATE && r.is_finite() => Ok(Some(r)),
            _ => Err(format!(
                "{RATE_KEY} must be at least {MIN_RATE:.3} (one request per 1.5 s) or null"
            )),
        },
        _ => Err(format!("{RATE_KEY} must be a number or null")),
    }
}

/// Forgets a tenant's bucket, so the next request reads its rate again (after a change,
/// a reset or a deletion).
pub fn forget(tenant: &TenantId) {
    with_buckets(|b| b.remove(tenant));
}

/// Takes one request from the tenant's bucket; `Err(retry_after_secs)` when it is empty.
pub async fn take(engine: &Engine, tenant: &TenantId) -> Result<(), u64> {
    let known = with_buckets(|b| b.get(tenant).copied());
    let bucket = match known {
        Some(bucket) => bucket,
        None => {
            let rate = engine
                .record::<SurfaceSettings>(tenant, SETTINGS_ID)
                .await
                .ok()
                .flatten()
                .and_then(|s| {
                    s.values
                        .get(RATE_KEY)
                        .and_then(|r| validate(r).ok().flatten())
                });
            Bucket {
                rate,
                tokens: rate.map_or(0.0, |r| r.max(1.0)),
                at_ms: i64::MIN,
            }
        }
    };
    let Some(rate) = bucket.rate else {
        with_buckets(|b| b.insert(tenant.clone(), bucket));
        return Ok(());
    };
    let now_ms = engine.clock(tenant).await.map_or(0, |c| c.now_ms);
    let capacity = rate.max(1.0);
    #[allow(clippy::cast_precision_loss)]
    let refill = if bucket.at_ms == i64::MIN {
        0.0
    } else {
        (now_ms - bucket.at_ms).max(0) as f64 / 1000.0 * rate
    };
    let tokens = (bucket.tokens + refill).min(capacity);
    let (tokens, outcome) = if tokens >= 1.0 {
        (tokens - 1.0, Ok(()))
    } else {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let wait = ((1.0 - tokens) / rate).ceil().max(1.0) as u64;
        (tokens, Err(wait))
    };
    with_buckets(|b| {
        b.insert(
            tenant.clone(),
            Bucket {
                rate: Some(rate),
                tokens,
                at_ms: now_ms,
            },
        )
    });
    outcome
}
