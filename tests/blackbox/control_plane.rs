//! The control plane under `/_ccemu/`, success and failure.

use crate::harness::{assert_error, send, Server};
use serde_json::{json, Value};

#[tokio::test]
async fn health_names_version_and_store() {
    let s = Server::start().await;
    let (status, body) = s.get("/_ccemu/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let want = match s.db.backend {
        ccemu_store::Backend::Sqlite => "sqlite",
        ccemu_store::Backend::Postgres => "postgres",
    };
    assert_eq!(body["store"], want);
}

#[tokio::test]
async fn tenant_lifecycle_create_get_list_delete() {
    let s = Server::start().await;
    let t = s.create_tenant("Acme").await;
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(t["name"], "Acme");
    assert!(t["created_at"].as_str().unwrap().ends_with('Z'));
    let c = &t["credentials"];
    for (surface, fields) in [
        ("udesk", &["sid", "auth_token", "app_id", "app_secret"][..]),
        (
            "ujet",
            &["subdomain", "api_token", "company_key", "company_secret"][..],
        ),
        ("genesys", &["contact_center_id", "agent_password"][..]),
        (
            "cention",
            &[
                "workspace",
                "jwt",
                "jwt_secret",
                "access_key_id",
                "access_key_secret",
            ][..],
        ),
        (
            "sangoma",
            &["tenant_domain", "client_id", "client_secret"][..],
        ),
    ] {
        for field in fields {
            let v = c[surface][field].as_str().unwrap_or_default();
            assert!(
                !v.is_empty(),
                "credentials.{surface}.{field} missing in {t}"
            );
        }
    }
    let (status, got) = s.get(&format!("/_ccemu/tenants/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(got, t);

    let (status, list) = s.get("/_ccemu/tenants").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = list["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec!["demo", id.as_str()],
        "demo first, then the new tenant"
    );

    let (status, body) = s.delete(&format!("/_ccemu/tenants/{id}")).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, body) = s.get(&format!("/_ccemu/tenants/{id}")).await;
    assert_error(status, &body, 404, "tenant_not_found");
    let (status, body) = s.delete(&format!("/_ccemu/tenants/{id}")).await;
    assert_error(status, &body, 404, "tenant_not_found");
}

#[tokio::test]
async fn tenants_get_fresh_secrets_and_an_empty_name_is_defaulted() {
    let s = Server::start().await;
    let (status, a) = s.post_raw("/_ccemu/tenants", "").await;
    assert_eq!(status, 201, "{a}");
    assert!(a["name"]
        .as_str()
        .unwrap()
        .contains(a["id"].as_str().unwrap()));
    let b = s.create_tenant("b").await;
    assert_ne!(a["id"], b["id"]);
    for path in [
        "/udesk/auth_token",
        "/ujet/api_token",
        "/cention/jwt_secret",
        "/sangoma/client_secret",
    ] {
        assert_ne!(
            a["credentials"].pointer(path),
            b["credentials"].pointer(path),
            "{path}"
        );
    }
}

#[tokio::test]
async fn bad_input_gets_clear_json_errors_never_500() {
    let s = Server::start().await;
    let (st, b) = s.post_raw("/_ccemu/tenants", "{\"name\":").await;
    assert_error(st, &b, 400, "invalid_json");
    let (st, b) = s.post_raw("/_ccemu/tenants", "{\"name\": 5}").await;
    assert_error(st, &b, 400, "invalid_body");
    assert!(b["message"].as_str().unwrap().contains("name"), "{b}");
    let (st, b) = s.post_raw("/_ccemu/tenants", "[1,2]").await;
    assert_error(st, &b, 400, "invalid_body");
    let (st, b) = s.post("/_ccemu/tenants", json!({ "name": "" })).await;
    assert_error(st, &b, 400, "invalid_body");
    let (st, b) = s.post("/_ccemu/tenants", json!({ "nmae": "typo" })).await;
    assert_error(st, &b, 400, "invalid_body");
    let (st, b) = s.get("/_ccemu/tenants/no-such-tenant").await;
    assert_error(st, &b, 404, "tenant_not_found");
    let (st, b) = s.get("/_ccemu/tenants/bad%2Fid").await;
    assert_error(st, &b, 404, "tenant_not_found");
    let (st, b) = s.post("/_ccemu/tenants/nope/reset", json!({})).await;
    assert_error(st, &b, 404, "tenant_not_found");
    let (st, b) = s
        .put("/_ccemu/tenants/demo/clock", json!({ "mode": "fast" }))
        .await;
    assert_error(st, &b, 400, "invalid_body");
    let (st, b) = s
        .put(
            "/_ccemu/tenants/demo/clock",
            json!({ "mode": "manual", "now_ms": "soon" }),
        )
        .await;
    assert_error(st, &b, 400, "invalid_body");
    let (st, b) = s
        .post("/_ccemu/tenants/demo/clock/advance", json!({ "ms": "x" }))
        .await;
    assert_error(st, &b, 400, "invalid_body");
    let (st, b) = s
        .post("/_ccemu/tenants/demo/clock/advance", json!({}))
        .await;
    assert_error(st, &b, 400, "invalid_body");
    let (st, b) = s.get("/_ccemu/tenants/demo/events?limit=abc").await;
    assert_error(st, &b, 400, "invalid_query");
    let (st, b) = s.get("/_ccemu/tenants/demo/events?limit=0").await;
    assert_error(st, &b, 400, "invalid_query");
    let (st, b) = s.get("/_ccemu/requests?limit=-1").await;
    assert_error(st, &b, 400, "invalid_query");
    let (st, b) = s.get("/_ccemu/nothing-here").await;
    assert_error(st, &b, 404, "not_found");
    let (st, b) = s.get("/no/such/surface").await;
    assert_error(st, &b, 404, "not_found");
    let (st, b) = crate::harness::send(s.http.patch(s.url("/_ccemu/tenants"))).await;
    assert_eq!(st, 405, "{b}");
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let s = Server::start_with_config("[server]\nmax_body_bytes = 1024\n").await;
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(2048));
    let (st, b) = s.post_raw("/_ccemu/tenants", &big).await;
    assert_error(st, &b, 413, "invalid_body");
    let (st, list) = s.get("/_ccemu/tenants").await;
    assert_eq!(
        (st, list["tenants"].as_array().unwrap().len()),
        (200, 1),
        "nothing created"
    );
    let small = format!("{{\"name\":\"{}\"}}", "x".repeat(100));
    assert_eq!(s.post_raw("/_ccemu/tenants", &small).await.0, 201);
}

