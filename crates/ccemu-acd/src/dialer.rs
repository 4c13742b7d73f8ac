//! Outbound dialer: paces campaign and auto-dial calls (preview, progressive, ratio, predictive)
//! with a concurrent-call limit, from the same agent pool as inbound routing.
//!
//! Like the rest of the crate the dialer is pure and synchronous: no I/O, no clock (time comes in
//! as `now_ms`), no randomness. It reads the ACD (`&Acd`) but never changes it; the caller places
//! the calls, enqueues answered calls into the pool's queue with [`Acd::enqueue`] (at a high
//! priority) and reports what happened.
//!
//! # Model
//! - A [`Dialer`] holds any number of campaigns ([`CampaignId`], chosen by the caller, like queue
//!   and agent ids). A campaign has a [`CampaignConfig`], a list of targets ([`TargetId`]: opaque,
//!   the vendor layer keeps the numbers), and a state: [`CampaignState::Running`], `Paused` (no new
//!   dials; results are still taken) or `Stopped` (final).
//! - The **agent pool** of a campaign is the set of agents serving `config.queue` in the ACD. Its
//!   *free agents* are the pool's agents available for voice minus the voice contacts waiting in
//!   the queue (saturating, [`Acd::channel_stats`]): contacts already waiting (inbound, or
//!   answered outbound calls) will take available agents first, and an agent free only for chats
//!   is not free for a call.
//! - Each target moves through [`TargetStatus`]: `Pending` → (`Previewing` →) `Dialing` → a final
//!   status (`Answered`, later possibly `Abandoned`; `NoAnswer`/`Busy` once the attempts are used
//!   up; `Failed`; `DoNotCall`; `Skipped`; `Cancelled`), or `RetryScheduled` after a `NoAnswer` or
//!   `Busy` while attempts remain (`max_attempts` counts every dial, the first one included).
//!   `Failed` (carrier error, invalid number) and `DoNotCall` are never retried.
//! - A campaign is **exhausted** exactly when every target is final (nothing pending, scheduled,
//!   previewing or in flight). An empty campaign is exhausted; adding targets un-exhausts it.
//!
//! # Pacing ([`Dialer::pace`])
//! `in_flight` = dials placed and not yet reported with [`Dialer::dial_result`]. With `F` the free
//! agents of the pool (above) minus the agents *claimed* by the other campaigns of the same pool
//! (each of their in-flight dials claims `1 / ratio` of an agent, see below):
//! - **Progressive**: dial until `in_flight = F` (ratio 1).
//! - **Ratio(r)**, `1.0 <= r <= 5.0`: dial until `in_flight = floor(F × r)`.
//!   Example: r = 2.0, 3 free agents, 1 in flight → `6 - 1 = 5` new dials.
//! - **Predictive { target_abandon_rate }**: like Ratio with an adaptive ratio (below).
//! - **Preview**: present up to `floor(F)` targets ([`DialCommand::Preview`]); nothing is dialled
//!   until an agent confirms ([`Dialer::preview_confirmed`], which returns the `Dial`). The caller
//!   routes each preview through the ACD as a contact of the pool's queue, so the ACD's strategy
//!   picks the agent and its offer reserves that agent (a reject or ring timeout re-offers it to
//!   another agent, like any contact); accepting the offer is the confirmation. Confirmed dials
//!   go to an agent who is already connected, so they claim no free agent.
//!
//! Every mode is then capped by `max_concurrent - (in_flight + previews awaiting confirmation)`
//! and by the number of dialable targets. Targets are taken in this order: retries that are due
//! (oldest due time first, then list order), then fresh targets in list order.
//!
//! **Shared pools.** Several campaigns may use the same queue. A dial in flight at ratio r is
//! expected to bring `1/r` answered calls, so it claims `1/r` of an agent; pacing keeps
//! `Σ in_flight_c / r_c <= free agents` over the campaigns of a pool. For one campaign this is
//! exactly the formula above. [`Dialer::pace_all`] paces campaigns in id order, so a lower id is
//! served first when agents are scarce.
//!
//! # Predictive ratio
//! Over the last [`PREDICTIVE_WINDOW`] resolved dials (answered, no answer, busy, failed;
//! `DoNotCall` says nothing about reachability and is left out) and the last
//! [`PREDICTIVE_WINDOW`] answered calls:
//! - `answer_rate = answered / resolved`, `abandon_rate = abandoned / answered` (an answered call
//!   counts as not abandoned until [`Dialer::abandoned`] is reported for it);
//! - `correction = target_abandon_rate / abandon_rate` if `abandon_rate > target_abandon_rate`,
//!   else 1;
//! - `ratio = clamp(correction / answer_rate, 1.0, 5.0)` (5.0 if nothing was answered),
//! - and 1.0 until [`PREDICTIVE_MIN_SAMPLES`] dials are resolved.
//!
//! The ratio is a pure function of the windows, so it is recomputed (O(1)) whenever it is read and
//! needs no timer. A target abandon rate of 0 makes any abandon fall back to progressive pacing.
//!
//! # Caller contract
//! - Apply the commands of a `pace` (place the dials, enqueue the previews) and enqueue answered
//!   calls into the ACD before pacing again: pacing reads the ACD as it is, and an answered call or
//!   a preview that has not reached the ACD yet still looks like a free agent.
//! - Pace whenever something changed: an agent of the pool became available, a dial result came
//!   in, and at [`Dialer::next_deadline`] (a retry is due). Pacing moves due retries to the ready
//!   list even when it dials nothing, so `next_deadline` never returns the same past time twice.
//! - Report `Abandoned` ([`Dialer::abandoned`]) when an answered call is dropped before an agent
//!   takes it (the caller decides how long it may wait, e.g. the regulatory 2 s).
//!
//! # Vendor mapping
//! Udesk `ads/task/start` `AdTaskType` 1 (precision) → `Progressive`, 2 (ratio) →
//! `Ratio(AdTaskRatio)`, 3 (predictive) → `Predictive`; `AdConCallLimit` → `max_concurrent`;
//! `ads/task/update_ratio` → [`Dialer::set_mode`]; `ads/task/stop` → [`Dialer::stop`];
//! `ads/task/force_stop` → [`Dialer::force_stop`]; `cc_ad_task/numbers` `exhausted` →
//! [`Dialer::exhausted`]. UJET campaign contact statuses map onto [`TargetStatus`] (Upcoming =
//! `Pending`, Dialing, Redial Scheduled = `RetryScheduled`, Not Picked Up = `NoAnswer`, Abandoned
//! by Dialer = `Abandoned`, Skipped, Carrier Error = `Failed`, Do Not Call, ...).
//!
//! # Cost
//! `pace` is O(campaigns + member agents of the queue + dials made): the ACD counts available
//! agents per channel on demand ([`Acd::channel_stats`]). Results, previews and abandons are
//! O(log n). `next_deadline` is O(campaigns); `stop` is O(targets of the campaign).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;

