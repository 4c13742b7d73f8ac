//! Who a UJET request is from (`vendor-notes/ujet.md` §1): HTTP Basic with the tenant's
//! `subdomain:api_token`, or the legacy `company_key:company_secret`, on both APIs.
//!
//! The tenant is the Basic-auth username; the Host header is not relied on (clients redirected
//! to ccemu arrive with `Host: 127.0.0.1:8443`), but when the username names no tenant and the
//! leftmost Host label is a tenant's subdomain, that tenant's credentials are tried [inferred].
//! Every failure is the same 401, so a wrong password tells nothing about which part was wrong.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use ccemu_core::origin::RequestOrigin;
use ccemu_core::Tenant;
use ccemu_engine::Engine;

use crate::error::{Api, UjetError};

/// Which credential pair a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// `subdomain:api_token` (an API user).
    ApiToken,
    /// Legacy `company_key:company_secret`.
    CompanySecret,
}

/// A request whose Basic auth was checked: the tenant it may act on.
#[derive(Debug, Clone)]
pub struct Authed {
    /// The tenant.
    pub tenant: Tenant,
    /// The credential pair it authenticated with (bulk user management refuses the legacy one).
    pub credential: Credential,
    /// The API of the request, which decides the error shape.
    pub api: Api,
    /// Scheme, host and path prefix the request came in with, for absolute URLs.
    pub origin: RequestOrigin,
    /// The full vendor path of the request (`/manager/api/v1/agents`), without the prefix.
    pub path: String,
}

impl Authed {
    /// Refuses the legacy company secret (bulk user management accepts only API-user tokens).
    pub fn require_api_token(&self) -> Result<(), UjetError> {
        match self.credential {
            Credential::ApiToken => Ok(()),
            Credential::CompanySecret => Err(UjetError::Unauthorized),
        }
    }
}

/// `(username, password)` of a Basic `Authorization` header.
fn basic(parts: &Parts) -> Option<(String, String)> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

impl<S> FromRequestParts<S> for Authed
where
    Engine: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let engine = Engine::from_ref(state);
        let origin = parts
            .extensions
            .get::<RequestOrigin>()
            .cloned()
            .unwrap_or_default();
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path().to_owned(), |o| o.path().to_owned());
        // The original URI may still hold a path prefix in front of the base.
        let start = crate::BASES
            .iter()
            .filter_map(|base| path.find(base))
            .min()
            .unwrap_or(0);
        let path = path[start..].to_owned();
        let api = Api::for_path(&path);
        let unauthorized = || UjetError::Unauthorized.into_response();
        let (user, password) = basic(parts).ok_or_else(unauthorized)?;
        let by_user = |c: &ccemu_core::tenant::Credentials| {
            c.ujet.subdomain == user || c.ujet.company_key == user
        };
        let tenant = engine
            .find_tenant(by_user)
            .or_else(|| {
                let host = origin
                    .authority
                    .split(['.', ':'])
                    .next()
                    .unwrap_or_default();
                engine.find_tenant(|c| !host.is_empty() && c.ujet.subdomain == host)
            })
            .ok_or_else(unauthorized)?;
        let ujet = &tenant.credentials.ujet;
        // A username that names the tenant fixes the pair; one found by the Host accepts either.
        let by_host = user != ujet.subdomain && user != ujet.company_key;
        let credential = if password == ujet.api_token && (by_host || user == ujet.subdomain) {
            Credential::ApiToken
        } else if password == ujet.company_secret && (by_host || user == ujet.company_key) {
            Credential::CompanySecret
        } else {
            return Err(unauthorized());
        };
        crate::limits::take(&engine, &tenant.id)
            .await
            .map_err(|secs| UjetError::TooManyRequests(api, secs).into_response())?;
        Ok(Authed {
            tenant,
            credential,
            api,
            origin,
            path,
        })
    }
}
