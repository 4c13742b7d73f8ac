//! ccemu surface for the UJET (Google CCAI Platform) Apps API (`/apps/api/v1/...`) and
//! Manager API (`/manager/api/v1/...`).
//!
//! Owns the UJET routes and the UJET error shapes. Every operation of `vendor-notes/ujet.md`
//! §3 (Apps API) and §4 (Manager API) is routed and, until it is emulated, answers HTTP 501:
//! `{"message":"<operation> is not emulated by ccemu yet"}` on the Apps API and
//! `{"error":"Not Implemented","message":"...","status":501}` on the Manager API. UJET has no
//! error codes beyond the HTTP status, so 501 with its reason phrase is the closest it has.
//! The seven Export/Import Queue Settings items (§3.6), which the vendor documents without
//! paths, are served at [inferred] paths under `/apps/api/v1/queue_settings`; the second
//! "Wait Times" item (§3.2) has no known path and is not routed.
//! Unknown paths and unrouted methods answer 404 `{"message":"Not Found"}` (Apps) or
//! `{"error":"Not Found","message":"Resource not found","status":404}` (Manager).

mod agents;
mod auth;
mod bulk;
mod calls;
mod campaigns;
mod chat_objects;
mod chats;
mod contact_lists;
mod custom_data;
mod dnc;
// Helpers for the Apps API handlers that land next.
#[allow(dead_code)]
mod dto;
mod end_users;
mod error;
pub mod limits;
mod manager;
mod menus;
mod objects;
mod paging;
mod queue_settings;
mod routes;
#[allow(dead_code)]
mod statuses;
pub mod webhooks;

pub use auth::{Authed, Credential};
pub use error::{Api, UjetError};
pub use routes::{Endpoint, ENDPOINTS};

/// Vendor name used in logs, the request journal and `docs/coverage.md`.
pub const VENDOR: &str = "ujet";

/// Vendor base paths; the server routes on the suffix after the first occurrence of one of them.
pub const BASES: &[&str] = &["/apps/api/v1", "/manager/api/v1"];

/// Router serving the full UJET paths (`/apps/api/v1/...`, `/manager/api/v1/...`), to be
/// merged with the other vendors.
pub fn router<S>() -> axum::Router<S>
where
    ccemu_engine::Engine: axum::extract::FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    routes::router()
}