#[tokio::test]
async fn demo_tenant_exists_with_documented_credentials_and_seed() {
    let s = Server::start().await;
    let (status, demo) = s.get("/_ccemu/tenants/demo").await;
    assert_eq!(status, 200);
    // The README documents these; config/default.toml defines them.
    assert_eq!(demo["credentials"]["udesk"]["sid"], "ACdemo0000000001");
    assert_eq!(
        demo["credentials"]["udesk"]["app_id"],
        "a54a8b77-f12d-4ac9-742d-5b2bef5c4d11"
    );
    assert_eq!(demo["credentials"]["ujet"]["subdomain"], "demo");
    assert_eq!(
        demo["credentials"]["ujet"]["api_token"],
        "demo-ujet-api-token"
    );
    assert_eq!(
        demo["credentials"]["genesys"]["contact_center_id"],
        "6c9e7a35-6f3e-4b1a-9d52-0a4d8f2b9c11"
    );
    assert_eq!(demo["credentials"]["cention"]["workspace"], "demo");
    assert_eq!(
        demo["credentials"]["sangoma"]["client_id"],
        "demo-sangoma-client-id"
    );
    let (_, events) = s.get("/_ccemu/tenants/demo/events").await;
    assert_eq!(events["events"][0]["seq"], 1);
    assert_eq!(events["events"][0]["kind"], "tenant.created");
    let (_, metrics) = s.get_text("/_ccemu/metrics").await;
    assert!(
        metrics.contains("ccemu_agents{state=\"logged_out\"} 4"),
        "{metrics}"
    );
}

