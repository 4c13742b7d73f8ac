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

#[cfg(test)]
mod tests {
    use super::*;

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
