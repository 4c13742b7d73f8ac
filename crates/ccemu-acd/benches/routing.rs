//! Routing-engine benchmarks (criterion, plus a per-operation latency histogram).
//!
//! Workload ("world"): `queues` queues with the longest-idle strategy; `agents` agents, each a
//! member of `per_agent` queues picked pseudo-randomly, one voice contact at a time; contacts
//! enqueued round-robin over the queues until every agent is busy and `waiting` contacts wait.
//! Steady state is one *cycle*: a pseudo-random busy agent completes its contact (wrap-up 0),
//! the engine offers it the best waiting contact of its queues (the routing decision), the agent
//! accepts, and a replacement contact joins the queue the offered one came from, so every
//! queue keeps its length and the world stays the same size. The completing agent is drawn at
//! random, as handle times make it in a real center: walking the agents in id order would let
//! an engine that stores them in id order ride the hardware prefetcher.
//!
//! * `steady_state/{1k,10k,100k}`: a cycle with 1k queues, 3 queues per agent, 10k waiting.
//! * `freed_across_50_queues`: the same cycle with 1k agents in 50 queues each.
//! * `ready_storm_1k`: 1k not-ready agents (1k queues, 10k waiting) become ready at one instant;
//!   one iteration is the whole storm.
//! * `growth` (latency study only): the 1k and 100k steady states in alternating chunks, and the
//!   ratio of each pair, which the box's changes of speed between criterion groups cannot skew.
//! * `reference/btreeset_10k`: a plain `BTreeSet<u64>` of 10k keys, one remove and one insert of
//!   a pseudo-random key per iteration: no engine code, measured in the same run so that figures
//!   taken on machines of different (or varying) speed can be compared as ratios to it.
//!
//! Before criterion runs, `cargo bench` also prints a latency study: every engine call of
//! 1M cycles timed with `Instant` (whose own cost, ~20–40 ns, is included) and reported as
//! p50/p99/p99.9/max per operation, with decisions per second of the whole loop.
//!
//! ```text
//! CARGO_TARGET_DIR=/tmp/tgt-sim cargo bench -p ccemu-acd --bench routing
//! ROUTING_SKIP_LATENCY=1 cargo bench -p ccemu-acd --bench routing -- steady_state   # criterion only
//! ROUTING_ONLY=steady_state/100k ROUTING_CYCLES=200000 cargo bench -p ccemu-acd --bench routing
//! ROUTING_ONLY=growth cargo bench -p ccemu-acd --bench routing   # the 100k ÷ 1k ratio only
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use ccemu_acd::{
    Acd, AgentConfig, AgentId, Channel, ContactId, ContactSpec, Decision, Membership, QueueConfig,
    QueueId, Strategy,
};
use criterion::{criterion_group, BatchSize, Criterion, Throughput};

/// Low bits of a contact id hold its queue, so the bench needs no id → queue map.
const QUEUE_BITS: u32 = 12;

/// Ring timeout: far beyond any bench's virtual clock, so offers never time out.
const RING_TIMEOUT: i64 = 1 << 40;

struct World {
    acd: Acd,
    now: i64,
    /// Contact on each agent (index = agent id - 1); 0 = idle.
    on_agent: Vec<u64>,
    next_seq: u64,
    /// Counter of the generator that picks the next completing agent.
    rng: u64,
    /// Offers made so far.
    decisions: u64,
}

