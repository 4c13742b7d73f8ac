//! ccemu surface for the Cention Contact Center APIs under `/s/{workspace}/...`: errands and
//! errand reports (JSON:API), library, export, contact cards, logio, the HMAC-signed Agent API,
//! the Bot API and the customer chat.
//!
//! Owns the Cention routes and error shapes. Every operation of `vendor-notes/cention.md` §3 is
//! routed and, until it is emulated, answers HTTP 501 as a JSON:API error document
//! `{"errors":[{"status":"501","title":"Not Implemented","detail":"<operation> is not emulated
//! by ccemu yet"}]}` (`application/vnd.api+json`). Cention publishes no error codes; JSON:API
//! error objects carry the HTTP status as their code, so 501 is the closest. Unknown paths and
//! unrouted methods under `/s` answer 404 in the same document shape.

mod error;
mod routes;

pub use error::CentionError;
pub use routes::{Endpoint, ENDPOINTS};

/// Vendor name used in logs, the request journal and `docs/coverage.md`.
pub const VENDOR: &str = "cention";

/// Vendor base paths; the server routes on the suffix after the first occurrence of one of them.
pub const BASES: &[&str] = &["/s"];

/// Router serving the full Cention paths (`/s/{workspace}/...`), to be merged with the other
/// vendors.
pub fn router<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    routes::router()
}