use crate::engine::Acd;
use crate::types::{AcdError, Channel, QueueId};

/// Smallest ratio of [`DialerMode::Ratio`] (and of the predictive ratio).
pub const MIN_RATIO: f64 = 1.0;
/// Largest ratio of [`DialerMode::Ratio`] (and of the predictive ratio).
pub const MAX_RATIO: f64 = 5.0;
/// Resolved dials the predictive mode waits for before it leaves ratio 1.0.
pub const PREDICTIVE_MIN_SAMPLES: usize = 20;
/// Number of recent dials (and of recent answered calls) the predictive mode observes.
pub const PREDICTIVE_WINDOW: usize = 100;

/// Absorbs rounding in `floor(free × ratio)` (e.g. 3 × 1.1 = 3.3000000000000003 is fine, but
/// (3 − 1/3) × 3 must give 8, not 7.999…).
const EPS: f64 = 1e-9;

/// Identifies a campaign (auto-dial task), chosen by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CampaignId(pub u32);

/// Identifies one entry of a campaign's list (a number or contact); opaque to the dialer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetId(pub u64);

/// How a campaign paces its dials. See the module docs for the formulas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DialerMode {
    /// An agent sees the target and confirms before it is dialled.
    Preview,
    /// One dial in flight per free agent.
    Progressive,
    /// `floor(free agents × ratio)` dials in flight; the ratio is within `1.0..=5.0`.
    Ratio(f64),
    /// A ratio adapted from the observed answer and abandon rates.
    Predictive {
        /// Highest acceptable share of answered calls dropped before an agent takes them
        /// (`0.0..=1.0`, e.g. 0.03).
        target_abandon_rate: f64,
    },
}

impl DialerMode {
    /// Checks the mode's parameters: a ratio within `1.0..=5.0`, an abandon rate within
    /// `0.0..=1.0` (NaN is rejected by both).
    pub fn validate(self) -> Result<Self, DialerError> {
        match self {
            DialerMode::Ratio(r) if !(MIN_RATIO..=MAX_RATIO).contains(&r) => {
                Err(DialerError::InvalidRatio(r))
            }
            DialerMode::Predictive {
                target_abandon_rate: a,
            } if !(0.0..=1.0).contains(&a) => Err(DialerError::InvalidAbandonRate(a)),
            m => Ok(m),
        }
    }
}