/// splitmix64 step, for deterministic pseudo-random membership.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl World {
    fn new(agents: u32, queues: u32, per_agent: u32, waiting: usize, ready: bool) -> Self {
        assert!(queues < 1 << QUEUE_BITS && per_agent <= queues);
        let mut w = Self {
            acd: Acd::new(42),
            now: 1,
            on_agent: vec![0; agents as usize],
            next_seq: 1,
            rng: 7,
            decisions: 0,
        };
        for q in 1..=queues {
            let config = QueueConfig {
                strategy: Strategy::LongestIdle,
                max_length: 0,
                timeout_ms: None,
                overflow: None,
                ..QueueConfig::default()
            };
            let ds = w.acd.upsert_queue(QueueId(q), config, w.now);
            w.apply(ds);
        }
        for a in 1..=agents {
            let mut picked: Vec<u32> = Vec::with_capacity(per_agent as usize);
            let mut h = u64::from(a);
            while picked.len() < per_agent as usize {
                h = mix(h);
                let q = (h % u64::from(queues)) as u32 + 1;
                if !picked.contains(&q) {
                    picked.push(q);
                }
            }
            let config = AgentConfig {
                capacity: [1, 0, 0],
                voice_blocks_others: true,
                skills: Vec::new(),
                memberships: picked
                    .iter()
                    .map(|&q| Membership {
                        queue: QueueId(q),
                        tier: 1,
                        position: a,
                    })
                    .collect(),
                ring_timeout_ms: RING_TIMEOUT,
                no_answer_delay_ms: 0,
                reject_delay_ms: 0,
                max_no_answer: 0,
            };
            let ds = w.acd.upsert_agent(AgentId(a), config, w.now);
            w.apply(ds);
            if ready {
                let ds = w.acd.agent_ready(AgentId(a), w.now).expect("agent ready");
                w.apply(ds);
            }
        }
        // Fill round-robin until `waiting` contacts wait (by then every agent whose queues have
        // any contact is busy).
        let mut enqueued = 0u64;
        let mut q = 0u32;
        while (enqueued - w.decisions) < waiting as u64 {
            w.now += 1;
            let ds = w.enqueue(q + 1);
            w.apply(ds);
            enqueued += 1;
            q = (q + 1) % queues;
        }
        w
    }

    fn enqueue(&mut self, queue: u32) -> Vec<Decision> {
        let id = self.next_seq << QUEUE_BITS | u64::from(queue);
        self.next_seq += 1;
        self.acd
            .enqueue(
                ContactSpec {
                    id: ContactId(id),
                    queue: QueueId(queue),
                    channel: Channel::Voice,
                    priority: 0,
                    required_skills: Vec::new(),
                },
                self.now,
            )
            .expect("enqueue")
    }

    /// Accepts every offer; returns the queue of the last offered contact.
    fn apply(&mut self, ds: Vec<Decision>) -> Option<u32> {
        let mut last = None;
        for d in ds {
            if let Decision::Offer { contact, agent, .. } = d {
                let more = self.acd.accept(contact, agent, self.now).expect("accept");
                debug_assert!(more.is_empty());
                self.on_agent[(agent.0 - 1) as usize] = contact.0;
                self.decisions += 1;
                last = Some((contact.0 & ((1 << QUEUE_BITS) - 1)) as u32);
            }
        }
        last
    }

    /// A pseudo-random busy agent (in the steady state every agent is busy, so the first draw
    /// nearly always hits).
    fn next_busy(&mut self) -> usize {
        let n = self.on_agent.len() as u64;
        for _ in 0..64 * n {
            self.rng += 1;
            let a = (mix(self.rng) % n) as usize;
            if self.on_agent[a] != 0 {
                return a;
            }
        }
        panic!("no busy agent: the world has drained");
    }

    /// Frees the next busy agent: complete (plus the engine's due timers, if wrap-up 0 is
    /// modelled as a timer). Returns the decisions; this is the timed "agent freed" operation.
    fn free_next(&mut self) -> (usize, Vec<Decision>) {
        let a = self.next_busy();
        self.now += 1;
        let contact = std::mem::take(&mut self.on_agent[a]);
        let mut ds = self
            .acd
            .complete(ContactId(contact), AgentId(a as u32 + 1), 0, self.now)
            .expect("complete");
        if self.acd.next_deadline().is_some_and(|d| d <= self.now) {
            ds.extend(self.acd.advance(self.now));
        }
        (a, ds)
    }

    /// One steady-state cycle; returns the number of decisions it produced.
    fn cycle(&mut self) -> u64 {
        let before = self.decisions;
        let (_, ds) = self.free_next();
        if let Some(q) = self.apply(ds) {
            let ds = self.enqueue(q);
            self.apply(ds);
        }
        self.decisions - before
    }

    /// Makes every agent ready at one instant; returns the decisions.
    fn storm(&mut self) -> u64 {
        let before = self.decisions;
        self.now += 1;
        for a in 1..=self.on_agent.len() as u32 {
            let ds = self.acd.agent_ready(AgentId(a), self.now).expect("ready");
            self.apply(ds);
        }
        self.decisions - before
    }
}

/// Nanosecond samples with percentiles.
struct Samples(Vec<u64>);

impl Samples {
    fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }
    fn push(&mut self, d: Duration) {
        self.0.push(d.as_nanos() as u64);
    }
    fn summary(&mut self) -> String {
        let v = &mut self.0;
        if v.is_empty() {
            return "no samples".into();
        }
        v.sort_unstable();
        let p = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        let mean = v.iter().sum::<u64>() as f64 / v.len() as f64;
        format!(
            "n={:>8} mean={:>7.0}ns p50={:>6}ns p99={:>6}ns p99.9={:>7}ns max={:>8}ns",
            v.len(),
            mean,
            p(0.5),
            p(0.99),
            p(0.999),
            v[v.len() - 1]
        )
    }
}

