//! Configuration: built-in defaults (`config/default.toml`) < a TOML file < environment < flags.

use anyhow::Context;
use ccemu_core::Credentials;
use serde::Deserialize;
use std::path::PathBuf;

/// The commented default configuration, compiled in.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// HTTP server settings.
    pub server: ServerConfig,
    /// Storage settings.
    pub storage: StorageConfig,
    /// Request journal settings.
    pub journal: JournalConfig,
    /// The demo tenant.
    pub demo: DemoConfig,
    /// Delivery of webhooks and other HTTP notifications.
    pub delivery: DeliveryConfig,
    /// The Udesk surface.
    pub udesk: UdeskConfig,
    /// How much history each tenant keeps.
    pub retention: RetentionConfig,
    /// How background jobs (UJET bulk uploads and imports) are carried out.
    pub jobs: JobsConfig,
}

/// `[jobs]`: how each tenant carries out its background jobs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsConfig {
    /// Steps of a job applied per transaction, which also writes the job's progress.
    pub batch_steps: usize,
}

impl JobsConfig {
    /// The engine's form of these settings.
    pub fn engine_config(&self) -> ccemu_engine::JobConfig {
        ccemu_engine::JobConfig {
            batch_steps: self.batch_steps,
            ..ccemu_engine::JobConfig::default()
        }
    }
}

/// `[retention]`: the newest rows of each kind a tenant keeps (0 keeps all), and how often the
/// rest is pruned.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// Ended interactions.
    pub ended_interactions: u64,
    /// Finished agent state periods.
    pub agent_state_logs: u64,
    /// Event log entries.
    pub events: u64,
    /// Delivered or failed outbox deliveries.
    pub finished_deliveries: u64,
    /// Seconds between two pruning passes; 0 never prunes.
    pub interval_secs: u64,
}

impl RetentionConfig {
    /// The engine's form of these settings.
    pub fn engine_config(&self) -> ccemu_engine::RetentionConfig {
        ccemu_engine::RetentionConfig {
            defaults: ccemu_core::Retention {
                ended_interactions: self.ended_interactions,
                agent_state_logs: self.agent_state_logs,
                events: self.events,
                finished_deliveries: self.finished_deliveries,
            },
            interval: std::time::Duration::from_secs(self.interval_secs),
        }
    }
}

/// `[udesk]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UdeskConfig {
    /// Real-time wait before an agent WebSocket EVT the client has not ACKed is sent again, in ms.
    pub ws_resend_ms: u64,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Listening port.
    pub port: u16,
    /// Bind address.
    pub bind: String,
    /// Serve HTTPS with a self-signed certificate.
    pub tls: bool,
    /// Request body limit in bytes.
    pub max_body_bytes: usize,
    /// The control plane's admin token (`Authorization: Bearer`); empty: none asked for.
    pub admin_token: String,
    /// Host names the control plane answers to besides the bound address and loopback names.
    pub allowed_hosts: Vec<String>,
}

/// `[storage]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// Directory for the SQLite file and the TLS certificate.
    pub data_dir: PathBuf,
    /// Database URL; empty means SQLite in `data_dir`.
    pub database_url: String,
}

/// `[journal]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalConfig {
    /// Entries kept.
    pub capacity: usize,
    /// Body bytes kept per entry.
    pub max_body_bytes: usize,
    /// Body bytes kept in all entries together.
    pub max_total_bytes: usize,
}

/// `[demo]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// Whether the demo tenant is created.
    pub enabled: bool,
    /// Its fixed credentials.
    pub credentials: Credentials,
}

/// `[delivery]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Wait before the first retry, in ms; doubles per attempt.
    pub initial_backoff_ms: u64,
    /// Longest wait between attempts, in ms.
    pub max_backoff_ms: u64,
    /// Attempts before a delivery fails for good; 0 = retry forever.
    pub max_attempts: u32,
    /// Time limit of one request, in ms.
    pub timeout_ms: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Hosts deliveries may go to besides loopback.
    pub allowed_hosts: Vec<String>,
    /// Bytes of a non-2xx answer kept in the delivery log.
    pub answer_excerpt_bytes: usize,
}

impl DeliveryConfig {
    /// The engine's form of these settings.
    pub fn engine_config(&self) -> ccemu_engine::DeliveryConfig {
        use std::time::Duration;
        ccemu_engine::DeliveryConfig {
            initial_backoff: Duration::from_millis(self.initial_backoff_ms),
            max_backoff: Duration::from_millis(self.max_backoff_ms),
            max_attempts: self.max_attempts,
            timeout: Duration::from_millis(self.timeout_ms),
            concurrency: self.concurrency,
            allowed_hosts: self.allowed_hosts.clone(),
            answer_excerpt: self.answer_excerpt_bytes,
        }
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.initial_backoff_ms >= 1 && self.initial_backoff_ms <= self.max_backoff_ms,
            "delivery.initial_backoff_ms must be at least 1 and at most delivery.max_backoff_ms"
        );
        anyhow::ensure!(
            self.timeout_ms >= 1,
            "delivery.timeout_ms must be at least 1"
        );
        anyhow::ensure!(
            (1..=1024).contains(&self.concurrency),
            "delivery.concurrency must be between 1 and 1024"
        );
        anyhow::ensure!(
            self.answer_excerpt_bytes <= 64 * 1024,
            "delivery.answer_excerpt_bytes must be at most 65536"
        );
        Ok(())
    }
}

