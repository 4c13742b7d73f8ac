//! Start-up time: from spawning a server process to its first `200` on a health path.
//!
//! The clock starts just before `spawn` (so exec, dynamic linking and runtime set-up count) and
//! stops when a fresh TCP connection gets `HTTP/1.1 200`. Probes are raw blocking sockets, one
//! per millisecond, so the prober itself costs next to nothing and needs no runtime.

use anyhow::{bail, Context};
use serde::Serialize;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What to start and how often.
#[derive(Debug, Clone)]
pub struct StartupConfig {
    /// Program and arguments; `{port}` and `{data_dir}` are replaced in every argument with a
    /// free loopback port and a fresh empty temporary directory for each run.
    pub command: Vec<String>,
    /// Path probed on `127.0.0.1:{port}`, e.g. `/_ccemu/health`.
    pub path: String,
    /// Extra `Name: value` header lines of the probe (authentication for a tenant read).
    pub headers: Vec<String>,
    /// Number of runs.
    pub runs: usize,
    /// Give up on a run after this long.
    pub timeout: Duration,
}

/// Spawn-to-first-200 times over all runs, in milliseconds.
#[derive(Debug, Serialize)]
pub struct StartupReport {
    /// Number of runs.
    pub runs: usize,
    /// Median of the runs.
    pub median_ms: f64,
    /// Fastest run.
    pub min_ms: f64,
    /// Slowest run.
    pub max_ms: f64,
    /// Every run, in order.
    pub samples_ms: Vec<f64>,
}

/// Starts the command `runs` times, one after the other, killing it after each first `200`.
pub fn measure(config: &StartupConfig) -> anyhow::Result<StartupReport> {
    if config.command.is_empty() || config.runs == 0 {
        bail!("need a command and at least one run");
    }
    let samples_ms = (0..config.runs)
        .map(|_| once(config).map(|d| d.as_secs_f64() * 1e3))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut sorted = samples_ms.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(StartupReport {
        runs: config.runs,
        median_ms: median(&sorted),
        min_ms: sorted[0],
        max_ms: sorted[sorted.len() - 1],
        samples_ms,
    })
}

fn once(config: &StartupConfig) -> anyhow::Result<Duration> {
    let data_dir = tempfile::tempdir().context("temporary data dir")?;
    let port = free_port()?;
    let args: Vec<String> = config
        .command
        .iter()
        .map(|a| {
            a.replace("{port}", &port.to_string())
                .replace("{data_dir}", &data_dir.path().to_string_lossy())
        })
        .collect();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let started = Instant::now();
    let mut child = Command::new(&args[0])
        .args(&args[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("spawning {}", args[0]))?;
    let outcome = loop {
        if probe(addr, &config.path, &config.headers) {
            break Ok(started.elapsed());
        }
        if let Some(status) = child.try_wait()? {
            break Err(anyhow::anyhow!("{} exited early: {status}", args.join(" ")));
        }
        if started.elapsed() > config.timeout {
            break Err(anyhow::anyhow!(
                "no 200 on {addr}{} within {:?}",
                config.path,
                config.timeout
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    // Kill before the temp dir is removed; the next run must not find this one still up.
    let _ = child.kill();
    child.wait()?;
    outcome
}

/// A port the kernel just handed out on loopback; free again once the listener is dropped.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// One `GET` on a fresh connection; true only for a `200` status line.
fn probe(addr: SocketAddr, path: &str, headers: &[String]) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(100)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/1.1 200"
}

/// Median of an ascending slice (mean of the middle two for an even length).
fn median(sorted: &[f64]) -> f64 {
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 0 {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_lengths() {
        assert_eq!(median(&[1.0, 2.0, 9.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 4.0, 9.0]), 3.0);
    }

    #[test]
    fn probe_is_false_when_nothing_listens() {
        let port = free_port().unwrap();
        assert!(!probe(
            SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            "/",
            &[]
        ));
    }
}
