//! Small field checks shared by every record, so all vendor surfaces reject the same bad values.

use crate::DomainError;

/// Longest id accepted; ids end up in URLs, log fields and storage keys.
pub const MAX_ID_LEN: usize = 64;

/// Accepts 1 to [`MAX_ID_LEN`] characters without `/`, whitespace or control characters.
pub fn check_id(field: &'static str, id: &str) -> Result<(), DomainError> {
    // `/` would make the id ambiguous inside a path segment, whitespace would not survive query strings.
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id
            .chars()
            .any(|c| c == '/' || c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("1 to {MAX_ID_LEN} characters without '/', spaces or control characters"),
        ))
    }
}

/// Requires at least one non-blank character.
pub fn check_not_blank(field: &'static str, value: &str) -> Result<(), DomainError> {
    if value.trim().is_empty() {
        Err(invalid(field, "must not be blank"))
    } else {
        Ok(())
    }
}

/// Accepts an empty value (not known) or something shaped like `local@domain`.
pub fn check_email(field: &'static str, value: &str) -> Result<(), DomainError> {
    if value.is_empty() {
        return Ok(());
    }
    // Deliberately loose: vendors accept addresses that strict RFC parsers reject.
    match value.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !value.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(invalid(field, format!("{value:?} is not an email address"))),
    }
}

/// Builds a [`DomainError::Invalid`].
pub fn invalid(field: &'static str, reason: impl Into<String>) -> DomainError {
    DomainError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// The longest string ccemu keeps from a JSON request, in bytes of JSON text (escapes counted as
/// sent): far above any id, name or message a vendor documents, far below what would let one
/// request grow the database.
pub const MAX_STRING_BYTES: usize = 16 * 1024;

/// Why JSON text cannot be stored as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// A string holds a NUL character (U+0000), which PostgreSQL stores in no text or JSON.
    Nul,
    /// A string (or key) is longer than [`MAX_STRING_BYTES`].
    TooLong,
}

impl TextProblem {
    /// What to tell the client.
    pub fn message(self) -> String {
        match self {
            Self::Nul => "text must not contain U+0000 (NUL)".to_owned(),
            Self::TooLong => format!("a text value is longer than {MAX_STRING_BYTES} bytes"),
        }
    }
}

/// The first reason JSON text cannot be stored, if any: a NUL escape (`\u0000`; a raw NUL is
/// not valid JSON anyway) or an overlong string. Text that is not JSON is left to the parser.
pub fn json_text_problem(text: &[u8]) -> Option<TextProblem> {
    let mut start = None;
    let mut i = 0;
    while i < text.len() {
        match (start, text[i]) {
            (None, b'"') => start = Some(i + 1),
            (Some(_), b'\\') => {
                if text[i + 1..].starts_with(b"u0000") {
                    return Some(TextProblem::Nul);
                }
                // The escaped character, whatever it is, cannot end the string.
                i += 1;
            }
            (Some(from), b'"') => {
                if i - from > MAX_STRING_BYTES {
                    return Some(TextProblem::TooLong);
                }
                start = None;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether a URI's path or query holds a percent-encoded NUL (`%00`).
pub fn uri_has_nul(uri: &str) -> bool {
    uri.contains("%00")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nuls_and_overlong_strings_are_found_and_nothing_else_is() {
        let nul = Some(TextProblem::Nul);
        assert_eq!(json_text_problem(br#"{"name":"a\u0000b"}"#), nul);
        assert_eq!(json_text_problem(br#"{"a\u0000":1}"#), nul);
        assert_eq!(
            json_text_problem(br#"["\\\u0000"]"#),
            nul,
            "an escaped backslash, then a NUL"
        );
        assert_eq!(
            json_text_problem(br#"{"name":"\u00001"}"#),
            nul,
            "a NUL, then a 1"
        );
        assert_eq!(
            json_text_problem(br#"{"name":"a\\u0000b"}"#),
            None,
            "a backslash, then text"
        );
        assert_eq!(json_text_problem(br#"{"q":"\"","name":"u0000 %00"}"#), None);
        let at_limit = format!(r#"{{"id":"{}"}}"#, "x".repeat(MAX_STRING_BYTES));
        assert_eq!(json_text_problem(at_limit.as_bytes()), None);
        let over = format!(r#"{{"id":"{}","n":1}}"#, "x".repeat(MAX_STRING_BYTES + 1));
        assert_eq!(
            json_text_problem(over.as_bytes()),
            Some(TextProblem::TooLong)
        );
        let key = format!(r#"{{"{}":1}}"#, "k".repeat(MAX_STRING_BYTES + 1));
        assert_eq!(
            json_text_problem(key.as_bytes()),
            Some(TextProblem::TooLong)
        );
        assert!(uri_has_nul("/_ccemu/tenants/a%00b"));
        assert!(uri_has_nul("/x?name=%00"));
        assert!(!uri_has_nul("/x?rate=100%25"));
        assert!(!uri_has_nul("/x?p=%2500"));
    }

    #[test]
    fn ids_reject_empty_slash_space_and_overlong() {
        assert!(check_id("id", "1001").is_ok());
        assert!(check_id("id", "").is_err());
        assert!(check_id("id", "a/b").is_err());
        assert!(check_id("id", "a b").is_err());
        assert!(check_id("id", &"9".repeat(MAX_ID_LEN + 1)).is_err());
    }

    #[test]
    fn email_allows_empty_and_rejects_missing_at() {
        assert!(check_email("email", "").is_ok());
        assert!(check_email("email", "a@b.example").is_ok());
        assert!(check_email("email", "ab.example").is_err());
        assert!(check_email("email", "@b").is_err());
        assert!(check_email("email", "a @b").is_err());
    }

    #[test]
    fn blank_is_rejected() {
        assert!(check_not_blank("name", "  ").is_err());
        assert!(check_not_blank("name", "x").is_ok());
    }
}
