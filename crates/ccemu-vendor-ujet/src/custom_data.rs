//! Customer flags and custom data of any interaction (calls and chats):
//! `customer_flag` GET/PATCH/PUT and `custom_data` unsigned or signed (`vendor-notes/ujet.md` §3.1).
//!
//! Flags live in `Interaction::custom_data` under [`FLAGS_KEY`], custom data under [`DATA_KEY`].
//! Signed custom data is a JWT HS256 with the tenant's company secret, payload
//! `{"custom_data":{...},"exp","iat"}`; a bad signature, another algorithm or an `exp` in the past
//! is a 400 [inferred: the doc gives no wire text]. The `reserved_*` keys set the matching flags.

use std::collections::BTreeMap;

use base64::Engine as _;
use ccemu_core::interaction::Interaction;
use ccemu_core::lenient::Flag;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::error::{Api, UjetError};

/// Where the flags are kept on the interaction.
pub const FLAGS_KEY: &str = "ujet.customer_flag";
/// Where the custom data is kept on the interaction.
pub const DATA_KEY: &str = "ujet.custom_data";

const FLAGS: [&str; 3] = ["verified_customer", "bad_actor", "repeat_customer"];

/// The flags of an interaction as GET answers them (singular `repeat_customer`), false if unset.
pub fn flags(i: &Interaction) -> Value {
    let stored = i.custom_data.get(FLAGS_KEY);
    let get = |k: &str| {
        stored
            .and_then(|s| s.get(k))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    json!({
        "verified_customer": get("verified_customer"),
        "bad_actor": get("bad_actor"),
        "repeat_customer": get("repeat_customer"),
    })
}

/// A PATCH/PUT body: the doc sends plural `repeat_customers`, GET answers singular; take both.
#[derive(Debug, Deserialize)]
pub struct FlagsBody {
    verified_customer: Option<Flag>,
    bad_actor: Option<Flag>,
    #[serde(alias = "repeat_customers")]
    repeat_customer: Option<Flag>,
}

/// The interaction's flags with the body's applied (absent flags keep their value).
pub fn merged_flags(i: &Interaction, body: &FlagsBody) -> Value {
    let mut flags = flags(i);
    for (key, value) in [
        ("verified_customer", &body.verified_customer),
        ("bad_actor", &body.bad_actor),
        ("repeat_customer", &body.repeat_customer),
    ] {
        if let Some(Flag(v)) = value {
            flags[key] = json!(v);
        }
    }
    flags
}

/// A `custom_data` body.
#[derive(Debug, Deserialize)]
pub struct CustomDataBody {
    #[serde(default)]
    signed: Option<Flag>,
    #[serde(default)]
    data: Option<Map<String, Value>>,
    #[serde(default)]
    signed_data: Option<String>,
}

fn bad(api: Api, message: &str) -> UjetError {
    UjetError::BadRequest(api, message.to_owned())
}

/// Verifies an HS256 JWT with `secret` and returns its payload; `now_s` checks `exp`.
pub fn verify_jwt(api: Api, token: &str, secret: &str, now_s: i64) -> Result<Value, UjetError> {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let invalid = || bad(api, "signed_data is not a valid JWT");
    let mut parts = token.trim().split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let decode = |part: &str| {
        engine
            .decode(part.trim_end_matches('='))
            .map_err(|_| invalid())
    };
    let header: Value = serde_json::from_slice(&decode(h)?).map_err(|_| invalid())?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(bad(api, "signed_data must be signed with HS256"));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| invalid())?;
    mac.update(format!("{h}.{p}").as_bytes());
    mac.verify_slice(&decode(s)?)
        .map_err(|_| bad(api, "signed_data signature is invalid"))?;
    let payload: Value = serde_json::from_slice(&decode(p)?).map_err(|_| invalid())?;
    if let Some(exp) = payload.get("exp") {
        match exp.as_i64() {
            Some(exp) if exp > now_s => {}
            Some(_) => return Err(bad(api, "signed_data has expired")),
            None => return Err(invalid()),
        }
    }
    Ok(payload)
}

