//! Queueing-theory validation of the routing engine (see `shared/acd/erlang-validation.md`).
//!
//! The simulator in `ccemu_acd::sim` drives the real engine with Poisson arrivals and
//! exponential handle times (and patience, for Erlang A); a work-conserving FIFO router must then
//! reproduce the exact Erlang C / Erlang A figures within sampling error. The reference values
//! below are the published table rows, not output of this crate. Sizes are modest so the file
//! runs in a debug build; `examples/erlang_table.rs` checks every row at release sizes.

use ccemu_acd::sim::{run, ErlangReport, ErlangScenario, Estimate};
use ccemu_acd::Strategy;

/// Picks one estimate out of a report.
type Metric = fn(&ErlangReport) -> Estimate;

/// How many standard errors a simulated mean may be from the table value.
const K: f64 = 3.0;

/// Replications per scenario: 16 keeps the t-distribution of (mean - truth) / se close to
/// normal (15 degrees of freedom), so "3 se" means about a 1 % false alarm per metric.
const REPLICATIONS: u32 = 16;

fn scenario(agents: u32, patience_secs: Option<f64>, seed: u64) -> ErlangScenario {
    ErlangScenario {
        arrivals_per_hour: 200.0,
        aht_secs: 180.0,
        agents,
        patience_secs,
        sl_secs: 20.0,
        contacts: 8_000,
        replications: REPLICATIONS,
        warmup: 800,
        seed,
        strategy: Strategy::LongestIdle,
    }
}

/// Asserts `est` is within `K` standard errors of `reference`, and that the standard error is
/// positive and at most `max_se`, so that the check can fail.
fn assert_matches(what: &str, est: Estimate, reference: f64, max_se: f64) {
    assert!(
        est.se > 0.0 && est.se <= max_se,
        "{what}: standard error {} outside (0, {max_se}]: the check would have no power",
        est.se
    );
    assert!(
        est.within(reference, K),
        "{what}: simulated {:.4} ± {:.4} is {:+.2} se from the table's {reference}",
        est.mean,
        est.se,
        est.z(reference)
    );
}

/// Checks one Erlang C row: (P(W>0), ASA over all calls in s, SL, occupancy).
fn check_erlang_c(r: &ErlangReport, p_wait: f64, asa: f64, sl: f64, occupancy: f64) {
    assert_matches("P(W>0)", r.p_wait, p_wait, 0.02);
    assert_matches("ASA", r.asa_secs, asa, 0.1 * asa.max(1.0));
    assert_matches("SL", r.sl, sl, 0.02);
    assert_matches("SL of answered", r.sl_of_answered, sl, 0.02);
    assert_matches("occupancy", r.occupancy, occupancy, 0.01);
    assert_eq!(
        r.p_abandon.mean, 0.0,
        "nobody abandons with infinite patience"
    );
}

/// Checks one Erlang A row.
#[allow(clippy::too_many_arguments)]
fn check_erlang_a(
    r: &ErlangReport,
    p_wait: f64,
    p_abandon: f64,
    asa: f64,
    sl: f64,
    sl_of_answered: f64,
    sl2: f64,
    occupancy: f64,
) {
    assert_matches("P(W>0)", r.p_wait, p_wait, 0.02);
    assert_matches("P(abandon)", r.p_abandon, p_abandon, 0.01);
    assert_matches("E[W] all calls", r.asa_secs, asa, 0.1 * asa.max(1.0));
    assert_matches("SL / offered", r.sl, sl, 0.02);
    assert_matches("SL / answered", r.sl_of_answered, sl_of_answered, 0.02);
    assert_matches("SL2", r.sl2, sl2, 0.02);
    assert_matches("occupancy", r.occupancy, occupancy, 0.01);
}

#[test]
fn erlang_c_a10_n12_matches_table() {
    let r = run(&scenario(12, None, 1_201));
    check_erlang_c(&r, 0.4494, 40.44, 0.6402, 0.8333);
}

#[test]
fn erlang_c_a10_n14_matches_table() {
    let r = run(&scenario(14, None, 1_401));
    check_erlang_c(&r, 0.1741, 7.84, 0.8884, 0.7143);
}

#[test]
fn erlang_a_a10_n10_patience60_matches_table() {
    let r = run(&scenario(10, Some(60.0), 1_001));
    check_erlang_a(&r, 0.4234, 0.1575, 9.45, 0.7180, 0.8523, 0.8152, 0.8425);
}

#[test]
fn erlang_a_a10_n13_patience60_matches_table() {
    let r = run(&scenario(13, Some(60.0), 1_301));
    check_erlang_a(&r, 0.1681, 0.0492, 2.95, 0.9090, 0.9560, 0.9436, 0.7314);
}

/// Any work-conserving strategy gives the same waiting statistics; only which agent takes a
/// contact changes. Independent seeds per strategy, compared within 3 combined standard errors.
#[test]
fn work_conserving_strategies_give_the_same_waiting_stats() {
    let strategies = [
        Strategy::LongestIdle,
        Strategy::RoundRobin,
        Strategy::Random,
    ];
    let reports: Vec<ErlangReport> = strategies
        .iter()
        .enumerate()
        .map(|(i, s)| {
            run(&ErlangScenario {
                strategy: *s,
                contacts: 6_000,
                replications: 12,
                ..scenario(10, Some(60.0), 7_000 + i as u64)
            })
        })
        .collect();
    let metrics: [(&str, Metric); 5] = [
        ("P(W>0)", |r| r.p_wait),
        ("E[W]", |r| r.asa_secs),
        ("SL", |r| r.sl),
        ("P(abandon)", |r| r.p_abandon),
        ("occupancy", |r| r.occupancy),
    ];
    for i in 0..reports.len() {
        for j in i + 1..reports.len() {
            for (name, metric) in metrics {
                let (a, b) = (metric(&reports[i]), metric(&reports[j]));
                let se = (a.se * a.se + b.se * b.se).sqrt();
                assert!(se > 0.0, "{name}: zero standard error");
                assert!(
                    (a.mean - b.mean).abs() <= K * se,
                    "{name}: {:?} gives {:.4} ± {:.4}, {:?} gives {:.4} ± {:.4}",
                    strategies[i],
                    a.mean,
                    a.se,
                    strategies[j],
                    b.mean,
                    b.se
                );
            }
        }
    }
}

/// Stronger form of the same property: the simulator draws handle time and patience per
/// contact, so with common random numbers the queue-length process of a work-conserving FIFO
/// router does not depend on the agent choice at all, and the waiting statistics must be equal
/// to the last bit.
#[test]
fn strategies_with_common_random_numbers_give_identical_waits() {
    let base = ErlangScenario {
        contacts: 4_000,
        replications: 2,
        warmup: 500,
        ..scenario(10, Some(60.0), 99)
    };
    let reports: Vec<ErlangReport> = [
        Strategy::LongestIdle,
        Strategy::RoundRobin,
        Strategy::Random,
    ]
    .into_iter()
    .map(|strategy| {
        run(&ErlangScenario {
            strategy,
            ..base.clone()
        })
    })
    .collect();
    for r in &reports[1..] {
        assert_eq!(r.p_wait, reports[0].p_wait);
        assert_eq!(r.asa_secs, reports[0].asa_secs);
        assert_eq!(r.sl, reports[0].sl);
        assert_eq!(r.p_abandon, reports[0].p_abandon);
        assert_eq!(r.sl2, reports[0].sl2);
        assert_eq!(r.occupancy, reports[0].occupancy);
    }
    assert!(
        reports[0].p_wait.mean > 0.2,
        "the scenario must make contacts wait"
    );
}
