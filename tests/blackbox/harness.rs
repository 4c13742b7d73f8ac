//! Starting, killing and restarting the real binary.

use ccemu_store::testing::TestDb;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `ccemu serve` and the database and data directory it owns.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT` (or https).
    pub base: String,
    /// The database (kept alive for restarts).
    pub db: TestDb,
    /// Data directory (TLS certificate, SQLite file when no URL is given).
    pub data_dir: tempfile::TempDir,
    extra: Vec<String>,
    /// HTTP client (accepts the self-signed certificate).
    pub http: reqwest::Client,
}

/// Path of the binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ccemu"))
}

impl Server {
    /// Starts a server on a fresh database.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts a server on a fresh database with extra `serve` arguments.
    pub async fn start_with(extra: &[&str]) -> Self {
        Self::start_on(TestDb::new().await, extra).await
    }

    /// Starts a server on a fresh database with `toml` as its configuration file.
    pub async fn start_with_config(toml: &str) -> Self {
        let data_dir = tempfile::tempdir().expect("data dir");
        let path = data_dir.path().join("ccemu.toml");
        std::fs::write(&path, toml).expect("config file");
        let extra = [
            "--config".to_owned(),
            path.to_str().expect("path").to_owned(),
        ];
        Self::spawn_in(TestDb::new().await, data_dir, extra.to_vec()).await
    }

    /// Starts a server on a database the test has prepared (a fixture loaded into it, say).
    pub async fn start_on(db: TestDb, extra: &[&str]) -> Self {
        let data_dir = tempfile::tempdir().expect("data dir");
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        Self::spawn_in(db, data_dir, extra).await
    }

    async fn spawn_in(db: TestDb, data_dir: tempfile::TempDir, extra: Vec<String>) -> Self {
        let (child, base) = spawn(&db, data_dir.path(), &extra).await;
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Self {
            child,
            base,
            db,
            data_dir,
            extra,
            http,
        }
    }

    /// Kills the process with SIGKILL (no graceful shutdown) and starts it again on the same data.
    pub async fn crash_and_restart(&mut self) {
        self.child.kill().await.expect("SIGKILL");
        let (child, base) = spawn(&self.db, self.data_dir.path(), &self.extra).await;
        self.child = child;
        self.base = base;
    }

    /// The server's resident memory in bytes (Linux `/proc`).
    pub fn rss_bytes(&self) -> u64 {
        let pid = self.child.id().expect("running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS");
        kib * 1024
    }

    /// Absolute URL for a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET returning status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        send(self.http.get(self.url(path))).await
    }

    /// GET returning status and the body as text.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let res = self.http.get(self.url(path)).send().await.expect("request");
        (res.status().as_u16(), res.text().await.expect("body"))
    }

    /// DELETE returning status and JSON body (`Null` when empty).
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        send(self.http.delete(self.url(path))).await
    }

    /// POST with a raw body.
    pub async fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        send(
            self.http
                .post(self.url(path))
                .header("content-type", "application/json")
                .body(body.to_owned()),
        )
        .await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        send(self.http.post(self.url(path)).json(&body)).await
    }

    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        send(self.http.put(self.url(path)).json(&body)).await
    }

    /// Creates a tenant and returns it.
    pub async fn create_tenant(&self, name: &str) -> Value {
        let (status, body) = self
            .post("/_ccemu/tenants", serde_json::json!({ "name": name }))
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Every tenant with its credentials: the listing leaves them out, each tenant's `GET` has them.
    pub async fn tenants_with_credentials(&self) -> Vec<Value> {
        let (status, list) = self.get("/_ccemu/tenants").await;
        assert_eq!(status, 200, "{list}");
        let mut all = Vec::new();
        for t in list["tenants"].as_array().expect("tenants") {
            let id = t["id"].as_str().expect("tenant id");
            let (status, tenant) = self.get(&format!("/_ccemu/tenants/{id}")).await;
            assert_eq!(status, 200, "{tenant}");
            all.push(tenant);
        }
        all
    }

    /// Freezes a tenant's clock at `now_ms`.
    pub async fn manual_clock(&self, tenant: &str, now_ms: i64) {
        let (status, body) = self
            .put(
                &format!("/_ccemu/tenants/{tenant}/clock"),
                serde_json::json!({ "mode": "manual", "now_ms": now_ms }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// Advances a tenant's manual clock.
    pub async fn advance(&self, tenant: &str, ms: i64) {
        let (status, body) = self
            .post(
                &format!("/_ccemu/tenants/{tenant}/clock/advance"),
                serde_json::json!({ "ms": ms }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// Freezes a tenant's clock at `now_ms` and replaces its simulation settings.
    pub async fn sim_on_manual_clock(&self, tenant: &str, now_ms: i64, settings: Value) {
        self.manual_clock(tenant, now_ms).await;
        let (status, body) = self
            .put(&format!("/_ccemu/tenants/{tenant}/sim"), settings)
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// Makes an agent available (logged in if needed).
    pub async fn ready(&self, tenant: &str, agent: &str) {
        let (status, body) = self
            .post(
                &format!("/_ccemu/tenants/{tenant}/sim/agents/{agent}/ready"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// A simulated customer contacts a queue (`channel`: `calls` or `chats`); returns the interaction.
    pub async fn sim_contact(&self, tenant: &str, channel: &str, queue: &str) -> Value {
        let (status, body) = self
            .post(
                &format!("/_ccemu/tenants/{tenant}/sim/{channel}"),
                serde_json::json!({ "queue_id": queue }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Every event of a tenant after `after`.
    pub async fn events_after(&self, tenant: &str, after: i64) -> Vec<Value> {
        let (status, body) = self
            .get(&format!(
                "/_ccemu/tenants/{tenant}/events?after={after}&limit=10000"
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        body["events"].as_array().expect("events").clone()
    }

    /// The `seq` of a tenant's newest event.
    pub async fn last_seq(&self, tenant: &str) -> i64 {
        self.events_after(tenant, 0)
            .await
            .last()
            .map_or(0, |e| e["seq"].as_i64().expect("seq"))
    }

    /// An agent's state name (`available`, `wrap_up`, ...).
    pub async fn agent_state(&self, tenant: &str, agent: &str) -> String {
        let (_, body) = self.get(&format!("/_ccemu/tenants/{tenant}/agents")).await;
        body["agents"]
            .as_array()
            .expect("agents")
            .iter()
            .find(|a| a["id"] == agent)
            .map(|a| a["state"]["state"].as_str().expect("state").to_owned())
            .unwrap_or_else(|| panic!("no agent {agent}: {body}"))
    }

    /// One interaction, as the control plane shows it.
    pub async fn interaction(&self, tenant: &str, id: &str) -> Value {
        let (status, body) = self
            .get(&format!("/_ccemu/tenants/{tenant}/interactions/{id}"))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// The domain steps among `events` as `(step, at_ms - t0)`: clock and timer bookkeeping left
/// out, agent state changes as `agent.state_changed:<agent>:<to>`, transfers as
/// `interaction.transferred:<status>`.
pub fn steps(events: &[Value], t0: i64) -> Vec<(String, i64)> {
    events
        .iter()
        .filter(|e| e["kind"] != "timer.fired" && e["kind"] != "clock.changed")
        .map(|e| {
            let kind = e["kind"].as_str().expect("kind");
            let step = match kind {
                "agent.state_changed" => format!(
                    "{kind}:{}:{}",
                    e["data"]["agent_id"].as_str().expect("agent_id"),
                    e["data"]["to"]["state"].as_str().expect("to")
                ),
                "interaction.transferred" => {
                    format!("{kind}:{}", e["data"]["status"].as_str().expect("status"))
                }
                _ => kind.to_owned(),
            };
            (step, e["at_ms"].as_i64().expect("at_ms") - t0)
        })
        .collect()
}

/// `steps`' expected value from a literal list.
pub fn want_steps(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(k, t)| (k.to_string(), *t)).collect()
}

/// Sends a request and decodes the answer: status plus JSON (or `Null` for an empty body).
pub async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}

async fn spawn(db: &TestDb, data_dir: &std::path::Path, extra: &[String]) -> (Child, String) {
    let mut child = Command::new(binary())
        .arg("serve")
        .args(["--port", "0", "--bind", "127.0.0.1"])
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--database-url", &db.url])
        .args(extra)
        .env("CCEMU_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("CCEMU_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn ccemu");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("ccemu did not start within 60 s")
        .expect("read stdout")
        .expect("ccemu exited before listening");
    let base = line
        .strip_prefix("ccemu listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}

/// Asserts a control-plane error: the status, the `error` code and a non-empty `message`.
pub fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"], want_code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}
