//! ccemu surface for the Genesys Web Services 8.5 chat APIs (`/api/v2/...`): the Customer Chat
//! API, the agent-side API and the CometD notification endpoint.
//!
//! Owns the Genesys routes and the GWS return-value table. Every operation of
//! `vendor-notes/genesys.md` §3 (and the CometD transport of §5) is routed and, until it is
//! emulated, answers HTTP 501 `{"statusCode":3,"statusMessage":"<operation> is not emulated by
//! ccemu yet"}`. GWS has no "not implemented" value; 3 ("operation forbidden") is the value a
//! GWS server uses to refuse an operation it will not perform, whereas 4 would claim an internal
//! failure. Operations sharing one `POST` path are told apart by the body's `operationName`,
//! so the message names the GWS operation (`SendMessage`, `Accept`, ...). Unknown paths and
//! unrouted methods answer 404 `{"statusCode":6,"statusMessage":"Resource not found"}`.

mod error;
mod routes;

pub use error::{GenesysError, ResourceAction};
pub use routes::{Endpoint, ENDPOINTS};

/// Vendor name used in logs, the request journal and `docs/coverage.md`.
pub const VENDOR: &str = "genesys";

/// Vendor base paths; the server routes on the suffix after the first occurrence of one of them.
pub const BASES: &[&str] = &["/api/v2"];

/// Router serving the full Genesys paths (`/api/v2/...`), to be merged with the other vendors.
pub fn router<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    routes::router()
}
