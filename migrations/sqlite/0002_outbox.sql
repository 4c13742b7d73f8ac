-- Durable outbox of HTTP notifications and the log of delivery attempts, SQLite flavour.
-- Keep in step with migrations/postgres/0002_outbox.sql; only the id column differs.
-- Times are BIGINT epoch milliseconds of the wall clock (deliveries are network I/O, not tenant time).

CREATE TABLE outbox (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id          TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at_ms      BIGINT NOT NULL,
    source             TEXT NOT NULL,
    event_seq          BIGINT,
    url                TEXT NOT NULL,
    method             TEXT NOT NULL,
    headers            TEXT NOT NULL,
    body               TEXT NOT NULL,
    state              TEXT NOT NULL,
    attempts           BIGINT NOT NULL,
    next_attempt_at_ms BIGINT NOT NULL,
    last_status        BIGINT,
    last_error         TEXT,
    delivered_at_ms    BIGINT
);

-- The worker's scan: pending rows by due time.
CREATE INDEX outbox_due ON outbox (state, next_attempt_at_ms);
-- Per-destination order: "is there an older pending row for this tenant and URL?"
CREATE INDEX outbox_queue ON outbox (tenant_id, url, state, id);

CREATE TABLE delivery_attempts (
    outbox_id   BIGINT NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempt     BIGINT NOT NULL,
    at_ms       BIGINT NOT NULL,
    status      BIGINT,
    error       TEXT,
    duration_ms BIGINT NOT NULL,
    PRIMARY KEY (outbox_id, attempt)
);
