//! Who may use the control plane (`/_ccemu/*`): it creates and deletes tenants, shows their
//! secrets and the request journal, and moves their clocks, so it is guarded in four ways before
//! any handler runs. Vendor surfaces are untouched: their own credentials guard them.
//!
//! 1. `Host` must name this server when it is bound to loopback or to one address (a web page
//!    cannot reach it through a DNS name of its own: DNS rebinding); `403 forbidden_host`.
//! 2. A browser request from another origin (an `Origin` header that is not this server) is
//!    refused: `403 forbidden_origin`.
//! 3. With an admin token configured, `Authorization: Bearer <token>`; `401 unauthorized`.
//!    `GET /_ccemu/health` stays open for health checks.
//! 4. A body must be JSON: a `Content-Type` that is not (a form or `text/plain`, which a web
//!    page may send anywhere without asking) is `415 unsupported_media_type`.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::sync::Arc;

use crate::config::ServerConfig;
use crate::control::ApiError;
use crate::mount::{Surface, CONTROL};

/// The control plane's guard, built from the `[server]` configuration.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// The token `Authorization: Bearer` must carry; `None`: no token is asked for.
    token: Option<Arc<str>>,
    /// Host names (without port, lower case) the control plane answers to; `None`: any.
    hosts: Option<Arc<[String]>>,
}

/// Names a loopback-bound server is reached by.
const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

impl Access {
    /// The guard for a server bound to `server.bind`.
    pub fn new(server: &ServerConfig) -> Self {
        let token = Some(server.admin_token.trim())
            .filter(|t| !t.is_empty())
            .map(Arc::from);
        let bind = server.bind.trim().to_ascii_lowercase();
        let everywhere = bind.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified());
        let hosts = if everywhere && server.allowed_hosts.is_empty() {
            None
        } else {
            let mut names: Vec<String> = LOOPBACK_NAMES.iter().map(|n| (*n).to_owned()).collect();
            if !everywhere {
                names.push(
                    bind.trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_owned(),
                );
            }
            names.extend(
                server
                    .allowed_hosts
                    .iter()
                    .map(|h| h.trim().to_ascii_lowercase()),
            );
            Some(names.into())
        };
        Self { token, hosts }
    }

    /// Why a request to `host` may not reach the control plane, if it may not.
    fn refuse(
        &self,
        method: &Method,
        path: &str,
        host: &str,
        headers: &HeaderMap,
    ) -> Option<Response> {
        let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(hosts) = &self.hosts {
            let name = host_name(host).to_ascii_lowercase();
            if !hosts.contains(&name) {
                return Some(forbidden(
                    "forbidden_host",
                    format!("the control plane does not answer to host {host:?}"),
                ));
            }
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let same = origin
                .to_str()
                .ok()
                .and_then(|o| o.split_once("://"))
                .is_some_and(|(_, authority)| same_authority(authority, host));
            if !same {
                return Some(forbidden(
                    "forbidden_origin",
                    "the control plane takes no requests from other web origins",
                ));
            }
        }
        if let Some(token) = &self.token {
            let health = method == Method::GET && path == "/_ccemu/health";
            let given = text(header::AUTHORIZATION)
                .and_then(|a| a.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim());
            if !health && !given.is_some_and(|g| same_secret(g, token)) {
                let mut response = ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "the control plane needs Authorization: Bearer <admin token>",
                )
                .into_response();
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"ccemu\""),
                );
                return Some(response);
            }
        }
        if let Some(kind) = text(header::CONTENT_TYPE) {
            if !is_json(kind) {
                return Some(
                    ApiError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type",
                        format!("bodies are JSON (application/json), not {kind:?}"),
                    )
                    .into_response(),
                );
            }
        }
        None
    }
}

/// Middleware: applies [`Access`] to control-plane requests.
pub async fn guard(State(access): State<Access>, req: Request, next: Next) -> Response {
    if req.extensions().get::<Surface>() == Some(&Surface(CONTROL)) {
        // HTTP/1.1 names the host in `Host`, HTTP/2 in the URI's authority.
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| req.uri().authority().map(|a| a.to_string()))
            .unwrap_or_default();
        if let Some(refused) = access.refuse(req.method(), req.uri().path(), &host, req.headers()) {
            return refused;
        }
    }
    next.run(req).await
}

/// Whether binding `bind` exposes the server beyond this machine.
pub fn exposed(bind: &str) -> bool {
    !ccemu_core::origin::is_loopback_host(bind)
}

fn forbidden(code: &'static str, message: impl Into<String>) -> Response {
    ApiError::new(StatusCode::FORBIDDEN, code, message).into_response()
}

