//! HTTP benchmark tools for ccemu, driven by `scripts/bench-http` and `scripts/bench-history`.
//!
//! - [`load`]: a closed-loop loopback load generator (`ccemu-load load URL`), GETs or writes
//!   with fixed headers and body.
//! - [`startup`]: spawn-to-first-200 timing of a server command (`ccemu-load startup -- CMD`).
//! - [`hello_router`]: the minimal axum hello-JSON server (`ccemu-hello`) that ccemu's
//!   throughput is compared against, measured in the same run on the same machine.
//! - [`seed`]: ended history written straight through the store (`ccemu-bench-seed`), so reads
//!   can be measured against a tenant with 1k or 100k interactions.
//!
//! Results are figures for `docs/performance.md`; nothing here asserts wall-clock times.

pub mod load;
pub mod seed;
pub mod startup;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};

/// The reference server: `GET /hello` answers `{"message":"hello"}`, nothing else is routed.
///
/// It is the floor an axum service on this machine can reach, so ccemu's figures are reported
/// as a ratio of it rather than as absolute numbers that only mean something on one machine.
pub fn hello_router() -> Router {
    Router::new().route("/hello", get(hello))
}

async fn hello() -> Json<Value> {
    Json(json!({ "message": "hello" }))
}
