//! ccemu surface for the Udesk CTI Cloud ccapi v2 (`/ccapi/v2/...`).
//!
//! Owns the Udesk routes, auth, the Udesk error table and envelopes. Every operation of
//! `vendor-notes/udesk.md` §3 and the agent WebSocket of §5.2 is routed, checks the request's
//! signature ([`Authed`]) and is emulated over the engine: apps (each app is a tenant of its own),
//! seats, extensions, queues, relay numbers and the IVR (§3.1–§3.3); seat sessions, `originatev2`,
//! hold, `transfer/agent` and auto-dialing tasks (§3.4); event subscriptions and their signed
//! HTTP callbacks (§3.5, §5.1); call logs, recordings and state logs (§3.6); and the agent
//! WebSocket (§5.2). `docs/coverage.md` lists every endpoint and where each is partial. What is
//! not emulated (auto-dialing types 4 and 5) answers HTTP 501 in the Udesk envelope with `ErrCode`
//! `000003` ("System internal error"), Udesk's only server-side failure code; endpoints of
//! envelopes C–E (`agent/hold`, `transfer/agent`, `cc_ad_task/*`) answer `{"code","message"}`
//! instead of `{"ErrCode","ErrDesc","Result"}`, and unknown paths under `/ccapi/v2` and unrouted
//! methods answer 404 with `ErrCode` `000004`.

mod adtasks;
mod agents;
mod apps;
mod auth;
mod calls;
mod dto;
mod error;
pub mod events;
mod extensions;
mod ivr;
mod numbers;
mod queues;
mod reports;
mod routes;
pub mod sign;
pub mod socket;
pub mod subscriptions;

pub use auth::Authed;
pub use dto::PARAMS_INVALID;
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
