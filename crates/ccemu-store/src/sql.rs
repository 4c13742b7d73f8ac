//! SQL that reads the same on both backends: statement text, enum names, state columns. The
//! repositories of [`crate::sqlite`] and [`crate::postgres`] run it with their native drivers.

use crate::{Result, StoreError};
use ccemu_core::{Agent, AgentState, Queue, Skill, SkillLevel, Team};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

/// How a backend writes the parameters of a multi-row statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marks {
    /// `$1, $2, ...` (PostgreSQL).
    Numbered,
    /// `?`, bound in order (SQLite). SQLite finds a `$n` parameter's name by a linear scan, and
    /// sqlx asks for every parameter's name: quadratic in a statement of hundreds of parameters.
    Ordered,
}

/// `INSERT ... ON CONFLICT (keys) DO UPDATE` of every column, for `rows` rows (one statement
/// writes them all).
pub(crate) fn upsert_sql(
    marks: Marks,
    table: &str,
    columns: &[&str],
    keys: &[&str],
    rows: usize,
) -> String {
    let updates: Vec<String> = columns
        .iter()
        .filter(|c| !keys.contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let action = if updates.is_empty() {
        "NOTHING".to_owned()
    } else {
        format!("UPDATE SET {}", updates.join(", "))
    };
    insert_sql(marks, table, columns, keys, rows, &action)
}

/// `INSERT ... ON CONFLICT (keys) DO NOTHING`: rows already stored are kept as they are.
pub(crate) fn insert_new_sql(
    marks: Marks,
    table: &str,
    columns: &[&str],
    keys: &[&str],
    rows: usize,
) -> String {
    insert_sql(marks, table, columns, keys, rows, "NOTHING")
}

fn insert_sql(
    marks: Marks,
    table: &str,
    columns: &[&str],
    keys: &[&str],
    rows: usize,
    action: &str,
) -> String {
    format!(
        "{} ON CONFLICT ({}) DO {action}",
        plain_insert_sql(marks, table, columns, rows),
        keys.join(", ")
    )
}

/// `INSERT INTO table (columns) VALUES (...), ...` for `rows` rows; every parameter of the
/// statement is one of its cells, in order.
pub(crate) fn plain_insert_sql(marks: Marks, table: &str, columns: &[&str], rows: usize) -> String {
    let width = columns.len();
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=width)
                .map(|c| match marks {
                    Marks::Numbered => format!("${}", r * width + c),
                    Marks::Ordered => "?".to_owned(),
                })
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        values.join(", ")
    )
}

/// `$2, $3, ...`: the marks of a list of `count` parameters after the tenant's `$1`.
pub(crate) fn after_tenant(count: usize) -> String {
    let marks: Vec<String> = (0..count).map(|n| format!("${}", n + 2)).collect();
    marks.join(", ")
}

/// Rows per multi-row statement: at up to 29 parameters a row (interactions), 1,856 a statement,
/// far below every backend's limit (SQLite 32,766, PostgreSQL 65,535).
pub(crate) const BATCH: usize = 64;

/// A snake_case enum as its stored name.
pub(crate) fn name<T: Serialize>(value: &T) -> Result<String> {
    match serde_json::to_value(value)? {
        Value::String(s) => Ok(s),
        other => Err(corrupt(format!("expected an enum name, got {other}"))),
    }
}

/// A stored enum name back as the enum.
pub(crate) fn parse<T: DeserializeOwned>(name: String) -> Result<T> {
    Ok(serde_json::from_value(Value::String(name))?)
}

pub(crate) fn parse_opt<T: DeserializeOwned>(name: Option<String>) -> Result<Option<T>> {
    name.map(parse).transpose()
}

pub(crate) fn corrupt(reason: String) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(reason.into()))
}

pub(crate) fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An agent state's columns: name, reason, sub-state and end time.
pub(crate) type StateColumns = (String, Option<String>, Option<i64>, Option<i64>);

/// An agent state as its columns.
pub(crate) fn state_columns(state: &AgentState) -> Result<StateColumns> {
    let v = serde_json::to_value(state)?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let int = |k: &str| v.get(k).and_then(Value::as_i64);
    Ok((
        state.name().to_owned(),
        text("reason"),
        int("sub_state"),
        int("until_ms"),
    ))
}

/// An agent state back from its columns.
pub(crate) fn state_from(
    state: String,
    reason: Option<String>,
    sub_state: Option<i64>,
    until_ms: Option<i64>,
) -> Result<AgentState> {
    let mut v = serde_json::Map::new();
    v.insert("state".into(), Value::String(state));
    if let Some(r) = reason {
        v.insert("reason".into(), Value::String(r));
    }
    if let Some(s) = sub_state {
        v.insert("sub_state".into(), s.into());
    }
    if let Some(u) = until_ms {
        v.insert("until_ms".into(), u.into());
    }
    Ok(serde_json::from_value(Value::Object(v))?)
}

/// A parameter of a query built at run time.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

/// What one pruning pass removed from a tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Ended interactions (their child rows went with them).
    pub ended_interactions: u64,
    /// Agent state logs.
    pub agent_state_logs: u64,
    /// Events.
    pub events: u64,
    /// Finished outbox deliveries (their attempts went with them).
    pub finished_deliveries: u64,
}

/// The condition of ended interactions older than the newest `keep` (by number).
pub(crate) fn ended_beyond(keep: u64) -> String {
    format!(
        "tenant_id = $1 AND state IN ('ended', 'abandoned', 'failed') AND number <= \
         (SELECT number FROM interactions WHERE tenant_id = $1 \
          AND state IN ('ended', 'abandoned', 'failed') ORDER BY number DESC LIMIT 1 OFFSET {})",
        i64_of(keep)
    )
}

/// A tenant's whole directory, each list by id.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    pub agents: Vec<Agent>,
    pub queues: Vec<Queue>,
    pub teams: Vec<Team>,
    pub skills: Vec<Skill>,
}

/// Skill levels as child rows: `(skill, proficiency, position from 1)`.
pub(crate) fn skill_rows(skills: &[SkillLevel]) -> Vec<(String, i64, i64)> {
    skills
        .iter()
        .enumerate()
        .map(|(n, s)| (s.skill_id.clone(), i64::from(s.proficiency), n as i64 + 1))
        .collect()
}

/// Where `id` stands in `ids`, which are sorted bytewise (as the database sorts them).
pub(crate) fn at(ids: &[String], id: &str) -> Option<usize> {
    ids.binary_search_by(|x| x.as_str().cmp(id)).ok()
}
