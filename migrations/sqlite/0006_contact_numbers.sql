-- ccemu schema 0006, SQLite flavour. Keep in step with migrations/postgres/0006_contact_numbers.sql.
-- Contacts the engine creates have numeric ids from a per-tenant sequence, which resumes after
-- a restart at the highest one stored: this index answers that with one look-up instead of a
-- scan of the tenant's contacts. The condition is the store's NUMERIC_ID, word for word.

CREATE INDEX contacts_by_number ON contacts (tenant_id, CAST(id AS BIGINT))
    WHERE id <> '' AND id NOT GLOB '*[^0-9]*' AND LENGTH(id) <= 18;
