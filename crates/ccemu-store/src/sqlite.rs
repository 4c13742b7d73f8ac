//! The repository on SQLite: the SQL of `repo/`, compiled with sqlx's native driver.
//!
//! `repo/` is written once and compiled once per backend (this module and its twin), so each
//! backend gets its own types (JSONB, booleans, native rows) with no `Any` driver in between.

backend_repo!(sqlx::Sqlite, sqlx::sqlite::SqliteRow);

/// The condition of an id made of 1 to 18 digits (one that fits a BIGINT).
pub(crate) const NUMERIC_ID: &str = "id <> '' AND id NOT GLOB '*[^0-9]*' AND LENGTH(id) <= 18";

/// How a transaction that writes begins: it takes the write lock at once. A transaction that read first and wrote later would
/// fail with SQLITE_BUSY instead of waiting, once another connection had written in between.
pub(crate) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// Multi-row statements take `?` parameters (see [`crate::sql::Marks::Ordered`]).
pub(crate) const MARKS: crate::sql::Marks = crate::sql::Marks::Ordered;
