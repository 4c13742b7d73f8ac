-- ccemu schema 0007, PostgreSQL flavour. Keep in step with migrations/sqlite/0007_queue_seq.sql.
-- A waiting contact's place in line: the tenant's next number each time it enters a queue. A
-- restart puts waiting contacts back in this order; times alone cannot tell apart contacts
-- queued in the same millisecond (a frozen clock queues them all at once). 0 = never queued.

ALTER TABLE interactions ADD COLUMN queue_seq BIGINT NOT NULL DEFAULT 0;

-- PostgreSQL fixed the views' columns when they were made; SQLite's follow the table.
CREATE OR REPLACE VIEW calls AS SELECT * FROM interactions WHERE channel = 'voice';
CREATE OR REPLACE VIEW chats AS SELECT * FROM interactions WHERE channel IN ('chat', 'messaging', 'conversation');
CREATE OR REPLACE VIEW errands AS SELECT * FROM interactions WHERE channel = 'errand';
