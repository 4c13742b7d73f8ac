//! Closed-loop HTTP/1.1 load: N keep-alive connections, each sending its next request as soon as
//! the previous answer has been read in full, for a warm-up and then a measured window.

use anyhow::{anyhow, bail, Context};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderName, HeaderValue, HOST};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// What to load and for how long.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Target, `http://host:port/path` (plain HTTP/1.1 only).
    pub url: String,
    /// Concurrent keep-alive connections, each with exactly one request in flight.
    pub connections: usize,
    /// Unmeasured warm-up before the measured window (connections open, caches fill).
    pub warmup: Duration,
    /// Length of the measured window.
    pub duration: Duration,
    /// Request method (`GET` for reads, `POST` for writes).
    pub method: Method,
    /// Extra request headers (authentication, content type), sent on every request.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The same body on every request; empty for none (a GET may carry one: Udesk reads do).
    pub body: Bytes,
}

impl LoadConfig {
    /// A plain `GET` of `url` without extra headers or body.
    pub fn get(
        url: impl Into<String>,
        connections: usize,
        warmup: Duration,
        duration: Duration,
    ) -> Self {
        Self {
            url: url.into(),
            connections,
            warmup,
            duration,
            method: Method::GET,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }
}

/// Parses a `Name: value` header argument.
pub fn parse_header(text: &str) -> anyhow::Result<(HeaderName, HeaderValue)> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| anyhow!("header {text:?} is not `Name: value`"))?;
    Ok((
        HeaderName::from_bytes(name.trim().as_bytes()).context("header name")?,
        HeaderValue::from_str(value.trim()).context("header value")?,
    ))
}

/// The outcome of one load run; the binary prints it as one JSON object.
#[derive(Debug, Serialize)]
pub struct LoadReport {
    /// The URL that was loaded.
    pub url: String,
    /// Concurrent connections.
    pub connections: usize,
    /// Length of the measured window in seconds.
    pub duration_s: f64,
    /// Requests started in the measured window (errors included).
    pub requests: u64,
    /// Non-2xx answers and transport failures in the measured window.
    pub errors: u64,
    /// Of those, 5xx answers: a server that never fails answers none, whatever it is sent.
    pub server_errors: u64,
    /// `requests / duration_s`.
    pub rps: f64,
    /// Median latency in microseconds.
    pub p50_us: u64,
    /// 99th percentile latency in microseconds.
    pub p99_us: u64,
    /// 99.9th percentile latency in microseconds.
    pub p999_us: u64,
    /// CPU time of this process over the window, as a fraction of one core (1.0 = one core busy);
    /// near 1.0 means the generator, not the server, may be the limit. `None` off Linux.
    pub client_cpu: Option<f64>,
}

/// Where and what to send, parsed once from the configuration.
#[derive(Debug, Clone)]
struct Target {
    authority: String,
    path: String,
    method: Method,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl Target {
    fn parse(url: &str) -> anyhow::Result<Self> {
        let uri: Uri = url.parse().with_context(|| format!("invalid URL {url}"))?;
        if uri.scheme_str() != Some("http") {
            bail!("only http:// URLs are supported, got {url}");
        }
        let authority = uri.authority().ok_or_else(|| anyhow!("no host in {url}"))?;
        if authority.port_u16().is_none() {
            bail!("give the port explicitly in {url}");
        }
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        Ok(Self {
            authority: authority.to_string(),
            path,
            method: Method::GET,
            headers: Vec::new(),
            body: Bytes::new(),
        })
    }
}

/// What one connection saw in the measured window.
struct Tally {
    latency_us: Histogram<u64>,
    requests: u64,
    errors: u64,
    server_errors: u64,
}

/// Runs the load and waits for every connection to finish its last request.
pub async fn run(config: LoadConfig) -> anyhow::Result<LoadReport> {
    let target = Target {
        method: config.method.clone(),
        headers: config.headers.clone(),
        body: config.body.clone(),
        ..Target::parse(&config.url)?
    };
    if config.connections == 0 || config.duration.is_zero() {
        bail!("connections and duration must be positive");
    }
    let start = Instant::now() + config.warmup;
    let end = start + config.duration;
    let mut tasks = Vec::with_capacity(config.connections);
    for _ in 0..config.connections {
        // 1 µs to 60 s at 3 significant digits: exact enough for p99.9, a few hundred kB total.
        let latency_us = Histogram::new_with_bounds(1, 60_000_000, 3)?;
        let tally = Tally {
            latency_us,
            requests: 0,
            errors: 0,
            server_errors: 0,
        };
        tasks.push(tokio::spawn(connection(target.clone(), start, end, tally)));
    }
    tokio::time::sleep_until(start.into()).await;
    let cpu_before = cpu_ticks();
    tokio::time::sleep_until(end.into()).await;
    let cpu_after = cpu_ticks();

    let mut latency_us = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut requests, mut errors, mut server_errors) = (0, 0, 0);
    for task in tasks {
        let tally = task.await.context("load task panicked")?;
        latency_us.add(&tally.latency_us)?;
        requests += tally.requests;
        errors += tally.errors;
        server_errors += tally.server_errors;
    }
    let duration_s = config.duration.as_secs_f64();
    Ok(LoadReport {
        url: config.url,
        connections: config.connections,
        duration_s,
        requests,
        errors,
        server_errors,
        rps: requests as f64 / duration_s,
        p50_us: latency_us.value_at_quantile(0.50),
        p99_us: latency_us.value_at_quantile(0.99),
        p999_us: latency_us.value_at_quantile(0.999),
        client_cpu: cpu_before
            .zip(cpu_after)
            .map(|(a, b)| (b - a) as f64 / CLOCK_TICKS_PER_S / duration_s),
    })
}