#[tokio::test]
async fn reset_removes_data_keeps_credentials_and_continues_the_event_log() {
    let s = Server::start().await;
    let t = s.create_tenant("r").await;
    let id = t["id"].as_str().unwrap();
    let (st, _) = s
        .put(
            &format!("/_ccemu/tenants/{id}/clock"),
            json!({ "mode": "manual", "now_ms": 3_000_000_000_000_i64 }),
        )
        .await;
    assert_eq!(st, 200);
    let (_, before) = s.get(&format!("/_ccemu/tenants/{id}/events")).await;
    assert_eq!(before["events"].as_array().unwrap().len(), 2);
    let (st, body) = s
        .post(&format!("/_ccemu/tenants/{id}/reset"), json!({}))
        .await;
    assert_eq!((st, body), (204, Value::Null));
    let (_, after) = s.get(&format!("/_ccemu/tenants/{id}")).await;
    assert_eq!(after, t, "credentials kept");
    let (_, events) = s.get(&format!("/_ccemu/tenants/{id}/events")).await;
    let events = events["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["kind"], "tenant.reset");
    assert_eq!(events[0]["seq"], 3, "sequence numbers never repeat");
}

#[tokio::test]
async fn manual_clock_freezes_advances_and_never_goes_back() {
    let s = Server::start().await;
    let (st, real) = s.get("/_ccemu/tenants/demo/clock").await;
    assert_eq!(st, 200);
    assert_eq!(real["mode"], "real");
    assert!(real["now_ms"].as_i64().unwrap() > 1_700_000_000_000);
    let (st, c) = s
        .put(
            "/_ccemu/tenants/demo/clock",
            json!({ "mode": "manual", "now_ms": 2_000_000_000_000_i64 }),
        )
        .await;
    assert_eq!(
        (st, c.clone()),
        (
            200,
            json!({ "mode": "manual", "now_ms": 2_000_000_000_000_i64 })
        )
    );
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (_, c) = s.get("/_ccemu/tenants/demo/clock").await;
    assert_eq!(
        c["now_ms"], 2_000_000_000_000_i64,
        "a manual clock stands still"
    );
    let (st, c) = s
        .post("/_ccemu/tenants/demo/clock/advance", json!({ "ms": 1500 }))
        .await;
    assert_eq!(
        (st, c),
        (
            200,
            json!({ "mode": "manual", "now_ms": 2_000_000_001_500_i64 })
        )
    );
    let (st, b) = s
        .put(
            "/_ccemu/tenants/demo/clock",
            json!({ "mode": "manual", "now_ms": 5 }),
        )
        .await;
    assert_error(st, &b, 422, "invalid");
    let (st, b) = s
        .post("/_ccemu/tenants/demo/clock/advance", json!({ "ms": -1 }))
        .await;
    assert_error(st, &b, 422, "invalid");
    let (st, c) = s
        .put("/_ccemu/tenants/demo/clock", json!({ "mode": "real" }))
        .await;
    assert_eq!(st, 200);
    assert_eq!(c["mode"], "real");
    assert!(c["now_ms"].as_i64().unwrap() >= 2_000_000_001_500_i64);
    let (st, b) = s
        .post("/_ccemu/tenants/demo/clock/advance", json!({ "ms": 1 }))
        .await;
    assert_error(st, &b, 422, "invalid");
    let (_, events) = s.get("/_ccemu/tenants/demo/events?after=1").await;
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["clock.changed", "clock.changed", "clock.changed"]
    );
}

/// Issue 19, finding 6: near the 64-bit maximum the clock wrapped to a negative time and, with
/// a call waiting, froze the tenant for good. Times outside years 1970–9999 are refused.
#[tokio::test]
async fn the_clock_stays_within_years_1970_to_9999() {
    let s = Server::start().await;
    let (st, _) = s
        .put(
            "/_ccemu/tenants/demo/clock",
            json!({ "mode": "manual", "now_ms": 2_000_000_000_000_i64 }),
        )
        .await;
    assert_eq!(st, 200);
    // A call waits in a queue, with timers that a clock change would fire on the way.
    let place_call = || async {
        let (st, b) = s
            .post(
                "/_ccemu/tenants/demo/sim/calls",
                json!({ "queue_id": "9002" }),
            )
            .await;
        assert!((200..300).contains(&st), "{st} {b}");
    };
    place_call().await;
    for now_ms in [253_402_300_800_000_i64, i64::MAX - 1, i64::MAX, -1] {
        let (st, b) = s
            .put(
                "/_ccemu/tenants/demo/clock",
                json!({ "mode": "manual", "now_ms": now_ms }),
            )
            .await;
        assert_error(st, &b, 422, "invalid");
    }
    let (st, b) = s
        .post(
            "/_ccemu/tenants/demo/clock/advance",
            json!({ "ms": i64::MAX }),
        )
        .await;
    assert_error(st, &b, 422, "invalid");
    let (_, c) = s.get("/_ccemu/tenants/demo/clock").await;
    assert_eq!(
        c["now_ms"], 2_000_000_000_000_i64,
        "refused changes move nothing"
    );
    // The last millisecond of 9999 is a time like any other, and the tenant still works there.
    let (st, c) = s
        .put(
            "/_ccemu/tenants/demo/clock",
            json!({ "mode": "manual", "now_ms": 253_402_300_799_999_i64 }),
        )
        .await;
    assert_eq!((st, c["now_ms"].as_i64()), (200, Some(253_402_300_799_999)));
    place_call().await;
    let (st, b) = s
        .post("/_ccemu/tenants/demo/clock/advance", json!({ "ms": 1 }))
        .await;
    assert_error(st, &b, 422, "invalid");
}

