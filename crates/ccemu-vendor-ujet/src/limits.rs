//! Per-tenant rate limiting (`vendor-notes/ujet.md` §1 "Rate limits"), off by default.
//!
//! UJET documents 10 requests per second per customer (the seed doc said 1); a tenant opts in
//! with a rate in its UJET settings (`PUT /_ccemu/tenants/{id}/rate-limits/ujet`). Requests
//! beyond it answer 429 in the API's error shape with `Retry-After`. The rate is never below one
//! request per 1.5 s, the pace reporting clients keep (they do not retry a 429). The bucket
//! holds one second of requests and refills on the tenant's clock, so a test on a manual clock
//! decides when the limit lifts. A tenant's bucket is the engine's vendor state of the tenant
//! (gone when the tenant is reset or deleted); the rate itself is stored.

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

/// A tenant's bucket as the engine keeps it for this surface; `None` until the first request
/// reads the tenant's rate. A std mutex: held only to read or replace the bucket, never across
/// an await.
#[derive(Debug, Default)]
pub struct RateBucket(Mutex<Option<Bucket>>);

impl RateBucket {
    fn with<R>(&self, f: impl FnOnce(&mut Option<Bucket>) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
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

/// Forgets a tenant's bucket, so the next request reads its rate again (after a change; a
/// reset or a deletion drops it with the rest of the tenant's vendor state).
pub fn forget(engine: &Engine, tenant: &TenantId) {
    if let Ok(bucket) = engine.vendor_state::<RateBucket>(tenant) {
        bucket.with(|b| *b = None);
    }
}

/// Takes one request from the tenant's bucket; `Err(retry_after_secs)` when it is empty.
pub async fn take(engine: &Engine, tenant: &TenantId) -> Result<(), u64> {
    // A tenant that is gone has no limit; the request fails on its own further on.
    let Ok(state) = engine.vendor_state::<RateBucket>(tenant) else {
        return Ok(());
    };
    if state.with(|b| b.is_none()) {
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
        // Another request may have filled it meanwhile: the first one to get here wins.
        state.with(|b| {
            b.get_or_insert(Bucket {
                rate,
                tokens: rate.map_or(0.0, |r| r.max(1.0)),
                at_ms: i64::MIN,
            });
        });
    }
    if state.with(|b| b.is_none_or(|b| b.rate.is_none())) {
        return Ok(());
    }
    let now_ms = engine.clock(tenant).await.map_or(0, |c| c.now_ms);
    // Read, refill, take and write back under one lock: concurrent requests each take their
    // own token.
    state.with(|b| {
        let Some(bucket) = b.as_mut() else {
            return Ok(());
        };
        let Some(rate) = bucket.rate else {
            return Ok(());
        };
        let capacity = rate.max(1.0);
        #[allow(clippy::cast_precision_loss)]
        let refill = if bucket.at_ms == i64::MIN {
            0.0
        } else {
            (now_ms - bucket.at_ms).max(0) as f64 / 1000.0 * rate
        };
        let tokens = (bucket.tokens + refill).min(capacity);
        // A request that read the clock before another's stamp does not move it back.
        bucket.at_ms = bucket.at_ms.max(now_ms);
        if tokens >= 1.0 {
            bucket.tokens = tokens - 1.0;
            Ok(())
        } else {
            bucket.tokens = tokens;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let wait = ((1.0 - tokens) / rate).ceil().max(1.0) as u64;
            Err(wait)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::tests::{ctx, demo};
    use ccemu_core::clock::ClockMode;
    use ccemu_engine::Op;
    use serde_json::json;

    /// Switches the demo tenant's limit on at one request per second on a frozen clock.
    async fn limited(engine: &Engine) {
        let settings = SurfaceSettings {
            id: SETTINGS_ID.to_owned(),
            values: [(RATE_KEY.to_owned(), json!(1))].into(),
            updated_at_ms: 0,
        };
        engine
            .execute(&demo(), Op::PutSurfaceSettings(settings))
            .await
            .unwrap();
        engine
            .set_clock(&demo(), ClockMode::Manual, None)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn two_engines_in_one_process_keep_their_own_buckets() {
        let (a, b) = (ctx().await, ctx().await);
        limited(&a.engine).await;
        limited(&b.engine).await;
        // Both tenants are `demo`: a bucket shared by tenant id would let only one through.
        assert_eq!(take(&a.engine, &demo()).await, Ok(()));
        assert_eq!(take(&b.engine, &demo()).await, Ok(()));
        assert_eq!(take(&a.engine, &demo()).await, Err(1));
        assert_eq!(take(&b.engine, &demo()).await, Err(1));
        // A reset drops the bucket with the tenant's vendor state: the rate is read again
        // (the reset removed it, so there is no limit any more).
        a.engine.reset_tenant(&demo(), None).await.unwrap();
        assert_eq!(take(&a.engine, &demo()).await, Ok(()));
        assert_eq!(take(&a.engine, &demo()).await, Ok(()));
        assert_eq!(take(&b.engine, &demo()).await, Err(1));
    }

    #[tokio::test]
    async fn the_bucket_refills_on_the_tenants_clock_and_forget_rereads_the_rate() {
        let c = ctx().await;
        limited(&c.engine).await;
        assert_eq!(take(&c.engine, &demo()).await, Ok(()));
        assert_eq!(take(&c.engine, &demo()).await, Err(1));
        c.engine.advance_clock(&demo(), 1000).await.unwrap();
        assert_eq!(take(&c.engine, &demo()).await, Ok(()));
        assert_eq!(take(&c.engine, &demo()).await, Err(1));
        let off = SurfaceSettings {
            id: SETTINGS_ID.to_owned(),
            ..SurfaceSettings::default()
        };
        c.engine
            .execute(&demo(), Op::PutSurfaceSettings(off))
            .await
            .unwrap();
        assert_eq!(take(&c.engine, &demo()).await, Err(1), "until forgotten");
        forget(&c.engine, &demo());
        assert_eq!(take(&c.engine, &demo()).await, Ok(()));
        assert_eq!(take(&c.engine, &demo()).await, Ok(()));
    }
}
