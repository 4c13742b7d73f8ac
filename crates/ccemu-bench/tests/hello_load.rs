//! Drives the load generator and the start-up timer against the real hello server.

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use ccemu_bench::{hello_router, load};
use std::time::Duration;

async fn start_hello() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // `/echo` answers 200 only to a POST with the header and body the write test sends.
    let router = hello_router().route(
        "/echo",
        post(|headers: HeaderMap, body: String| async move {
            let key = headers.get("x-key").and_then(|v| v.to_str().ok());
            if key == Some("k1") && body == r#"{"a":1}"# {
                StatusCode::OK
            } else {
                StatusCode::BAD_REQUEST
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

fn config(url: String) -> load::LoadConfig {
    load::LoadConfig::get(
        url,
        4,
        Duration::from_millis(100),
        Duration::from_millis(400),
    )
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

#[tokio::test]
async fn writes_send_method_headers_and_body() {
    let addr = start_hello().await;
    let mut write = config(format!("http://{addr}/echo"));
    write.method = axum::http::Method::POST;
    write.headers = vec![load::parse_header("X-Key: k1").unwrap()];
    write.body = r#"{"a":1}"#.into();
    let report = load::run(write.clone()).await.unwrap();
    assert!(report.requests > 0);
    assert_eq!(report.errors, 0, "{report:?}");
    write.headers.clear();
    let report = load::run(write).await.unwrap();
    assert_eq!(
        report.errors, report.requests,
        "without the header every answer is a 400"
    );
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
        headers: vec!["X-Probe: 1".into()],
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
