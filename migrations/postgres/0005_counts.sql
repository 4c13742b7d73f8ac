-- ccemu schema 0005, PostgreSQL flavour. Keep in step with migrations/sqlite/0005_counts.sql.
-- How many interactions each tenant holds per channel, kept in the transaction of every write
-- that adds or removes one: a page of one channel's history knows its total without counting
-- the history.

CREATE TABLE interaction_counts (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- voice | chat | messaging | errand | conversation
    channel   TEXT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, channel)
);

INSERT INTO interaction_counts (tenant_id, channel, n)
SELECT tenant_id, channel, COUNT(*) FROM interactions GROUP BY tenant_id, channel;
