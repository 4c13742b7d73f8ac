//! Udesk request bodies and the success envelope (`vendor-notes/udesk.md` §2, §6).
//!
//! Bodies are JSON whatever the `Content-Type` says: the doc's curl examples send
//! `application/x-www-form-urlencoded`, and GET and DELETE carry bodies too. An absent or
//! unparsable body is `100004 unexpected end of JSON input`; JSON of the wrong shape (a missing
//! required field, an id that is an object, `Extensions` that is not an array) is `000001`.
//! Clients send numbers and booleans as strings and ids as numbers, so the field helpers here
//! accept both spellings.

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::error::UdeskError;

/// The `ErrDesc` of a request whose JSON has the wrong shape.
pub const PARAMS_INVALID: &str = "ParamsInvalid";

/// Parses a required JSON body.
pub fn body<T: DeserializeOwned>(raw: &Bytes) -> Result<T, UdeskError> {
    let value = json_value(raw)?.ok_or(UdeskError::BadJson)?;
    shaped(value)
}

/// Parses a body that may be absent (`T::default()` then); one that is present must be JSON.
pub fn optional_body<T: DeserializeOwned + Default>(raw: &Bytes) -> Result<T, UdeskError> {
    match json_value(raw)? {
        Some(value) => shaped(value),
        None => Ok(T::default()),
    }
}

/// Checks the body of a call that documents none: absent, or any JSON object (clients send `{}`).
pub fn no_body(raw: &Bytes) -> Result<(), UdeskError> {
    optional_body::<serde_json::Map<String, Value>>(raw).map(drop)
}

fn shaped<T: DeserializeOwned>(value: Value) -> Result<T, UdeskError> {
    serde_json::from_value(value).map_err(|error| {
        tracing::debug!(%error, "udesk body has the wrong shape");
        UdeskError::InvalidParameter(PARAMS_INVALID.into())
    })
}

/// The body as JSON; `None` when it is empty.
fn json_value(raw: &Bytes) -> Result<Option<Value>, UdeskError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if let Ok(value) = serde_json::from_slice(raw) {
        return Ok(Some(value));
    }
    // The doc's seat-creation example escapes its quotes inside single quotes, so curl sends
    // `{\"Agents\":...}` literally; accepting it is an emulator choice [inferred].
    let text = std::str::from_utf8(raw).map_err(|_| UdeskError::BadJson)?;
    if text.contains("\\\"") {
        if let Ok(value) = serde_json::from_str(&text.replace("\\\"", "\"")) {
            return Ok(Some(value));
        }
    }
    Err(UdeskError::BadJson)
}

/// Envelope A with `Result`, carrying the tenant for the request journal.
pub fn ok(auth: &Authed, result: Value) -> Response {
    ok_with_desc(auth, "OK", result)
}

/// Envelope A with a given `ErrDesc` (the seat list example answers `""`).
pub fn ok_with_desc<T: serde::Serialize>(auth: &Authed, desc: &str, result: T) -> Response {
    /// Envelope A, typed so that a typed `Result` is written without a JSON tree.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Envelope<'a, T> {
        err_code: &'static str,
        err_desc: &'a str,
        result: T,
    }
    let envelope = Envelope {
        err_code: "000000",
        err_desc: desc,
        result,
    };
    let mut response = Json(envelope).into_response();
    response.extensions_mut().insert(auth.tenant.id.clone());
    response
}

/// An error in envelope A, carrying the tenant for the request journal.
pub fn fail(auth: &Authed, error: UdeskError) -> Response {
    let mut response = error.into_response();
    response.extensions_mut().insert(auth.tenant.id.clone());
    response
}

/// Renders a handler's outcome.
pub fn reply(auth: &Authed, result: Result<Value, UdeskError>) -> Response {
    match result {
        Ok(value) => ok(auth, value),
        Err(error) => fail(auth, error),
    }
}

/// Renders envelopes C–E: `{"code":"000000","message":"OK", ...fields}`, or the error as
/// `{"code","message"}`; carries the tenant for the request journal.
pub fn reply_code(
    auth: &Authed,
    result: Result<serde_json::Map<String, Value>, UdeskError>,
) -> Response {
    let mut response = match result {
        Ok(fields) => {
            let mut body = serde_json::Map::new();
            body.insert("code".into(), json!("000000"));
            body.insert("message".into(), json!("OK"));
            body.extend(fields);
            Json(Value::Object(body)).into_response()
        }
        Err(error) => error.into_response_in(crate::error::Envelope::Code),
    };
    response.extensions_mut().insert(auth.tenant.id.clone());
    response
}

pub use ccemu_core::lenient::{Flag, Int, Text};

/// `Text` fields as plain strings.
pub fn texts(values: Vec<Text>) -> Vec<String> {
    values.into_iter().map(|t| t.0).collect()
}

/// Checks a required id: present and not blank, else `000001`.
pub fn required(value: Option<Text>) -> Result<String, UdeskError> {
    match value {
        Some(Text(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        _ => Err(UdeskError::InvalidParameter(PARAMS_INVALID.into())),
    }
}

/// Epoch milliseconds as RFC 3339 UTC in seconds, the way Udesk's Go service renders its `date`
/// fields (`CreatedAt` of `GET queues`) [inferred].
pub fn rfc3339(ms: i64) -> String {
    ccemu_core::clock::format_rfc3339_secs(ms)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Default, Deserialize)]
    struct Probe {
        #[serde(rename = "Id")]
        id: Option<Text>,
        #[serde(rename = "N")]
        n: Option<Int>,
        #[serde(rename = "B")]
        b: Option<Flag>,
    }

    fn parse(raw: &'static str) -> Result<Probe, UdeskError> {
        body(&Bytes::from_static(raw.as_bytes()))
    }

    #[test]
    fn empty_or_broken_bodies_are_100004_and_wrong_shapes_000001() {
        for raw in ["", "  \n", "{", "\u{ff}", "Agents=1"] {
            assert_eq!(parse(raw).unwrap_err(), UdeskError::BadJson, "{raw:?}");
        }
        for raw in [
            r#"{"Id":{}}"#,
            r#"{"N":"x"}"#,
            r#"{"N":-1}"#,
            r#"{"B":"yes"}"#,
            "[1]",
        ] {
            assert_eq!(
                parse(raw).unwrap_err(),
                UdeskError::InvalidParameter(PARAMS_INVALID.into()),
                "{raw:?}"
            );
        }
        let empty: Probe = optional_body(&Bytes::new()).unwrap();
        assert!(empty.id.is_none());
    }

    #[test]
    fn numbers_and_booleans_arrive_either_way() {
        let p = parse(r#"{"Id":10031,"N":"120","B":"true"}"#).unwrap();
        assert_eq!(
            (p.id, p.n, p.b),
            (Some(Text("10031".into())), Some(Int(120)), Some(Flag(true)))
        );
        let p = parse(r#"{"Id":"7","N":5,"B":0}"#).unwrap();
        assert_eq!(
            (p.id, p.n, p.b),
            (Some(Text("7".into())), Some(Int(5)), Some(Flag(false)))
        );
    }

    #[test]
    fn the_docs_backslash_escaped_example_body_parses() {
        let p = parse(r#"{\"Id\":\"199\"}"#).unwrap();
        assert_eq!(p.id, Some(Text("199".into())));
    }

    #[test]
    fn dates_render_as_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_566_446_286_000), "2019-08-22T03:58:06Z");
        assert_eq!(rfc3339(1_709_210_096_000), "2024-02-29T12:34:56Z");
    }
}