/// `Host` without its port: `[::1]:8080` → `::1`, `localhost:8080` → `localhost`.
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// An origin's `host[:port]` against the request's `Host`, default ports ignored.
fn same_authority(origin: &str, host: &str) -> bool {
    let strip = |a: &str| {
        let a = a.to_ascii_lowercase();
        a.strip_suffix(":80")
            .or_else(|| a.strip_suffix(":443"))
            .map_or(a.clone(), str::to_owned)
    };
    !host.is_empty() && strip(origin) == strip(host)
}

/// `application/json` or any `+json` type, parameters allowed.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Compares secrets in time that does not depend on where they differ.
fn same_secret(given: &str, token: &str) -> bool {
    let (a, b) = (given.as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(bind: &str, token: &str, hosts: &[&str]) -> ServerConfig {
        ServerConfig {
            port: 0,
            bind: bind.to_owned(),
            tls: false,
            max_body_bytes: 1024,
            admin_token: token.to_owned(),
            allowed_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn status(access: &Access, method: Method, path: &str, pairs: &[(&'static str, &str)]) -> u16 {
        let host = pairs
            .iter()
            .find(|(k, _)| *k == "host")
            .map_or("", |(_, v)| *v);
        access
            .refuse(&method, path, host, &headers(pairs))
            .map_or(200, |r| r.status().as_u16())
    }

    #[test]
    fn a_loopback_server_answers_only_to_its_own_names() {
        let a = Access::new(&server("127.0.0.1", "", &[]));
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:8080",
        ] {
            assert_eq!(
                status(&a, Method::GET, "/_ccemu/tenants", &[("host", host)]),
                200,
                "{host}"
            );
        }
        for host in ["evil.example:8080", "127.0.0.1.nip.io:8080", ""] {
            assert_eq!(
                status(&a, Method::GET, "/_ccemu/tenants", &[("host", host)]),
                403,
                "{host}"
            );
        }
        let named = Access::new(&server("127.0.0.1", "", &["ccemu.test"]));
        assert_eq!(
            status(&named, Method::GET, "/x", &[("host", "ccemu.test:80")]),
            200
        );
        let anywhere = Access::new(&server("0.0.0.0", "", &[]));
        assert_eq!(
            status(&anywhere, Method::GET, "/x", &[("host", "ccemu:8080")]),
            200
        );
    }

    #[test]
    fn another_origin_is_refused_and_the_same_one_is_not() {
        let a = Access::new(&server("0.0.0.0", "", &[]));
        let host = ("host", "127.0.0.1:8080");
        assert_eq!(
            status(
                &a,
                Method::POST,
                "/x",
                &[host, ("origin", "http://127.0.0.1:8080")]
            ),
            200
        );
        for origin in ["http://evil.example", "null", "http://127.0.0.1:9090"] {
            assert_eq!(
                status(&a, Method::POST, "/x", &[host, ("origin", origin)]),
                403,
                "{origin}"
            );
        }
    }

    #[test]
    fn the_token_is_asked_for_everywhere_but_health() {
        let a = Access::new(&server("0.0.0.0", "s3cret", &[]));
        let h = ("host", "ccemu");
        for (method, path, authorization, want) in [
            (Method::GET, "/_ccemu/tenants", None, 401),
            (Method::GET, "/_ccemu/tenants", Some("Bearer nope"), 401),
            (Method::GET, "/_ccemu/tenants", Some("Basic s3cret"), 401),
            (Method::GET, "/_ccemu/tenants", Some("bearer s3cret"), 200),
            (Method::GET, "/_ccemu/health", None, 200),
            (Method::DELETE, "/_ccemu/health", None, 401),
        ] {
            let mut pairs = vec![h];
            pairs.extend(authorization.map(|v| ("authorization", v)));
            assert_eq!(
                status(&a, method.clone(), path, &pairs),
                want,
                "{method} {path} {authorization:?}"
            );
        }
    }

    #[test]
    fn bodies_must_be_json() {
        let a = Access::new(&server("0.0.0.0", "", &[]));
        let h = ("host", "ccemu");
        for kind in [
            "application/json",
            "application/json; charset=utf-8",
            "application/merge-patch+json",
        ] {
            assert_eq!(
                status(&a, Method::POST, "/x", &[h, ("content-type", kind)]),
                200,
                "{kind}"
            );
        }
        for kind in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            assert_eq!(
                status(&a, Method::POST, "/x", &[h, ("content-type", kind)]),
                415,
                "{kind}"
            );
        }
        assert_eq!(
            status(&a, Method::POST, "/x", &[h]),
            200,
            "no body, no type"
        );
    }

    #[test]
    fn only_loopback_binds_stay_on_this_machine() {
        for bind in ["127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"] {
            assert!(!exposed(bind), "{bind}");
        }
        for bind in ["0.0.0.0", "::", "192.168.1.10"] {
            assert!(exposed(bind), "{bind}");
        }
    }
}
