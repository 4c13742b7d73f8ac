//! A NUL character (U+0000) through every route of every surface that reads requests: in a path
//! segment, in the query and in a JSON body. PostgreSQL refuses NUL in text, so before ccemu
//! refused it up front some routes answered 500 there (issue 19, finding 4); now each answers its
//! own validation error, the same on both backends, and nothing is stored.

use crate::harness::{send, Server};
use crate::udesk::Udesk;
use serde_json::{json, Value};

const NUL_BODY: &str =
    r#"{"AgentId":"1\u0000","name":"a\u0000b","Agents":[{"AgentId":"1\u0000"}]}"#;

/// `path` with every `{param}` replaced by `with`.
fn fill(path: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        out.push_str(&rest[..open]);
        out.push_str(with);
        rest = &rest[close..];
    }
    out + rest
}

/// The ways a NUL arrives at a route template whose params otherwise take `plain`: `(uri, body)`
/// with it in a path segment (if the route has one), in the query, in the JSON body.
fn cases(path: &str, plain: &str) -> Vec<(String, &'static str)> {
    let plain_path = fill(path, plain);
    let sep = if plain_path.contains('?') { '&' } else { '?' };
    let mut all = vec![
        (format!("{plain_path}{sep}q=%00"), "{}"),
        (plain_path, NUL_BODY),
    ];
    if path.contains('{') {
        all.push((fill(path, "1%00"), "{}"));
    }
    all
}

#[tokio::test]
async fn a_nul_anywhere_gets_each_surfaces_validation_error_and_is_never_stored() {
    let s = Server::start().await;
    let udesk = Udesk::demo();
    let mut checked = 0;

    for e in ccemu_vendor_udesk::ENDPOINTS {
        let api = e.path.strip_prefix("/ccapi/v2/").expect("udesk base");
        for (uri, body) in cases(api, "1001") {
            let req = s
                .http
                .request(e.method.clone(), s.url(&udesk.signed(&uri)))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
            let (st, got) = send(req).await;
            let code = got.get("ErrCode").or_else(|| got.get("code"));
            assert_eq!(
                (st, code),
                (400, Some(&json!("000001"))),
                "{} {uri} {body}: {got}",
                e.method
            );
            checked += 1;
        }
    }

    for e in ccemu_vendor_ujet::ENDPOINTS {
        for (uri, body) in cases(e.path, "1") {
            let req = s
                .http
                .request(e.method.clone(), s.url(&uri))
                .basic_auth("demo", Some("demo-ujet-api-token"))
                .header("content-type", "application/json")
                .body(body);
            let (st, got) = send(req).await;
            let manager = e.path.starts_with("/manager/");
            let want = if manager { 422 } else { 400 };
            assert_eq!(st, want, "{} {uri} {body}: {got}", e.method);
            assert_eq!(
                got["message"], "text must not contain U+0000 (NUL)",
                "{uri}: {got}"
            );
            checked += 1;
        }
    }

    // Every control-plane route the documentation lists.
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/control-plane.md"
    ))
    .expect("docs/control-plane.md");
    let mut routes: Vec<(String, String)> = Vec::new();
    for word in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
        for (at, _) in doc.match_indices(&format!("`{word} /_ccemu/")) {
            let rest = &doc[at + 1 + word.len() + 1..];
            let end = rest.find(['`', ' ', '?']).unwrap_or(rest.len());
            let route = (word.to_owned(), rest[..end].to_owned());
            if !routes.contains(&route) {
                routes.push(route);
            }
        }
    }
    assert!(routes.len() > 30, "{routes:?}");
    for (method, path) in &routes {
        for (uri, body) in cases(path, "demo") {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let req = s
                .http
                .request(method.clone(), s.url(&uri))
                .header("content-type", "application/json")
                .body(body);
            let (st, got) = send(req).await;
            let want = if body == NUL_BODY {
                "invalid_body"
            } else {
                "invalid_query"
            };
            assert_eq!(
                (st, &got["error"]),
                (400, &json!(want)),
                "{method} {uri} {body}: {got}"
            );
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked} requests");

    // Nothing of it was stored: the demo tenant is alone, its seats are the seeded ones.
    let (_, tenants) = s.get("/_ccemu/tenants").await;
    assert_eq!(tenants["tenants"].as_array().unwrap().len(), 1, "{tenants}");
    let (_, agents) = s.get("/_ccemu/tenants/demo/agents").await;
    let ids: Vec<&Value> = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(
        ids,
        [
            &json!("1001"),
            &json!("1002"),
            &json!("1003"),
            &json!("1004")
        ]
    );
    // A backslash before "u0000" is text, not a NUL: that name is stored as sent.
    let (st, t) = s
        .post("/_ccemu/tenants", json!({ "name": "a\\u0000b" }))
        .await;
    assert_eq!(st, 201, "{t}");
    assert_eq!(t["name"], "a\\u0000b");
}

#[tokio::test]
async fn a_string_over_16_kib_is_refused_by_each_surface_and_never_stored() {
    let s = Server::start().await;
    let long = "x".repeat(2 << 20);
    let fits = "y".repeat(16 * 1024);
    let ujet = |body: Value| {
        s.http
            .post(s.url("/apps/api/v1/end_users"))
            .basic_auth("demo", Some("demo-ujet-api-token"))
            .json(&body)
    };
    // UJET: a 2 MB identifier was stored and echoed back; now it is refused.
    let (st, got) = send(ujet(json!({"identifier": long, "name": "Big"}))).await;
    assert_eq!(
        (st, got),
        (
            400,
            json!({"message": "a text value is longer than 16384 bytes"})
        )
    );
    let lookup = |identifier: &str| {
        s.http
            .get(s.url("/apps/api/v1/end_users"))
            .query(&[("identifier", identifier)])
            .basic_auth("demo", Some("demo-ujet-api-token"))
    };
    assert_eq!(send(lookup(&long[..4096])).await.0, 404, "nothing stored");
    // 16 KiB is kept as sent.
    let (st, got) = send(ujet(json!({"identifier": fits, "name": "Fits"}))).await;
    assert!((200..300).contains(&st), "{st} {got}");
    let (st, got) = send(lookup(&fits)).await;
    assert_eq!(
        (st, got["identifier"].as_str().map(str::len)),
        (200, Some(16 * 1024))
    );

    // Udesk: a seat's name.
    let udesk = Udesk::demo();
    let seat = json!({"Agents": [{"AgentId": "777", "WorkId": "777", "Name": long}]}).to_string();
    assert_eq!(
        udesk.call(&s, "POST", "agents", &seat).await,
        (400, crate::udesk::err("000001", "ParamsInvalid"))
    );
    let (st, _) = udesk
        .call(&s, "GET", "agents/777", r#"{"AgentId":"777"}"#)
        .await;
    assert_eq!(st, 404, "not stored");

    // The control plane: a tenant's name.
    let (st, got) = s.post("/_ccemu/tenants", json!({ "name": long })).await;
    assert_eq!((st, &got["error"]), (400, &json!("invalid_body")), "{got}");
    let (_, tenants) = s.get("/_ccemu/tenants").await;
    assert_eq!(tenants["tenants"].as_array().unwrap().len(), 1);
}
