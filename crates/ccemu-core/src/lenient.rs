//! Lenient field types for vendor request bodies: clients send numbers as strings, ids as
//! numbers and booleans as `"true"` or `1`, and every vendor surface accepts both spellings.

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use serde_json::Value;

/// A string field that clients may also send as a JSON number (`"AgentId": 10031`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Self(s)),
            Value::Number(n) => Ok(Self(n.to_string())),
            other => Err(D::Error::custom(format!("expected a string, got {other}"))),
        }
    }
}

/// A non-negative integer field that clients may also send as a string (`"Timeout": "120"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Int(pub u32);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let parsed = match Value::deserialize(d)? {
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        parsed
            .map(Self)
            .ok_or_else(|| D::Error::custom("expected a non-negative integer"))
    }
}

/// A boolean field that clients may also send as `"true"`/`"false"` or `1`/`0`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let parsed = match Value::deserialize(d)? {
            Value::Bool(b) => Some(b),
            Value::Number(n) => match n.as_u64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            Value::String(s) => match s.trim() {
                "true" | "1" => Some(true),
                "false" | "0" | "" => Some(false),
                _ => None,
            },
            _ => None,
        };
        parsed
            .map(Self)
            .ok_or_else(|| D::Error::custom("expected a boolean"))
    }
}
