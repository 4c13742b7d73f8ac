//! The binary itself: CLI commands, TLS.

use crate::harness::{binary, Server};
use std::process::Command;

fn run(args: &[&str], envs: &[(&str, &str)]) -> (bool, String, String) {
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("CCEMU_CONFIG")
        .env("CCEMU_LOG", "warn");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run ccemu");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn version_prints_the_crate_version() {
    let (ok, out, _) = run(&["--version"], &[]);
    assert!(ok);
    assert_eq!(out.trim(), format!("ccemu {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn default_config_is_the_commented_toml_the_server_loads() {
    let (ok, out, _) = run(&["default-config"], &[]);
    assert!(ok);
    assert!(out.starts_with("# ccemu configuration"));
    let parsed: toml::Table = toml::from_str(&out).expect("valid TOML");
    assert_eq!(parsed["server"]["port"].as_integer(), Some(8080));
    assert_eq!(parsed["journal"]["capacity"].as_integer(), Some(10_000));
}

#[tokio::test]
async fn tenants_create_and_list_work_on_the_store_directly() {
    let db = ccemu_store::testing::TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let dir_s = dir.path().to_str().unwrap();
    let (ok, out, err) = run(
        &[
            "tenants",
            "create",
            "--name",
            "Cli Co",
            "--data-dir",
            dir_s,
            "--database-url",
            &db.url,
        ],
        &[],
    );
    assert!(ok, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(created["name"], "Cli Co");
    // The environment variable works as well as the flag.
    let (ok, out, err) = run(
        &["tenants", "list", "--data-dir", dir_s],
        &[("DATABASE_URL", db.url.as_str())],
    );
    assert!(ok, "{err}");
    let listed: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let ids: Vec<&str> = listed["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["demo", created["id"].as_str().unwrap()]);
}

#[tokio::test]
async fn tls_serves_https_with_a_generated_self_signed_certificate() {
    let s = Server::start_with(&["--tls"]).await;
    assert!(s.base.starts_with("https://"), "{}", s.base);
    let (status, body) = s.get("/_ccemu/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    let cert = s.data_dir.path().join("tls/cert.pem");
    assert!(std::fs::read_to_string(&cert)
        .unwrap()
        .contains("BEGIN CERTIFICATE"));
    // A plain-HTTP client cannot talk to it.
    let plain = s.base.replacen("https://", "http://", 1);
    let plain_ok = reqwest::get(format!("{plain}/_ccemu/health"))
        .await
        .map(|r| r.status().is_success())
        .unwrap_or(false);
    assert!(!plain_ok);
}

#[test]
fn sim_erlang_prints_the_statistics_and_matches_erlang_c() {
    let (ok, out, err) = run(
        &[
            "sim",
            "erlang",
            "--arrivals-per-hour",
            "200",
            "--aht-secs",
            "180",
            "--agents",
            "13",
            "--sl-secs",
            "20",
            "--contacts",
            "6000",
            "--replications",
            "4",
            "--warmup",
            "500",
            "--seed",
            "7",
        ],
        &[],
    );
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON line");
    for key in [
        "p_wait",
        "asa_secs",
        "sl",
        "p_abandon",
        "sl_of_answered",
        "sl2",
        "occupancy",
    ] {
        assert!(
            report[key]["mean"].is_number() && report[key]["se"].is_number(),
            "{key}: {report}"
        );
    }
    assert_eq!(report["contacts"], 6000);
    assert_eq!(report["replications"], 4);
    assert!(report["wall_ms"].is_number());
    // Erlang C, A = 10 E, N = 13 (shared/acd/erlang-validation.md).
    for (key, want) in [
        ("p_wait", 0.2853),
        ("asa_secs", 17.12),
        ("sl", 0.7956),
        ("occupancy", 0.7692),
    ] {
        let (mean, se) = (
            report[key]["mean"].as_f64().unwrap(),
            report[key]["se"].as_f64().unwrap(),
        );
        assert!(se > 0.0, "{key} has no spread");
        assert!(
            (mean - want).abs() <= 3.0 * se,
            "{key}: {mean} ± {se} vs {want}"
        );
    }
    assert_eq!(
        report["p_abandon"]["mean"], 0.0,
        "infinite patience: nobody abandons"
    );
}

#[test]
fn sim_erlang_refuses_nonsense() {
    let (ok, _, err) = run(
        &[
            "sim",
            "erlang",
            "--arrivals-per-hour",
            "0",
            "--aht-secs",
            "180",
            "--agents",
            "3",
        ],
        &[],
    );
    assert!(!ok);
    assert!(err.contains("positive"), "{err}");
    let (ok, _, err) = run(
        &[
            "sim",
            "erlang",
            "--arrivals-per-hour",
            "10",
            "--aht-secs",
            "180",
            "--agents",
            "3",
            "--strategy",
            "fastest",
        ],
        &[],
    );
    assert!(!ok);
    assert!(err.contains("unknown strategy"), "{err}");
}
