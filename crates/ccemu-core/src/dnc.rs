//! The do-not-call list and the phone-number normalisation it is keyed by.

use serde::{Deserialize, Serialize};

use crate::validate::invalid;
use crate::DomainError;

/// Numbers that may never be put on (or dialled from) a list; UJET refuses them explicitly.
const EMERGENCY_NUMBERS: [&str; 4] = ["911", "112", "999", "000"];

/// Reduces a number to `+` and digits (`"+1-(358)-213-1634"` → `"+13582131634"`).
///
/// Separators are dropped because clients format the same number many ways and the DNC check must
/// still match; anything else (letters, a `+` not in front) is an error. 3 to 15 digits (E.164).
pub fn normalize_phone(raw: &str) -> Result<String, DomainError> {
    let trimmed = raw.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '.' => {}
            _ => return Err(invalid("phone_number", "phone_number is invalid")),
        }
    }
    if !(3..=15).contains(&digits.len()) {
        return Err(invalid("phone_number", "phone_number is invalid"));
    }
    Ok(format!("{plus}{digits}"))
}

/// True for emergency service numbers.
pub fn is_emergency(normalized: &str) -> bool {
    EMERGENCY_NUMBERS.contains(&normalized.trim_start_matches('+'))
}

/// A number that must not be dialled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DncEntry {
    /// The normalised number, so a second add of the same number updates this entry.
    pub id: String,
    /// The number as the client sent it first.
    pub phone_number: String,
    /// When the entry lapses, tenant epoch ms; `None` never.
    #[serde(default)]
    pub expires_at_ms: Option<i64>,
    /// Creation time, tenant epoch ms.
    #[serde(default)]
    pub created_at_ms: i64,
    /// Last change, tenant epoch ms.
    #[serde(default)]
    pub updated_at_ms: i64,
}
crate::entity!(DncEntry, "dnc_entry");

impl DncEntry {
    /// A checked entry: a valid, non-emergency number and an expiry not in the past.
    pub fn new(raw: &str, expires_at_ms: Option<i64>, now_ms: i64) -> Result<Self, DomainError> {
        let id = normalize_phone(raw)?;
        if is_emergency(&id) {
            return Err(invalid(
                "phone_number",
                "emergency phone number is not allowed",
            ));
        }
        if expires_at_ms.is_some_and(|e| e <= now_ms) {
            return Err(invalid("expires_at", "expires_at cannot be past date/time"));
        }
        Ok(Self {
            id,
            phone_number: raw.trim().to_owned(),
            expires_at_ms,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        })
    }

    /// True while the entry blocks dialling.
    pub fn is_active(&self, now_ms: i64) -> bool {
        self.expires_at_ms.is_none_or(|e| now_ms < e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_of_one_number_normalize_alike() {
        assert_eq!(
            normalize_phone("+1-(358)-213-1634").unwrap(),
            "+13582131634"
        );
        assert_eq!(
            normalize_phone(" +1 358.213.1634 ").unwrap(),
            "+13582131634"
        );
        assert_eq!(normalize_phone("057126200670").unwrap(), "057126200670");
    }

    #[test]
    fn letters_misplaced_plus_and_wrong_length_are_invalid() {
        for bad in ["12a4567", "1+234567", "12", "+1234567890123456", ""] {
            assert!(normalize_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emergency_and_past_expiry_are_refused() {
        assert!(DncEntry::new("911", None, 0).is_err());
        assert!(DncEntry::new("+1 718 730 9219", Some(100), 100).is_err());
        let e = DncEntry::new("+1-7187309219", Some(200), 100).unwrap();
        assert_eq!(e.id, "+17187309219");
        assert!(e.is_active(199));
        assert!(!e.is_active(200));
        assert!(DncEntry::new("+17187309219", None, 0)
            .unwrap()
            .is_active(i64::MAX));
    }
}
