//! Prints the Erlang validation of the routing engine for every row of both tables in
//! `shared/acd/erlang-validation.md`: the simulated mean ± standard error next to the published
//! value, and whether they agree within 3 standard errors.
//!
//! ```text
//! cargo run --release -p ccemu-acd --example erlang_table -- [--contacts N] [--replications R]
//!     [--warmup W] [--seed S] [--strategy longest-idle|round-robin|random]
//! ```
//!
//! The table values are the published expectations (exact Erlang C / Erlang A formulas), not
//! output of this program.

use ccemu_acd::sim::{run, ErlangReport, ErlangScenario, Estimate};
use ccemu_acd::Strategy;

/// Erlang C, A = 10 E (200 calls/h, AHT 180 s), t = 20 s:
/// (N, occupancy, P(W>0), ASA all calls s, SL).
const ERLANG_C: [(u32, f64, f64, f64, f64); 5] = [
    (11, 0.9091, 0.6821, 122.78, 0.3896),
    (12, 0.8333, 0.4494, 40.44, 0.6402),
    (13, 0.7692, 0.2853, 17.12, 0.7956),
    (14, 0.7143, 0.1741, 7.84, 0.8884),
    (15, 0.6667, 0.1020, 3.67, 0.9415),
];

/// Erlang A, A = 10 E, mean patience 60 s, t = 20 s:
/// (N, P(W>0), P(abandon), E[W] all s, SL/offered, SL/answered, SL2, occupancy).
/// The table's "ASA served" column has no counterpart in the report and is not checked.
#[allow(clippy::type_complexity)]
const ERLANG_A: [(u32, f64, f64, f64, f64, f64, f64, f64); 8] = [
    (8, 0.6252, 0.2784, 16.70, 0.5276, 0.7310, 0.6809, 0.9021),
    (9, 0.5249, 0.2132, 12.79, 0.6270, 0.7970, 0.7517, 0.8742),
    (10, 0.4234, 0.1575, 9.45, 0.7180, 0.8523, 0.8152, 0.8425),
    (11, 0.3268, 0.1118, 6.71, 0.7965, 0.8968, 0.8690, 0.8075),
    (12, 0.2404, 0.0759, 4.55, 0.8603, 0.9310, 0.9117, 0.7701),
    (13, 0.1681, 0.0492, 2.95, 0.9090, 0.9560, 0.9436, 0.7314),
    (14, 0.1115, 0.0303, 1.82, 0.9438, 0.9733, 0.9659, 0.6926),
    (15, 0.0701, 0.0178, 1.07, 0.9671, 0.9846, 0.9805, 0.6548),
];

fn main() {
    let mut base = ErlangScenario {
        contacts: 500_000,
        replications: 8,
        warmup: 20_000,
        seed: 20_240_601,
        ..ErlangScenario::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage(&flag));
        match flag.as_str() {
            "--contacts" => base.contacts = value.parse().unwrap_or_else(|_| usage(&flag)),
            "--replications" => base.replications = value.parse().unwrap_or_else(|_| usage(&flag)),
            "--warmup" => base.warmup = value.parse().unwrap_or_else(|_| usage(&flag)),
            "--seed" => base.seed = value.parse().unwrap_or_else(|_| usage(&flag)),
            "--strategy" => {
                base.strategy = match value.as_str() {
                    "longest-idle" => Strategy::LongestIdle,
                    "round-robin" => Strategy::RoundRobin,
                    "random" => Strategy::Random,
                    _ => usage(&flag),
                }
            }
            _ => usage(&flag),
        }
    }
    println!(
        "Erlang validation: {} replications x {} contacts (+{} warm-up), seed {}, strategy {:?}",
        base.replications, base.contacts, base.warmup, base.seed, base.strategy
    );
    let (mut checks, mut passed) = (0u32, 0u32);
    let mut tally = |ok: bool| {
        checks += 1;
        passed += u32::from(ok);
    };

    println!("\n## Erlang C: A = 10 E, 200 calls/h, AHT 180 s, t = 20 s");
    for (i, &(n, occ, p_wait, asa, sl)) in ERLANG_C.iter().enumerate() {
        let sc = ErlangScenario {
            agents: n,
            patience_secs: None,
            seed: base.seed.wrapping_add(i as u64),
            ..base.clone()
        };
        let r = run(&sc);
        header(n, &r);
        for (name, est, reference) in [
            ("P(W>0)", r.p_wait, p_wait),
            ("ASA (s)", r.asa_secs, asa),
            ("SL", r.sl, sl),
            ("SL of answered", r.sl_of_answered, sl),
            ("SL2", r.sl2, sl),
            ("occupancy", r.occupancy, occ),
        ] {
            tally(line(name, est, reference));
        }
    }

    println!("\n## Erlang A: A = 10 E, 200 calls/h, AHT 180 s, mean patience 60 s, t = 20 s");
    for (i, &(n, p_wait, p_ab, asa, sl, sl_ans, sl2, occ)) in ERLANG_A.iter().enumerate() {
        let sc = ErlangScenario {
            agents: n,
            patience_secs: Some(60.0),
            seed: base.seed.wrapping_add(100 + i as u64),
            ..base.clone()
        };
        let r = run(&sc);
        header(n, &r);
        for (name, est, reference) in [
            ("P(W>0)", r.p_wait, p_wait),
            ("P(abandon)", r.p_abandon, p_ab),
            ("E[W] all (s)", r.asa_secs, asa),
            ("SL / offered", r.sl, sl),
            ("SL / answered", r.sl_of_answered, sl_ans),
            ("SL2", r.sl2, sl2),
            ("occupancy", r.occupancy, occ),
        ] {
            tally(line(name, est, reference));
        }
    }
    println!("\n{passed} of {checks} checks within 3 standard errors");
}

fn header(n: u32, r: &ErlangReport) {
    println!(
        "\nN = {n} ({} x {} contacts, {} ms)",
        r.replications, r.contacts, r.wall_ms
    );
    println!("  metric            simulated mean ± se     table       z  verdict");
}

fn line(name: &str, est: Estimate, reference: f64) -> bool {
    let ok = est.within(reference, 3.0);
    println!(
        "  {:<15} {:>10.4} ± {:<8.4} {:>9.4} {:>+7.2}  {}",
        name,
        est.mean,
        est.se,
        reference,
        est.z(reference),
        if ok { "pass" } else { "FAIL" }
    );
    ok
}

fn usage(flag: &str) -> ! {
    eprintln!(
        "bad or incomplete argument {flag}\nusage: erlang_table [--contacts N] [--replications R] [--warmup W] [--seed S] [--strategy longest-idle|round-robin|random]"
    );
    std::process::exit(2)
}
