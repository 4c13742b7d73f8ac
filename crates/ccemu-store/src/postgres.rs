//! The repository on PostgreSQL: the SQL of `repo/`, compiled with sqlx's native driver.
//!
//! `repo/` is written once and compiled once per backend (this module and its twin), so each
//! backend gets its own types (JSONB, booleans, native rows) with no `Any` driver in between.

backend_repo!(sqlx::Postgres, sqlx::postgres::PgRow);

/// The condition of an id made of 1 to 18 digits (one that fits a BIGINT).
pub(crate) const NUMERIC_ID: &str = "id ~ '^[0-9]{1,18}$'";

/// How a transaction that writes begins: row locks are taken as rows are written, nothing up front.
pub(crate) const BEGIN_WRITE: &str = "BEGIN";

/// Multi-row statements take `$n` parameters.
pub(crate) const MARKS: crate::sql::Marks = crate::sql::Marks::Numbered;