/// Configuration of one campaign.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CampaignConfig {
    /// Pacing mode.
    pub mode: DialerMode,
    /// The agent pool: agents serving this queue in the ACD. Answered calls are enqueued here.
    pub queue: QueueId,
    /// Most dials in flight plus previews awaiting confirmation at once (at least 1).
    pub max_concurrent: u32,
    /// Most dials per target, the first one included (at least 1).
    pub max_attempts: u32,
    /// Delay before a target is dialled again after `NoAnswer` or `Busy` (ms, at least 0).
    pub retry_after_ms: i64,
}

impl CampaignConfig {
    /// Checks the mode and the limits.
    pub fn validate(self) -> Result<Self, DialerError> {
        self.mode.validate()?;
        if self.max_concurrent == 0 {
            return Err(DialerError::InvalidConfig(
                "max_concurrent must be at least 1",
            ));
        }
        if self.max_attempts == 0 {
            return Err(DialerError::InvalidConfig(
                "max_attempts must be at least 1",
            ));
        }
        if self.retry_after_ms < 0 {
            return Err(DialerError::InvalidConfig(
                "retry_after_ms must not be negative",
            ));
        }
        Ok(self)
    }
}

/// Lifecycle state of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CampaignState {
    /// Dials are placed by `pace`.
    Running,
    /// No new dials or previews; results of calls in flight are still taken.
    Paused,
    /// Final: no new dials, retries or previews; results of calls in flight are still taken.
    Stopped,
}

/// Where one target of a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetStatus {
    /// Not dialled yet.
    Pending,
    /// Presented to an agent (preview mode), awaiting confirmation.
    Previewing,
    /// A dial is in flight.
    Dialing {
        /// 1-based attempt number of this dial.
        attempt: u32,
    },
    /// Not answered or busy; dialled again from `at_ms` on.
    RetryScheduled {
        /// When the retry becomes due.
        at_ms: i64,
    },
    /// Final: answered (and handed to the pool's queue).
    Answered,
    /// Final: answered, then dropped before an agent took it.
    Abandoned,
    /// Final: not answered on the last allowed attempt.
    NoAnswer,
    /// Final: busy on the last allowed attempt.
    Busy,
    /// Final: the dial failed (invalid number, carrier error).
    Failed,
    /// Final: the number must not be called.
    DoNotCall,
    /// Final: the previewing agent skipped it.
    Skipped,
    /// Final: the campaign was stopped before the target was done.
    Cancelled,
}

impl TargetStatus {
    /// Whether the target will never be dialled again.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            TargetStatus::Pending
                | TargetStatus::Previewing
                | TargetStatus::Dialing { .. }
                | TargetStatus::RetryScheduled { .. }
        )
    }
}

/// Outcome of one dial, as the telephony side reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialOutcome {
    /// The callee answered; the caller enqueues the call into the pool's queue (preview mode:
    /// it is already with the confirming agent).
    Answered,
    /// Rang out unanswered (retried while attempts remain).
    NoAnswer,
    /// The line was busy (retried while attempts remain).
    Busy,
    /// Invalid number or carrier error (never retried).
    Failed,
    /// The number is on a do-not-call list (never retried; not counted in the answer rate).
    DoNotCall,
}

/// What the dialer asks the caller to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialCommand {
    /// Place a call to the target.
    Dial {
        /// The campaign.
        campaign: CampaignId,
        /// The target.
        target: TargetId,
        /// 1-based attempt number.
        attempt: u32,
    },
    /// Present the target to an agent of the pool (route it through the ACD as a contact of the
    /// campaign's queue); the agent confirms with [`Dialer::preview_confirmed`] or skips with
    /// [`Dialer::preview_skipped`].
    Preview {
        /// The campaign.
        campaign: CampaignId,
        /// The target.
        target: TargetId,
    },
    /// Take back a preview that was not confirmed (the campaign stopped).
    WithdrawPreview {
        /// The campaign.
        campaign: CampaignId,
        /// The target.
        target: TargetId,
    },
    /// Hang up a dial in flight (the campaign was force-stopped).
    Hangup {
        /// The campaign.
        campaign: CampaignId,
        /// The target.
        target: TargetId,
    },
}

/// Counters and current pacing of one campaign.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CampaignStats {
    /// Lifecycle state.
    pub state: CampaignState,
    /// Targets in the list.
    pub targets: usize,
    /// Dials placed (every attempt).
    pub dialled: u64,
    /// Dials answered.
    pub answered: u64,
    /// Answered calls dropped before an agent took them.
    pub abandoned: u64,
    /// Dials not answered.
    pub no_answer: u64,
    /// Dials that found the line busy.
    pub busy: u64,
    /// Dials that failed.
    pub failed: u64,
    /// Dials refused as do-not-call.
    pub do_not_call: u64,
    /// Previews skipped by the agent.
    pub skipped: u64,
    /// Dials in flight (placed, no result yet).
    pub in_flight: usize,
    /// Previews awaiting an agent's confirmation.
    pub previewing: usize,
    /// Targets waiting for a retry (due or not).
    pub retry_scheduled: usize,
    /// Targets not final yet (pending, previewing, in flight or waiting for a retry).
    pub remaining: usize,
    /// Current pacing ratio (1.0 for preview and progressive).
    pub ratio: f64,
}

