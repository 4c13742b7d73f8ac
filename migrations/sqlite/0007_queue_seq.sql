-- ccemu schema 0007, SQLite flavour. Keep in step with migrations/postgres/0007_queue_seq.sql.
-- A waiting contact's place in line: the tenant's next number each time it enters a queue. A
-- restart puts waiting contacts back in this order; times alone cannot tell apart contacts
-- queued in the same millisecond (a frozen clock queues them all at once). 0 = never queued.

ALTER TABLE interactions ADD COLUMN queue_seq BIGINT NOT NULL DEFAULT 0;
