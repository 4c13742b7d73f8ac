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

/// Whether JSON text holds a NUL character (U+0000): the escape `\u0000` after an even run of
/// backslashes (a raw NUL is not valid JSON anyway). PostgreSQL stores no NUL in text or JSON, so
/// ccemu refuses it on every backend before it reaches anything.
pub fn json_has_nul(text: &[u8]) -> bool {
    const ESCAPE: &[u8] = b"\\u0000";
    text.windows(ESCAPE.len()).enumerate().any(|(at, w)| {
        // The backslash of the escape must not itself be escaped.
        w == ESCAPE && text[..at].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
}

/// Whether a URI's path or query holds a percent-encoded NUL (`%00`).
pub fn uri_has_nul(uri: &str) -> bool {
    uri.contains("%00")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_found_in_json_strings_and_uris_and_nothing_else_is() {
        assert!(json_has_nul(br#"{"name":"a\u0000b"}"#));
        assert!(json_has_nul(br#"{"a\u0000":1}"#));
        assert!(
            json_has_nul(br#"["\\\u0000"]"#),
            "an escaped backslash, then a NUL"
        );
        assert!(
            !json_has_nul(br#"{"name":"a\\u0000b"}"#),
            "a backslash, then text"
        );
        assert!(json_has_nul(br#"{"name":"\u00001"}"#), "a NUL, then a 1");
        assert!(!json_has_nul(br#"{"name":"u0000 %00"}"#));
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
