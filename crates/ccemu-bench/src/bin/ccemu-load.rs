//! `ccemu-load`: loopback HTTP load generator and start-up timer for `scripts/bench-http`.
//!
//! `ccemu-load load [-X METHOD] [-H 'Name: value']... [--body TEXT] URL` prints one JSON object
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
        /// Request method.
        #[arg(short = 'X', long, default_value = "GET")]
        method: String,
        /// Extra header `Name: value`, sent on every request; repeatable.
        #[arg(short = 'H', long = "header")]
        headers: Vec<String>,
        /// Body sent on every request (a GET may carry one: Udesk reads do).
        #[arg(long, default_value = "")]
        body: String,
    },
    /// Spawn-to-first-200 time of a server command, over several fresh starts.
    Startup {
        /// Number of starts.
        #[arg(short, long, default_value_t = 10)]
        runs: usize,
        /// Path to probe until it answers 200.
        #[arg(long, default_value = "/_ccemu/health")]
        path: String,
        /// Extra header `Name: value` of the probe; repeatable.
        #[arg(short = 'H', long = "header")]
        headers: Vec<String>,
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
            method,
            headers,
            body,
        } => {
            let config = load::LoadConfig {
                method: method.parse().context("--method")?,
                headers: headers
                    .iter()
                    .map(|h| load::parse_header(h))
                    .collect::<anyhow::Result<_>>()?,
                body: body.into(),
                ..load::LoadConfig::get(
                    url,
                    connections,
                    Duration::try_from_secs_f64(warmup).context("--warmup")?,
                    Duration::try_from_secs_f64(duration).context("--duration")?,
                )
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
            headers,
            timeout,
            command,
        } => {
            let config = startup::StartupConfig {
                command,
                path,
                headers,
                runs,
                timeout: Duration::try_from_secs_f64(timeout).context("--timeout")?,
            };
            serde_json::to_string(&startup::measure(&config)?)?
        }
    };
    println!("{report}");
    Ok(())
}