/// Errors of the dialer (caller mistakes; the dialer state is unchanged).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DialerError {
    /// No such campaign.
    UnknownCampaign(CampaignId),
    /// The campaign id is already in use.
    DuplicateCampaign(CampaignId),
    /// No such target in the campaign.
    UnknownTarget(TargetId),
    /// The target is already in the campaign (or twice in the list given).
    DuplicateTarget(TargetId),
    /// A ratio outside `1.0..=5.0` (or NaN).
    InvalidRatio(f64),
    /// A target abandon rate outside `0.0..=1.0` (or NaN).
    InvalidAbandonRate(f64),
    /// Another invalid configuration value.
    InvalidConfig(&'static str),
    /// The operation does not apply to the target in its current status (e.g. a result for a
    /// target with no dial in flight, or an abandon of a call that was not answered).
    WrongStatus {
        /// The target.
        target: TargetId,
        /// Its status.
        status: TargetStatus,
    },
    /// The campaign is stopped (it cannot be resumed or extended).
    CampaignStopped(CampaignId),
    /// The ACD refused the query (unknown queue).
    Acd(AcdError),
}

impl fmt::Display for DialerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialerError::UnknownCampaign(c) => write!(f, "unknown campaign {}", c.0),
            DialerError::DuplicateCampaign(c) => write!(f, "campaign {} already exists", c.0),
            DialerError::UnknownTarget(t) => write!(f, "unknown target {}", t.0),
            DialerError::DuplicateTarget(t) => write!(f, "target {} is already listed", t.0),
            DialerError::InvalidRatio(r) => write!(f, "ratio {r} is outside 1.0..=5.0"),
            DialerError::InvalidAbandonRate(a) => {
                write!(f, "target abandon rate {a} is outside 0.0..=1.0")
            }
            DialerError::InvalidConfig(why) => f.write_str(why),
            DialerError::WrongStatus { target, status } => {
                write!(f, "target {} is {status:?}", target.0)
            }
            DialerError::CampaignStopped(c) => write!(f, "campaign {} is stopped", c.0),
            DialerError::Acd(e) => write!(f, "acd: {e}"),
        }
    }
}

impl std::error::Error for DialerError {}

impl From<AcdError> for DialerError {
    fn from(e: AcdError) -> Self {
        DialerError::Acd(e)
    }
}

/// Recent outcomes the predictive mode adapts to; running counts keep every read O(1).
#[derive(Debug, Default)]
struct Observations {
    /// Last resolved dials: answered or not.
    dials: VecDeque<bool>,
    answered_in_dials: usize,
    /// Last answered calls: abandoned or not. `answers[i]` has answer sequence `front_seq + i`.
    answers: VecDeque<bool>,
    abandoned_in_answers: usize,
    front_seq: u64,
}

impl Observations {
    /// Records a resolved dial; returns the answer sequence of an answered one.
    fn record_dial(&mut self, answered: bool) -> Option<u64> {
        self.dials.push_back(answered);
        self.answered_in_dials += usize::from(answered);
        if self.dials.len() > PREDICTIVE_WINDOW {
            let old = self.dials.pop_front().unwrap_or(false);
            self.answered_in_dials -= usize::from(old);
        }
        if !answered {
            return None;
        }
        let seq = self.front_seq + self.answers.len() as u64;
        self.answers.push_back(false);
        if self.answers.len() > PREDICTIVE_WINDOW {
            let old = self.answers.pop_front().unwrap_or(false);
            self.abandoned_in_answers -= usize::from(old);
            self.front_seq += 1;
        }
        Some(seq)
    }

    /// Marks an answered call as abandoned, if it is still in the window.
    fn record_abandon(&mut self, seq: u64) {
        let Some(i) = seq.checked_sub(self.front_seq) else {
            return;
        };
        if let Some(slot) = usize::try_from(i)
            .ok()
            .and_then(|i| self.answers.get_mut(i))
        {
            if !*slot {
                *slot = true;
                self.abandoned_in_answers += 1;
            }
        }
    }

