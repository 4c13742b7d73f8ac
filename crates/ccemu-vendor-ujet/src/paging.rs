//! Manager API lists (`vendor-notes/ujet.md` §4 "Pagination"): filters, sorting, `page`/`per`,
//! and the `Total`, `Per-Page` and `Link` headers reporting clients follow.
//!
//! A list is built as JSON rows, then filtered, sorted and cut here ([`list`]); a history list
//! whose query is only a [`Window`] (page, id or time sort, time bounds) is cut by the store
//! instead and answered with [`page`], with the same headers. Every Manager list has the same
//! rules: `page` is 1-based, `per` defaults to 100 (at most 1000); `sort_column` names a
//! field of the rows and `sort_direction` is `ASC` (default) or `DESC`, ties broken by `id`;
//! `<field>[from]`/`<field>[to]` are inclusive bounds on a date-time or number field;
//! `<field>[]` keeps rows whose field (or the field's `id`, for `status_id[]` on a `status`
//! object) is one of the values. When another page exists, `Link: <url>; rel="next"` carries the
//! request's scheme, host, path prefix and every query parameter with `page` advanced.

use std::cmp::Ordering;

use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::auth::Authed;
use crate::dto::{self, Params};
use crate::error::{Api, UjetError};

/// Default and largest page size.
pub const DEFAULT_PER: usize = 100;
const MAX_PER: usize = 1000;

/// Parameters that are not filters.
const CONTROL: &[&str] = &["page", "per", "sort_column", "sort_direction"];

fn bad(message: String) -> UjetError {
    UjetError::BadRequest(Api::Manager, message)
}

/// A positive integer parameter.
fn positive(params: &Params, name: &str, default: usize) -> Result<usize, UjetError> {
    match params.get(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| bad(format!("{name} must be a positive integer"))),
    }
}

/// The value of `field` in a row; `status_id` falls back to `status.id`.
fn field<'a>(row: &'a Value, name: &str) -> Option<&'a Value> {
    if let Some(v) = row.get(name) {
        return Some(v);
    }
    let (object, key) = name.rsplit_once('_')?;
    row.get(object)?.get(key)
}

/// A value as text for `[]` filters (`"5"` matches `5`; an object matches by its `id`).
fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o.get("id").and_then(as_text),
        _ => None,
    }
}

/// A value as a number for `[from]`/`[to]` bounds: a date-time is its epoch ms.
fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        #[allow(clippy::cast_precision_loss)]
        Value::String(s) => ccemu_core::clock::parse_rfc3339(s).map(|ms| ms as f64),
        _ => None,
    }
}

/// Orders two values of one column: nulls first, then numbers, dates, text.
fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a.and_then(as_number), b.and_then(as_number)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => {
            let text = |v: Option<&Value>| v.filter(|v| !v.is_null()).and_then(as_text);
            text(a).cmp(&text(b))
        }
    }
}

/// Filters, sorts and pages `rows` as the query asks; `Total` counts the filtered rows.
pub fn list(auth: &Authed, params: &Params, rows: Vec<Value>) -> Response {
    match cut(auth, params, rows) {
        Ok(response) => response,
        Err(error) => dto::fail(auth, error),
    }
}

fn cut(auth: &Authed, params: &Params, rows: Vec<Value>) -> Result<Response, UjetError> {
    let page = positive(params, "page", 1)?;
    let per = positive(params, "per", DEFAULT_PER)?;
    if per > MAX_PER {
        return Err(bad(format!("per must be at most {MAX_PER}")));
    }
    let mut rows = filter(params, rows)?;
    if let Some(column) = params.get("sort_column") {
        if rows.first().is_some_and(|r| field(r, column).is_none()) {
            return Err(bad(format!("Invalid sort_column: {column}")));
        }
        let descending = descending(params)?;
        rows.sort_by(|a, b| {
            let order = compare(field(a, column), field(b, column));
            let order = if descending { order.reverse() } else { order };
            order.then_with(|| compare(a.get("id"), b.get("id")))
        });
    }
    let total = rows.len();
    let start = (page - 1).saturating_mul(per).min(total);
    let end = start.saturating_add(per).min(total);
    let body: Vec<Value> = rows.drain(start..end).collect();
    Ok(respond(auth, params, page, per, total, body))
}

