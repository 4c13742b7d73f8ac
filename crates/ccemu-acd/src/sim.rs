//! Erlang validation simulator: a discrete-event simulation of one queue driven by the real
//! [`Acd`] in virtual time.
//!
//! Contacts arrive as a Poisson process, handle times and patience are exponential, wrap-up is
//! zero and every agent accepts an offer at the moment it is made. Under those assumptions a
//! work-conserving FIFO router is an M/M/N queue (Erlang C) or, with finite patience, an M/M/N+M
//! queue (Erlang A), so the waiting-time statistics the simulation measures can be compared with
//! the published tables in `shared/acd/erlang-validation.md`. Nothing in the simulator routes: it
//! only generates events, feeds them to the engine and records what the engine decides.
//!
//! # Time unit
//! The engine's `now_ms` arguments receive **microseconds** of virtual time here. The engine does
//! no arithmetic that depends on the unit except adding configured durations, and the simulator
//! configures those in the same unit. Whole milliseconds would round every sampled duration to
//! the nearest millisecond, which biases the share of contacts that "waited at all" (a wait of
//! 0.4 ms becomes no wait); microseconds make that bias negligible while keeping the engine's
//! integer clock.
//!
//! # Reproducibility
//! Each replication draws from its own xoshiro256++ stream seeded from
//! [`ErlangScenario::seed`] and the replication index, and the engine gets a seed from the same
//! stream, so a scenario always produces the same report (except `wall_ms`) whatever the number
//! of threads. Handle time and patience are drawn when a contact arrives, so the arrival, service
//! and patience streams do not depend on which agent the engine picks: with the same seed every
//! work-conserving strategy produces the same queue-length process.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use crate::{
    Acd, AgentConfig, AgentId, Channel, ContactId, ContactSpec, Decision, Membership, QueueConfig,
    QueueId, Strategy,
};

/// Virtual-time units (the engine's "ms", see the module docs) per second.
const UNITS_PER_SEC: f64 = 1_000_000.0;

/// Ring timeout given to simulated agents: about 35 years in microseconds, so it never fires.
const NEVER_RINGS_OUT: i64 = 1 << 50;

/// Engine deadlines at or beyond this are ring timeouts that never fire within a simulation.
const FAR: i64 = NEVER_RINGS_OUT / 2;

/// The one queue every simulated contact joins.
const QUEUE: QueueId = QueueId(1);

/// One simulation experiment: a single queue with identical agents, run as independent
/// replications.
#[derive(Debug, Clone)]
pub struct ErlangScenario {
    /// Poisson arrival rate, contacts per hour.
    pub arrivals_per_hour: f64,
    /// Mean of the exponential handle time, seconds (wrap-up is zero).
    pub aht_secs: f64,
    /// Number of agents serving the queue; each takes one voice contact at a time.
    pub agents: u32,
    /// Mean of the exponential patience, seconds; `None` means callers never abandon.
    pub patience_secs: Option<f64>,
    /// Service-level threshold, seconds (a wait of exactly this long is "within").
    pub sl_secs: f64,
    /// Contacts counted per replication (after the warm-up).
    pub contacts: u64,
    /// Number of independent replications; standard errors need at least 2.
    pub replications: u32,
    /// Contacts simulated at the start of each replication and not counted.
    pub warmup: u64,
    /// Seed of the whole experiment.
    pub seed: u64,
    /// Routing strategy of the queue.
    pub strategy: Strategy,
}

impl Default for ErlangScenario {
    /// The validation tables' load (A = 10 Erlangs: 200 calls/h, AHT 180 s, t = 20 s) with
    /// 12 agents, infinite patience and a size that runs in about a second in release.
    fn default() -> Self {
        Self {
            arrivals_per_hour: 200.0,
            aht_secs: 180.0,
            agents: 12,
            patience_secs: None,
            sl_secs: 20.0,
            contacts: 100_000,
            replications: 8,
            warmup: 5_000,
            seed: 1,
            strategy: Strategy::LongestIdle,
        }
    }
}

/// A mean over replications with its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Mean of the per-replication values.
    pub mean: f64,
    /// Sample standard deviation of the per-replication values divided by √replications
    /// (0 with a single replication).
    pub se: f64,
}