    fn ratio(&self, target_abandon_rate: f64) -> f64 {
        if self.dials.len() < PREDICTIVE_MIN_SAMPLES {
            return MIN_RATIO;
        }
        let answer_rate = self.answered_in_dials as f64 / self.dials.len() as f64;
        let abandon_rate = if self.answers.is_empty() {
            0.0
        } else {
            self.abandoned_in_answers as f64 / self.answers.len() as f64
        };
        let correction = if abandon_rate > target_abandon_rate {
            target_abandon_rate / abandon_rate
        } else {
            1.0
        };
        let base = if answer_rate > 0.0 {
            1.0 / answer_rate
        } else {
            MAX_RATIO
        };
        (base * correction).clamp(MIN_RATIO, MAX_RATIO)
    }
}

#[derive(Debug)]
struct Entry {
    target: TargetId,
    status: TargetStatus,
    attempts: u32,
    /// Answer sequence in [`Observations`] of the answered dial.
    answer_seq: Option<u64>,
}

#[derive(Debug)]
struct Campaign {
    config: CampaignConfig,
    state: CampaignState,
    entries: Vec<Entry>,
    index: HashMap<TargetId, usize>,
    /// Never-attempted entries, in list order.
    fresh: VecDeque<usize>,
    /// Retries not due yet: (due ms, entry).
    scheduled: BTreeSet<(i64, usize)>,
    /// Retries found due by a `pace`: (due ms, entry); dialled before fresh entries.
    ready: BTreeSet<(i64, usize)>,
    dialing: usize,
    previewing: usize,
    remaining: usize,
    dialled: u64,
    answered: u64,
    abandoned: u64,
    no_answer: u64,
    busy: u64,
    failed: u64,
    do_not_call: u64,
    skipped: u64,
    obs: Observations,
}

impl Campaign {
    fn ratio(&self) -> f64 {
        match self.config.mode {
            DialerMode::Preview | DialerMode::Progressive => 1.0,
            DialerMode::Ratio(r) => r,
            DialerMode::Predictive {
                target_abandon_rate,
            } => self.obs.ratio(target_abandon_rate),
        }
    }

    /// Agents of the pool this campaign's dials in flight are expected to need.
    fn claim(&self) -> f64 {
        match self.config.mode {
            DialerMode::Preview => 0.0,
            _ => self.dialing as f64 / self.ratio(),
        }
    }

    fn push_targets(&mut self, targets: &[TargetId]) {
        for &t in targets {
            let i = self.entries.len();
            self.entries.push(Entry {
                target: t,
                status: TargetStatus::Pending,
                attempts: 0,
                answer_seq: None,
            });
            self.index.insert(t, i);
            self.fresh.push_back(i);
        }
        self.remaining += targets.len();
    }

    fn promote_due(&mut self, now_ms: i64) {
        while let Some(&(at, i)) = self.scheduled.first() {
            if at > now_ms {
                break;
            }
            self.scheduled.remove(&(at, i));
            self.ready.insert((at, i));
        }
    }

    /// How many dials (or previews) to start now, given `free` agents left for this campaign.
    fn budget(&self, free: f64) -> usize {
        let busy = self.dialing + self.previewing;
        let headroom = (self.config.max_concurrent as usize).saturating_sub(busy);
        let by_mode = if free <= 0.0 {
            0
        } else {
            match self.config.mode {
                // Earlier previews already reserve their agents in the ACD.
                DialerMode::Preview => (free + EPS).floor() as usize,
                _ => ((free * self.ratio() + EPS).floor() as usize).saturating_sub(self.dialing),
            }
        };
        headroom
            .min(by_mode)
            .min(self.ready.len() + self.fresh.len())
    }

    fn start(&mut self, id: CampaignId, n: usize, out: &mut Vec<DialCommand>) {
        for _ in 0..n {
            let i = match self.ready.pop_first() {
                Some((_, i)) => i,
                None => match self.fresh.pop_front() {
                    Some(i) => i,
                    None => break,
                },
            };
            let e = &mut self.entries[i];
            if self.config.mode == DialerMode::Preview {
                e.status = TargetStatus::Previewing;
                self.previewing += 1;
                out.push(DialCommand::Preview {
                    campaign: id,
                    target: e.target,
                });
            } else {
                e.attempts += 1;
                e.status = TargetStatus::Dialing {
                    attempt: e.attempts,
                };
                self.dialing += 1;
                self.dialled += 1;
                out.push(DialCommand::Dial {
                    campaign: id,
                    target: e.target,
                    attempt: e.attempts,
                });
            }
        }
    }

    fn entry_mut(&mut self, target: TargetId) -> Result<&mut Entry, DialerError> {
        let i = *self
            .index
            .get(&target)
            .ok_or(DialerError::UnknownTarget(target))?;
        Ok(&mut self.entries[i])
    }

