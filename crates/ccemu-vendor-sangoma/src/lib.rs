//! ccemu surface for the Sangoma CX CPaaS API: the OAuth 2.0 token endpoint (`/oauth/token`)
//! and the calls and Digital Interactions API (`/cx/api/v1/...`).
//!
//! Owns the Sangoma routes and error shapes. Every operation of `vendor-notes/sangoma.md` §3 is
//! routed and, until it is emulated, answers HTTP 501. On the CX API the body is the
//! Chatwoot-style `{"error":"<operation> is not emulated by ccemu yet"}` (Sangoma publishes no
//! error codes, only that single `error` string). On the token endpoint it is an RFC 6749 error,
//! `{"error":"server_error","error_description":"..."}`: `server_error` is the registered OAuth
//! code for a server unable to fulfil a request, and none of the token-endpoint codes fits.
//! Unknown paths and unrouted methods under either base answer 404
//! `{"error":"Resource could not be found"}`.

mod error;
mod routes;

pub use error::{Api, SangomaError};
pub use routes::{Endpoint, ENDPOINTS};

/// Vendor name used in logs, the request journal and `docs/coverage.md`.
pub const VENDOR: &str = "sangoma";

/// Vendor base paths; the server routes on the suffix after the first occurrence of one of them.
pub const BASES: &[&str] = &["/oauth", "/cx/api/v1"];

/// Router serving the full Sangoma paths (`/oauth/token`, `/cx/api/v1/...`), to be merged with
/// the other vendors.
pub fn router<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    routes::router()
}
