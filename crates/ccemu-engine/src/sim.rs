//! Simulation settings: what the "other side" (customers, agent devices) does when test code does
//! not drive it step by step.

use ccemu_core::campaign::DialOutcome;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a simulated duration is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// Always the mean.
    #[default]
    Fixed,
    /// Exponential with the given mean, drawn deterministically per interaction.
    Exponential,
}

/// A simulated duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Duration {
    /// Shape.
    #[serde(default)]
    pub distribution: Distribution,
    /// Mean, milliseconds.
    pub mean_ms: i64,
}

impl Duration {
    /// A fixed duration.
    pub const fn fixed(ms: i64) -> Self {
        Self {
            distribution: Distribution::Fixed,
            mean_ms: ms,
        }
    }

    /// Draws a value for `key` (an interaction id): the same key always gives the same value, so a
    /// replay after a restart behaves identically without persisting a random generator.
    pub fn sample(&self, seed: u64, key: &str) -> i64 {
        match self.distribution {
            Distribution::Fixed => self.mean_ms,
            Distribution::Exponential => {
                let u = unit_interval(seed, key);
                (-(1.0 - u).ln() * self.mean_ms as f64).round() as i64
            }
        }
    }
}

/// A deterministic number in [0, 1) from a seed and a key (FNV-1a, then SplitMix64).
fn unit_interval(seed: u64, key: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Per-tenant simulation settings (one record with id `sim`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSettings {
    /// Always `sim`.
    #[serde(default = "sim_id")]
    pub id: String,
    /// Whether simulated agents answer and hang up by themselves. Off: test code drives each step.
    #[serde(default = "yes")]
    pub auto: bool,
    /// Ring time before a simulated agent answers.
    #[serde(default = "default_answer_delay")]
    pub answer_delay_ms: i64,
    /// How long an offer rings before it times out and the contact is re-queued.
    #[serde(default = "default_ring_timeout")]
    pub ring_timeout_ms: i64,
    /// Talk time of an answered contact before the simulated agent hangs up.
    #[serde(default = "default_talk_time")]
    pub talk_time: Duration,
    /// Wrap-up after a contact; `None` uses each agent's own wrap-up time.
    #[serde(default)]
    pub wrap_up_ms: Option<i64>,
    /// How long a simulated customer waits in queue before hanging up; `None` waits forever.
    #[serde(default)]
    pub patience: Option<Duration>,
    /// After refusing an offer, how long an agent is not offered anything new.
    #[serde(default = "default_delay")]
    pub reject_delay_ms: i64,
    /// After letting an offer ring out, how long an agent is not offered anything new.
    #[serde(default = "default_delay")]
    pub no_answer_delay_ms: i64,
    /// Consecutive unanswered offers after which an agent is made not ready (0 = never).
    #[serde(default = "default_max_no_answer")]
    pub max_no_answer: u32,
    /// Seed of the deterministic draws.
    #[serde(default)]
    pub seed: u64,
    /// Share of outbound dials the callee answers, 0 to 1; the others ring out unanswered.
    #[serde(default = "one")]
    pub dial_answer_rate: f64,
    /// How long an outbound dial rings before it is answered or given up.
    #[serde(default = "default_dial_ring_time")]
    pub dial_ring_time: Duration,
    /// Outcomes fixed per dialled number (exactly as listed in the campaign), ahead of the draw.
    #[serde(default)]
    pub dial_outcomes: BTreeMap<String, DialOutcome>,
    /// What the simulated customer of a new chat writes first; `None`: nothing until told.
    #[serde(default)]
    pub chat_first_message: Option<String>,
}
ccemu_core::entity!(SimSettings, "sim_settings");

fn sim_id() -> String {
    "sim".to_owned()
}
fn yes() -> bool {
    true
}
fn default_answer_delay() -> i64 {
    2_000
}
fn default_ring_timeout() -> i64 {
    20_000
}
fn default_talk_time() -> Duration {
    Duration::fixed(60_000)
}
fn default_delay() -> i64 {
    10_000
}
fn default_max_no_answer() -> u32 {
    3
}
fn one() -> f64 {
    1.0
}
fn default_dial_ring_time() -> Duration {
    Duration::fixed(5_000)
}

impl Default for SimSettings {
    fn default() -> Self {
        Self {
            id: sim_id(),
            auto: true,
            answer_delay_ms: default_answer_delay(),
            ring_timeout_ms: default_ring_timeout(),
            talk_time: default_talk_time(),
            wrap_up_ms: None,
            patience: None,
            reject_delay_ms: default_delay(),
            no_answer_delay_ms: default_delay(),
            max_no_answer: default_max_no_answer(),
            seed: 0,
            dial_answer_rate: one(),
            dial_ring_time: default_dial_ring_time(),
            dial_outcomes: BTreeMap::new(),
            chat_first_message: None,
        }
    }
}

/// The longest delay the simulator takes (a year): with tenant times bounded to year 9999, a
/// time plus any delay, even an exponential draw many times its mean, stays far from overflow.
pub const MAX_DELAY_MS: i64 = 365 * 24 * 3_600_000;

impl SimSettings {
    /// Checks ranges: durations from 0 (the ring timeout from 1) to [`MAX_DELAY_MS`].
    pub fn validate(&self) -> Result<(), ccemu_core::DomainError> {
        let delays = [
            ("answer_delay_ms", self.answer_delay_ms, 0),
            ("ring_timeout_ms", self.ring_timeout_ms, 1),
            ("talk_time.mean_ms", self.talk_time.mean_ms, 0),
            ("reject_delay_ms", self.reject_delay_ms, 0),
            ("no_answer_delay_ms", self.no_answer_delay_ms, 0),
            ("wrap_up_ms", self.wrap_up_ms.unwrap_or(0), 0),
            (
                "patience.mean_ms",
                self.patience.map_or(0, |p| p.mean_ms),
                0,
            ),
            ("dial_ring_time.mean_ms", self.dial_ring_time.mean_ms, 0),
        ];
        for (field, ms, min) in delays {
            if !(min..=MAX_DELAY_MS).contains(&ms) {
                return Err(ccemu_core::DomainError::Invalid {
                    field,
                    reason: format!("must be {min} to {MAX_DELAY_MS} ms (a year)"),
                });
            }
        }
        if !(0.0..=1.0).contains(&self.dial_answer_rate) {
            return Err(ccemu_core::DomainError::Invalid {
                field: "dial_answer_rate",
                reason: "must be 0 to 1".into(),
            });
        }
        if self
            .chat_first_message
            .as_ref()
            .is_some_and(|t| t.trim().is_empty())
        {
            // A text message needs text; null is how to send none.
            return Err(ccemu_core::DomainError::Invalid {
                field: "chat_first_message",
                reason: "must not be blank (null sends none)".into(),
            });
        }
        Ok(())
    }

    /// The outcome of an outbound dial to `number`; `key` names the attempt, so that the same
    /// attempt always gets the same outcome.
    pub fn dial_outcome(&self, number: &str, key: &str) -> DialOutcome {
        if let Some(fixed) = self.dial_outcomes.get(number) {
            return *fixed;
        }
        if unit_interval(self.seed, key) < self.dial_answer_rate {
            DialOutcome::Answered
        } else {
            DialOutcome::NoAnswer
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_draws_are_deterministic_and_have_the_right_mean() {
        let d = Duration {
            distribution: Distribution::Exponential,
            mean_ms: 1_000,
        };
        assert_eq!(d.sample(7, "abc"), d.sample(7, "abc"));
        let n = 20_000;
        let mean = (0..n).map(|i| d.sample(1, &i.to_string())).sum::<i64>() as f64 / n as f64;
        assert!((mean - 1_000.0).abs() < 40.0, "mean {mean}");
        assert_eq!(Duration::fixed(5).sample(1, "x"), 5);
    }

    #[test]
    fn settings_reject_negative_durations() {
        let s = SimSettings {
            answer_delay_ms: -1,
            ..SimSettings::default()
        };
        assert!(s.validate().is_err());
        assert!(SimSettings::default().validate().is_ok());
        let s = SimSettings {
            dial_answer_rate: 1.5,
            ..SimSettings::default()
        };
        assert!(s.validate().is_err());
        let s = SimSettings {
            chat_first_message: Some(" ".into()),
            ..SimSettings::default()
        };
        assert!(s.validate().is_err());
    }

    #[test]
    fn dial_outcomes_follow_the_answer_rate_and_fixed_numbers() {
        let mut s = SimSettings {
            dial_answer_rate: 0.25,
            seed: 3,
            ..SimSettings::default()
        };
        let answered = (0..4_000)
            .filter(|i| s.dial_outcome("+1555", &i.to_string()) == DialOutcome::Answered)
            .count();
        assert!((900..1_100).contains(&answered), "{answered}");
        assert_eq!(s.dial_outcome("+1555", "k"), s.dial_outcome("+1555", "k"));
        s.dial_outcomes.insert("+1555".into(), DialOutcome::Busy);
        assert_eq!(s.dial_outcome("+1555", "k"), DialOutcome::Busy);
    }
}
