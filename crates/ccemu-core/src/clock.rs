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

impl Clock {
    /// Tenant time for the given wall-clock reading.
    pub fn now(&self, wall_ms: i64) -> i64 {
        match self.mode {
            ClockMode::Real => wall_ms + self.offset_ms,
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
        let target = now_ms.unwrap_or(current);
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
        self.frozen_ms = self.frozen_ms.saturating_add(ms);
        Ok(self.frozen_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

#[cfg(test)]
mod format_tests {
    use super::format_rfc3339_ms;

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
