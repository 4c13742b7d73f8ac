//! `ccemu-bench-seed`: adds ended history (calls, chats, agent state logs) to a tenant straight
//! through the store, for `scripts/bench-history`. Run it while no server uses the database.
//!
//! Prints one JSON object: what was written, the numbers and time span it took, and how long
//! the writing took (`seconds`).

use ccemu_bench::seed::{self, SeedConfig};
use ccemu_core::TenantId;
use ccemu_store::Store;
use clap::Parser;

/// Adds N ended interactions of a tenant to a ccemu database.
#[derive(Debug, Parser)]
#[command(name = "ccemu-bench-seed", version, about)]
struct Cli {
    /// The database, e.g. sqlite://DATA_DIR/ccemu.db (what `ccemu serve --data-dir` uses).
    #[arg(long)]
    database_url: String,
    /// The tenant, which must exist.
    #[arg(long, default_value = "demo")]
    tenant: String,
    /// Ended interactions to add.
    #[arg(long)]
    interactions: u64,
    /// Every Nth interaction is a chat (0: calls only).
    #[arg(long, default_value_t = 5)]
    chat_every: u64,
    /// Messages in each chat.
    #[arg(long, default_value_t = 20)]
    chat_messages: u32,
    /// Every Nth call slot is a call abandoned in the queue (0: none).
    #[arg(long, default_value_t = 10)]
    abandon_every: u64,
    /// Days before the tenant clock the history spans (keep under 7 for Udesk's one-week reads).
    #[arg(long, default_value_t = 3.0)]
    days: f64,
    /// Interactions per transaction.
    #[arg(long, default_value_t = 1000)]
    batch: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let store = Store::connect(&cli.database_url).await?;
    let config = SeedConfig {
        tenant: TenantId::parse(&cli.tenant)?,
        interactions: cli.interactions,
        chat_every: cli.chat_every,
        chat_messages: cli.chat_messages,
        abandon_every: cli.abandon_every,
        days: cli.days,
        batch: cli.batch,
    };
    let report = seed::seed(&store, &config).await?;
    store.close().await;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