#[tokio::test]
async fn a_reset_can_start_any_clock_and_delays_are_bounded() {
    let s = Server::start().await;
    const END: i64 = 253_402_300_799_999;
    const T0: i64 = 1_800_000_000_000;
    // A clock at the last millisecond of 9999: no earlier time can be set any more.
    let (st, _) = s
        .put(
            "/_ccemu/tenants/demo/clock",
            json!({ "mode": "manual", "now_ms": END }),
        )
        .await;
    assert_eq!(st, 200);
    let c = s.sim_contact("demo", "calls", "9002").await["id"].clone();
    let (st, b) = s
        .put(
            "/_ccemu/tenants/demo/clock",
            json!({ "mode": "manual", "now_ms": T0 }),
        )
        .await;
    assert_error(st, &b, 422, "invalid");
    // A reset with a clock that cannot be: refused, and nothing is wiped.
    for bad in [
        json!({"clock": {"mode": "manual", "now_ms": -1}}),
        json!({"clock": {"mode": "sundial"}}),
    ] {
        let (st, b) = s.post("/_ccemu/tenants/demo/reset", bad).await;
        assert!(st == 422 || st == 400, "{st} {b}");
    }
    let (_, waiting) = s.get("/_ccemu/tenants/demo/queues/9002/waiting").await;
    assert_eq!(waiting["waiting"], json!([c]), "not wiped");
    // A reset starts a new clock at any time, earlier ones included.
    let (st, b) = s
        .post(
            "/_ccemu/tenants/demo/reset",
            json!({"clock": {"mode": "manual", "now_ms": T0}}),
        )
        .await;
    assert_eq!(st, 204, "{b}");
    let (_, clock) = s.get("/_ccemu/tenants/demo/clock").await;
    assert_eq!(clock, json!({"mode": "manual", "now_ms": T0}));
    let (_, waiting) = s.get("/_ccemu/tenants/demo/queues/9002/waiting").await;
    assert_eq!(waiting["waiting"], json!([]), "wiped");
    // Or back on the wall clock; without a body the clock is kept.
    assert_eq!(s.post("/_ccemu/tenants/demo/reset", json!({})).await.0, 204);
    let (_, clock) = s.get("/_ccemu/tenants/demo/clock").await;
    assert_eq!(clock["now_ms"], T0, "kept");
    let (st, _) = s
        .post(
            "/_ccemu/tenants/demo/reset",
            json!({"clock": {"mode": "real"}}),
        )
        .await;
    assert_eq!(st, 204);
    let (_, clock) = s.get("/_ccemu/tenants/demo/clock").await;
    let now = ccemu_engine::wall_ms();
    assert_eq!(clock["mode"], "real");
    assert!(
        (clock["now_ms"].as_i64().unwrap() - now).abs() < 60_000,
        "{clock}"
    );

    // Simulator delays: up to a year each, so no time plus a delay can overflow.
    const YEAR: i64 = 365 * 24 * 3_600_000;
    for (field, value) in [
        ("wrap_up_ms", json!(i64::MAX)),
        ("answer_delay_ms", json!(YEAR + 1)),
        ("ring_timeout_ms", json!(0)),
        (
            "patience",
            json!({"distribution": "exponential", "mean_ms": i64::MAX}),
        ),
        ("talk_time", json!({"distribution": "fixed", "mean_ms": -1})),
    ] {
        let (st, b) = s
            .put("/_ccemu/tenants/demo/sim", json!({ field: value }))
            .await;
        assert_error(st, &b, 422, "invalid");
        assert!(b["message"].as_str().unwrap().contains(field), "{b}");
    }
    // A year of talk at the end of 9999: the call is answered and talks, nothing overflows.
    let (st, b) = s
        .put(
            "/_ccemu/tenants/demo/sim",
            json!({"auto": true, "answer_delay_ms": YEAR, "talk_time": {"distribution": "exponential", "mean_ms": YEAR}}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    s.manual_clock("demo", END - 10).await;
    s.ready("demo", "1003").await;
    let call = s.sim_contact("demo", "calls", "9002").await;
    assert_eq!(call["state"], "ringing", "{call}");
    let (st, b) = s
        .post("/_ccemu/tenants/demo/sim/agents/1003/answer", json!({}))
        .await;
    assert_eq!(st, 200, "{b}");
    let (st, b) = s
        .post("/_ccemu/tenants/demo/clock/advance", json!({ "ms": 10 }))
        .await;
    assert_eq!(st, 200, "{b}");
    let (_, now) = s
        .get(&format!(
            "/_ccemu/tenants/demo/interactions/{}",
            call["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        now["state"], "connected",
        "talking for a long while yet: {now}"
    );
}

#[tokio::test]
async fn tenants_are_isolated() {
    let s = Server::start().await;
    let a = s.create_tenant("a").await;
    let b = s.create_tenant("b").await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    s.put(
        &format!("/_ccemu/tenants/{a}/clock"),
        json!({ "mode": "manual", "now_ms": 4_000_000_000_000_i64 }),
    )
    .await;
    let (_, cb) = s.get(&format!("/_ccemu/tenants/{b}/clock")).await;
    assert_eq!(cb["mode"], "real", "b's clock is untouched");
    let (_, eb) = s.get(&format!("/_ccemu/tenants/{b}/events")).await;
    assert_eq!(
        eb["events"].as_array().unwrap().len(),
        1,
        "only b's own tenant.created"
    );
    s.post(&format!("/_ccemu/tenants/{b}/reset"), json!({}))
        .await;
    let (_, ea) = s.get(&format!("/_ccemu/tenants/{a}/events")).await;
    assert_eq!(
        ea["events"].as_array().unwrap().len(),
        2,
        "a's log survives b's reset"
    );
    assert_eq!(s.delete(&format!("/_ccemu/tenants/{a}")).await.0, 204);
    assert_eq!(s.get(&format!("/_ccemu/tenants/{b}")).await.0, 200);
    assert_eq!(s.get("/_ccemu/tenants/demo").await.0, 200);
}

#[tokio::test]
async fn a_tenant_survives_sigkill() {
    let mut s = Server::start().await;
    let t = s.create_tenant("durable").await;
    let id = t["id"].as_str().unwrap().to_owned();
    s.put(
        &format!("/_ccemu/tenants/{id}/clock"),
        json!({ "mode": "manual", "now_ms": 3_000_000_000_000_i64 }),
    )
    .await;
    s.crash_and_restart().await;
    let (status, got) = s.get(&format!("/_ccemu/tenants/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(got, t, "tenant and credentials survive");
    let (_, clock) = s.get(&format!("/_ccemu/tenants/{id}/clock")).await;
    assert_eq!(
        clock,
        json!({ "mode": "manual", "now_ms": 3_000_000_000_000_i64 })
    );
    let (_, list) = s.get("/_ccemu/tenants").await;
    assert_eq!(
        list["tenants"].as_array().unwrap().len(),
        2,
        "demo is not created twice"
    );
}

#[tokio::test]
async fn journal_records_vendor_requests_filters_and_clears() {
    let s = Server::start().await;
    s.get("/_ccemu/tenants").await; // control plane: not journaled
    s.get("/ccapi/v2/no-such-api").await;
    s.post("/apps/api/v1/no-such", json!({"a": 1})).await;
    s.get("/manager/api/v1/nothing").await;
    let (st, all) = s.get("/_ccemu/requests").await;
    assert_eq!(st, 200);
    let all = all["requests"].as_array().unwrap().clone();
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(all[0]["path"], "/manager/api/v1/nothing", "newest first");
    assert_eq!(all[1]["method"], "POST");
    assert_eq!(
        all[1]["request_body"], "",
        "no tenant owns it: no body kept"
    );
    assert_eq!(all[2]["vendor"], "udesk");
    assert!(all[2]["response_body"]
        .as_str()
        .unwrap()
        .contains("ErrCode"));
    let (_, ujet) = s.get("/_ccemu/requests?vendor=ujet").await;
    assert_eq!(ujet["requests"].as_array().unwrap().len(), 2);
    let (_, post) = s.get("/_ccemu/requests?method=post").await;
    assert_eq!(post["requests"].as_array().unwrap().len(), 1);
    let (_, pre) = s
        .get("/_ccemu/requests?path_prefix=/manager/&limit=5")
        .await;
    assert_eq!(pre["requests"].as_array().unwrap().len(), 1);
    let (_, one) = s.get("/_ccemu/requests?limit=1").await;
    assert_eq!(one["requests"].as_array().unwrap().len(), 1);
    assert_eq!(s.delete("/_ccemu/requests").await.0, 204);
    let (_, none) = s.get("/_ccemu/requests").await;
    assert_eq!(none["requests"], json!([]));
}

#[tokio::test]
async fn journal_is_bounded_by_its_configured_capacity() {
    let s = Server::start_with_config("[journal]\ncapacity = 3\n").await;
    for i in 0..5 {
        s.get(&format!("/ccapi/v2/x{i}")).await;
    }
    let (_, all) = s.get("/_ccemu/requests?limit=100").await;
    let paths: Vec<&str> = all["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["/ccapi/v2/x4", "/ccapi/v2/x3", "/ccapi/v2/x2"]);
}

/// `count` UJET user reads by the demo tenant, each with `body` (kept by the journal), `?n=0..`.
async fn journal_users_reads(s: &Server, count: usize, body: &[u8]) {
    for n in 0..count {
        let req = s
            .http
            .get(s.url(&format!("/apps/api/v1/users?n={n}")))
            .basic_auth("demo", Some("demo-ujet-api-token"))
            .body(body.to_vec());
        assert_eq!(req.send().await.unwrap().status(), 200);
    }
}

#[tokio::test]
async fn the_journal_is_bounded_by_bytes_and_keeps_no_body_nobody_owns() {
    let s = Server::start_with_config("[journal]\nmax_total_bytes = 200000\n").await;
    // A tenant's requests keep their bodies, until the journal holds 200 000 body bytes.
    journal_users_reads(&s, 40, &[b'x'; 10_000]).await;
    let (_, journal) = s.get("/_ccemu/requests?limit=1000").await;
    let entries = journal["requests"].as_array().unwrap();
    let bytes: usize = entries
        .iter()
        .map(|e| {
            e["request_body"].as_str().unwrap().len() + e["response_body"].as_str().unwrap().len()
        })
        .sum();
    assert!(bytes <= 200_000, "{bytes} body bytes kept");
    assert!(
        entries.len() >= 15 && entries.len() < 40,
        "{} kept",
        entries.len()
    );
    assert_eq!(entries[0]["query"], "n=39", "the newest stay");
    assert_eq!(entries[0]["request_body"].as_str().unwrap().len(), 10_000);

    // Anyone's 64 KiB posts to unknown paths: journaled, without their bodies.
    let big = vec![b'y'; 64 * 1024];
    let rss_before = s.rss_bytes();
    for n in 0..2_000 {
        let req = s
            .http
            .post(s.url(&format!("/apps/api/v1/no-such-{n}")))
            .body(big.clone());
        assert_eq!(req.send().await.unwrap().status(), 404);
    }
    let (_, journal) = s.get("/_ccemu/requests?limit=10").await;
    let newest = &journal["requests"][0];
    assert_eq!(newest["path"], "/apps/api/v1/no-such-1999");
    assert_eq!(newest["request_body"], "");
    // 2 000 bodies of 64 KiB are 131 MB: none of it stays.
    let grown = s.rss_bytes().saturating_sub(rss_before);
    assert!(grown < 64 << 20, "RSS grew by {grown} bytes");

    // One read returns at most 1 000 entries.
    for limit in ["0", "1001", "658000"] {
        let (st, body) = s.get(&format!("/_ccemu/requests?limit={limit}")).await;
        assert_error(st, &body, 400, "invalid_query");
    }
}

#[tokio::test]
async fn a_cleared_journal_gives_its_memory_back() {
    let s = Server::start_with_config("[journal]\nmax_total_bytes = 100000000\n").await;
    let rss_before = s.rss_bytes();
    // 1 000 of one tenant's 64 KiB bodies: 65 MB the journal keeps.
    journal_users_reads(&s, 1_000, &vec![b'z'; 64 * 1024]).await;
    let full = s.rss_bytes();
    let held = full.saturating_sub(rss_before);
    assert!(
        held > 50 << 20,
        "the journal holds its bodies: RSS grew by {held} bytes"
    );

    assert_eq!(s.delete("/_ccemu/requests").await.0, 204);
    // The allocator returns freed pages after a short delay, on its next allocations.
    let mut after = full;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(s.get("/_ccemu/health").await.0, 200);
        after = s.rss_bytes();
        if after < rss_before + held / 4 {
            break;
        }
    }
    assert!(
        after < rss_before + held / 4,
        "RSS {after} after the clear, {rss_before} before the journal filled, {full} full"
    );
}

#[tokio::test]
async fn the_control_plane_takes_only_its_token_its_own_origin_and_json() {
    let s = Server::start_with(&["--admin-token", "t0ken"]).await;
    let call = |method: &str, path: &str, token: Option<&str>| {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let req = s.http.request(method, s.url(path));
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    };
    // Health checks need no token.
    assert_eq!(send(call("GET", "/_ccemu/health", None)).await.0, 200);
    // Without the token, or with another, nothing is read or changed.
    for token in [None, Some("nope"), Some("T0KEN")] {
        for (method, path) in [
            ("GET", "/_ccemu/tenants"),
            ("GET", "/_ccemu/tenants/demo"),
            ("GET", "/_ccemu/requests"),
            ("DELETE", "/_ccemu/tenants/demo"),
            ("POST", "/_ccemu/tenants/demo/reset"),
        ] {
            let (st, body) = send(call(method, path, token)).await;
            assert_error(st, &body, 401, "unauthorized");
        }
        let (st, body) = send(
            call("PUT", "/_ccemu/tenants/demo/clock", token)
                .json(&json!({"mode": "manual", "now_ms": 253_402_300_799_000_i64})),
        )
        .await;
        assert_error(st, &body, 401, "unauthorized");
    }
    let bare = s.http.get(s.url("/_ccemu/tenants")).send().await.unwrap();
    assert_eq!(bare.headers()["www-authenticate"], "Bearer realm=\"ccemu\"");
    // With it: the listing carries no secrets, the tenant's own read does.
    let (st, list) = send(call("GET", "/_ccemu/tenants", Some("t0ken"))).await;
    assert_eq!(st, 200, "{list}");
    assert_eq!(list["tenants"][0]["id"], "demo");
    assert!(list["tenants"][0].get("credentials").is_none(), "{list}");
    let (st, demo) = send(call("GET", "/_ccemu/tenants/demo", Some("t0ken"))).await;
    assert_eq!(st, 200);
    assert_eq!(
        demo["credentials"]["ujet"]["api_token"],
        "demo-ujet-api-token"
    );
    let (_, clock) = send(call("GET", "/_ccemu/tenants/demo/clock", Some("t0ken"))).await;
    assert_eq!(clock["mode"], "real", "clock untouched: {clock}");
    // Vendor surfaces keep their own credentials and need no admin token.
    let users = s
        .http
        .get(s.url("/apps/api/v1/users"))
        .basic_auth("demo", Some("demo-ujet-api-token"));
    assert_eq!(send(users).await.0, 200);

    // A web page elsewhere, even one holding the token, and a name that is not this server's.
    let (st, body) = send(
        call("POST", "/_ccemu/tenants", Some("t0ken"))
            .header("origin", "http://evil.example")
            .json(&json!({"name": "x"})),
    )
    .await;
    assert_error(st, &body, 403, "forbidden_origin");
    let (st, body) = send(
        call("GET", "/_ccemu/tenants/demo", Some("t0ken")).header("host", "rebound.example:80"),
    )
    .await;
    assert_error(st, &body, 403, "forbidden_host");
    // Forms and plain text are not JSON, whatever they hold.
    for kind in ["text/plain", "application/x-www-form-urlencoded"] {
        let (st, body) = send(
            call("POST", "/_ccemu/tenants", Some("t0ken"))
                .header("content-type", kind)
                .body(r#"{"name":"x"}"#),
        )
        .await;
        assert_error(st, &body, 415, "unsupported_media_type");
    }
    // This server's own origin, with JSON: created.
    let own = s.base.clone();
    let (st, body) = send(
        call("POST", "/_ccemu/tenants", Some("t0ken"))
            .header("origin", own)
            .json(&json!({"name": "x"})),
    )
    .await;
    assert_eq!(st, 201, "{body}");
    let (_, list) = send(call("GET", "/_ccemu/tenants", Some("t0ken"))).await;
    assert_eq!(
        list["tenants"].as_array().unwrap().len(),
        2,
        "only that one: {list}"
    );
    let (st, _) = send(call("DELETE", "/_ccemu/tenants/demo", Some("t0ken"))).await;
    assert_eq!(st, 204);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let s = Server::start().await;
    s.get("/_ccemu/tenants/demo").await;
    s.get("/_ccemu/tenants/nope").await;
    let (st, text) = s.get_text("/_ccemu/metrics").await;
    assert_eq!(st, 200);
    assert!(text.contains("ccemu_http_requests_total{vendor=\"ccemu\",route=\"/_ccemu/tenants/{id}\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("ccemu_http_requests_total{vendor=\"ccemu\",route=\"/_ccemu/tenants/{id}\",status=\"404\"} 1"), "{text}");
    assert!(text.contains("ccemu_http_request_duration_seconds_count{vendor=\"ccemu\",route=\"/_ccemu/tenants/{id}\"} 2"), "{text}");
    assert!(text.contains("ccemu_tenants 1"), "{text}");
}

#[tokio::test]
async fn any_path_prefix_routes_like_the_bare_path() {
    let s = Server::start().await;
    let (st, body) = s.get("/some/proxy/prefix/_ccemu/health").await;
    assert_eq!(st, 200);
    assert_eq!(body["status"], "ok");
    let (st, bare) = s.get("/ccapi/v2/no-such-api").await;
    let (st2, prefixed) = s.get("/anything/ccapi/v2/no-such-api").await;
    assert_eq!((st, &bare), (st2, &prefixed));
    assert_eq!(st, 404);
    let (_, journal) = s.get("/_ccemu/requests?limit=1").await;
    assert_eq!(
        journal["requests"][0]["path"], "/ccapi/v2/no-such-api",
        "journaled as routed"
    );
}

#[tokio::test]
async fn journal_names_the_tenant_of_an_authenticated_vendor_request() {
    // The demo tenant's documented Udesk credentials (README), signed as a Udesk client does.
    let s = Server::start().await;
    let ts = (ccemu_engine::wall_ms() / 1000).to_string();
    let sign = ccemu_vendor_udesk::sign::sign("ACdemo0000000001", "demo-udesk-auth-token", &ts);
    let app = "a54a8b77-f12d-4ac9-742d-5b2bef5c4d11";
    let signed =
        format!("/ccapi/v2/agents?AppId={app}&Sid=ACdemo0000000001&Timestamp={ts}&Sign={sign}");
    assert_eq!(s.get(&signed).await.0, 200);
    let unsigned = format!("/ccapi/v2/agents?AppId={app}&Sid=ACdemo0000000001&Timestamp={ts}");
    let (st, body) = s.get(&unsigned).await;
    assert_eq!((st, &body["ErrCode"]), (401, &json!("000001")), "{body}");
    let (_, journal) = s.get("/_ccemu/requests?tenant=demo").await;
    let entries = journal["requests"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        1,
        "only the authenticated request: {journal}"
    );
    assert_eq!(entries[0]["status"], 200, "{journal}");
    assert_eq!(entries[0]["tenant"], "demo", "{journal}");
}

#[tokio::test]
async fn retention_defaults_come_from_the_config_and_a_tenant_sets_its_own() {
    let s = Server::start().await;
    let path = "/_ccemu/tenants/demo/retention";
    let defaults = json!({
        "ended_interactions": 100000,
        "agent_state_logs": 200000,
        "events": 200000,
        "finished_deliveries": 10000,
    });
    let (status, body) = s.get(path).await;
    assert_eq!((status, body), (200, defaults.clone()));
    let (status, body) = s
        .put(path, json!({"events": 50, "ended_interactions": 0}))
        .await;
    let mut own = defaults.clone();
    own["events"] = json!(50);
    own["ended_interactions"] = json!(0);
    assert_eq!((status, body), (200, own.clone()));
    let (status, body) = s.get(path).await;
    assert_eq!((status, body), (200, own));
    // A limit left out follows the default again.
    let (status, body) = s.put(path, json!({})).await;
    assert_eq!((status, body), (200, defaults));
    for bad in [
        json!({"events": -1}),
        json!({"events": "5"}),
        json!({"keep": 1}),
    ] {
        let (status, body) = s.put(path, bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, body) = s.get("/_ccemu/tenants/nobody/retention").await;
    assert_error(status, &body, 404, "tenant_not_found");
}
