//! Where a request came from, so absolute URLs in responses point back the way the client came.

/// Scheme, host and any path prefix in front of the vendor base path of the current request.
///
/// Clients often reach ccemu through a proxy or a hard-coded base URL such as
/// `https://127.0.0.1:8443/ujet.acme.co/manager/api/v1`; every absolute URL ccemu returns repeats
/// the same scheme, host and prefix.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestOrigin {
    /// `http` or `https`.
    pub scheme: String,
    /// `host[:port]` as the client sent it.
    pub authority: String,
    /// Path before the vendor base, without a trailing slash (`""` when none).
    pub prefix: String,
}

impl RequestOrigin {
    /// Absolute URL for a path that starts at the vendor base, e.g. `/manager/api/v1/calls?page=2`.
    pub fn url(&self, path_and_query: &str) -> String {
        format!(
            "{}://{}{}{}",
            self.scheme, self.authority, self.prefix, path_and_query
        )
    }
}

/// Whether a host name or address (brackets allowed, any case) stays on this machine:
/// `localhost` or a loopback address.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_keeps_scheme_host_and_prefix() {
        let o = RequestOrigin {
            scheme: "https".into(),
            authority: "127.0.0.1:8443".into(),
            prefix: "/ujet.acme.co".into(),
        };
        assert_eq!(
            o.url("/manager/api/v1/calls?page=2"),
            "https://127.0.0.1:8443/ujet.acme.co/manager/api/v1/calls?page=2"
        );
    }
}
