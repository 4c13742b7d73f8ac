//! Udesk signatures (`vendor-notes/udesk.md` §1 and §5.1).
//!
//! Every signature is `hex(SHA1(principal + secret + Timestamp))` over the plain concatenation,
//! with `Timestamp` exactly as sent:
//! - server-side requests: principal `Sid`, secret the account's `AuthToken`;
//! - front-end requests (and the agent WebSocket): principal `AgentId`, secret `AuthToken`;
//! - callbacks ccemu sends: principal `AppId`, secret the app's `Secret`, `Timestamp` in seconds.
//!
//! A request signature is valid for 10 minutes either side of the server's clock. Udesk's text
//! says milliseconds but its examples use seconds, so a value below 10^12 is read as seconds.

use sha1::{Digest, Sha1};

use crate::error::UdeskError;

/// How far a request `Timestamp` may be from the server's clock.
pub const WINDOW_MS: i64 = 10 * 60 * 1000;

/// `hex(SHA1(principal + secret + timestamp))`, lowercase.
pub fn sign(principal: &str, secret: &str, timestamp: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(principal.as_bytes());
    sha.update(secret.as_bytes());
    sha.update(timestamp.as_bytes());
    hex::encode(sha.finalize())
}

/// A Udesk `Timestamp` in epoch milliseconds: seconds when below 10^12, else milliseconds.
pub fn timestamp_ms(raw: &str) -> Option<i64> {
    let value: i64 = raw.trim().parse().ok()?;
    if value < 0 {
        return None;
    }
    if value < 1_000_000_000_000 {
        value.checked_mul(1000)
    } else {
        Some(value)
    }
}

/// Checks a request's `Sign` (either hex case) and that its `Timestamp` is within
/// [`WINDOW_MS`] of `now_ms`. Every failure is the same `000001 Sign invalid`, as Udesk gives
/// no detail.
pub fn verify(
    principal: &str,
    secret: &str,
    timestamp: &str,
    given: &str,
    now_ms: i64,
) -> Result<(), UdeskError> {
    let at = timestamp_ms(timestamp).ok_or(UdeskError::SignInvalid)?;
    if (now_ms - at).abs() > WINDOW_MS {
        return Err(UdeskError::SignInvalid);
    }
    if sign(principal, secret, timestamp).eq_ignore_ascii_case(given.trim()) {
        Ok(())
    } else {
        Err(UdeskError::SignInvalid)
    }
}

/// The query of a callback ccemu sends: `Timestamp` (seconds), `AppId` and `Sign`.
pub fn callback_query(app_id: &str, secret: &str, now_ms: i64) -> [(&'static str, String); 3] {
    let timestamp = now_ms.div_euclid(1000).to_string();
    let sign = sign(app_id, secret, &timestamp);
    [
        ("Timestamp", timestamp),
        ("AppId", app_id.to_owned()),
        ("Sign", sign),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "ACdemo0000000001";
    const TOKEN: &str = "demo-udesk-auth-token";

    #[test]
    fn sign_is_sha1_of_the_plain_concatenation() {
        // SHA1("abc"), the FIPS 180 test vector: the three parts are joined with nothing between.
        assert_eq!(
            sign("a", "b", "c"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(sign("", "", "abc"), sign("a", "", "bc"));
    }

    #[test]
    fn timestamps_in_seconds_or_milliseconds() {
        assert_eq!(timestamp_ms("1566446286"), Some(1_566_446_286_000));
        assert_eq!(timestamp_ms("1511069652789"), Some(1_511_069_652_789));
        assert_eq!(timestamp_ms(" 1566446286 "), Some(1_566_446_286_000));
        for bad in ["", "abc", "-5", "1.5", "99999999999999999999"] {
            assert_eq!(timestamp_ms(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn verify_accepts_either_case_within_the_window() {
        let now = 1_566_446_286_000;
        let ts = "1566446286";
        let good = sign(SID, TOKEN, ts);
        assert_eq!(verify(SID, TOKEN, ts, &good, now), Ok(()));
        assert_eq!(verify(SID, TOKEN, ts, &good.to_uppercase(), now), Ok(()));
        // Milliseconds sign as sent: the same instant in ms is another string, another Sign.
        let ms = "1566446286000";
        assert_eq!(
            verify(SID, TOKEN, ms, &good, now),
            Err(UdeskError::SignInvalid)
        );
        assert_eq!(verify(SID, TOKEN, ms, &sign(SID, TOKEN, ms), now), Ok(()));
        // Ten minutes either side is still valid; one second more is not.
        assert_eq!(verify(SID, TOKEN, ts, &good, now + WINDOW_MS), Ok(()));
        assert_eq!(verify(SID, TOKEN, ts, &good, now - WINDOW_MS), Ok(()));
        assert_eq!(
            verify(SID, TOKEN, ts, &good, now + WINDOW_MS + 1000),
            Err(UdeskError::SignInvalid)
        );
        assert_eq!(
            verify(SID, TOKEN, ts, &good, now - WINDOW_MS - 1000),
            Err(UdeskError::SignInvalid)
        );
    }

    #[test]
    fn verify_refuses_a_wrong_principal_secret_or_timestamp() {
        let now = 1_566_446_286_000;
        let ts = "1566446286";
        let good = sign(SID, TOKEN, ts);
        for (principal, secret, timestamp, given) in [
            ("other", TOKEN, ts, good.as_str()),
            (SID, "other", ts, good.as_str()),
            (SID, TOKEN, "1566446287", good.as_str()),
            (SID, TOKEN, ts, ""),
            (SID, TOKEN, "soon", good.as_str()),
        ] {
            assert_eq!(
                verify(principal, secret, timestamp, given, now),
                Err(UdeskError::SignInvalid),
                "{principal} {secret} {timestamp} {given}"
            );
        }
    }

    #[test]
    fn callback_query_signs_app_id_secret_and_seconds() {
        let [(t, ts), (a, app), (s, sig)] = callback_query(
            "a54a8b77-f12d-4ac9-742d-5b2bef5c4d11",
            "secret",
            1_566_446_286_999,
        );
        assert_eq!((t, a, s), ("Timestamp", "AppId", "Sign"));
        assert_eq!(ts, "1566446286");
        assert_eq!(app, "a54a8b77-f12d-4ac9-742d-5b2bef5c4d11");
        assert_eq!(sig, sign(&app, "secret", "1566446286"));
    }
}
