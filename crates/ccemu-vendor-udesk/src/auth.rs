//! Who a Udesk request is from (`vendor-notes/udesk.md` §1): the tenant named by `AppId` (or,
//! for the calls that carry none, by `Sid`), proven by `Sign` over `Sid` or `AgentId`.
//!
//! The checks run in the order a client can act on: a missing `AppId` is `100017`, an unknown
//! one `100002`; a `Sid` of another account, a missing or wrong `Sign` and a `Timestamp` outside
//! the window all answer `000001 Sign invalid`. The window is judged on the tenant's clock, like
//! every other expiry in ccemu, so a test that freezes time signs with the frozen time.
//!
//! A front-end `Sign` (over an `AgentId`, handed to a browser) is narrower than the account's:
//! it reaches only the operations of that seat ([`FRONT_END`]), never another seat's and
//! never the app's configuration \[inferred: the doc gives the browser this Sign and nothing
//! more\].

use std::collections::HashMap;

use axum::extract::{FromRef, FromRequestParts, OriginalUri, Query};
use axum::http::request::Parts;
use axum::http::Method;
use axum::response::Response;
use ccemu_core::Tenant;
use ccemu_engine::Engine;

use crate::error::{Envelope, UdeskError};
use crate::sign;

/// A request whose signature was checked: the tenant it may act on.
#[derive(Debug, Clone)]
pub struct Authed {
    /// The tenant (Udesk app) the request belongs to.
    pub tenant: Tenant,
    /// The seat whose front-end signature this is; `None` for the account's own (`Sid`).
    pub seat: Option<String>,
}

impl Authed {
    /// Refuses a front-end signature acting for a seat other than its own: `000001 Sign invalid`.
    pub fn acts_for(&self, agent_id: &str) -> Result<(), UdeskError> {
        match &self.seat {
            Some(seat) if seat != agent_id => Err(UdeskError::SignInvalid),
            _ => Ok(()),
        }
    }
}

/// The operations a front-end signature reaches: the seat's socket, its login, logout, call
/// mode and outbound calls (each checks that the body names the signing seat), and reading the
/// seat itself (`agents/{AgentId}`).
const FRONT_END: &[&str] = &[
    "ws",
    "agent/login",
    "agent/logout",
    "agent/set_call_mode",
    "originatev2",
];

/// Whether a front-end signature of `seat` reaches `method api`.
fn front_end(method: &Method, api: &str, seat: &str) -> bool {
    FRONT_END.contains(&api)
        || (api.strip_prefix("agents/") == Some(seat)
            && (method == Method::GET || method == Method::POST))
}

/// Calls that carry `Sid` but no `AppId` (§1 "Tenant lookup"): the app is the account's.
fn takes_sid_only(api: &str) -> bool {
    api == "apps"
        || api == "agent/hold"
        || api == "transfer/agent"
        || api.starts_with("cc_ad_task/")
}

impl<S> FromRequestParts<S> for Authed
where
    Engine: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Inside the nested router the URI lost its base: the envelope and the Sid-only rule
        // go by the full Udesk path.
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path().to_owned(), |o| o.path().to_owned());
        let reject = |e: UdeskError| e.into_response_in(Envelope::for_path(&path));
        let engine = Engine::from_ref(state);
        let query = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map_err(|_| reject(UdeskError::SignInvalid))?
            .0;
        let param = |name: &str| {
            query
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let api = path
            .split_once("/ccapi/v2/")
            .map_or("", |(_, api)| api)
            .trim_end_matches('/');
        let sid = param("Sid");
        let tenant = match param("AppId").or_else(|| param("app_id")) {
            Some(app) => engine
                .find_tenant(|c| c.udesk.app_id == app)
                .ok_or_else(|| reject(UdeskError::AppForbidden))?,
            None if takes_sid_only(api) => sid
                .and_then(|sid| engine.find_tenant(|c| c.udesk.sid == sid))
                .ok_or_else(|| reject(UdeskError::SignInvalid))?,
            None => return Err(reject(UdeskError::AppIdBlank)),
        };
        let udesk = &tenant.credentials.udesk;
        // A server-side call signs with the account's Sid, a front-end one with the AgentId.
        let (principal, seat) = match (sid, param("AgentId")) {
            (Some(sid), _) if sid == udesk.sid => (sid, None),
            (Some(_), _) => return Err(reject(UdeskError::SignInvalid)),
            (None, Some(agent)) if front_end(&parts.method, api, agent) => {
                (agent, Some(agent.to_owned()))
            }
            (None, _) => return Err(reject(UdeskError::SignInvalid)),
        };
        check_sign(&engine, &tenant, principal, &query)
            .await
            .map_err(reject)?;
        Ok(Authed { tenant, seat })
    }
}

/// Checks `Timestamp` and `Sign` of a request from `principal` (a Sid or an AgentId) against the
/// tenant's AuthToken, on the tenant's clock.
async fn check_sign(
    engine: &Engine,
    tenant: &Tenant,
    principal: &str,
    query: &HashMap<String, String>,
) -> Result<(), UdeskError> {
    let param = |name: &str| {
        query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let (Some(timestamp), Some(given)) = (param("Timestamp"), param("Sign")) else {
        return Err(UdeskError::SignInvalid);
    };
    let now_ms = engine
        .clock(&tenant.id)
        .await
        .map_err(|_| UdeskError::AppForbidden)?
        .now_ms;
    let token = &tenant.credentials.udesk.auth_token;
    sign::verify(principal, token, timestamp, given, now_ms)
}

/// A request signed with an account's `Sid` alone, whatever `AppId` it names: `POST apps`, whose
/// `AppId` (if any) is the id of the app it creates (§1).
#[derive(Debug, Clone)]
pub struct Account {
    /// The account's oldest app: its AuthToken signs, its clock judges the window.
    pub tenant: Tenant,
    /// The query's `AppId`, if given.
    pub app_id: Option<String>,
}

impl<S> FromRequestParts<S> for Account
where
    Engine: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let reject = |e: UdeskError| e.into_response_in(Envelope::ErrCode);
        let engine = Engine::from_ref(state);
        let query = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map_err(|_| reject(UdeskError::SignInvalid))?
            .0;
        let param = |name: &str| query.get(name).filter(|v| !v.is_empty()).cloned();
        let sid = param("Sid").ok_or_else(|| reject(UdeskError::SignInvalid))?;
        let tenant = engine
            .find_tenant(|c| c.udesk.sid == sid)
            .ok_or_else(|| reject(UdeskError::SignInvalid))?;
        check_sign(&engine, &tenant, &sid, &query)
            .await
            .map_err(reject)?;
        Ok(Account {
            tenant,
            app_id: param("AppId"),
        })
    }
}