/// Overrides from the command line (already merged with the environment by clap).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--port` / `CCEMU_PORT`.
    pub port: Option<u16>,
    /// `--data-dir` / `CCEMU_DATA_DIR`.
    pub data_dir: Option<PathBuf>,
    /// `--database-url` / `DATABASE_URL`.
    pub database_url: Option<String>,
    /// `--tls` / `CCEMU_TLS`.
    pub tls: Option<bool>,
    /// `--bind` / `CCEMU_BIND`.
    pub bind: Option<String>,
    /// `--admin-token` / `CCEMU_ADMIN_TOKEN`.
    pub admin_token: Option<String>,
}

impl Config {
    /// Loads defaults, then the file (if any), then applies the overrides.
    pub fn load(file: Option<&std::path::Path>, overrides: Overrides) -> anyhow::Result<Self> {
        let mut value: toml::Table = toml::from_str(DEFAULT_TOML).context("built-in defaults")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading config file {}", path.display()))?;
            let overlay: toml::Table = toml::from_str(&text)
                .with_context(|| format!("parsing config file {}", path.display()))?;
            merge(&mut value, overlay);
        }
        let mut config: Config = toml::Value::Table(value)
            .try_into()
            .context("invalid configuration")?;
        if let Some(port) = overrides.port {
            config.server.port = port;
        }
        if let Some(bind) = overrides.bind {
            config.server.bind = bind;
        }
        if let Some(token) = overrides.admin_token {
            config.server.admin_token = token;
        }
        if let Some(tls) = overrides.tls {
            config.server.tls = tls;
        }
        if let Some(dir) = overrides.data_dir {
            config.storage.data_dir = dir;
        }
        if let Some(url) = overrides.database_url {
            config.storage.database_url = url;
        }
        config.delivery.validate()?;
        anyhow::ensure!(
            config.udesk.ws_resend_ms >= 1,
            "udesk.ws_resend_ms must be at least 1"
        );
        anyhow::ensure!(
            (1..=100_000).contains(&config.jobs.batch_steps),
            "jobs.batch_steps must be between 1 and 100000"
        );
        Ok(config)
    }

    /// The database URL to connect to: the configured one, or the SQLite file in the data dir.
    pub fn database_url(&self) -> anyhow::Result<String> {
        if !self.storage.database_url.is_empty() {
            return Ok(self.storage.database_url.clone());
        }
        std::fs::create_dir_all(&self.storage.data_dir)
            .with_context(|| format!("creating data dir {}", self.storage.data_dir.display()))?;
        Ok(format!(
            "sqlite://{}?mode=rwc",
            self.storage.data_dir.join("ccemu.db").display()
        ))
    }
}

/// Deep-merges `overlay` into `base` (tables merge, other values replace).
fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_overrides_win() {
        let c = Config::load(None, Overrides::default()).unwrap();
        assert_eq!(c.server.port, 8080);
        assert_eq!(c.server.bind, "127.0.0.1", "loopback unless asked");
        assert_eq!(c.server.admin_token, "");
        assert_eq!(c.journal.capacity, 10_000);
        assert_eq!(c.demo.credentials.ujet.subdomain, "demo");
        let c = Config::load(
            None,
            Overrides {
                port: Some(9999),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.server.port, 9999);
    }

    #[test]
    fn file_overlays_defaults_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[journal]\ncapacity = 5\n").unwrap();
        let c = Config::load(Some(&path), Overrides::default()).unwrap();
        assert_eq!(c.journal.capacity, 5);
        assert_eq!(c.journal.max_body_bytes, 65536);
        std::fs::write(&path, "[journal]\ncapacityy = 5\n").unwrap();
        assert!(Config::load(Some(&path), Overrides::default()).is_err());
    }

    #[test]
    fn job_batches_are_configured_within_bounds() {
        let c = Config::load(None, Overrides::default()).unwrap();
        assert_eq!(c.jobs.engine_config().batch_steps, 100);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[jobs]\nbatch_steps = 7\n").unwrap();
        let c = Config::load(Some(&path), Overrides::default()).unwrap();
        assert_eq!(c.jobs.engine_config().batch_steps, 7);
        for bad in ["0", "100001", "-1", "\"ten\""] {
            std::fs::write(&path, format!("[jobs]\nbatch_steps = {bad}\n")).unwrap();
            assert!(
                Config::load(Some(&path), Overrides::default()).is_err(),
                "{bad}"
            );
        }
    }
}
