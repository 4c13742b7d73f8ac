//! UJET against the real binary: Basic auth on both APIs, and Manager paging followed over
//! `https://` through a path prefix exactly as a reporting client follows `Link`.

use crate::harness::Server;
use reqwest::header::{HeaderMap, AUTHORIZATION, LINK};
use serde_json::Value;

/// The demo tenant's API-token pair and legacy pair (README).
const TOKEN: (&str, &str) = ("demo", "demo-ujet-api-token");
const LEGACY: (&str, &str) = ("demo-ujet-company-key", "demo-ujet-company-secret");

async fn get(
    http: &reqwest::Client,
    url: &str,
    (user, password): (&str, &str),
) -> (u16, HeaderMap, Value) {
    let response = http
        .get(url)
        .basic_auth(user, Some(password))
        .header("accept", "application/vnd.json")
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.expect("JSON body");
    (status, headers, body)
}

/// The `rel="next"` URL of a `Link` header, parsed the strict way reporting clients do: every
/// part must be `<https...>; rel="..."`, else the whole header is dropped.
fn next_link(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(LINK)?.to_str().ok()?;
    let mut next = None;
    for part in value.split(',') {
        let (url, rel) = part.trim().split_once(';')?;
        let url = url.trim().strip_prefix("<https://")?.strip_suffix('>')?;
        let rel = rel.trim().strip_prefix("rel=\"")?.strip_suffix('"')?;
        if rel == "next" {
            next = Some(format!("https://{url}"));
        }
    }
    next
}

#[tokio::test]
async fn an_https_only_client_follows_link_through_a_prefix_and_reads_every_page() {
    let s = Server::start_with(&["--tls"]).await;
    let https_only = reqwest::Client::builder()
        .https_only(true)
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let mut url = Some(s.url(
        "/ujet.acme.co/manager/api/v1/user_statuses?page=1&per=3&sort_column=wfm_id&sort_direction=ASC",
    ));
    let (mut rows, mut pages) = (Vec::new(), 0);
    while let Some(current) = url {
        let (status, headers, body) = get(&https_only, &current, LEGACY).await;
        assert_eq!(status, 200, "{current}");
        assert_eq!(headers["total"], "11");
        assert_eq!(headers["per-page"], "3");
        rows.extend(body.as_array().expect("an array").iter().cloned());
        pages += 1;
        url = next_link(&headers);
        if let Some(next) = &url {
            // Scheme, host, prefix and every parameter come back; only the page moves on.
            let expected = s.url(&format!(
                "/ujet.acme.co/manager/api/v1/user_statuses?page={}&per=3&sort_column=wfm_id&sort_direction=ASC",
                pages + 1
            ));
            assert_eq!(next, &expected);
        }
    }
    assert_eq!(pages, 4);
    let wfm: Vec<i64> = rows.iter().map(|r| r["wfm_id"].as_i64().unwrap()).collect();
    assert_eq!(wfm, [11, 12, 29, 30, 31, 32, 33, 34, 35, 36, 45]);
    // Past the end: an empty array, still with the total.
    let (status, headers, body) = get(
        &https_only,
        &s.url("/manager/api/v1/user_statuses?page=5&per=3"),
        TOKEN,
    )
    .await;
    assert_eq!((status, body), (200, Value::Array(vec![])));
    assert_eq!(headers["total"], "11");
    assert!(headers.get(LINK).is_none());
}

#[tokio::test]
async fn wrong_credentials_get_401_with_a_basic_challenge_on_both_apis() {
    let s = Server::start().await;
    for path in [
        "/apps/api/v1/users",
        "/manager/api/v1/agents",
        "/x/manager/api/v1/user_statuses",
    ] {
        for (user, password) in [("demo", "nope"), ("demo", LEGACY.1), ("nobody", TOKEN.1)] {
            let (status, headers, body) = get(&s.http, &s.url(path), (user, password)).await;
            assert_eq!(status, 401, "{path} {user}");
            assert_eq!(headers["www-authenticate"], r#"Basic realm="ujet""#);
            assert_eq!(
                body,
                serde_json::json!({"error": "Unauthorized", "message": "Invalid credentials", "status": 401})
            );
        }
        let response = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 401, "{path} without auth");
        let bare = s
            .http
            .get(s.url(path))
            .header(AUTHORIZATION, "Basic")
            .send()
            .await
            .unwrap();
        assert_eq!(bare.status().as_u16(), 401, "{path} with an empty Basic");
    }
}

fn wall_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