/// What a `custom_data` body stores: the data, and the flags its `reserved_*` keys set.
#[derive(Debug, PartialEq)]
pub struct Parsed {
    /// The custom data, key by key (`{"label","value"}` objects as sent).
    pub data: Map<String, Value>,
    /// Flags set through `reserved_verified_customer`, `reserved_bad_actor`, `reserved_repeat_customer`.
    pub flags: BTreeMap<&'static str, bool>,
}

/// Parses a `custom_data` body, verifying a signed one against the company secret.
pub fn parse(
    api: Api,
    body: CustomDataBody,
    secret: &str,
    now_ms: i64,
) -> Result<Parsed, UjetError> {
    let data = if body.signed.is_some_and(|Flag(s)| s) {
        let token = body
            .signed_data
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| bad(api, &crate::dto::missing("signed_data")))?;
        let payload = verify_jwt(api, &token, secret, now_ms.div_euclid(1000))?;
        match payload.get("custom_data") {
            Some(Value::Object(m)) => m.clone(),
            _ => return Err(bad(api, &crate::dto::missing("custom_data"))),
        }
    } else {
        body.data
            .ok_or_else(|| bad(api, &crate::dto::missing("data")))?
    };
    let mut flags = BTreeMap::new();
    for flag in FLAGS {
        if let Some(entry) = data.get(&format!("reserved_{flag}")) {
            let value = entry.get("value").unwrap_or(entry);
            let on = match value {
                Value::Bool(b) => *b,
                Value::String(s) => s.eq_ignore_ascii_case("true"),
                Value::Number(n) => n.as_i64() == Some(1),
                _ => false,
            };
            flags.insert(flag, on);
        }
    }
    Ok(Parsed { data, flags })
}

/// The custom data to attach: stored data merged with `parsed`, and flags updated.
pub fn attach(i: &Interaction, parsed: &Parsed) -> BTreeMap<String, Value> {
    let mut data = i
        .custom_data
        .get(DATA_KEY)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    data.extend(parsed.data.clone());
    let mut out = BTreeMap::from([(DATA_KEY.to_owned(), Value::Object(data))]);
    if !parsed.flags.is_empty() {
        let mut f = flags(i);
        for (k, v) in &parsed.flags {
            f[*k] = json!(v);
        }
        out.insert(FLAGS_KEY.to_owned(), f);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An HS256 JWT of `payload` signed with `secret`.
    pub(crate) fn jwt(payload: &Value, secret: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let h = e.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let p = e.encode(payload.to_string());
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{h}.{p}").as_bytes());
        let s = e.encode(mac.finalize().into_bytes());
        format!("{h}.{p}.{s}")
    }

    #[test]
    fn jwt_is_checked_for_signature_algorithm_and_expiry() {
        let payload = json!({"custom_data": {"a": 1}, "exp": 2000, "iat": 1000});
        let token = jwt(&payload, "s3cret");
        assert_eq!(
            verify_jwt(Api::Apps, &token, "s3cret", 1999).unwrap(),
            payload
        );
        let msg = |r: Result<Value, UjetError>| r.unwrap_err().message();
        assert_eq!(
            msg(verify_jwt(Api::Apps, &token, "other", 1999)),
            "signed_data signature is invalid"
        );
        assert_eq!(
            msg(verify_jwt(Api::Apps, &token, "s3cret", 2000)),
            "signed_data has expired"
        );
        assert_eq!(
            msg(verify_jwt(Api::Apps, "a.b", "s3cret", 0)),
            "signed_data is not a valid JWT"
        );
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let none = format!("{}.{}.", e.encode(br#"{"alg":"none"}"#), e.encode(b"{}"));
        assert_eq!(
            msg(verify_jwt(Api::Apps, &none, "s3cret", 0)),
            "signed_data must be signed with HS256"
        );
    }
}
