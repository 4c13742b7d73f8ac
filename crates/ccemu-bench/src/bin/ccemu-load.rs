//! `ccemu-load`: loopback HTTP load generator and start-up timer for `scripts/bench-http`.
//!
//! `ccemu-load load URL` prints one JSON object
//! `{"url","connections","duration_s","requests","errors","rps","p50_us","p99_us","p999_us","client_cpu"}`;
//! `ccemu-load startup -- CMD...` prints `{"runs","median_ms","min_ms","max_ms","samples_ms"}`.

use anyhow::Context;
use ccemu_bench::{load, startup};
use clap::{Parser, Subcommand};
use std::time::Duration;

/// Loopback HTTP benchmark tools.
#[derive(Debug, Parser)]
#[command(name = "ccemu-load", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Closed-loop HTTP/1.1 keep-alive load against one URL.
    Load {
        /// Target, e.g. http://127.0.0.1:8080/_ccemu/health.
        url: String,
        /// Concurrent keep-alive connections, one request in flight on each.
        #[arg(short, long, default_value_t = 32)]
        connections: usize,
        /// Measured seconds.
        #[arg(short, long, default_value_t = 10.0)]
        duration: f64,
        /// Unmeasured warm-up seconds before the measured window.
        #[arg(short, long, default_value_t = 2.0)]
        warmup: f64,
        /// Runtime worker threads; 1 runs everything on one current-thread runtime, the
        /// cheapest generator when it is pinned to a single core.
        #[arg(short, long, default_value_t = 1)]
        threads: usize,
    },
    /// Spawn-to-first-200 time of a server command, over several fresh starts.
    Startup {
        /// Number of starts.
        #[arg(short, long, default_value_t = 10)]
        runs: usize,
        /// Path to probe until it answers 200.
        #[arg(long, default_value = "/_ccemu/health")]
        path: String,
        /// Seconds to wait for one start.
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
        /// The server command; `{port}` and `{data_dir}` are substituted on each run.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let report = match Cli::parse().command {
        Cmd::Load {
            url,
            connections,
            duration,
            warmup,
            threads,
        } => {
            let config = load::LoadConfig {
                url,
                connections,
                warmup: Duration::try_from_secs_f64(warmup).context("--warmup")?,
                duration: Duration::try_from_secs_f64(duration).context("--duration")?,
            };
            let runtime = if threads <= 1 {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?
            } else {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(threads)
                    .enable_all()
                    .build()?
            };
            serde_json::to_string(&runtime.block_on(load::run(config))?)?
        }
        Cmd::Startup {
            runs,
            path,
            timeout,
            command,
        } => {
            let config = startup::StartupConfig {
                command,
                path,
                runs,
                timeout: Duration::try_from_secs_f64(timeout).context("--timeout")?,
            };
            serde_json::to_string(&startup::measure(&config)?)?
        }
    };
    println!("{report}");
    Ok(())
}
