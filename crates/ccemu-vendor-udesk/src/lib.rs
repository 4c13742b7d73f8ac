//! ccemu surface for the Udesk CTI Cloud ccapi v2 (`/ccapi/v2/...`).
//!
//! Owns the Udesk routes, auth, the Udesk error table and envelopes. Every operation of
//! `vendor-notes/udesk.md` §3 (and the agent WebSocket of §5.2) is routed and checks the request's
//! signature ([`Authed`]). Seats, extensions and queues (§3.2, §3.3) are emulated over the
//! engine's directory ops; every other operation, until it is emulated, answers HTTP 501 in the Udesk envelope with
//! `ErrCode` `000003`
//! ("System internal error"): Udesk has no "not implemented" code and `000003` is its only
//! server-side failure code. Endpoints that use envelopes C–E (`agent/hold`, `transfer/agent`,
//! `cc_ad_task/*`) answer `{"code","message"}` instead of `{"ErrCode","ErrDesc","Result"}`.
//! Unknown paths under `/ccapi/v2` and unrouted methods answer 404 with `ErrCode` `000004`.

mod adtasks;
mod agents;
mod apps;
mod auth;
mod calls;
mod dto;
mod error;
pub mod events;
mod extensions;
mod queues;
mod reports;
mod ivr;
mod numbers;
mod routes;
pub mod sign;
pub mod socket;
pub mod subscriptions;

pub use auth::Authed;
pub use error::{Envelope, UdeskError};
pub use routes::{Endpoint, ENDPOINTS};

/// Vendor name used in logs, the request journal and `docs/coverage.md`.
pub const VENDOR: &str = "udesk";

/// Vendor base paths; the server routes on the suffix after the first occurrence of one of them.
pub const BASES: &[&str] = &["/ccapi/v2"];

/// Router serving the full Udesk paths (`/ccapi/v2/...`), to be merged with the other vendors.
pub fn router<S>() -> axum::Router<S>
where
    ccemu_engine::Engine: axum::extract::FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    routes::router()
}