    /// Ends the campaign: every target not final and not in flight is cancelled; with `hangup`
    /// the dials in flight are too.
    fn stop(&mut self, id: CampaignId, hangup: bool) -> Vec<DialCommand> {
        self.state = CampaignState::Stopped;
        self.fresh.clear();
        self.scheduled.clear();
        self.ready.clear();
        let mut out = Vec::new();
        for e in &mut self.entries {
            let cmd = match e.status {
                TargetStatus::Pending | TargetStatus::RetryScheduled { .. } => None,
                TargetStatus::Previewing => {
                    self.previewing -= 1;
                    Some(DialCommand::WithdrawPreview {
                        campaign: id,
                        target: e.target,
                    })
                }
                TargetStatus::Dialing { .. } if hangup => {
                    self.dialing -= 1;
                    Some(DialCommand::Hangup {
                        campaign: id,
                        target: e.target,
                    })
                }
                _ => continue,
            };
            e.status = TargetStatus::Cancelled;
            self.remaining -= 1;
            out.extend(cmd);
        }
        out
    }
}

/// The outbound dialer: campaigns, their targets and pacing. See the module docs.
#[derive(Debug, Default)]
pub struct Dialer {
    campaigns: BTreeMap<CampaignId, Campaign>,
}

impl Dialer {
    /// A dialer with no campaigns.
    pub fn new() -> Self {
        Dialer::default()
    }

    /// Creates a running campaign with its target list (dialled in list order).
    pub fn add_campaign(
        &mut self,
        id: CampaignId,
        config: CampaignConfig,
        targets: &[TargetId],
    ) -> Result<(), DialerError> {
        let config = config.validate()?;
        if self.campaigns.contains_key(&id) {
            return Err(DialerError::DuplicateCampaign(id));
        }
        check_new_targets(&HashMap::new(), targets)?;
        let mut c = Campaign {
            config,
            state: CampaignState::Running,
            entries: Vec::with_capacity(targets.len()),
            index: HashMap::with_capacity(targets.len()),
            fresh: VecDeque::with_capacity(targets.len()),
            scheduled: BTreeSet::new(),
            ready: BTreeSet::new(),
            dialing: 0,
            previewing: 0,
            remaining: 0,
            dialled: 0,
            answered: 0,
            abandoned: 0,
            no_answer: 0,
            busy: 0,
            failed: 0,
            do_not_call: 0,
            skipped: 0,
            obs: Observations::default(),
        };
        c.push_targets(targets);
        self.campaigns.insert(id, c);
        Ok(())
    }

    /// Appends targets to a campaign that is not stopped (all or none: a duplicate fails the call).
    pub fn add_targets(
        &mut self,
        campaign: CampaignId,
        targets: &[TargetId],
    ) -> Result<(), DialerError> {
        let c = self.campaign_mut(campaign)?;
        if c.state == CampaignState::Stopped {
            return Err(DialerError::CampaignStopped(campaign));
        }
        check_new_targets(&c.index, targets)?;
        c.push_targets(targets);
        Ok(())
    }

    /// Forgets a campaign; later results for its dials answer `UnknownCampaign`.
    pub fn remove_campaign(&mut self, campaign: CampaignId) -> Result<(), DialerError> {
        self.campaigns
            .remove(&campaign)
            .map(|_| ())
            .ok_or(DialerError::UnknownCampaign(campaign))
    }

    /// Changes the pacing mode (e.g. Udesk `ads/task/update_ratio`). Dials in flight and previews
    /// are kept; the predictive observations are kept too.
    pub fn set_mode(&mut self, campaign: CampaignId, mode: DialerMode) -> Result<(), DialerError> {
        let mode = mode.validate()?;
        self.campaign_mut(campaign)?.config.mode = mode;
        Ok(())
    }

    /// Stops placing new dials until [`Dialer::resume`]. Pausing a paused campaign does nothing.
    pub fn pause(&mut self, campaign: CampaignId) -> Result<(), DialerError> {
        self.set_state(campaign, CampaignState::Paused)
    }

    /// Resumes a paused campaign. Resuming a running campaign does nothing.
    pub fn resume(&mut self, campaign: CampaignId) -> Result<(), DialerError> {
        self.set_state(campaign, CampaignState::Running)
    }

    /// Stops the campaign for good: targets not yet dialled or waiting for a retry are
    /// cancelled, previews are withdrawn (the returned commands), dials in flight finish and are
    /// reported as usual (without retries). Stopping a stopped campaign returns nothing.
    pub fn stop(&mut self, campaign: CampaignId) -> Result<Vec<DialCommand>, DialerError> {
        Ok(self.campaign_mut(campaign)?.stop(campaign, false))
    }

