//! UJET Export/Import Queue Settings (§3.6, [inferred] paths under `/apps/api/v1/queue_settings`)
//! against the real binary: export, change a menu through a multipart import, restore the
//! export's version, and read the menu back through the Manager API like a UJET admin tool.

use crate::harness::Server;
use serde_json::{json, Value};

/// The demo tenant's API-token pair (README).
const TOKEN: (&str, &str) = ("demo", "demo-ujet-api-token");
const QS: &str = "/apps/api/v1/queue_settings";

async fn call(
    s: &Server,
    (user, password): (&str, &str),
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = s
        .http
        .request(method, s.url(path))
        .basic_auth(user, Some(password))
        .header("accept", "application/json");
    if let Some(body) = body {
        r = r
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let res = r.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.json().await.unwrap())
}

async fn get(s: &Server, path: &str) -> (u16, Value) {
    let (status, _, body) = call(s, TOKEN, reqwest::Method::GET, path, None).await;
    (status, body)
}

/// `POST /queue_settings/import` with multipart parts `file` (named `filename`) and `email`.
async fn import(s: &Server, filename: &str, file: &str, email: &str) -> (u16, Value) {
    let body = format!(
        "--qsb\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/json\r\n\r\n{file}\r\n\
         --qsb\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n{email}\r\n--qsb--\r\n"
    );
    let res = s
        .http
        .post(s.url(&format!("{QS}/import")))
        .basic_auth(TOKEN.0, Some(TOKEN.1))
        .header("content-type", "multipart/form-data; boundary=qsb")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// Agent ids assigned to a Manager menu, in order, once each.
fn assignees(menu: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = Vec::new();
    for a in menu["agent_assignments"].as_array().unwrap() {
        let id = a["assignee"]["id"].as_i64().unwrap();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

fn assert_version(item: &Value, kind: &str, email: Option<&str>) {
    assert!(item["id"].is_i64(), "{item}");
    assert_eq!(item["kind"], kind, "{item}");
    assert_eq!(item["email"], json!(email), "{item}");
    let revision = item["revision"].as_str().unwrap();
    assert_eq!(revision.len(), 36, "{revision}");
    assert_eq!(revision.matches('-').count(), 4, "{revision}");
    assert!(item["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(item["export_audio_files"].is_boolean());
    assert!(item["export_attached_files"].is_boolean());
}

#[tokio::test]
async fn ujet_queue_settings_export_import_and_restore_round_trip() {
    let s = Server::start().await;
    let (_, users) = get(&s, "/apps/api/v1/users").await;
    let email = users[0]["email"].as_str().unwrap().to_owned();
    let (_, before) = get(&s, "/manager/api/v1/menus/9001").await;
    assert_eq!(before["name"], "Sales");
    let members_before = assignees(&before);
    assert!(members_before.len() >= 2, "{before}");

    // Export: both flags are required.
    let (status, body) = get(&s, &format!("{QS}/export?export_audio_files=false")).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"message": "param is missing or the value is empty: export_attached_files"})
    );
    let (status, doc) = get(
        &s,
        &format!("{QS}/export?export_audio_files=false&export_attached_files=false"),
    )
    .await;
    assert_eq!(status, 200, "{doc}");
    let sales = doc["menus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == json!(9001))
        .unwrap()
        .clone();
    assert_eq!(sales["name"], "Sales");
    assert!(sales["routing"]["strategy"].is_string());
    assert!(doc["contact_lists"].is_array());
    let (status, list) = get(&s, &format!("{QS}/version_histories")).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let exported = list[0].clone();
    assert_version(&exported, "export", None);
    let export_id = exported["id"].as_i64().unwrap();

    // Import a changed document: Sales renamed, one member left.
    let mut changed = doc.clone();
    for menu in changed["menus"].as_array_mut().unwrap() {
        if menu["id"] == json!(9001) {
            menu["name"] = json!("Sales (imported)");
            menu["agent_assignments"] = json!([{"agent_id": members_before[1]}]);
        }
    }
    let (status, body) = import(&s, "settings.zip", "PK\u{3}\u{4}", &email).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"message": "Only JSON files are supported by ccemu"})
    );
    let (status, body) = import(&s, "import.json", &changed.to_string(), "").await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"message": "param is missing or the value is empty: email"})
    );
    let (status, imported) = import(&s, "import.json", &changed.to_string(), &email).await;
    assert_eq!(status, 200, "{imported}");
    assert_version(&imported, "import", Some(&email));
    let (_, menu) = get(&s, "/manager/api/v1/menus/9001").await;
    assert_eq!(menu["name"], "Sales (imported)");
    assert_eq!(assignees(&menu), [members_before[1]]);

    // The export's version still holds the original document.
    let (status, headers, stored) = call(
        &s,
        TOKEN,
        reqwest::Method::GET,
        &format!("{QS}/version_histories/{export_id}/download"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(stored, doc);

    // Another tenant does not see this tenant's versions.
    let t = s.create_tenant("other").await;
    let u = &t["credentials"]["ujet"];
    let other = (
        u["subdomain"].as_str().unwrap(),
        u["api_token"].as_str().unwrap(),
    );
    let (status, _, body) = call(
        &s,
        other,
        reqwest::Method::GET,
        &format!("{QS}/version_histories/{export_id}"),
        None,
    )
    .await;
    assert_eq!((status, body), (404, json!({"message": "Not Found"})));
    let (status, _, body) = call(
        &s,
        other,
        reqwest::Method::GET,
        &format!("{QS}/version_histories"),
        None,
    )
    .await;
    assert_eq!((status, body), (200, json!([])));
    let restore = json!({"id": export_id, "email": email, "revision": exported["revision"]});
    let (status, _, _) = call(
        &s,
        other,
        reqwest::Method::POST,
        &format!("{QS}/version_histories/restore"),
        Some(restore.clone()),
    )
    .await;
    assert_eq!(status, 400, "the other tenant has no user {email}");

    // Restore the export: the menu's settings are back.
    let (status, _, restored) = call(
        &s,
        TOKEN,
        reqwest::Method::POST,
        &format!("{QS}/version_histories/restore"),
        Some(restore),
    )
    .await;
    assert_eq!(status, 200, "{restored}");
    assert_version(&restored, "restore", Some(&email));
    let (_, menu) = get(&s, "/manager/api/v1/menus/9001").await;
    assert_eq!(menu["name"], "Sales");
    assert_eq!(assignees(&menu), members_before);
    let (_, list) = get(&s, &format!("{QS}/version_histories")).await;
    let kinds: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["restore", "import", "export"]);
    let (_, one) = get(&s, &format!("{QS}/version_histories/{}", restored["id"])).await;
    assert_eq!(one, restored);
}