#[tokio::test]
async fn a_tenant_that_switches_the_rate_limit_on_gets_429_until_its_clock_refills_it() {
    let s = Server::start().await;
    let url = s.url("/manager/api/v1/user_statuses");
    // Off by default: a burst passes.
    for _ in 0..5 {
        assert_eq!(get(&s.http, &url, TOKEN).await.0, 200);
    }
    let (status, body) = s.get("/_ccemu/tenants/demo/rate-limits/ujet").await;
    assert_eq!(
        (status, body),
        (200, serde_json::json!({"per_second": null}))
    );
    for (bad, message) in [
        (serde_json::json!({"per_second": 0.5}), "at least"),
        (
            serde_json::json!({"per_second": "fast"}),
            "a number or null",
        ),
    ] {
        let (status, body) = s.put("/_ccemu/tenants/demo/rate-limits/ujet", bad).await;
        assert_eq!(status, 422);
        assert!(
            body["message"].as_str().unwrap().contains(message),
            "{body}"
        );
    }
    let (status, _) = s
        .put(
            "/_ccemu/tenants/demo/rate-limits/genesys",
            serde_json::json!({"per_second": 2}),
        )
        .await;
    assert_eq!(status, 404);

    s.manual_clock("demo", wall_ms() + 1_000).await;
    let (status, _) = s
        .put(
            "/_ccemu/tenants/demo/rate-limits/ujet",
            serde_json::json!({"per_second": 2}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(get(&s.http, &url, TOKEN).await.0, 200);
    // Both credential pairs and both APIs draw on the tenant's one bucket.
    assert_ne!(
        get(&s.http, &s.url("/apps/api/v1/users"), LEGACY).await.0,
        429
    );
    let (status, headers, body) = get(&s.http, &url, TOKEN).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(
        body,
        serde_json::json!({"error": "Too Many Requests", "message": "Rate limit exceeded", "status": 429})
    );
    let (status, _, body) = get(&s.http, &s.url("/apps/api/v1/users"), TOKEN).await;
    assert_eq!(
        (status, body),
        (429, serde_json::json!({"message": "Rate limit exceeded"}))
    );
    // Another tenant is not held back by this one's limit.
    let other = s.create_tenant("other").await;
    let o = &other["credentials"]["ujet"];
    let pair = (
        o["subdomain"].as_str().unwrap(),
        o["api_token"].as_str().unwrap(),
    );
    assert_eq!(get(&s.http, &url, pair).await.0, 200);
    // Half a second of the tenant's clock refills one request.
    s.advance("demo", 500).await;
    assert_eq!(get(&s.http, &url, TOKEN).await.0, 200);
    assert_eq!(get(&s.http, &url, TOKEN).await.0, 429);
    // Switched off again, nothing is held back.
    let (status, _) = s
        .put(
            "/_ccemu/tenants/demo/rate-limits/ujet",
            serde_json::json!({"per_second": null}),
        )
        .await;
    assert_eq!(status, 200);
    for _ in 0..5 {
        assert_eq!(get(&s.http, &url, TOKEN).await.0, 200);
    }
}

#[tokio::test]
async fn concurrent_requests_each_take_their_own_token() {
    let s = Server::start().await;
    s.manual_clock("demo", wall_ms() + 1_000).await;
    let (status, _) = s
        .put(
            "/_ccemu/tenants/demo/rate-limits/ujet",
            serde_json::json!({"per_second": 3}),
        )
        .await;
    assert_eq!(status, 200);
    let url = s.url("/manager/api/v1/user_statuses");
    for round in 0..5 {
        // A frozen clock refills nothing: a burst gets the bucket's 3 tokens and no more.
        let burst = (0..40).map(|_| get(&s.http, &url, TOKEN));
        let statuses: Vec<u16> = futures_util::future::join_all(burst)
            .await
            .into_iter()
            .map(|(status, _, _)| status)
            .collect();
        let passed = statuses.iter().filter(|&&st| st == 200).count();
        let held = statuses.iter().filter(|&&st| st == 429).count();
        assert_eq!((passed, held), (3, 37), "round {round}: {statuses:?}");
        s.advance("demo", 1_000).await;
    }
}

#[tokio::test]
async fn force_logout_by_address_takes_the_agents_that_logged_in_from_it() {
    let s = Server::start().await;
    for (agent, ip) in [
        ("1001", "34.211.11.7"),
        ("1003", "2001:db8::5"),
        ("1004", "10.0.0.1"),
    ] {
        let (status, body) = s
            .post(
                &format!("/_ccemu/tenants/demo/sim/agents/{agent}/ready"),
                serde_json::json!({ "login_ip": ip }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["agent"]["extra"]["last_login_ip"], ip);
    }
    // Not an address is refused by the simulator, not a string by the body's type check.
    for (bad, want) in [
        (serde_json::json!({"login_ip": "nowhere"}), 422),
        (serde_json::json!({"login_ip": 7}), 400),
    ] {
        let (status, _) = s
            .post("/_ccemu/tenants/demo/sim/agents/1002/ready", bad)
            .await;
        assert_eq!(status, want);
    }
    let (status, _) = s
        .post(
            "/_ccemu/tenants/demo/sim/agents/1002/logout",
            serde_json::json!({"login_ip": "10.0.0.2"}),
        )
        .await;
    assert_eq!(status, 422);
    let response = s
        .http
        .post(s.url("/apps/api/v1/agent_statuses/force_logout"))
        .basic_auth(TOKEN.0, Some(TOKEN.1))
        .json(&serde_json::json!({
            "agent_ids": [], "team_ids": [], "ip_addrs": ["34.211.11.0/24", "2001:db8::1-2001:db8::ff"]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let rows: Value = response.json().await.unwrap();
    let mut ids: Vec<i64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["current_status"], "Offline", "{r}");
            r["agent_id"].as_i64().unwrap()
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [1001, 1003]);
    for (agent, state) in [
        ("1001", "logged_out"),
        ("1003", "logged_out"),
        ("1004", "available"),
    ] {
        assert_eq!(s.agent_state("demo", agent).await, state, "{agent}");
    }
}
