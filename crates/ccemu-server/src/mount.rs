//! Finds which surface a request is for and strips any path prefix in front of its base path.
//!
//! Runs before routing: `/anything/apps/api/v1/calls` is routed as `/apps/api/v1/calls`, and the
//! prefix, scheme and host are kept in a [`RequestOrigin`] for absolute URLs in responses.

use axum::extract::Request;
use axum::http::uri::{PathAndQuery, Uri};
use ccemu_core::origin::RequestOrigin;

/// The surface a request was routed to, as a request extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Surface(pub &'static str);

/// Name of the control-plane surface.
pub const CONTROL: &str = "ccemu";

/// Every base path and the surface it belongs to. Bases never overlap.
pub fn bases() -> Vec<(&'static str, &'static str)> {
    let mut all = vec![("/_ccemu", CONTROL)];
    for (vendor, bases) in [
        (ccemu_vendor_udesk::VENDOR, ccemu_vendor_udesk::BASES),
        (ccemu_vendor_ujet::VENDOR, ccemu_vendor_ujet::BASES),
        (ccemu_vendor_genesys::VENDOR, ccemu_vendor_genesys::BASES),
        (ccemu_vendor_cention::VENDOR, ccemu_vendor_cention::BASES),
        (ccemu_vendor_sangoma::VENDOR, ccemu_vendor_sangoma::BASES),
    ] {
        all.extend(bases.iter().map(|b| (*b, vendor)));
    }
    all
}

/// Splits `path` at the first segment boundary where a base path starts: `(prefix_len, surface)`.
pub fn find(path: &str, bases: &[(&'static str, &'static str)]) -> Option<(usize, &'static str)> {
    let bytes = path.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'/' {
            continue;
        }
        let rest = &path[i..];
        for (base, surface) in bases {
            if let Some(after) = rest.strip_prefix(base) {
                if after.is_empty() || after.starts_with('/') {
                    return Some((i, surface));
                }
            }
        }
    }
    None
}

/// Rewrites the request URI to start at the vendor base and records origin and surface.
pub fn rewrite(mut req: Request, bases: &[(&'static str, &'static str)], tls: bool) -> Request {
    let path = req.uri().path().to_owned();
    let (prefix_len, surface) = find(&path, bases).unwrap_or((0, ""));
    let authority = req
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let origin = RequestOrigin {
        scheme: if tls { "https" } else { "http" }.to_owned(),
        authority,
        prefix: path[..prefix_len].to_owned(),
    };
    if prefix_len > 0 {
        let rest = match req.uri().query() {
            Some(q) => format!("{}?{q}", &path[prefix_len..]),
            None => path[prefix_len..].to_owned(),
        };
        if let Ok(pq) = rest.parse::<PathAndQuery>() {
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req.extensions_mut().insert(origin);
    if !surface.is_empty() {
        req.extensions_mut().insert(Surface(surface));
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: &[(&str, &str)] = &[
        ("/_ccemu", "ccemu"),
        ("/apps/api/v1", "ujet"),
        ("/manager/api/v1", "ujet"),
        ("/api/v2", "genesys"),
        ("/s", "cention"),
    ];

    #[test]
    fn finds_base_after_an_arbitrary_prefix() {
        assert_eq!(find("/apps/api/v1/calls", B), Some((0, "ujet")));
        assert_eq!(
            find("/ujet.acme.co/manager/api/v1/calls", B),
            Some((13, "ujet"))
        );
        assert_eq!(find("/x/y/s/demo/capi", B), Some((4, "cention")));
        assert_eq!(find("/_ccemu/health", B), Some((0, "ccemu")));
    }

    #[test]
    fn a_base_must_end_at_a_segment_boundary() {
        assert_eq!(find("/apps/api/v10/calls", B), None);
        assert_eq!(find("/sx/demo", B), None);
        assert_eq!(find("/nothing/here", B), None);
    }

    #[test]
    fn rewrite_strips_prefix_and_keeps_query() {
        let req = Request::builder()
            .uri("/p/q/manager/api/v1/calls?page=2")
            .header("host", "127.0.0.1:8443")
            .body(axum::body::Body::empty())
            .unwrap();
        let req = rewrite(req, B, true);
        assert_eq!(req.uri().path(), "/manager/api/v1/calls");
        assert_eq!(req.uri().query(), Some("page=2"));
        let origin = req.extensions().get::<RequestOrigin>().unwrap();
        assert_eq!(origin.url("/x"), "https://127.0.0.1:8443/p/q/x");
        assert_eq!(req.extensions().get::<Surface>(), Some(&Surface("ujet")));
    }
}