    /// Like [`Dialer::stop`], and also hangs up every dial in flight (`Hangup` commands; those
    /// targets are cancelled and results for them answer `WrongStatus`).
    pub fn force_stop(&mut self, campaign: CampaignId) -> Result<Vec<DialCommand>, DialerError> {
        Ok(self.campaign_mut(campaign)?.stop(campaign, true))
    }

    /// Dials (or previews) to start now for one campaign, in the order to place them. Also moves
    /// retries due at `now_ms` to the ready list, whatever the campaign state. A paused or stopped
    /// campaign starts nothing. See the module docs for the formulas.
    pub fn pace(
        &mut self,
        campaign: CampaignId,
        acd: &Acd,
        now_ms: i64,
    ) -> Result<Vec<DialCommand>, DialerError> {
        let queue = self.campaign(campaign)?.config.queue;
        let claimed_by_others: f64 = self
            .campaigns
            .iter()
            .filter(|(&id, c)| id != campaign && c.config.queue == queue)
            .map(|(_, c)| c.claim())
            .sum();
        let c = self.campaign_mut(campaign)?;
        c.promote_due(now_ms);
        let mut out = Vec::new();
        if c.state != CampaignState::Running {
            return Ok(out);
        }
        let stats = acd.channel_stats(queue, Channel::Voice)?;
        let free = f64::from(stats.available.saturating_sub(stats.waiting)) - claimed_by_others;
        let n = c.budget(free);
        c.start(campaign, n, &mut out);
        Ok(out)
    }

    /// [`Dialer::pace`] for every campaign, in campaign id order. A campaign whose queue the ACD
    /// does not know dials nothing (its due retries are still moved to the ready list).
    pub fn pace_all(&mut self, acd: &Acd, now_ms: i64) -> Vec<DialCommand> {
        let ids: Vec<CampaignId> = self.campaigns.keys().copied().collect();
        let mut out = Vec::new();
        for id in ids {
            if let Ok(cmds) = self.pace(id, acd, now_ms) {
                out.extend(cmds);
            }
        }
        out
    }

    /// The agent to whom a preview was offered confirms it: returns the `Dial` to place. The
    /// answered call goes to that agent (it is not enqueued again).
    pub fn preview_confirmed(
        &mut self,
        campaign: CampaignId,
        target: TargetId,
    ) -> Result<DialCommand, DialerError> {
        let c = self.campaign_mut(campaign)?;
        let e = c.entry_mut(target)?;
        if e.status != TargetStatus::Previewing {
            return Err(DialerError::WrongStatus {
                target,
                status: e.status,
            });
        }
        e.attempts += 1;
        e.status = TargetStatus::Dialing {
            attempt: e.attempts,
        };
        let attempt = e.attempts;
        c.previewing -= 1;
        c.dialing += 1;
        c.dialled += 1;
        Ok(DialCommand::Dial {
            campaign,
            target,
            attempt,
        })
    }

    /// The agent skips a previewed target: it becomes final (`Skipped`) without a dial.
    pub fn preview_skipped(
        &mut self,
        campaign: CampaignId,
        target: TargetId,
    ) -> Result<(), DialerError> {
        let c = self.campaign_mut(campaign)?;
        let e = c.entry_mut(target)?;
        if e.status != TargetStatus::Previewing {
            return Err(DialerError::WrongStatus {
                target,
                status: e.status,
            });
        }
        e.status = TargetStatus::Skipped;
        c.previewing -= 1;
        c.remaining -= 1;
        c.skipped += 1;
        Ok(())
    }

    /// The result of a dial in flight; returns the target's new status (`RetryScheduled` when a
    /// `NoAnswer` or `Busy` will be retried at `now_ms + retry_after_ms`). An `Answered` call is
    /// enqueued by the caller into the campaign's queue.
    pub fn dial_result(
        &mut self,
        campaign: CampaignId,
        target: TargetId,
        outcome: DialOutcome,
        now_ms: i64,
    ) -> Result<TargetStatus, DialerError> {
        let c = self.campaign_mut(campaign)?;
        let i = *c
            .index
            .get(&target)
            .ok_or(DialerError::UnknownTarget(target))?;
        let e = &mut c.entries[i];
        if !matches!(e.status, TargetStatus::Dialing { .. }) {
            return Err(DialerError::WrongStatus {
                target,
                status: e.status,
            });
        }
        c.dialing -= 1;
        let can_retry = c.state != CampaignState::Stopped && e.attempts < c.config.max_attempts;
        let retry_at = now_ms.saturating_add(c.config.retry_after_ms);
        let status = match outcome {
            DialOutcome::Answered => {
                c.answered += 1;
                e.answer_seq = c.obs.record_dial(true);
                TargetStatus::Answered
            }
            DialOutcome::NoAnswer | DialOutcome::Busy => {
                c.obs.record_dial(false);
                let last = if outcome == DialOutcome::Busy {
                    c.busy += 1;
                    TargetStatus::Busy
                } else {
                    c.no_answer += 1;
                    TargetStatus::NoAnswer
                };
                if can_retry {
                    c.scheduled.insert((retry_at, i));
                    TargetStatus::RetryScheduled { at_ms: retry_at }
                } else {
                    last
                }
            }
            DialOutcome::Failed => {
                c.obs.record_dial(false);
                c.failed += 1;
                TargetStatus::Failed
            }
            DialOutcome::DoNotCall => {
                c.do_not_call += 1;
                TargetStatus::DoNotCall
            }
        };
        e.status = status;
        if status.is_final() {
            c.remaining -= 1;
        }
        Ok(status)
    }

