//! UJET request bodies, query strings and replies (`vendor-notes/ujet.md` §2, §7).
//!
//! UJET is a Rails service: success is a bare JSON object or array, errors are
//! `{"message"}` (Apps) or `{"error","message","status"}` (Manager). A missing required
//! parameter answers Rails' `param is missing or the value is empty: <name>` (the text the
//! mid-session doc quotes); a body that is not JSON, or a field of the wrong type, answers 400
//! with a message naming the problem [inferred]. Query strings arrive with brackets raw or
//! percent-encoded, `id[]` repeated, and `+` in offsets decoded as a space (§7).

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::auth::Authed;
use crate::error::{Api, UjetError};

pub use ccemu_core::lenient::Text;

/// Parses a JSON body; an empty body is `{}`, so required fields report themselves missing.
pub fn body<T: DeserializeOwned>(api: Api, raw: &Bytes) -> Result<T, UjetError> {
    let value: Value = if raw.iter().all(u8::is_ascii_whitespace) {
        Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_slice(raw)
            .map_err(|_| UjetError::BadRequest(api, "Invalid JSON in request body".into()))?
    };
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner().to_string();
        let message = match inner.strip_prefix("missing field `") {
            Some(rest) => {
                let field = rest.split('`').next().unwrap_or_default();
                let name = match path.as_str() {
                    "." | "" => field.to_owned(),
                    parent => format!("{parent}.{field}"),
                };
                missing(&name)
            }
            None => format!("{path} is invalid"),
        };
        UjetError::BadRequest(api, message)
    })
}

/// Rails' message for a required parameter that is absent or blank.
pub fn missing(name: &str) -> String {
    format!("param is missing or the value is empty: {name}")
}

/// A required text field: present and not blank, else the Rails missing-parameter message.
pub fn required(api: Api, name: &str, value: Option<Text>) -> Result<String, UjetError> {
    match value {
        Some(Text(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        _ => Err(UjetError::BadRequest(api, missing(name))),
    }
}

/// A success reply with `status`, carrying the tenant for the request journal.
pub fn ok<T: serde::Serialize>(auth: &Authed, status: StatusCode, body: T) -> Response {
    let mut response = (status, Json(body)).into_response();
    response.extensions_mut().insert(auth.tenant.id.clone());
    response
}

/// An error reply, carrying the tenant for the request journal.
pub fn fail(auth: &Authed, error: UjetError) -> Response {
    let mut response = error.into_response();
    response.extensions_mut().insert(auth.tenant.id.clone());
    response
}

/// Renders a handler's outcome with `status` on success.
pub fn reply(auth: &Authed, status: StatusCode, result: Result<Value, UjetError>) -> Response {
    match result {
        Ok(value) => ok(auth, status, value),
        Err(error) => fail(auth, error),
    }
}

/// Epoch milliseconds as UJET renders date-times: RFC 3339 UTC with milliseconds
/// (`2019-09-10T00:19:14.000Z`).
pub fn time(ms: i64) -> String {
    ccemu_core::clock::format_rfc3339_ms(ms)
}

/// Like [`time`], `null` when absent.
pub fn time_opt(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(time(ms)))
}

/// A decoded query string: pairs in order, brackets decoded (`a%5Bfrom%5D` is `a[from]`).
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Decodes a raw query string (`None` is empty).
    pub fn parse(query: Option<&str>) -> Self {
        let raw = query.unwrap_or_default();
        Self(
            form_urlencoded::parse(raw.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The last value of `name`, if present and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// Every value of `name[]` (and of a bare `name`), in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        let list = format!("{name}[]");
        self.0
            .iter()
            .filter(|(k, v)| (*k == list || k == name) && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// Whether any of the names is present.
    pub fn has_any(&self, names: &[&str]) -> bool {
        names
            .iter()
            .any(|n| self.get(n).is_some() || !self.all(n).is_empty())
    }

    /// `name[from]` and `name[to]` as epoch ms, inclusive; an unparsable bound is a 400.
    pub fn range(&self, api: Api, name: &str) -> Result<(Option<i64>, Option<i64>), UjetError> {
        let bound = |side: &str| -> Result<Option<i64>, UjetError> {
            let key = format!("{name}[{side}]");
            match self.get(&key) {
                None => Ok(None),
                Some(text) => ccemu_core::clock::parse_rfc3339(text)
                    .map(Some)
                    .ok_or_else(|| UjetError::BadRequest(api, format!("{key} is invalid"))),
            }
        };
        Ok((bound("from")?, bound("to")?))
    }

    /// The pairs re-encoded as a query string, with `page` replaced. `:` stays raw, as in the
    /// note's `Link` example (`status_updated_at%5Bfrom%5D=2019-01-01T00:00:00Z`): it is legal in
    /// a query, and clients that compare or log the URL see the timestamp they sent.
    pub fn with_page(&self, page: usize) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        let mut had_page = false;
        for (k, v) in &self.0 {
            if k == "page" {
                if !had_page {
                    out.append_pair("page", &page.to_string());
                    had_page = true;
                }
            } else {
                out.append_pair(k, v);
            }
        }
        let mut query = out.finish().replace("%3A", ":");
        if !had_page {
            let sep = if query.is_empty() { "" } else { "&" };
            query = format!("page={page}{sep}{query}");
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Probe {
        call_type: String,
        menu_id: Option<Text>,
        agent: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        email: String,
    }

    fn parse(raw: &'static str) -> Result<Probe, UjetError> {
        body(Api::Apps, &Bytes::from_static(raw.as_bytes()))
    }

    fn message(result: Result<Probe, UjetError>) -> String {
        result.unwrap_err().message()
    }

    #[test]
    fn bodies_fail_with_a_message_naming_the_problem() {
        assert_eq!(message(parse("{")), "Invalid JSON in request body");
        assert_eq!(
            message(parse("")),
            "param is missing or the value is empty: call_type"
        );
        assert_eq!(
            message(parse(r#"{"call_type":"x","agent":{}}"#)),
            "param is missing or the value is empty: agent.email"
        );
        assert_eq!(message(parse(r#"{"call_type":1}"#)), "call_type is invalid");
        let ok = parse(r#"{"call_type":"x","menu_id":11}"#).unwrap();
        assert_eq!(ok.menu_id, Some(Text("11".into())));
    }

    #[test]
    fn query_strings_decode_brackets_repeats_and_plus_offsets() {
        let p = Params::parse(Some(
            "page=1&per=100&status_updated_at%5Bfrom%5D=2019-01-01T00:00:00+00:00&id[]=1&id%5B%5D=2",
        ));
        assert_eq!(p.all("id"), ["1", "2"]);
        assert_eq!(
            p.range(Api::Manager, "status_updated_at").unwrap(),
            (Some(1_546_300_800_000), None)
        );
        assert!(p.range(Api::Manager, "page").unwrap() == (None, None));
        let bad = Params::parse(Some("a[to]=never"));
        assert_eq!(
            bad.range(Api::Manager, "a").unwrap_err().message(),
            "a[to] is invalid"
        );
        assert_eq!(
            p.with_page(2),
            "page=2&per=100&status_updated_at%5Bfrom%5D=2019-01-01T00:00:00+00:00&id%5B%5D=1&id%5B%5D=2"
        );
        assert_eq!(Params::parse(Some("per=5")).with_page(3), "page=3&per=5");
    }

    #[test]
    fn times_render_with_milliseconds() {
        assert_eq!(time(1_568_074_754_000), "2019-09-10T00:19:14.000Z");
        assert_eq!(time_opt(None), Value::Null);
    }
}
