//! Prometheus metrics: request counts and latency by surface/route/status, plus gauges read from
//! the engine at scrape time. Kept in-process and per app (no global recorder), so every test app
//! has its own.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::mount::Surface;

/// Upper bounds of the latency histogram, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Data {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<(String, String), Histogram>,
}

/// Request metrics shared by the middleware and the scrape endpoint.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    data: Arc<Mutex<Data>>,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn observe(&self, vendor: &str, route: &str, status: u16, seconds: f64) {
        let mut data = self.lock();
        *data
            .requests
            .entry((vendor.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let h = data
            .latency
            .entry((vendor.to_owned(), route.to_owned()))
            .or_default();
        h.count += 1;
        h.sum += seconds;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
    }

    /// Renders the request metrics and the given gauges in the Prometheus text format.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let mut out = String::new();
        let data = self.lock();
        out.push_str(
            "# HELP ccemu_http_requests_total HTTP requests by surface, route and status.\n",
        );
        out.push_str("# TYPE ccemu_http_requests_total counter\n");
        for ((vendor, route, status), n) in &data.requests {
            let _ = writeln!(
                out,
                "ccemu_http_requests_total{{vendor=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(vendor),
                escape(route)
            );
        }
        out.push_str("# HELP ccemu_http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE ccemu_http_request_duration_seconds histogram\n");
        for ((vendor, route), h) in &data.latency {
            let labels = format!("vendor=\"{}\",route=\"{}\"", escape(vendor), escape(route));
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "ccemu_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "ccemu_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "ccemu_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "ccemu_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        drop(data);
        let mut last = "";
        for g in gauges {
            if g.name != last {
                let _ = writeln!(out, "# HELP {} {}", g.name, g.help);
                let _ = writeln!(out, "# TYPE {} gauge", g.name);
                last = g.name;
            }
            let labels: Vec<String> = g
                .labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            if labels.is_empty() {
                let _ = writeln!(out, "{} {}", g.name, g.value);
            } else {
                let _ = writeln!(out, "{}{{{}}} {}", g.name, labels.join(","), g.value);
            }
        }
        out
    }
}

/// One gauge sample.
#[derive(Debug, Clone)]
pub struct Gauge {
    /// Metric name; samples of one metric must be adjacent.
    pub name: &'static str,
    /// Help text.
    pub help: &'static str,
    /// Label pairs.
    pub labels: Vec<(&'static str, String)>,
    /// Value.
    pub value: f64,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: counts and times every request under its route template (never the raw path, so
/// ids in paths cannot blow up the label set).
pub async fn track(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let vendor = req
        .extensions()
        .get::<Surface>()
        .map(|s| s.0)
        .unwrap_or("none");
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    metrics.observe(
        vendor,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.observe("ujet", "/apps/api/v1/calls", 200, 0.002);
        m.observe("ujet", "/apps/api/v1/calls", 200, 0.2);
        let text = m.render(&[Gauge {
            name: "ccemu_tenants",
            help: "Tenants.",
            labels: vec![],
            value: 3.0,
        }]);
        assert!(text.contains(
            "ccemu_http_requests_total{vendor=\"ujet\",route=\"/apps/api/v1/calls\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.0025\"} 1"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("ccemu_tenants 3"));
    }
}
