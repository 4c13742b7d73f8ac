//! The `ccemu` binary: `serve`, `tenants create|list`, `default-config`.

use anyhow::Context;
use ccemu_server::config::{Config, Overrides, DEFAULT_TOML};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

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
}

impl StoreArgs {
    fn overrides(self) -> Overrides {
        Overrides {
            port: self.port,
            data_dir: self.data_dir,
            database_url: self.database_url,
            tls: self.tls,
            bind: self.bind,
        }
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::DefaultConfig = cli.command {
        print!("{DEFAULT_TOML}");
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CCEMU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().context("tokio runtime")?;
    runtime.block_on(run(cli))
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
        Command::DefaultConfig => Ok(()),
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