/// Latency study of the steady-state cycle at one size.
fn latency_cycle(label: &str, agents: u32, per_agent: u32, cycles: usize) {
    let t = Instant::now();
    let mut w = World::new(agents, 1_000, per_agent, 10_000, true);
    let setup = t.elapsed();
    for _ in 0..cycles / 10 {
        w.cycle();
    }
    let (mut freed, mut accept, mut enqueue) = (
        Samples::with_capacity(cycles),
        Samples::with_capacity(cycles),
        Samples::with_capacity(cycles),
    );
    let before = w.decisions;
    let start = Instant::now();
    for _ in 0..cycles {
        let t0 = Instant::now();
        let (_, ds) = w.free_next();
        freed.push(t0.elapsed());
        let mut queue = None;
        for d in ds {
            if let Decision::Offer { contact, agent, .. } = d {
                let t1 = Instant::now();
                let more = w.acd.accept(contact, agent, w.now).expect("accept");
                accept.push(t1.elapsed());
                black_box(more);
                w.on_agent[(agent.0 - 1) as usize] = contact.0;
                w.decisions += 1;
                queue = Some((contact.0 & ((1 << QUEUE_BITS) - 1)) as u32);
            }
        }
        if let Some(q) = queue {
            let t2 = Instant::now();
            let ds = w.enqueue(q);
            enqueue.push(t2.elapsed());
            w.apply(ds);
        }
    }
    let wall = start.elapsed();
    let decisions = w.decisions - before;
    println!(
        "{label}: {agents} agents x {per_agent} queues, 1000 queues, 10k waiting (setup {:.0} ms)\n  \
         {decisions} decisions in {:.3} s = {:.0} decisions/s for the whole cycle (complete + accept + enqueue, timing included)\n  \
         agent freed -> decision (complete): {}\n  accept:                              {}\n  enqueue (no agent free):             {}",
        setup.as_secs_f64() * 1e3,
        wall.as_secs_f64(),
        decisions as f64 / wall.as_secs_f64(),
        freed.summary(),
        accept.summary(),
        enqueue.summary(),
    );
}

/// Growth study: the 1k- and 100k-agent worlds side by side, run in alternating chunks of
/// `chunk` cycles, each chunk after an untimed tenth of its length that brings the world's own
/// data back into the cache. The ratio of each pair of neighbouring chunks is taken, so the box
/// changing speed between (not within) chunks cancels out, where criterion's groups, run
/// minutes apart, carry it into the ratio.
fn growth(pairs: usize, chunk: usize) {
    let mut small = World::new(1_000, 1_000, 3, 10_000, true);
    let mut large = World::new(100_000, 1_000, 3, 10_000, true);
    let timed = |w: &mut World| {
        for _ in 0..chunk / 10 {
            w.cycle();
        }
        let t = Instant::now();
        for _ in 0..chunk {
            black_box(w.cycle());
        }
        t.elapsed().as_nanos() as f64 / chunk as f64
    };
    let (mut ns_small, mut ns_large, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..pairs {
        let s = timed(&mut small);
        let l = timed(&mut large);
        ns_small.push(s);
        ns_large.push(l);
        ratios.push(l / s);
    }
    let quartiles = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((q * (v.len() - 1) as f64).round()) as usize];
        (at(0.25), at(0.5), at(0.75))
    };
    let (s1, s2, s3) = quartiles(&mut ns_small);
    let (l1, l2, l3) = quartiles(&mut ns_large);
    let (r1, r2, r3) = quartiles(&mut ratios);
    println!(
        "growth: 1k vs 100k agents (1000 queues, 3 per agent, 10k waiting), {pairs} pairs of {chunk}-cycle chunks\n  \
         1k:   {s2:.0} ns per cycle (quartiles {s1:.0}-{s3:.0})\n  \
         100k: {l2:.0} ns per cycle (quartiles {l1:.0}-{l3:.0})\n  \
         100k / 1k per pair: median {r2:.2} (quartiles {r1:.2}-{r3:.2})"
    );
}

/// Latency study of the ready storm.
fn latency_storm(rounds: usize) {
    let mut per_call = Samples::with_capacity(rounds * 1_000);
    let mut whole = Samples::with_capacity(rounds);
    let mut decisions = 0;
    for _ in 0..rounds {
        let mut w = World::new(1_000, 1_000, 3, 10_000, false);
        w.now += 1;
        let t = Instant::now();
        for a in 1..=1_000u32 {
            let t0 = Instant::now();
            let ds = w.acd.agent_ready(AgentId(a), w.now).expect("ready");
            per_call.push(t0.elapsed());
            decisions += ds.len();
            black_box(ds);
        }
        whole.push(t.elapsed());
    }
    println!(
        "ready storm: 1000 agents ready at once (1000 queues, 10k waiting), {rounds} rounds, {decisions} offers\n  \
         agent_ready: {}\n  whole storm: {}",
        per_call.summary(),
        whole.summary()
    );
}

