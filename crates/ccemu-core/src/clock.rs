//! The per-tenant clock: real time by default, manual for tests that freeze and advance time.

use serde::{Deserialize, Serialize};

/// How a tenant's clock moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockMode {
    /// Follows the wall clock (plus a fixed offset).
    Real,
    /// Stands still until it is set or advanced.
    Manual,
}

/// A tenant clock. `now` is computed from the wall-clock reading passed in, so this stays pure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// Current mode.
    pub mode: ClockMode,
    /// Real mode: tenant time = wall time + offset.
    pub offset_ms: i64,
    /// Manual mode: the frozen tenant time.
    pub frozen_ms: i64,
}

impl Default for Clock {
    fn default() -> Self {
        Self {
            mode: ClockMode::Real,
            offset_ms: 0,
            frozen_ms: 0,
        }
    }
}

/// The earliest tenant time: 1970-01-01T00:00:00.000Z.
pub const MIN_MS: i64 = 0;
/// The latest tenant time: 9999-12-31T23:59:59.999Z. Every date format a vendor uses has four
/// digits of year, and a bounded clock leaves room to add any delay without overflow.
pub const MAX_MS: i64 = 253_402_300_799_999;

/// Refuses a tenant time outside years 1970–9999 (`field` names what carried it).
pub fn check_time(field: &'static str, ms: i64) -> Result<i64, crate::DomainError> {
    if (MIN_MS..=MAX_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(crate::DomainError::Invalid {
            field,
            reason: format!(
                "the clock stays between {MIN_MS} (1970-01-01T00:00:00.000Z) and {MAX_MS} \
                 (9999-12-31T23:59:59.999Z), asked {ms}"
            ),
        })
    }
}

impl Clock {
    /// Tenant time for the given wall-clock reading.
    pub fn now(&self, wall_ms: i64) -> i64 {
        match self.mode {
            // Saturating: a clock stored before times were bounded may hold any offset.
            ClockMode::Real => wall_ms.saturating_add(self.offset_ms),
            ClockMode::Manual => self.frozen_ms,
        }
    }

    /// Switches mode and optionally sets the time; time never goes backwards.
    pub fn set(
        &mut self,
        mode: ClockMode,
        now_ms: Option<i64>,
        wall_ms: i64,
    ) -> Result<(), crate::DomainError> {
        let current = self.now(wall_ms);
        let target = check_time("now_ms", now_ms.unwrap_or(current))?;
        if target < current {
            return Err(crate::DomainError::Invalid {
                field: "now_ms",
                reason: format!("the clock never goes backwards (now {current}, asked {target})"),
            });
        }
        self.mode = mode;
        match mode {
            ClockMode::Real => self.offset_ms = target - wall_ms,
            ClockMode::Manual => self.frozen_ms = target,
        }
        Ok(())
    }

    /// A new clock in `mode` at `now_ms` (default: the wall clock), earlier than this one or not:
    /// for a reset, which wipes the history that kept time from going back. Any clock, however it
    /// was set, can be replaced this way.
    pub fn restart(
        mode: ClockMode,
        now_ms: Option<i64>,
        wall_ms: i64,
    ) -> Result<Self, crate::DomainError> {
        let mut clock = Self::default();
        clock.set(
            mode,
            Some(check_time("now_ms", now_ms.unwrap_or(wall_ms))?),
            wall_ms,
        )?;
        Ok(clock)
    }

