//! The outbox's SQL: notifications appended with a command, deliveries due, attempts recorded.

use super::{DbRow, Repo, Tx};
use crate::outbox::{
    wall_ms, Attempt, DeliveryRecord, DeliveryState, DueDelivery, NextStep, Notification,
    ATTEMPTS_KEPT,
};
use crate::{Result, StoreError};
use ccemu_core::TenantId;
use sqlx::Row;

/// Oldest pending row of its (tenant, URL) queue: the condition that keeps per-receiver order.
const HEAD_OF_QUEUE: &str = "NOT EXISTS (SELECT 1 FROM outbox older WHERE \
     older.tenant_id = o.tenant_id AND older.url = o.url AND older.state = 'pending' \
     AND older.id < o.id)";

impl Repo {
    /// Appends notifications inside a commit's transaction; they are due at once.
    pub(crate) async fn insert_notifications(
        tx: &mut Tx<'_>,
        tenant: &str,
        notifications: &[Notification],
    ) -> Result<()> {
        let now = wall_ms();
        for n in notifications {
            sqlx::query(
                "INSERT INTO outbox (tenant_id, created_at_ms, source, event_seq, url, method, \
                 headers, body, state, attempts, next_attempt_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $2)",
            )
            .bind(tenant)
            .bind(now)
            .bind(&n.source)
            .bind(n.event_seq)
            .bind(&n.url)
            .bind(&n.method)
            .bind(serde_json::to_string(&n.headers)?)
            .bind(&n.body)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Deletes a tenant's outbox rows and their attempts inside a transaction (delete or reset).
    pub(crate) async fn delete_outbox(tx: &mut Tx<'_>, tenant: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM delivery_attempts WHERE outbox_id IN \
             (SELECT id FROM outbox WHERE tenant_id = $1)",
        )
        .bind(tenant)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM outbox WHERE tenant_id = $1")
            .bind(tenant)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Counts a tenant's outbox and attempt rows (for `count_rows`).
    pub(crate) async fn count_outbox_rows(&self, tenant: &str) -> Result<i64> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE tenant_id = $1) + \
             (SELECT COUNT(*) FROM delivery_attempts WHERE outbox_id IN \
              (SELECT id FROM outbox WHERE tenant_id = $1))",
        )
        .bind(tenant)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Pending deliveries due at `now_ms` that are at the head of their (tenant, URL) queue, oldest
    /// first, at most `limit`.
    pub async fn due_deliveries(&self, now_ms: i64, limit: i64) -> Result<Vec<DueDelivery>> {
        let rows = sqlx::query(&format!(
            "SELECT o.id, o.tenant_id, o.attempts, o.source, o.event_seq, o.url, o.method, \
             o.headers, o.body FROM outbox o \
             WHERE o.state = 'pending' AND o.next_attempt_at_ms <= $1 AND {HEAD_OF_QUEUE} \
             ORDER BY o.id LIMIT $2"
        ))
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DueDelivery {
                    id: row.try_get(0)?,
                    tenant_id: row.try_get(1)?,
                    attempts: row.try_get(2)?,
                    notification: notification_from_row(row, 3)?,
                })
            })
            .collect()
    }

    /// The earliest time after `now_ms` at which some queue head falls due (`None`: nothing waits).
    pub async fn next_delivery_due(&self, now_ms: i64) -> Result<Option<i64>> {
        let row = sqlx::query(&format!(
            "SELECT MIN(o.next_attempt_at_ms) FROM outbox o \
             WHERE o.state = 'pending' AND o.next_attempt_at_ms > $1 AND {HEAD_OF_QUEUE}"
        ))
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?)
    }

    /// Records one attempt and what follows from it, in one transaction. Returns false (and writes
    /// nothing) when the delivery no longer exists or is no longer pending (tenant deleted or reset
    /// while the request was in flight).
    pub async fn record_attempt(&self, id: i64, attempt: &Attempt, next: NextStep) -> Result<bool> {
        let mut tx = self.write().await?;
        let (state, next_at, delivered_at) = match next {
            NextStep::Delivered => (DeliveryState::Delivered, attempt.at_ms, Some(wall_ms())),
            NextStep::RetryAt(at) => (DeliveryState::Pending, at, None),
            NextStep::Failed => (DeliveryState::Failed, attempt.at_ms, None),
        };
        let done = sqlx::query(
            "UPDATE outbox SET state = $2, attempts = $3, next_attempt_at_ms = $4, \
             last_status = $5, last_error = $6, delivered_at_ms = $7 \
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(id)
        .bind(state.as_str())
        .bind(attempt.attempt)
        .bind(next_at)
        .bind(attempt.status)
        .bind(attempt.error.as_deref())
        .bind(delivered_at)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO delivery_attempts (outbox_id, attempt, at_ms, status, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (outbox_id, attempt) DO NOTHING",
        )
        .bind(id)
        .bind(attempt.attempt)
        .bind(attempt.at_ms)
        .bind(attempt.status)
        .bind(attempt.error.as_deref())
        .bind(attempt.duration_ms)
        .execute(&mut *tx)
        .await?;
        // Unlimited retries would otherwise grow the log without bound.
        sqlx::query("DELETE FROM delivery_attempts WHERE outbox_id = $1 AND attempt <= $2")
            .bind(id)
            .bind(attempt.attempt - ATTEMPTS_KEPT)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A tenant's deliveries, newest first, at most `limit`, optionally only those in `state`,
    /// each with its attempt log.
    pub async fn list_deliveries(
        &self,
        tenant: &TenantId,
        state: Option<DeliveryState>,
        limit: i64,
    ) -> Result<Vec<DeliveryRecord>> {
        // `$2 = ''` selects every state; one statement text keeps the SQL portable and simple.
        let state = state.map(DeliveryState::as_str).unwrap_or("");
        let selected = "SELECT id FROM outbox WHERE tenant_id = $1 AND ($2 = '' OR state = $2) \
                        ORDER BY id DESC LIMIT $3";
        let rows = sqlx::query(&format!(
            "SELECT id, created_at_ms, state, attempts, next_attempt_at_ms, last_status, \
             last_error, delivered_at_ms, source, event_seq, url, method, headers, body \
             FROM outbox WHERE id IN ({selected}) ORDER BY id DESC"
        ))
        .bind(tenant.as_str())
        .bind(state)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut deliveries = rows
            .iter()
            .map(|row| {
                let state: String = row.try_get(2)?;
                Ok(DeliveryRecord {
                    id: row.try_get(0)?,
                    created_at_ms: row.try_get(1)?,
                    state: DeliveryState::parse(&state).ok_or_else(|| {
                        StoreError::Database(sqlx::Error::Decode(
                            format!("unknown delivery state {state:?}").into(),
                        ))
                    })?,
                    attempts: row.try_get(3)?,
                    next_attempt_at_ms: row.try_get(4)?,
                    last_status: row.try_get(5)?,
                    last_error: row.try_get(6)?,
                    delivered_at_ms: row.try_get(7)?,
                    notification: notification_from_row(row, 8)?,
                    attempts_log: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if deliveries.is_empty() {
            return Ok(deliveries);
        }
        let attempts = sqlx::query(&format!(
            "SELECT outbox_id, attempt, at_ms, status, error, duration_ms FROM delivery_attempts \
             WHERE outbox_id IN ({selected}) ORDER BY outbox_id, attempt"
        ))
        .bind(tenant.as_str())
        .bind(state)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let index: std::collections::HashMap<i64, usize> = deliveries
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id, i))
            .collect();
        for row in &attempts {
            let outbox_id: i64 = row.try_get(0)?;
            if let Some(&i) = index.get(&outbox_id) {
                deliveries[i].attempts_log.push(Attempt {
                    attempt: row.try_get(1)?,
                    at_ms: row.try_get(2)?,
                    status: row.try_get(3)?,
                    error: row.try_get(4)?,
                    duration_ms: row.try_get(5)?,
                });
            }
        }
        Ok(deliveries)
    }
}

/// Reads `source, event_seq, url, method, headers, body` starting at column `first`.
fn notification_from_row(row: &DbRow, first: usize) -> Result<Notification> {
    Ok(Notification {
        source: row.try_get(first)?,
        event_seq: row.try_get(first + 1)?,
        url: row.try_get(first + 2)?,
        method: row.try_get(first + 3)?,
        headers: serde_json::from_str(&row.try_get::<String, _>(first + 4)?)?,
        body: row.try_get(first + 5)?,
    })
}