impl Estimate {
    /// Mean and standard error of `values` (one per replication).
    pub fn from_samples(values: &[f64]) -> Self {
        let n = values.len() as f64;
        if values.is_empty() {
            return Self {
                mean: f64::NAN,
                se: f64::NAN,
            };
        }
        let mean = values.iter().sum::<f64>() / n;
        if values.len() < 2 {
            return Self { mean, se: 0.0 };
        }
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        Self {
            mean,
            se: (var / n).sqrt(),
        }
    }

    /// Whether `reference` lies within `k` standard errors of the mean. Always false when the
    /// standard error is zero or not a number, so a degenerate experiment cannot pass.
    pub fn within(&self, reference: f64, k: f64) -> bool {
        self.se > 0.0 && (self.mean - reference).abs() <= k * self.se
    }

    /// Distance from `reference` in standard errors.
    pub fn z(&self, reference: f64) -> f64 {
        (self.mean - reference) / self.se
    }
}

/// What a scenario measured. Serializes as
/// `{"p_wait":{"mean","se"},"asa_secs":..,"sl":..,"p_abandon":..,"sl_of_answered":..,"sl2":..,
/// "occupancy":..,"contacts":n,"replications":n,"wall_ms":n}`.
///
/// Every share is over the counted (post-warm-up) contacts of a replication; abandoned contacts
/// count as offered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErlangReport {
    /// Share of offered contacts that waited at all (more than 0 µs).
    pub p_wait: Estimate,
    /// Mean wait over all offered contacts, seconds; an abandoned contact counts its wait until
    /// it abandoned.
    pub asa_secs: Estimate,
    /// Answered within the threshold / offered.
    pub sl: Estimate,
    /// Abandoned / offered.
    pub p_abandon: Estimate,
    /// Answered within the threshold / answered (Asterisk's SL).
    pub sl_of_answered: Estimate,
    /// (Answered within + abandoned within the threshold) / offered (Asterisk's SL2).
    pub sl2: Estimate,
    /// Busy agent time / (agents × time), between the arrivals of the first and the last
    /// counted contact.
    pub occupancy: Estimate,
    /// Contacts counted per replication.
    pub contacts: u64,
    /// Replications run.
    pub replications: u32,
    /// Wall-clock time of the whole run, milliseconds (replications run on all available
    /// cores).
    pub wall_ms: u64,
}

/// Runs `scenario` and reports the estimates.
///
/// Replications run in parallel on up to [`std::thread::available_parallelism`] threads; the
/// result does not depend on the number of threads.
///
/// # Panics
/// If `agents`, `contacts` or `replications` is zero, a rate or duration is not positive, or the
/// engine misbehaves: it returns an error for an operation the simulator makes legally, offers a
/// contact that is not waiting, or leaves a contact waiting once no event is pending (which would
/// mean it kept an idle agent and a waiting contact apart).
pub fn run(scenario: &ErlangScenario) -> ErlangReport {
    assert!(scenario.agents > 0, "scenario needs at least one agent");
    assert!(
        scenario.contacts > 0,
        "scenario needs at least one counted contact"
    );
    assert!(
        scenario.replications > 0,
        "scenario needs at least one replication"
    );
    assert!(
        scenario.arrivals_per_hour > 0.0,
        "arrival rate must be positive"
    );
    assert!(scenario.aht_secs > 0.0, "handle time must be positive");
    if let Some(p) = scenario.patience_secs {
        assert!(p > 0.0, "patience must be positive");
    }
    let started = Instant::now();
    let reps = scenario.replications as usize;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(reps);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Tally>>> = Mutex::new(vec![None; reps]);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                // One buffer per thread, reused across its replications.
                let mut buf = Vec::new();
                loop {
                    let r = next.fetch_add(1, Ordering::Relaxed);
                    if r >= reps {
                        break;
                    }
                    let tally = Replication::new(scenario, r as u64, &mut buf).run();
                    results.lock().unwrap_or_else(|e| e.into_inner())[r] = Some(tally);
                }
            });
        }
    });
    let tallies: Vec<Tally> = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|t| t.expect("every replication ran"))
        .collect();
    let est = |f: fn(&Tally) -> f64| {
        let v: Vec<f64> = tallies.iter().map(f).collect();
        Estimate::from_samples(&v)
    };
    ErlangReport {
        p_wait: est(|t| t.waited as f64 / t.offered as f64),
        asa_secs: est(|t| t.wait_sum_units / UNITS_PER_SEC / t.offered as f64),
        sl: est(|t| t.answered_within as f64 / t.offered as f64),
        p_abandon: est(|t| t.abandoned as f64 / t.offered as f64),
        sl_of_answered: est(|t| t.answered_within as f64 / t.answered as f64),
        sl2: est(|t| (t.answered_within + t.abandoned_within) as f64 / t.offered as f64),
        occupancy: est(|t| t.occupancy),
        contacts: scenario.contacts,
        replications: scenario.replications,
        wall_ms: started.elapsed().as_millis() as u64,
    }
}

