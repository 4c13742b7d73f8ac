//! Drives the load generator and the start-up timer against the real hello server.

use ccemu_bench::{hello_router, load};
use std::time::Duration;

async fn start_hello() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, hello_router()).await.unwrap() });
    addr
}

fn config(url: String) -> load::LoadConfig {
    load::LoadConfig {
        url,
        connections: 4,
        warmup: Duration::from_millis(100),
        duration: Duration::from_millis(400),
    }
}

#[tokio::test]
async fn hello_load_counts_requests_without_errors() {
    let addr = start_hello().await;
    let report = load::run(config(format!("http://{addr}/hello")))
        .await
        .unwrap();
    assert!(report.requests > 0, "{report:?}");
    assert_eq!(report.errors, 0, "{report:?}");
    assert!(report.p50_us > 0 && report.p50_us <= report.p99_us && report.p99_us <= report.p999_us);
    assert!((report.rps - report.requests as f64 / 0.4).abs() < 1e-6);
}

#[tokio::test]
async fn non_2xx_answers_count_as_errors() {
    let addr = start_hello().await;
    let report = load::run(config(format!("http://{addr}/missing")))
        .await
        .unwrap();
    assert!(report.requests > 0);
    assert_eq!(report.errors, report.requests);
}

#[test]
fn startup_times_the_hello_binary() {
    let config = ccemu_bench::startup::StartupConfig {
        command: vec![
            env!("CARGO_BIN_EXE_ccemu-hello").into(),
            "--port".into(),
            "{port}".into(),
        ],
        path: "/hello".into(),
        runs: 2,
        timeout: Duration::from_secs(10),
    };
    let report = ccemu_bench::startup::measure(&config).unwrap();
    assert_eq!(report.samples_ms.len(), 2);
    assert!(
        report.min_ms > 0.0
            && report.min_ms <= report.median_ms
            && report.median_ms <= report.max_ms
    );
}