    /// An answered call was dropped before an agent took it (it feeds the predictive abandon
    /// rate). The target becomes `Abandoned` (final, not redialled automatically).
    pub fn abandoned(&mut self, campaign: CampaignId, target: TargetId) -> Result<(), DialerError> {
        let c = self.campaign_mut(campaign)?;
        let i = *c
            .index
            .get(&target)
            .ok_or(DialerError::UnknownTarget(target))?;
        let e = &mut c.entries[i];
        if e.status != TargetStatus::Answered {
            return Err(DialerError::WrongStatus {
                target,
                status: e.status,
            });
        }
        e.status = TargetStatus::Abandoned;
        let seq = e.answer_seq;
        c.abandoned += 1;
        if let Some(seq) = seq {
            c.obs.record_abandon(seq);
        }
        Ok(())
    }

    /// Earliest time a retry of any campaign becomes due and has not been seen due by a `pace`
    /// yet; pace (e.g. [`Dialer::pace_all`]) at that time.
    pub fn next_deadline(&self) -> Option<i64> {
        self.campaigns
            .values()
            .filter_map(|c| c.scheduled.first().map(|&(at, _)| at))
            .min()
    }

    /// Whether every target of the campaign is final (see the module docs).
    pub fn exhausted(&self, campaign: CampaignId) -> Result<bool, DialerError> {
        Ok(self.campaign(campaign)?.remaining == 0)
    }

    /// Status of one target.
    pub fn target_status(
        &self,
        campaign: CampaignId,
        target: TargetId,
    ) -> Result<TargetStatus, DialerError> {
        let c = self.campaign(campaign)?;
        let i = *c
            .index
            .get(&target)
            .ok_or(DialerError::UnknownTarget(target))?;
        Ok(c.entries[i].status)
    }

    /// Counters and current ratio of a campaign.
    pub fn stats(&self, campaign: CampaignId) -> Result<CampaignStats, DialerError> {
        let c = self.campaign(campaign)?;
        Ok(CampaignStats {
            state: c.state,
            targets: c.entries.len(),
            dialled: c.dialled,
            answered: c.answered,
            abandoned: c.abandoned,
            no_answer: c.no_answer,
            busy: c.busy,
            failed: c.failed,
            do_not_call: c.do_not_call,
            skipped: c.skipped,
            in_flight: c.dialing,
            previewing: c.previewing,
            retry_scheduled: c.scheduled.len() + c.ready.len(),
            remaining: c.remaining,
            ratio: c.ratio(),
        })
    }

    /// Configuration of a campaign.
    pub fn config(&self, campaign: CampaignId) -> Result<CampaignConfig, DialerError> {
        Ok(self.campaign(campaign)?.config)
    }

    /// Ids of all campaigns, ascending.
    pub fn campaigns(&self) -> impl Iterator<Item = CampaignId> + '_ {
        self.campaigns.keys().copied()
    }

    fn campaign(&self, id: CampaignId) -> Result<&Campaign, DialerError> {
        self.campaigns
            .get(&id)
            .ok_or(DialerError::UnknownCampaign(id))
    }

    fn campaign_mut(&mut self, id: CampaignId) -> Result<&mut Campaign, DialerError> {
        self.campaigns
            .get_mut(&id)
            .ok_or(DialerError::UnknownCampaign(id))
    }

    fn set_state(&mut self, id: CampaignId, state: CampaignState) -> Result<(), DialerError> {
        let c = self.campaign_mut(id)?;
        if c.state == CampaignState::Stopped {
            return Err(DialerError::CampaignStopped(id));
        }
        c.state = state;
        Ok(())
    }
}

/// Rejects a target already in `existing` or listed twice.
fn check_new_targets(
    existing: &HashMap<TargetId, usize>,
    targets: &[TargetId],
) -> Result<(), DialerError> {
    let mut seen = HashSet::with_capacity(targets.len());
    for &t in targets {
        if existing.contains_key(&t) || !seen.insert(t) {
            return Err(DialerError::DuplicateTarget(t));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
