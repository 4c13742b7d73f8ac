//! The `ccemu` binary: `serve`, `tenants create|list`, `default-config`.

use anyhow::Context;
use ccemu_server::config::{Config, Overrides, DEFAULT_TOML};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

// Request handling allocates many small short-lived values (JSON trees, strings); glibc's malloc
// spent about a third of a small read's CPU on them (perf of the release build).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// ccemu: a self-hosted contact-center emulator speaking Udesk, UJET, Genesys, Cention and Sangoma.
#[derive(Debug, Parser)]
#[command(name = "ccemu", version, about)]
struct Cli {
    /// Configuration file (TOML); see `ccemu default-config`.
    #[arg(long, global = true, env = "CCEMU_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the server.
    Serve(StoreArgs),
    /// Manages tenants directly in the store.
    Tenants {
        #[command(subcommand)]
        command: TenantsCommand,
    },
    /// Prints the commented default configuration.
    DefaultConfig,
    /// Simulations that run the routing engine in virtual time.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
}

#[derive(Debug, Subcommand)]
enum SimCommand {
    /// One queue with exponential arrivals, handle times and patience; prints JSON statistics.
    Erlang(ErlangArgs),
}

#[derive(Debug, clap::Args)]
struct ErlangArgs {
    /// Poisson arrival rate, contacts per hour.
    #[arg(long)]
    arrivals_per_hour: f64,
    /// Mean handle time, seconds (exponential; wrap-up 0).
    #[arg(long)]
    aht_secs: f64,
    /// Number of agents.
    #[arg(long)]
    agents: u32,
    /// Mean patience, seconds (exponential); absent = callers never abandon.
    #[arg(long)]
    patience_secs: Option<f64>,
    /// Service-level threshold, seconds.
    #[arg(long, default_value_t = 20.0)]
    sl_secs: f64,
    /// Contacts counted per replication.
    #[arg(long, default_value_t = 200_000)]
    contacts: u64,
    /// Independent replications.
    #[arg(long, default_value_t = 8)]
    replications: u32,
    /// Contacts per replication simulated before counting starts.
    #[arg(long, default_value_t = 10_000)]
    warmup: u64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Routing strategy (longest_idle, round_robin, random, ...).
    #[arg(long, default_value = "longest_idle")]
    strategy: String,
}

fn sim_erlang(args: ErlangArgs) -> anyhow::Result<()> {
    use ccemu_engine::acd::sim::{run, ErlangScenario};
    anyhow::ensure!(
        args.arrivals_per_hour > 0.0 && args.aht_secs > 0.0 && args.agents > 0,
        "arrivals, handle time and agents must be positive"
    );
    anyhow::ensure!(
        args.replications >= 2,
        "standard errors need at least 2 replications"
    );
    anyhow::ensure!(
        args.patience_secs.is_none_or(|p| p > 0.0),
        "patience must be positive"
    );
    let strategy: ccemu_core::queue::RoutingStrategy =
        args.strategy.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = run(&ErlangScenario {
        arrivals_per_hour: args.arrivals_per_hour,
        aht_secs: args.aht_secs,
        agents: args.agents,
        patience_secs: args.patience_secs,
        sl_secs: args.sl_secs,
        contacts: args.contacts,
        replications: args.replications,
        warmup: args.warmup,
        seed: args.seed,
        strategy: ccemu_engine::acd_strategy(strategy),
    });
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

#[derive(Debug, Subcommand)]
enum TenantsCommand {
    /// Creates a tenant with fresh credentials and prints it as JSON.
    Create {
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Lists tenants as JSON.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, clap::Args)]
struct StoreArgs {
    /// Port to listen on.
    #[arg(long, env = "CCEMU_PORT")]
    port: Option<u16>,
    /// Directory for the embedded database and the TLS certificate.
    #[arg(long, env = "CCEMU_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL (sqlite://... or postgres://...).
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Serve HTTPS with a self-signed certificate.
    #[arg(long, env = "CCEMU_TLS", num_args = 0..=1, default_missing_value = "true")]
    tls: Option<bool>,
    /// Address to bind.
    #[arg(long, env = "CCEMU_BIND")]
    bind: Option<String>,
    /// Token the control plane requires as `Authorization: Bearer <token>`.
    #[arg(long, env = "CCEMU_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

impl StoreArgs {
    fn overrides(self) -> Overrides {
        Overrides {
            port: self.port,
            data_dir: self.data_dir,
            database_url: self.database_url,
            tls: self.tls,
            bind: self.bind,
            admin_token: self.admin_token,
        }
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::DefaultConfig => {
            print!("{DEFAULT_TOML}");
            return Ok(());
        }
        Command::Sim {
            command: SimCommand::Erlang(args),
        } => return sim_erlang(args),
        _ => {}
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CCEMU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(|| ccemu_server::memory::on_park(collect))
        .build()
        .context("tokio runtime")?;
    runtime.block_on(run(cli))
}

/// Returns this thread's freed memory to the system now, rather than on a later allocation.
// The workspace's one `unsafe`: a foreign call with no preconditions (it walks the calling
// thread's heap and mimalloc's own free lists), which the `mimalloc` crate does not wrap.
#[allow(unsafe_code)]
fn collect() {
    unsafe { libmimalloc_sys::mi_collect(true) }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let config = Config::load(cli.config.as_deref(), args.overrides())?;
            let tls = config.server.tls;
            let running = ccemu_server::serve(config, shutdown_signal()).await?;
            // One machine-readable line on stdout: tests and scripts read the port from it.
            println!(
                "ccemu listening on {}://{}",
                if tls { "https" } else { "http" },
                running.addr
            );
            running.done.await.context("server task")??;
            Ok(())
        }
        Command::Tenants { command } => {
            let (args, name) = match command {
                TenantsCommand::Create { name, store } => (store, Some(name)),
                TenantsCommand::List { store } => (store, None),
            };
            let config = Config::load(cli.config.as_deref(), args.overrides())?;
            let engine = ccemu_server::open_engine(&config).await?;
            let output = match name {
                Some(name) => {
                    let tenant = engine.create_tenant(name).await?;
                    serde_json::to_value(ccemu_server::control::TenantDto::from(tenant))?
                }
                None => {
                    let tenants: Vec<_> = engine
                        .tenants()
                        .into_iter()
                        .map(ccemu_server::control::TenantDto::from)
                        .collect();
                    serde_json::json!({ "tenants": tenants })
                }
            };
            engine.shutdown().await;
            println!("{}", serde_json::to_string_pretty(&output)?);
            Ok(())
        }
        Command::DefaultConfig | Command::Sim { .. } => Ok(()),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