/// One keep-alive connection in a closed loop; reconnects after a transport error.
async fn connection(target: Target, start: Instant, end: Instant, mut tally: Tally) -> Tally {
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    loop {
        let sent = Instant::now();
        if sent >= end {
            return tally;
        }
        let ok = match &mut sender {
            Some(s) => exchange(s, &target).await,
            None => match connect(&target).await {
                Ok(s) => {
                    sender = Some(s);
                    continue;
                }
                Err(_) => {
                    // Server gone or not up: don't spin; the error still counts below.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    Err(())
                }
            },
        };
        if ok.is_err() {
            sender = None;
        }
        if sent >= start {
            let us = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
            tally.latency_us.saturating_record(us.max(1));
            tally.requests += 1;
            tally.errors += u64::from(!matches!(ok, Ok(status) if status.is_success()));
            tally.server_errors += u64::from(matches!(ok, Ok(status) if status.is_server_error()));
        }
    }
}

/// One request and its whole body. `Ok(status)`, or `Err` if the connection is unusable.
async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    target: &Target,
) -> Result<hyper::StatusCode, ()> {
    sender.ready().await.map_err(drop)?;
    let mut request = Request::builder()
        .method(target.method.clone())
        .uri(target.path.as_str())
        .header(HOST, target.authority.as_str());
    for (name, value) in &target.headers {
        request = request.header(name, value);
    }
    // Bytes clones share the buffer: the body costs no copy per request.
    let request = request.body(Full::new(target.body.clone())).map_err(drop)?;
    let response = sender.send_request(request).await.map_err(drop)?;
    let status = response.status();
    response.into_body().collect().await.map_err(drop)?;
    Ok(status)
}

async fn connect(target: &Target) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(target.authority.as_str()).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    // The connection driver ends when the sender is dropped or the peer closes.
    tokio::spawn(conn);
    Ok(sender)
}

/// `USER_HZ`: the unit of utime/stime in `/proc/self/stat`; 100 on every mainstream Linux ABI.
const CLOCK_TICKS_PER_S: f64 = 100.0;

/// User + system CPU ticks of this process so far (all threads), from `/proc/self/stat`.
fn cpu_ticks() -> Option<u64> {
    parse_cpu_ticks(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // Fields after the parenthesised command name start at field 3 (state); utime and stime
    // are fields 14 and 15.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_keeps_path_and_query_and_authority() {
        let t = Target::parse("http://127.0.0.1:8080/_ccemu/tenants/demo?x=1").unwrap();
        assert_eq!(t.authority, "127.0.0.1:8080");
        assert_eq!(t.path, "/_ccemu/tenants/demo?x=1");
    }

    #[test]
    fn header_arguments_split_at_the_first_colon() {
        let (name, value) = parse_header("Authorization: Basic ZGVtbzp4").unwrap();
        assert_eq!(name, "authorization");
        assert_eq!(value, "Basic ZGVtbzp4");
        let (_, value) = parse_header("X-Url:http://a:1").unwrap();
        assert_eq!(value, "http://a:1");
        assert!(parse_header("no colon").is_err());
    }

    #[test]
    fn target_rejects_https_and_missing_port() {
        assert!(Target::parse("https://127.0.0.1:8080/").is_err());
        assert!(Target::parse("http://localhost/").is_err());
    }

    #[test]
    fn cpu_ticks_sum_utime_and_stime_even_with_spaces_in_the_name() {
        let stat = "42 (a b) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 1 0";
        assert_eq!(parse_cpu_ticks(stat), Some(280));
    }
}