/// The response to a page of a list: the rows, then `Total`, `Per-Page` and, when rows follow
/// this page, `Link` to the next one.
fn respond(
    auth: &Authed,
    params: &Params,
    page: usize,
    per: usize,
    total: usize,
    body: Vec<Value>,
) -> Response {
    let end = (page - 1)
        .saturating_mul(per)
        .saturating_add(per)
        .min(total);
    let mut response = dto::ok(auth, StatusCode::OK, Value::Array(body));
    let headers = response.headers_mut();
    headers.insert("total", HeaderValue::from(total));
    headers.insert("per-page", HeaderValue::from(per));
    if end < total {
        let url = auth
            .origin
            .url(&format!("{}?{}", auth.path, params.with_page(page + 1)));
        if let Ok(link) = HeaderValue::from_str(&format!("<{url}>; rel=\"next\"")) {
            headers.insert("link", link);
        }
    }
    response
}

/// A column a [`Window`] sorts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `id`.
    Id,
    /// `created_at`.
    CreatedAt,
    /// `updated_at`.
    UpdatedAt,
}

/// A list query the store can answer with one indexed page: nothing but `page`, `per`, a sort
/// on `id`, `created_at` or `updated_at`, and `created_at`/`updated_at` bounds. It means exactly
/// what [`list`] makes of the same query over rows that have those fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// 1-based page.
    pub page: usize,
    /// Rows per page.
    pub per: usize,
    /// Sort column and whether it is descending; `None` keeps the rows' own order.
    pub sort: Option<(Column, bool)>,
    /// `created_at[from]`, `created_at[to]`, epoch ms.
    pub created: (Option<i64>, Option<i64>),
    /// `updated_at[from]`, `updated_at[to]`, epoch ms.
    pub updated: (Option<i64>, Option<i64>),
}

impl Window {
    /// Rows before this page.
    pub fn offset(&self) -> usize {
        (self.page - 1).saturating_mul(self.per)
    }
}

/// Parameters a [`Window`] understands.
const WINDOW_KEYS: &[&str] = &[
    "page",
    "per",
    "sort_column",
    "sort_direction",
    "created_at[from]",
    "created_at[to]",
    "updated_at[from]",
    "updated_at[to]",
];

/// The query as a [`Window`], `None` when it asks for anything else (then [`list`] answers it
/// over every row). An invalid value is the same error [`list`] answers, checked in the same
/// order.
pub fn window(params: &Params) -> Option<Result<Window, UjetError>> {
    if params
        .0
        .iter()
        .any(|(k, _)| !WINDOW_KEYS.contains(&k.as_str()))
    {
        return None;
    }
    let sort = match params.get("sort_column") {
        None => None,
        Some("id") => Some(Column::Id),
        Some("created_at") => Some(Column::CreatedAt),
        Some("updated_at") => Some(Column::UpdatedAt),
        Some(_) => return None,
    };
    let checked = || {
        let page = positive(params, "page", 1)?;
        let per = positive(params, "per", DEFAULT_PER)?;
        if per > MAX_PER {
            return Err(bad(format!("per must be at most {MAX_PER}")));
        }
        // Bounds are checked in the order their parameters come, as `filter` does.
        let (mut created, mut updated) = ((None, None), (None, None));
        for (key, _) in &params.0 {
            if key.starts_with("created_at[") {
                created = bounds(params, "created_at")?;
            } else if key.starts_with("updated_at[") {
                updated = bounds(params, "updated_at")?;
            }
        }
        let sort = match sort {
            None => None,
            Some(column) => Some((column, descending(params)?)),
        };
        Ok(Window {
            page,
            per,
            sort,
            created,
            updated,
        })
    };
    Some(checked())
}

/// `sort_direction`: `ASC` (the default) or `DESC`, any case.
fn descending(params: &Params) -> Result<bool, UjetError> {
    match params.get("sort_direction") {
        None => Ok(false),
        Some(d) if d.eq_ignore_ascii_case("asc") => Ok(false),
        Some(d) if d.eq_ignore_ascii_case("desc") => Ok(true),
        Some(d) => Err(bad(format!("Invalid sort_direction: {d}"))),
    }
}

