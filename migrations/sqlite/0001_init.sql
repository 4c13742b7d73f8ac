-- ccemu schema, SQLite flavour. Keep in step with migrations/postgres/0001_init.sql.
-- Ids are TEXT, times are BIGINT epoch milliseconds, documents are TEXT holding JSON.

CREATE TABLE tenants (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    credentials   TEXT NOT NULL,
    clock         TEXT NOT NULL
);

CREATE TABLE entities (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    id        TEXT NOT NULL,
    data      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
);

CREATE TABLE events (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq       BIGINT NOT NULL,
    at_ms     BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    data      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

CREATE TABLE timers (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id        BIGINT NOT NULL,
    due_ms    BIGINT NOT NULL,
    action    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