/// Counts of one replication (counted contacts only).
#[derive(Debug, Clone, Default)]
struct Tally {
    offered: u64,
    waited: u64,
    wait_sum_units: f64,
    answered: u64,
    answered_within: u64,
    abandoned: u64,
    abandoned_within: u64,
    occupancy: f64,
}

/// Where a simulated contact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Answered,
    Abandoned,
}

/// A simulated contact; indexed by `ContactId - 1`.
#[derive(Debug, Clone, Copy)]
struct Contact {
    arrival: i64,
    handle: i64,
    state: State,
}

/// A pending simulator event. `seq` makes keys unique, so equal times pop in scheduling order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Event {
    at: i64,
    seq: u64,
    kind: EventKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum EventKind {
    /// The agent finishes the contact (wrap-up 0).
    Complete { agent: u32, contact: u64 },
    /// The contact's patience runs out; ignored if it was answered first.
    Abandon { contact: u64 },
}

/// One replication's state.
struct Replication<'a> {
    scenario: &'a ErlangScenario,
    acd: Acd,
    rng: Rng,
    contacts: &'a mut Vec<Contact>,
    heap: BinaryHeap<Reverse<Event>>,
    work: VecDeque<Decision>,
    seq: u64,
    /// Agents on a contact now.
    busy: u32,
    /// ∫ busy dt from time 0 to `area_at`, agent-units.
    area: f64,
    area_at: i64,
    sl_units: i64,
    tally: Tally,
}

impl<'a> Replication<'a> {
    fn new(scenario: &'a ErlangScenario, index: u64, contacts: &'a mut Vec<Contact>) -> Self {
        let mut rng = Rng::new(
            scenario
                .seed
                .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        );
        let acd = Acd::new(rng.next_u64());
        contacts.clear();
        contacts.reserve((scenario.warmup + scenario.contacts) as usize);
        Self {
            scenario,
            acd,
            rng,
            contacts,
            heap: BinaryHeap::new(),
            work: VecDeque::new(),
            seq: 0,
            busy: 0,
            area: 0.0,
            area_at: 0,
            sl_units: (scenario.sl_secs * UNITS_PER_SEC).round() as i64,
            tally: Tally::default(),
        }
    }

