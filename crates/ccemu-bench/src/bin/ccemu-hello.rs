//! `ccemu-hello`: the minimal axum hello-JSON server that ccemu's HTTP figures are compared with.
//!
//! Same runtime set-up as `ccemu serve` (multi-threaded tokio, one worker per allowed core) and
//! the same kind of start-up line on stdout, so `scripts/bench-http` drives both the same way.

use anyhow::Context;
use clap::Parser;

/// Serves `GET /hello` → `{"message":"hello"}`.
#[derive(Debug, Parser)]
#[command(name = "ccemu-hello", version, about)]
struct Cli {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let listener = tokio::net::TcpListener::bind((cli.bind.as_str(), cli.port))
        .await
        .with_context(|| format!("binding {}:{}", cli.bind, cli.port))?;
    println!("ccemu-hello listening on http://{}", listener.local_addr()?);
    axum::serve(listener, ccemu_bench::hello_router())
        .await
        .context("serving")
}