/// Answers a page the store cut already: `rows` are page `window.page` of `total` matching
/// rows, with the same headers [`list`] gives.
pub fn page(
    auth: &Authed,
    params: &Params,
    window: &Window,
    total: u64,
    rows: Vec<Value>,
) -> Response {
    let total = usize::try_from(total).unwrap_or(usize::MAX);
    respond(auth, params, window.page, window.per, total, rows)
}

/// `name[from]`/`name[to]`: a plain number (`agents_count[from]=2`) or a date-time as epoch ms.
fn bounds(params: &Params, name: &str) -> Result<(Option<i64>, Option<i64>), UjetError> {
    let bound = |side: &str| -> Result<Option<i64>, UjetError> {
        let key = format!("{name}[{side}]");
        match params.get(&key) {
            None => Ok(None),
            Some(text) => text
                .parse::<i64>()
                .ok()
                .or_else(|| ccemu_core::clock::parse_rfc3339(text))
                .map(Some)
                .ok_or_else(|| bad(format!("{key} is invalid"))),
        }
    };
    Ok((bound("from")?, bound("to")?))
}

/// Applies every `[from]`, `[to]` and `[]` filter whose field the rows have.
fn filter(params: &Params, mut rows: Vec<Value>) -> Result<Vec<Value>, UjetError> {
    let mut seen = Vec::new();
    for (key, _) in &params.0 {
        let name = key
            .strip_suffix("[from]")
            .or_else(|| key.strip_suffix("[to]"))
            .or_else(|| key.strip_suffix("[]"))
            .unwrap_or(key);
        if CONTROL.contains(&name) || seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let (from, to) = bounds(params, name)?;
        let wanted = params.all(name);
        if from.is_none() && to.is_none() && wanted.is_empty() {
            continue;
        }
        #[allow(clippy::cast_precision_loss)]
        rows.retain(|row| {
            let Some(value) = field(row, name) else {
                // Not a field of this list: the filter does not apply.
                return true;
            };
            let number = as_number(value);
            let in_range = from.is_none_or(|f| number.is_some_and(|n| n >= f as f64))
                && to.is_none_or(|t| number.is_some_and(|n| n <= t as f64));
            let listed =
                wanted.is_empty() || as_text(value).is_some_and(|t| wanted.iter().any(|w| *w == t));
            in_range && listed
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rows() -> Vec<Value> {
        (1..=5)
            .map(|i| {
                json!({
                    "id": i,
                    "updated_at": dto::time(1_546_300_800_000 + (5 - i) * 60_000),
                    "status": {"id": -(i % 2), "name": "x"},
                    "agent_number": format!("{}", 100 + i),
                })
            })
            .collect()
    }

    fn ids(params: &str) -> Result<Vec<i64>, String> {
        let params = Params::parse(Some(params));
        let rows = filter(&params, rows()).map_err(|e| e.message())?;
        Ok(rows.iter().map(|r| r["id"].as_i64().unwrap()).collect())
    }

    #[test]
    fn filters_by_inclusive_ranges_lists_and_nested_ids() {
        assert_eq!(
            ids("updated_at[from]=2019-01-01T00:02:00Z&updated_at[to]=2019-01-01T00:03:00.000Z"),
            Ok(vec![2, 3])
        );
        assert_eq!(ids("status_id[]=-1"), Ok(vec![1, 3, 5]));
        assert_eq!(ids("agent_number[]=102&agent_number[]=104"), Ok(vec![2, 4]));
        assert_eq!(ids("location[]=nowhere"), Ok(vec![1, 2, 3, 4, 5]));
        assert_eq!(ids("id[from]=2&id[to]=3"), Ok(vec![2, 3]));
        assert_eq!(
            ids("updated_at[from]=soon"),
            Err("updated_at[from] is invalid".into())
        );
    }

    #[test]
    fn compares_dates_as_instants_and_puts_nulls_first() {
        let (a, b) = (
            json!("2019-01-01T00:00:00Z"),
            json!("2018-12-31T23:00:00-02:00"),
        );
        assert_eq!(compare(Some(&a), Some(&b)), Ordering::Less);
        assert_eq!(compare(Some(&Value::Null), Some(&a)), Ordering::Less);
        assert_eq!(compare(Some(&json!(2)), Some(&json!(10))), Ordering::Less);
    }
}