    fn run(mut self) -> Tally {
        let sc = self.scenario;
        self.setup();
        let total = sc.warmup + sc.contacts;
        let mean_interarrival = 3600.0 * UNITS_PER_SEC / sc.arrivals_per_hour;
        let mut arrived = 0u64;
        // Arrival times accumulate in f64 so that rounding does not drift the rate.
        let mut next_arrival_f = self.rng.exp(mean_interarrival);
        let mut window_start = (0i64, 0f64);
        // Guards against an engine whose deadline does not go away when advanced to.
        let (mut last_advance, mut stuck) = (i64::MIN, 0u32);
        loop {
            let next_arrival = (arrived < total).then(|| next_arrival_f.round() as i64);
            let next_event = self.heap.peek().map(|Reverse(e)| e.at);
            let next_sim = match (next_arrival, next_event) {
                (Some(a), Some(e)) => Some(a.min(e)),
                (a, e) => a.or(e),
            };
            // Engine timers (wrap-up end, ...) due no later than our next event go first, so the
            // engine sees time pass in order. Timers beyond `FAR` can only be ring timeouts of
            // offers already accepted; they never matter.
            let engine = self.acd.next_deadline().filter(|&d| d < FAR);
            if let Some(d) = engine {
                if next_sim.is_none_or(|n| d <= n) {
                    let d = d.max(self.area_at);
                    self.integrate(d);
                    let ds = self.acd.advance(d);
                    self.handle(ds, d);
                    stuck = if d == last_advance { stuck + 1 } else { 0 };
                    last_advance = d;
                    assert!(
                        stuck < 10_000,
                        "engine keeps a deadline at {d} after advancing to it"
                    );
                    continue;
                }
            }
            let Some(now) = next_sim else { break };
            self.integrate(now);
            if next_event == Some(now) {
                let Reverse(ev) = self.heap.pop().expect("peeked");
                match ev.kind {
                    EventKind::Complete { agent, contact } => {
                        self.busy -= 1;
                        let ds = self
                            .acd
                            .complete(ContactId(contact), AgentId(agent), 0, now)
                            .expect("complete an accepted contact");
                        self.handle(ds, now);
                    }
                    EventKind::Abandon { contact } => {
                        let idx = (contact - 1) as usize;
                        if self.contacts[idx].state == State::Waiting {
                            self.contacts[idx].state = State::Abandoned;
                            self.record(idx, now, State::Abandoned);
                            let ds = self
                                .acd
                                .abandon(ContactId(contact), now)
                                .expect("abandon a waiting contact");
                            self.handle(ds, now);
                        }
                    }
                }
            } else {
                let idx = arrived as usize;
                arrived += 1;
                if idx as u64 == sc.warmup {
                    window_start = (now, self.area);
                }
                if arrived == total {
                    let span = (now - window_start.0) as f64;
                    self.tally.occupancy = if span > 0.0 {
                        (self.area - window_start.1) / (span * f64::from(sc.agents))
                    } else {
                        f64::NAN
                    };
                }
                let handle = (self.rng.exp(sc.aht_secs * UNITS_PER_SEC).round() as i64).max(1);
                let patience = sc
                    .patience_secs
                    .map(|p| self.rng.exp(p * UNITS_PER_SEC).round() as i64);
                self.contacts.push(Contact {
                    arrival: now,
                    handle,
                    state: State::Waiting,
                });
                let id = idx as u64 + 1;
                let ds = self
                    .acd
                    .enqueue(
                        ContactSpec {
                            id: ContactId(id),
                            queue: QUEUE,
                            channel: Channel::Voice,
                            priority: 0,
                            required_skills: Vec::new(),
                        },
                        now,
                    )
                    .expect("enqueue into a queue with room");
                self.handle(ds, now);
                if self.contacts[idx].state == State::Waiting {
                    if let Some(p) = patience {
                        self.push(now + p, EventKind::Abandon { contact: id });
                    }
                }
                next_arrival_f += self.rng.exp(mean_interarrival);
            }
        }
        if let Some(c) = self.contacts.iter().position(|c| c.state == State::Waiting) {
            panic!(
                "contact {} still waiting with {} agents idle and nothing pending: the engine is not work-conserving",
                c + 1,
                sc.agents - self.busy
            );
        }
        self.tally
    }

    fn setup(&mut self) {
        let sc = self.scenario;
        let queue = QueueConfig {
            strategy: sc.strategy,
            max_length: 0,
            timeout_ms: None,
            overflow: None,
            ..QueueConfig::default()
        };
        let ds = self.acd.upsert_queue(QUEUE, queue, 0);
        self.handle(ds, 0);
        for a in 1..=sc.agents {
            let agent = AgentConfig {
                capacity: [1, 0, 0],
                voice_blocks_others: true,
                skills: Vec::new(),
                memberships: vec![Membership {
                    queue: QUEUE,
                    tier: 1,
                    position: a,
                }],
                ring_timeout_ms: NEVER_RINGS_OUT,
                no_answer_delay_ms: 0,
                reject_delay_ms: 0,
                max_no_answer: 0,
            };
            let ds = self.acd.upsert_agent(AgentId(a), agent, 0);
            self.handle(ds, 0);
            let ds = self.acd.agent_ready(AgentId(a), 0).expect("agent ready");
            self.handle(ds, 0);
        }
    }

    fn push(&mut self, at: i64, kind: EventKind) {
        self.seq += 1;
        self.heap.push(Reverse(Event {
            at,
            seq: self.seq,
            kind,
        }));
    }

    /// Advances the busy-time integral to `now`.
    fn integrate(&mut self, now: i64) {
        debug_assert!(now >= self.area_at, "virtual time went backwards");
        self.area += f64::from(self.busy) * (now - self.area_at) as f64;
        self.area_at = now;
    }