    /// Moves a manual clock forward; a real clock cannot be advanced.
    pub fn advance(&mut self, ms: i64) -> Result<i64, crate::DomainError> {
        if self.mode != ClockMode::Manual {
            return Err(crate::DomainError::Invalid {
                field: "mode",
                reason: "only a manual clock can be advanced".into(),
            });
        }
        if ms < 0 {
            return Err(crate::DomainError::Invalid {
                field: "ms",
                reason: "must not be negative".into(),
            });
        }
        self.frozen_ms = check_time("ms", self.frozen_ms.saturating_add(ms))?;
        Ok(self.frozen_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restart_replaces_any_clock_even_with_an_earlier_time() {
        let broken = Clock {
            mode: ClockMode::Real,
            offset_ms: i64::MAX,
            frozen_ms: 0,
        };
        assert_eq!(broken.now(1_000), i64::MAX, "saturates, never wraps");
        let c = Clock::restart(ClockMode::Manual, Some(5_000), 1_000).unwrap();
        assert_eq!((c.mode, c.now(99)), (ClockMode::Manual, 5_000));
        let c = Clock::restart(ClockMode::Real, None, 1_000).unwrap();
        assert_eq!(c.now(1_000), 1_000, "the wall clock by default");
        assert!(Clock::restart(ClockMode::Manual, Some(-1), 1_000).is_err());
        assert!(Clock::restart(ClockMode::Manual, Some(MAX_MS + 1), 1_000).is_err());
    }

    #[test]
    fn manual_clock_freezes_and_advances() {
        let mut c = Clock::default();
        c.set(ClockMode::Manual, Some(1_000), 500).unwrap();
        assert_eq!(c.now(9_999), 1_000);
        assert_eq!(c.advance(250).unwrap(), 1_250);
    }

    #[test]
    fn clock_refuses_to_go_backwards() {
        let mut c = Clock::default();
        c.set(ClockMode::Manual, Some(1_000), 0).unwrap();
        assert!(c.set(ClockMode::Manual, Some(999), 0).is_err());
        assert!(c.advance(-1).is_err());
    }

    #[test]
    fn clock_stays_within_years_1970_to_9999() {
        let mut c = Clock::default();
        for bad in [MAX_MS + 1, i64::MAX - 5, i64::MAX] {
            assert!(c.set(ClockMode::Manual, Some(bad), 0).is_err(), "{bad}");
        }
        assert_eq!(
            c,
            Clock::default(),
            "a refused change leaves the clock as it was"
        );
        c.set(ClockMode::Manual, Some(MAX_MS - 10), 0).unwrap();
        assert!(c.advance(11).is_err());
        assert!(c.advance(i64::MAX).is_err());
        assert_eq!(c.advance(10).unwrap(), MAX_MS);
        assert_eq!(format_rfc3339_ms(MAX_MS), "9999-12-31T23:59:59.999Z");
        assert!(check_time("now_ms", -1).is_err());
        assert_eq!(check_time("now_ms", MIN_MS).unwrap(), 0);
    }

    #[test]
    fn real_clock_keeps_time_when_switched_back() {
        let mut c = Clock::default();
        c.set(ClockMode::Manual, Some(10_000), 1_000).unwrap();
        c.set(ClockMode::Real, None, 2_000).unwrap();
        assert_eq!(c.now(2_000), 10_000);
        assert_eq!(c.now(2_500), 10_500);
        assert!(c.advance(1).is_err());
    }
}

/// Formats epoch milliseconds as RFC 3339 UTC with milliseconds, e.g. `2024-01-02T03:04:05.678Z`.
pub fn format_rfc3339_ms(ms: i64) -> String {
    format!("{}.{:03}Z", date_time(ms), ms.rem_euclid(1000))
}

/// Formats epoch milliseconds as RFC 3339 UTC in whole seconds, e.g. `2024-01-02T03:04:05Z`.
pub fn format_rfc3339_secs(ms: i64) -> String {
    format!("{}Z", date_time(ms))
}

/// `YYYY-MM-DDTHH:MM:SS` of epoch milliseconds, UTC.
fn date_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant): proleptic Gregorian calendar without a date library.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses an ISO-8601 / RFC 3339 date-time into epoch milliseconds, as clients write them:
/// `2019-01-01T00:00:00Z`, fractions of any length (`.000000Z`), offsets `+00:00` / `-0500`,
/// an offset whose `+` a form decoder turned into a space, a space instead of `T`, a trailing
/// ` UTC`, and a bare date (midnight UTC). `None` for anything else.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = text.split_at_checked(10)?;
    let mut fields = date.split('-');
    let (year, month, day) = (
        fields.next()?.parse::<i64>().ok()?,
        fields.next()?.parse::<i64>().ok()?,
        fields.next()?.parse::<i64>().ok()?,
    );
    if date.len() != 10 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if rest.is_empty() {
        return Some(days * 86_400_000);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (hms, zone) = rest.split_at_checked(8)?;
    let mut parts = hms.split(':');
    let (h, m, s) = (
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
        parts.next()?.parse::<i64>().ok()?,
    );
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut zone = zone;
    let mut millis = 0;
    if let Some(fraction) = zone.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let first3 = format!("{:0<3}", &fraction[..digits.min(3)]);
        millis = first3.parse::<i64>().ok()?;
        zone = &fraction[digits..];
    }
    let offset_min = match zone.trim() {
        "" | "Z" | "z" | "UTC" => 0,
        z => {
            let (sign, hhmm) = match z.as_bytes()[0] {
                b'+' => (1, &z[1..]),
                b'-' => (-1, &z[1..]),
                // `+` decoded as a space by a form decoder, then trimmed away.
                b'0'..=b'9' if zone.starts_with(' ') => (1, z),
                _ => return None,
            };
            let hhmm = hhmm.replace(':', "");
            if hhmm.len() != 4 {
                return None;
            }
            let (oh, om) = (
                hhmm[..2].parse::<i64>().ok()?,
                hhmm[2..].parse::<i64>().ok()?,
            );
            sign * (oh * 60 + om)
        }
    };
    Some((days * 86_400 + h * 3600 + m * 60 + s - offset_min * 60) * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days-from-civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod format_tests {
    use super::format_rfc3339_ms;
    use super::parse_rfc3339;

    #[test]
    fn parses_what_clients_send() {
        let t = 1_566_351_290_000;
        for text in [
            "2019-08-21T01:34:50Z",
            "2019-08-21T01:34:50.000000Z",
            "2019-08-21T01:34:50+00:00",
            "2019-08-21T01:34:50 00:00",
            "2019-08-21T03:34:50+02:00",
            "2019-08-20T20:34:50-0500",
            "2019-08-21 01:34:50 UTC",
        ] {
            assert_eq!(parse_rfc3339(text), Some(t), "{text}");
        }
        assert_eq!(parse_rfc3339("2019-08-21T01:34:50.766Z"), Some(t + 766));
        assert_eq!(parse_rfc3339("2000-02-29"), Some(951_782_400_000));
        for bad in [
            "",
            "yesterday",
            "2019-13-01T00:00:00Z",
            "2019-08-21T25:00:00Z",
            "2019-08-21T01:34:50.Z",
            "2019-08-21T01:34:50+1",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn parse_inverts_format() {
        for ms in [0, 951_782_400_001, 1_566_351_290_766, 4_102_444_800_999] {
            assert_eq!(parse_rfc3339(&super::format_rfc3339_ms(ms)), Some(ms));
        }
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_rfc3339_ms(1_566_351_290_766),
            "2019-08-21T01:34:50.766Z"
        );
        assert_eq!(
            format_rfc3339_ms(951_782_400_001),
            "2000-02-29T00:00:00.001Z"
        );
    }
}