/// The first three fields of /proc/loadavg (the box may be shared with builds).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn steady_state(c: &mut Criterion) {
    let mut group = c.benchmark_group("steady_state");
    group.throughput(Throughput::Elements(1));
    for (label, agents) in [("1k", 1_000), ("10k", 10_000), ("100k", 100_000)] {
        let mut w = World::new(agents, 1_000, 3, 10_000, true);
        group.bench_function(label, |b| b.iter(|| black_box(w.cycle())));
    }
    group.finish();
}

/// A 10k-key set and a key stream that keeps its size: the reference workload.
struct Reference {
    set: std::collections::BTreeSet<u64>,
    keys: Vec<u64>,
    next: usize,
}

impl Reference {
    fn new() -> Self {
        let keys: Vec<u64> = (0..20_000u64).map(mix).collect();
        Self {
            set: keys[..10_000].iter().copied().collect(),
            keys,
            next: 0,
        }
    }

    /// Removes the oldest key, inserts the next one: the set keeps 10k keys.
    fn step(&mut self) -> bool {
        let n = self.keys.len();
        let old = self.keys[self.next % n];
        let new = self.keys[(self.next + 10_000) % n];
        self.next += 1;
        self.set.remove(&old) & self.set.insert(new)
    }
}

fn reference(c: &mut Criterion) {
    let mut group = c.benchmark_group("reference");
    group.throughput(Throughput::Elements(1));
    let mut r = Reference::new();
    group.bench_function("btreeset_10k", |b| b.iter(|| black_box(r.step())));
    group.finish();
}

fn freed_across_50_queues(c: &mut Criterion) {
    let mut group = c.benchmark_group("freed_across_50_queues");
    group.throughput(Throughput::Elements(1));
    let mut w = World::new(1_000, 1_000, 50, 10_000, true);
    group.bench_function("1k_agents", |b| b.iter(|| black_box(w.cycle())));
    group.finish();
}

fn ready_storm(c: &mut Criterion) {
    let mut group = c.benchmark_group("ready_storm");
    group.throughput(Throughput::Elements(1_000));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(2));
    group.bench_function("1k_agents", |b| {
        b.iter_batched(
            || World::new(1_000, 1_000, 3, 10_000, false),
            |mut w| black_box(w.storm()),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// Criterion's generated group function, in a module because it carries no doc comment.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group! {
        name = benches;
        config = Criterion::default()
            .sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        targets = reference, steady_state, freed_across_50_queues, ready_storm
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not, and then only criterion's
    // quick test mode runs.
    if std::env::args().any(|a| a == "--bench")
        && std::env::var_os("ROUTING_SKIP_LATENCY").is_none()
    {
        println!("== latency study (Instant around every engine call) ==");
        println!("load average before: {}", load_average());
        let mut overhead = Samples::with_capacity(1_000_000);
        for _ in 0..1_000_000 {
            let t = Instant::now();
            overhead.push(t.elapsed());
        }
        println!("Instant::now + elapsed alone: {}", overhead.summary());
        let mut r = Reference::new();
        let t = Instant::now();
        let steps = 3_000_000;
        for _ in 0..steps {
            black_box(r.step());
        }
        println!(
            "reference (BTreeSet<u64> of 10k keys, remove + insert): {:.1} ns per step",
            t.elapsed().as_nanos() as f64 / f64::from(steps)
        );
        // ROUTING_ONLY=<label> runs one study and stops (for profilers); ROUTING_CYCLES scales it.
        let only = std::env::var("ROUTING_ONLY").ok();
        let scale: f64 = std::env::var("ROUTING_CYCLES")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(1.0, |n| n / 1e6);
        let cycles = |n: f64| (n * scale) as usize;
        for (label, agents, per_agent, n) in [
            ("steady_state/1k", 1_000, 3, 1e6),
            ("steady_state/10k", 10_000, 3, 1e6),
            ("steady_state/100k", 100_000, 3, 1e6),
            ("freed_across_50_queues", 1_000, 50, 3e5),
        ] {
            if only.as_deref().is_none_or(|o| o == label) {
                latency_cycle(label, agents, per_agent, cycles(n));
            }
        }
        if only.as_deref().is_none_or(|o| o == "ready_storm") {
            latency_storm(cycles(20.0).max(1));
        }
        if only.as_deref().is_none_or(|o| o == "growth") {
            growth(20, cycles(2e5).max(1_000));
        }
        if only.is_some() {
            return;
        }
        println!("load average after: {}", load_average());
        println!("== criterion ==");
    }
    group::benches();
    Criterion::default().configure_from_args().final_summary();
}