    /// Applies the engine's decisions: every offer is accepted at once.
    fn handle(&mut self, ds: Vec<Decision>, now: i64) {
        if ds.is_empty() {
            return;
        }
        self.work.extend(ds);
        while let Some(d) = self.work.pop_front() {
            match d {
                Decision::Offer { contact, agent, .. } => {
                    let idx = (contact.0 - 1) as usize;
                    assert_eq!(
                        self.contacts[idx].state,
                        State::Waiting,
                        "engine offered contact {} that is not waiting",
                        contact.0
                    );
                    self.contacts[idx].state = State::Answered;
                    self.record(idx, now, State::Answered);
                    self.busy += 1;
                    assert!(
                        self.busy <= self.scenario.agents,
                        "more contacts on agents than agents"
                    );
                    let handle = self.contacts[idx].handle;
                    self.push(
                        now + handle,
                        EventKind::Complete {
                            agent: agent.0,
                            contact: contact.0,
                        },
                    );
                    let more = self
                        .acd
                        .accept(contact, agent, now)
                        .expect("accept an offer at once");
                    self.work.extend(more);
                }
                // With one offer per contact, instant accepts and no queue timeout, nothing else
                // can happen; if it does, the figures would be wrong, so say so loudly.
                other => panic!("unexpected decision in an Erlang scenario: {other:?}"),
            }
        }
    }

    /// Tallies a counted contact's outcome.
    fn record(&mut self, idx: usize, now: i64, outcome: State) {
        if (idx as u64) < self.scenario.warmup {
            return;
        }
        let wait = now - self.contacts[idx].arrival;
        let within = wait <= self.sl_units;
        let t = &mut self.tally;
        t.offered += 1;
        t.waited += u64::from(wait > 0);
        t.wait_sum_units += wait as f64;
        match outcome {
            State::Answered => {
                t.answered += 1;
                t.answered_within += u64::from(within);
            }
            State::Abandoned => {
                t.abandoned += 1;
                t.abandoned_within += u64::from(within);
            }
            State::Waiting => unreachable!("only outcomes are recorded"),
        }
    }
}

/// xoshiro256++ (Blackman & Vigna), seeded through splitmix64: small, fast and reproducible.
#[derive(Debug, Clone)]
struct Rng([u64; 4]);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self([next(), next(), next(), next()])
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Exponential with the given mean.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.uniform()).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_of_constant_samples_has_zero_se_and_never_passes() {
        let e = Estimate::from_samples(&[0.5, 0.5, 0.5]);
        assert_eq!(e.mean, 0.5);
        assert_eq!(e.se, 0.0);
        assert!(!e.within(0.5, 3.0));
    }

    #[test]
    fn estimate_se_is_sample_sd_over_sqrt_n() {
        let e = Estimate::from_samples(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(e.mean, 2.5);
        // sample variance 5/3, se = sqrt(5/3 / 4)
        assert!((e.se - (5.0f64 / 12.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn exponential_sampler_has_the_requested_mean() {
        let mut rng = Rng::new(7);
        let n = 200_000;
        let mean = (0..n).map(|_| rng.exp(3.0)).sum::<f64>() / f64::from(n);
        assert!((mean - 3.0).abs() < 0.03, "mean {mean}");
    }

    #[test]
    fn report_serializes_with_the_documented_keys() {
        let e = Estimate {
            mean: 0.25,
            se: 0.01,
        };
        let r = ErlangReport {
            p_wait: e,
            asa_secs: e,
            sl: e,
            p_abandon: e,
            sl_of_answered: e,
            sl2: e,
            occupancy: e,
            contacts: 10,
            replications: 2,
            wall_ms: 3,
        };
        let v = serde_json::to_value(&r).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = vec![
            "p_wait",
            "asa_secs",
            "sl",
            "p_abandon",
            "sl_of_answered",
            "sl2",
            "occupancy",
            "contacts",
            "replications",
            "wall_ms",
        ];
        expected.sort_unstable();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort_unstable();
        assert_eq!(keys_sorted, expected);
        assert_eq!(v["p_wait"]["mean"], 0.25);
        assert_eq!(v["p_wait"]["se"], 0.01);
        assert_eq!(v["contacts"], 10);
    }
}
