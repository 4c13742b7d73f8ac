//! The repository on SQLite: the SQL of `repo/`, compiled with sqlx's native Sqlite driver.
//!
//! `repo/` is written once and compiled once per backend (this module and its twin), so each
//! backend gets its own types (JSONB, booleans, native rows) with no `Any` driver in between.

/// The database of this backend.
pub(crate) type Db = sqlx::Sqlite;
/// A row of this backend.
pub(crate) type DbRow = sqlx::sqlite::SqliteRow;
/// A transaction of this backend.
pub(crate) type Tx<'a> = sqlx::Transaction<'a, Db>;
/// A query built at run time on this backend.
pub(crate) type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>;

/// The condition of an id made of 1 to 18 digits (one that fits a BIGINT).
pub(crate) const NUMERIC_ID: &str = "id <> '' AND id NOT GLOB '*[^0-9]*' AND LENGTH(id) <= 18";

/// How a transaction that writes begins: takes the write lock at once: a transaction that read first and wrote later would fail with SQLITE_BUSY, not wait, once another connection had written in between.
pub(crate) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// The repository: the pool of this backend's connections.
#[derive(Debug, Clone)]
pub(crate) struct Repo {
    pub(crate) pool: sqlx::Pool<Db>,
}

#[path = "repo/base.rs"]
mod base;
#[path = "repo/directory.rs"]
mod directory;
#[path = "repo/outbox.rs"]
mod outbox;
#[path = "repo/typed.rs"]
mod typed;
