//! Export/Import Queue Settings (`vendor-notes/ujet.md` §3.6; the vendor page names seven items
//! and no paths): export the tenant's queue settings as a JSON document, import one, keep every
//! exported, imported, auto-saved and restored document as a version history item, and restore
//! one. Paths (`/queue_settings/...`) and every response shape are [inferred].
//!
//! A version is an engine [`Job`] of kind [`VERSION_JOB`]: the engine numbers it per tenant and
//! stores it, `input` holds the document and `result` the version's own fields (kind, revision,
//! email, the two export flags). Nothing runs in the background, so a version is `finished` the
//! moment it exists.
//!
//! The document lists the tenant's menus (its queues: id, name, parent, position, `menu_type`,
//! routing settings and member agents) and its contact lists. Importing or restoring applies the
//! menus' names, routing settings (`strategy`, `timeout_secs`, `max_length`) and member sets to
//! the existing queues through the engine; the whole document is checked before the first change,
//! so an unknown menu or agent id refuses it with nothing applied. Contact lists, tree position,
//! `menu_type` and queue levels are exported for reference and not applied [inferred].

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use ccemu_core::{Agent, ContactList, Job, JobStatus, Queue, RoutingStrategy};
use ccemu_engine::{Engine, Op, OpOutput, QueueLimits, QueuePatch};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::agents::num;
use crate::auth::Authed;
use crate::dto::{self, Params, Text};
use crate::error::{Api, UjetError};

/// Kind of the engine job that holds one version history item.
pub(crate) const VERSION_JOB: &str = "queue_settings_version";
/// Format name written into every exported document.
const FORMAT: &str = "ccemu.ujet.queue_settings";
/// The answer to a zip upload: ccemu reads JSON documents only.
pub const ONLY_JSON: &str = "Only JSON files are supported by ccemu";
/// UJET's caps on menus as far as they matter here (the engine refuses longer queues).
const LIMITS: QueueLimits = QueueLimits {
    max_length: 1000,
    max_queues: 1000,
};

fn engine_err(api: Api) -> impl Fn(ccemu_engine::EngineError) -> UjetError {
    move |e| UjetError::from_engine(api, e)
}

fn bad(api: Api, message: impl Into<String>) -> UjetError {
    UjetError::BadRequest(api, message.into())
}

/// What a version history item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Export,
    Import,
    AutoSaved,
    Restore,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::Import => "import",
            Self::AutoSaved => "auto_saved",
            Self::Restore => "restore",
        }
    }
}

/// The two export flags of a document.
#[derive(Debug, Clone, Copy)]
struct Flags {
    audio: bool,
    attached: bool,
}

/// The version history item (§3.6) [inferred shape].
fn version_json(job: &Job) -> Value {
    let r = &job.result;
    json!({
        "id": num(&job.id),
        "revision": r.get("revision").cloned().unwrap_or(Value::Null),
        "kind": r.get("kind").cloned().unwrap_or(Value::Null),
        "email": r.get("email").cloned().unwrap_or(Value::Null),
        "created_at": dto::time(job.created_at_ms),
        "export_audio_files": r.get("export_audio_files").and_then(Value::as_bool).unwrap_or(false),
        "export_attached_files": r.get("export_attached_files").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// The tenant's current queue settings as an export document.
async fn document(
    engine: &Engine,
    auth: &Authed,
    flags: Flags,
    now_ms: i64,
) -> Result<Value, UjetError> {
    let tenant = &auth.tenant.id;
    let mut queues = engine
        .queues(tenant, None)
        .await
        .map_err(engine_err(auth.api))?;
    queues.sort_by(|a, b| (a.position, &a.id).cmp(&(b.position, &b.id)));
    let mut lists: Vec<ContactList> = engine.records(tenant).await.map_err(engine_err(auth.api))?;
    lists.sort_by_key(|l| l.id.parse::<u64>().unwrap_or(0));
    let menus: Vec<Value> = queues
        .iter()
        .map(|q| {
            json!({
                "id": num(&q.id),
                "name": q.name,
                "parent_id": q.parent_id.as_deref().map(num),
                "position": q.position,
                "menu_type": q.extra.get("menu_type").and_then(Value::as_str).unwrap_or("ivr_menu"),
                "channels": q.channels,
                "routing": {
                    "strategy": q.strategy.name(),
                    "timeout_secs": q.timeout_secs,
                    "max_length": q.max_length,
                    "priority": q.priority,
                    "wrap_up_secs": q.wrap_up_secs,
                },
                "agent_assignments": q.members.iter().map(|m| json!({
                    "agent_id": num(&m.agent_id),
                    "queue_level": if m.tier == 0 { "primary" } else { "secondary" },
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({
        "format": FORMAT,
        "version": 1,
        "exported_at": dto::time(now_ms),
        "export_audio_files": flags.audio,
        "export_attached_files": flags.attached,
        "menus": menus,
        "contact_lists": lists.iter().map(crate::contact_lists::list_json).collect::<Vec<_>>(),
        "audio_files": [],
        "attached_files": [],
    }))
}

/// Stores a version holding `doc`.
async fn record(
    engine: &Engine,
    auth: &Authed,
    kind: Kind,
    email: Option<&str>,
    flags: Flags,
    doc: Value,
) -> Result<Job, UjetError> {
    let mut job = Job::new(VERSION_JOB, None, doc);
    job.status = JobStatus::Finished;
    job.result = json!({
        "kind": kind.name(),
        "revision": uuid::Uuid::new_v4().to_string(),
        "email": email,
        "export_audio_files": flags.audio,
        "export_attached_files": flags.attached,
    });
    match engine
        .execute(&auth.tenant.id, Op::CreateJob(Box::new(job)))
        .await
        .map_err(engine_err(auth.api))?
    {
        OpOutput::Job(job) => Ok(*job),
        _ => Err(UjetError::Internal(auth.api)),
    }
}

/// Every version of the tenant, newest first.
async fn versions(engine: &Engine, auth: &Authed) -> Result<Vec<Job>, UjetError> {
    let mut jobs: Vec<Job> = engine
        .records(&auth.tenant.id)
        .await
        .map_err(engine_err(auth.api))?;
    jobs.retain(|j| j.kind == VERSION_JOB);
    jobs.sort_by_key(|j| std::cmp::Reverse(j.id.parse::<u64>().unwrap_or(0)));
    Ok(jobs)
}

/// The tenant's version `id`; another tenant's, a job of another kind or none is not found.
async fn version(engine: &Engine, auth: &Authed, id: &str) -> Result<Job, UjetError> {
    let job: Option<Job> = engine
        .record(&auth.tenant.id, id.trim())
        .await
        .map_err(engine_err(auth.api))?;
    job.filter(|j| j.kind == VERSION_JOB)
        .ok_or(UjetError::NotFound(auth.api))
}

/// A required boolean query parameter (`true`|`false`).
fn flag_param(api: Api, params: &Params, name: &str) -> Result<bool, UjetError> {
    match params.get(name) {
        None => Err(bad(api, dto::missing(name))),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(bad(api, format!("{name} must be true or false"))),
    }
}

/// A required `email` naming one of the tenant's users.
async fn user_email(
    engine: &Engine,
    auth: &Authed,
    email: Option<String>,
) -> Result<String, UjetError> {
    let email = email
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .ok_or_else(|| bad(auth.api, dto::missing("email")))?;
    let agents = crate::agents::all(engine, &auth.tenant.id)
        .await
        .map_err(engine_err(auth.api))?;
    if agents.iter().any(|a| a.email.eq_ignore_ascii_case(&email)) {
        Ok(email)
    } else {
        Err(bad(auth.api, format!("User not found: {email}")))
    }
}

/// An id of a document (`9001` or `"9001"`) as the engine's text id.
fn doc_id(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// The changes of one menu of a document, checked against the tenant's queues and agents.
struct MenuChange {
    queue_id: String,
    patch: QueuePatch,
    members: Option<Vec<String>>,
}

/// Checks every menu of `doc` before anything changes; the first problem refuses the document.
fn plan(
    api: Api,
    doc: &Value,
    queues: &[Queue],
    agents: &[Agent],
) -> Result<Vec<MenuChange>, UjetError> {
    let menus = doc.get("menus").and_then(Value::as_array).ok_or_else(|| {
        bad(
            api,
            "file must be a queue settings export with a menus array",
        )
    })?;
    let mut changes = Vec::with_capacity(menus.len());
    for (i, menu) in menus.iter().enumerate() {
        let field = |name: &str| format!("menus[{i}].{name} is invalid");
        let id = menu
            .get("id")
            .and_then(doc_id)
            .ok_or_else(|| bad(api, dto::missing(&format!("menus[{i}].id"))))?;
        let queue = queues
            .iter()
            .find(|q| q.id == id)
            .ok_or_else(|| bad(api, format!("Unknown menu id: {id}")))?;
        let mut patch = QueuePatch::default();
        match menu.get("name") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if !s.trim().is_empty() => patch.name = Some(s.trim().into()),
            Some(_) => return Err(bad(api, field("name"))),
        }
        let routing = menu.get("routing").unwrap_or(&Value::Null);
        if !routing.is_null() && !routing.is_object() {
            return Err(bad(api, field("routing")));
        }
        match routing.get("strategy") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                patch.strategy = Some(
                    s.parse::<RoutingStrategy>()
                        .map_err(|_| bad(api, field("routing.strategy")))?,
                );
            }
            Some(_) => return Err(bad(api, field("routing.strategy"))),
        }
        let count = |name: &str| -> Result<Option<u32>, UjetError> {
            match routing.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| bad(api, field(&format!("routing.{name}")))),
            }
        };
        patch.timeout_secs = count("timeout_secs")?;
        patch.max_length = count("max_length")?;
        if patch
            .max_length
            .is_some_and(|n| n == 0 || n > LIMITS.max_length)
        {
            return Err(bad(api, field("routing.max_length")));
        }
        let members = match menu.get("agent_assignments") {
            None | Some(Value::Null) => None,
            Some(Value::Array(rows)) => {
                let mut list: Vec<String> = Vec::new();
                for (j, row) in rows.iter().enumerate() {
                    let agent_id = row.get("agent_id").and_then(doc_id).ok_or_else(|| {
                        bad(api, field(&format!("agent_assignments[{j}].agent_id")))
                    })?;
                    if !agents.iter().any(|a| a.id == agent_id) {
                        return Err(bad(api, format!("Unknown agent id: {agent_id}")));
                    }
                    if !list.contains(&agent_id) {
                        list.push(agent_id);
                    }
                }
                Some(list)
            }
            Some(_) => return Err(bad(api, field("agent_assignments"))),
        };
        changes.push(MenuChange {
            queue_id: queue.id.clone(),
            patch,
            members,
        });
    }
    Ok(changes)
}

/// Applies a document's menus to the tenant's queues (checked in full first).
async fn apply(engine: &Engine, auth: &Authed, doc: &Value) -> Result<(), UjetError> {
    let tenant = &auth.tenant.id;
    let err = engine_err(auth.api);
    let queues = engine.queues(tenant, None).await.map_err(&err)?;
    let agents = crate::agents::all(engine, tenant).await.map_err(&err)?;
    let changes = plan(auth.api, doc, &queues, &agents)?;
    for change in changes {
        let op = Op::UpdateQueue {
            queue_id: change.queue_id.clone(),
            patch: change.patch,
            limits: LIMITS,
        };
        engine.execute(tenant, op).await.map_err(&err)?;
        let Some(wanted) = change.members else {
            continue;
        };
        let current: Vec<String> = queues
            .iter()
            .find(|q| q.id == change.queue_id)
            .map(|q| q.members.iter().map(|m| m.agent_id.clone()).collect())
            .unwrap_or_default();
        if current == wanted {
            continue;
        }
        // The engine appends new members, so the document's order is only kept by re-adding
        // every member in it (queue levels start over at primary).
        if !current.is_empty() {
            let op = Op::RemoveQueueMembers {
                queue_ids: vec![change.queue_id.clone()],
                agent_ids: current,
            };
            engine.execute(tenant, op).await.map_err(&err)?;
        }
        for agent_id in wanted {
            let op = Op::AddQueueMembers {
                queue_ids: vec![change.queue_id.clone()],
                agent_ids: vec![agent_id],
            };
            engine.execute(tenant, op).await.map_err(&err)?;
        }
    }
    Ok(())
}

/// The export flags a document carries (false when absent).
fn doc_flags(doc: &Value) -> Flags {
    let get = |name: &str| doc.get(name).and_then(Value::as_bool).unwrap_or(false);
    Flags {
        audio: get("export_audio_files"),
        attached: get("export_attached_files"),
    }
}

async fn now_ms(engine: &Engine, auth: &Authed) -> Result<i64, UjetError> {
    Ok(engine
        .clock(&auth.tenant.id)
        .await
        .map_err(engine_err(auth.api))?
        .now_ms)
}

/// `GET /queue_settings/export?export_audio_files=..&export_attached_files=..` (§3.6 Export
/// queues settings): the document, recorded as an `export` version.
pub async fn export_queue_settings(
    auth: Authed,
    State(engine): State<Engine>,
    RawQuery(query): RawQuery,
) -> Response {
    let result = async {
        let params = Params::parse(query.as_deref());
        let flags = Flags {
            audio: flag_param(auth.api, &params, "export_audio_files")?,
            attached: flag_param(auth.api, &params, "export_attached_files")?,
        };
        let now = now_ms(&engine, &auth).await?;
        let doc = document(&engine, &auth, flags, now).await?;
        record(&engine, &auth, Kind::Export, None, flags, doc.clone()).await?;
        Ok(doc)
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `GET /queue_settings/version_histories` (§3.6 Retrieve version histories list): newest first.
pub async fn list_version_histories(auth: Authed, State(engine): State<Engine>) -> Response {
    let result = async {
        let jobs = versions(&engine, &auth).await?;
        Ok(Value::Array(jobs.iter().map(version_json).collect()))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `GET /queue_settings/version_histories/{id}` (§3.6 Retrieve a specific history by ID).
pub async fn get_version_history(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
) -> Response {
    let result = async { Ok(version_json(&version(&engine, &auth, &id).await?)) }.await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `GET /queue_settings/version_histories/{id}/download` (§3.6 Download queues setting): the
/// version's document as an attachment.
pub async fn download_version_history(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
) -> Response {
    let job = match version(&engine, &auth, &id).await {
        Ok(job) => job,
        Err(error) => return dto::fail(&auth, error),
    };
    let revision = job.result["revision"]
        .as_str()
        .unwrap_or(&job.id)
        .to_owned();
    let mut response = dto::ok(&auth, StatusCode::OK, job.input);
    let disposition = format!("attachment; filename=\"queue_settings_{revision}.json\"");
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `POST /queue_settings/import` (§3.6 Import queues setting): multipart `file` (a JSON export
/// document) and `email`; applies the document and records an `import` version.
pub async fn import_queue_settings(
    auth: Authed,
    State(engine): State<Engine>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let result = async {
        let api = auth.api;
        let mut multipart =
            multipart.map_err(|_| bad(api, "Request must be multipart/form-data"))?;
        let (mut file, mut email) = (None, None);
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(_) => return Err(bad(api, "Malformed multipart body")),
            };
            let name = field.name().unwrap_or_default().to_owned();
            let zip_name = field
                .file_name()
                .is_some_and(|f| f.to_ascii_lowercase().ends_with(".zip"));
            let bytes = field
                .bytes()
                .await
                .map_err(|_| bad(api, "Malformed multipart body"))?;
            match name.as_str() {
                "file" => file = Some((bytes, zip_name)),
                "email" => email = Some(String::from_utf8_lossy(&bytes).into_owned()),
                _ => {}
            }
        }
        let (bytes, zip_name) = file.ok_or_else(|| bad(api, dto::missing("file")))?;
        if zip_name || bytes.starts_with(b"PK\x03\x04") {
            return Err(bad(api, ONLY_JSON));
        }
        let doc: Value = serde_json::from_slice(&bytes)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| bad(api, "file must be a JSON queue settings export"))?;
        let email = user_email(&engine, &auth, email).await?;
        apply(&engine, &auth, &doc).await?;
        let flags = doc_flags(&doc);
        let job = record(&engine, &auth, Kind::Import, Some(&email), flags, doc).await?;
        Ok(version_json(&job))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

#[derive(Debug, Deserialize)]
struct AutoSaveBody {
    export_audio_files: Option<bool>,
    export_attached_files: Option<bool>,
}

/// `POST /queue_settings/version_histories` (§3.6 Create an auto_saved version history): a
/// version of the current settings, without an export.
pub async fn create_auto_saved_version(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: AutoSaveBody = dto::body(auth.api, &raw)?;
        let need = |v: Option<bool>, name: &str| v.ok_or_else(|| bad(auth.api, dto::missing(name)));
        let flags = Flags {
            audio: need(body.export_audio_files, "export_audio_files")?,
            attached: need(body.export_attached_files, "export_attached_files")?,
        };
        let now = now_ms(&engine, &auth).await?;
        let doc = document(&engine, &auth, flags, now).await?;
        let job = record(&engine, &auth, Kind::AutoSaved, None, flags, doc).await?;
        Ok(version_json(&job))
    }
    .await;
    dto::reply(&auth, StatusCode::CREATED, result)
}

#[derive(Debug, Deserialize)]
struct RestoreBody {
    id: Option<u64>,
    email: Option<Text>,
    revision: Option<Text>,
}

/// `POST /queue_settings/version_histories/restore` (§3.6 Restore version history): re-applies
/// the version named by `id` or `revision` (both given must agree) and records a `restore`.
pub async fn restore_version_history(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let api = auth.api;
        let body: RestoreBody = dto::body(api, &raw)?;
        let revision = body
            .revision
            .map(|t| t.0.trim().to_owned())
            .filter(|r| !r.is_empty());
        let email = user_email(&engine, &auth, body.email.map(|t| t.0)).await?;
        let job = match (body.id, revision) {
            (None, None) => return Err(bad(api, dto::missing("id"))),
            (Some(id), revision) => {
                let job = version(&engine, &auth, &id.to_string()).await?;
                if revision.is_some_and(|r| job.result["revision"].as_str() != Some(r.as_str())) {
                    return Err(bad(api, "id and revision name different versions"));
                }
                job
            }
            (None, Some(revision)) => versions(&engine, &auth)
                .await?
                .into_iter()
                .find(|j| j.result["revision"].as_str() == Some(revision.as_str()))
                .ok_or(UjetError::NotFound(api))?,
        };
        apply(&engine, &auth, &job.input).await?;
        let flags = doc_flags(&job.input);
        let restored = record(
            &engine,
            &auth,
            Kind::Restore,
            Some(&email),
            flags,
            job.input,
        )
        .await?;
        Ok(version_json(&restored))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use serde_json::{json, Value};

    use crate::routes::tests::{apps, basic, ctx, Ctx};

    const B: &str = "/apps/api/v1/queue_settings";

    async fn export(c: &Ctx) -> Value {
        let r = c
            .send(
                Method::GET,
                &format!("{B}/export?export_audio_files=false&export_attached_files=true"),
                b"",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body
    }

    async fn email(c: &Ctx) -> String {
        let r = c.send(Method::GET, "/apps/api/v1/users", b"").await;
        r.body[0]["email"].as_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn export_answers_the_menus_and_records_a_version() {
        let c = ctx().await;
        let doc = export(&c).await;
        assert_eq!(doc["format"], "ccemu.ujet.queue_settings");
        assert_eq!(doc["export_audio_files"], false);
        assert_eq!(doc["export_attached_files"], true);
        assert!(doc["exported_at"].as_str().unwrap().ends_with('Z'));
        let menus = doc["menus"].as_array().unwrap();
        assert_eq!(menus.len(), 2);
        assert_eq!(menus[0]["id"], json!(9001));
        assert_eq!(menus[0]["name"], "Sales");
        assert_eq!(menus[0]["parent_id"], Value::Null);
        assert_eq!(menus[0]["menu_type"], "ivr_menu");
        assert!(menus[0]["routing"]["strategy"].is_string());
        assert!(menus[0]["routing"]["timeout_secs"].is_u64());
        assert!(menus[0]["routing"]["max_length"].is_u64());
        let first = &menus[0]["agent_assignments"][0];
        assert_eq!(first["agent_id"], json!(1001));
        assert_eq!(first["queue_level"], "primary");
        assert!(doc["contact_lists"].is_array());

        let r = c
            .send(Method::GET, &format!("{B}/version_histories"), b"")
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let items = r.body.as_array().unwrap();
        assert_eq!(items.len(), 1);
        let item = &items[0];
        let id = item["id"].as_i64().unwrap();
        assert_eq!(item["kind"], "export");
        assert_eq!(item["email"], Value::Null);
        assert_eq!(item["export_audio_files"], false);
        assert_eq!(item["export_attached_files"], true);
        assert!(item["created_at"].as_str().unwrap().ends_with('Z'));
        let revision = item["revision"].as_str().unwrap();
        assert!(uuid::Uuid::parse_str(revision).is_ok(), "{revision}");

        let r = c
            .send(Method::GET, &format!("{B}/version_histories/{id}"), b"")
            .await;
        assert_eq!(r.body, *item);
        let r = c
            .send(
                Method::GET,
                &format!("{B}/version_histories/{id}/download"),
                b"",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, doc);
        assert_eq!(
            r.headers["content-disposition"],
            format!("attachment; filename=\"queue_settings_{revision}.json\"").as_str()
        );
    }

    #[tokio::test]
    async fn export_and_auto_save_require_both_flags() {
        let c = ctx().await;
        for (query, message) in [
            (
                "export_attached_files=true",
                "param is missing or the value is empty: export_audio_files",
            ),
            (
                "export_audio_files=false",
                "param is missing or the value is empty: export_attached_files",
            ),
            (
                "export_audio_files=yes&export_attached_files=true",
                "export_audio_files must be true or false",
            ),
        ] {
            let r = c
                .send(Method::GET, &format!("{B}/export?{query}"), b"")
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(r.body, apps(message), "{query}");
        }
        let r = c
            .send(
                Method::POST,
                &format!("{B}/version_histories"),
                br#"{"export_audio_files":false}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            r.body,
            apps("param is missing or the value is empty: export_attached_files")
        );
        let r = c
            .send(
                Method::POST,
                &format!("{B}/version_histories"),
                br#"{"export_audio_files":"no","export_attached_files":true}"#,
            )
            .await;
        assert_eq!(r.body, apps("export_audio_files is invalid"));
        let r = c
            .send(
                Method::POST,
                &format!("{B}/version_histories"),
                br#"{"export_audio_files":true,"export_attached_files":false}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.body["kind"], "auto_saved");
        assert_eq!(r.body["export_audio_files"], true);
        // Nothing was exported by the refused requests: only the auto-saved version exists.
        let r = c
            .send(Method::GET, &format!("{B}/version_histories"), b"")
            .await;
        assert_eq!(r.body.as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn import_applies_names_routing_and_members_and_restore_brings_them_back() {
        let c = ctx().await;
        let email = email(&c).await;
        let doc = export(&c).await;
        let export_item = c
            .send(Method::GET, &format!("{B}/version_histories"), b"")
            .await;
        let export_item = export_item.body[0].clone();
        let mut changed = doc.clone();
        changed["menus"][0]["name"] = json!("Sales Renamed");
        changed["menus"][0]["routing"]["strategy"] = json!("round_robin");
        changed["menus"][0]["agent_assignments"] = json!([{"agent_id": 1002}]);
        let file = changed.to_string();
        let r = c
            .send_multipart(
                Method::POST,
                &format!("{B}/import"),
                &[("file", &file), ("email", &email)],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["kind"], "import");
        assert_eq!(r.body["email"], json!(email));
        let import_id = r.body["id"].as_i64().unwrap();
        let menu = c.send(Method::GET, "/manager/api/v1/menus/9001", b"").await;
        assert_eq!(menu.body["name"], "Sales Renamed");
        let ids: Vec<_> = menu.body["agent_assignments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["assignee"]["id"].clone())
            .collect();
        assert!(ids.iter().all(|id| *id == json!(1002)) && !ids.is_empty());
        let again = export(&c).await;
        assert_eq!(again["menus"][0]["routing"]["strategy"], "round_robin");
        let r = c
            .send(
                Method::GET,
                &format!("{B}/version_histories/{import_id}/download"),
                b"",
            )
            .await;
        assert_eq!(r.body, changed);

        let body =
            json!({"id": export_item["id"], "email": email, "revision": export_item["revision"]});
        let r = c
            .send(
                Method::POST,
                &format!("{B}/version_histories/restore"),
                body.to_string(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["kind"], "restore");
        let after = export(&c).await;
        assert_eq!(after["menus"], doc["menus"]);
        let r = c
            .send(Method::GET, &format!("{B}/version_histories"), b"")
            .await;
        let kinds: Vec<_> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["kind"].clone())
            .collect();
        assert_eq!(kinds, ["export", "restore", "export", "import", "export"]);
    }

    #[tokio::test]
    async fn bad_imports_and_restores_change_nothing() {
        let c = ctx().await;
        let email = email(&c).await;
        let doc = export(&c).await;
        let mut unknown = doc.clone();
        unknown["menus"][0]["name"] = json!("Changed");
        unknown["menus"][1]["id"] = json!(4242);
        let mut bad_agent = doc.clone();
        bad_agent["menus"][0]["name"] = json!("Changed");
        bad_agent["menus"][1]["agent_assignments"] = json!([{"agent_id": 777}]);
        let mut bad_strategy = doc.clone();
        bad_strategy["menus"][0]["routing"]["strategy"] = json!("fastest");
        for (file, mail, message) in [
            (unknown.to_string(), email.as_str(), "Unknown menu id: 4242"),
            (
                bad_agent.to_string(),
                email.as_str(),
                "Unknown agent id: 777",
            ),
            (
                bad_strategy.to_string(),
                email.as_str(),
                "menus[0].routing.strategy is invalid",
            ),
            (
                doc.to_string(),
                "",
                "param is missing or the value is empty: email",
            ),
            (
                doc.to_string(),
                "nobody@example.com",
                "User not found: nobody@example.com",
            ),
            (
                "[1]".to_owned(),
                email.as_str(),
                "file must be a JSON queue settings export",
            ),
            (
                "{}".to_owned(),
                email.as_str(),
                "file must be a queue settings export with a menus array",
            ),
        ] {
            let r = c
                .send_multipart(
                    Method::POST,
                    &format!("{B}/import"),
                    &[("file", &file), ("email", mail)],
                )
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{message}");
            assert_eq!(r.body, apps(message));
        }
        let r = c
            .send_multipart(Method::POST, &format!("{B}/import"), &[("email", &email)])
            .await;
        assert_eq!(r.body, apps("param is missing or the value is empty: file"));
        let zip = "--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.zip\"\r\nContent-Type: application/zip\r\n\r\nPK\x03\x04rest\r\n--XB--\r\n";
        let auth = basic(&c.ujet.subdomain, &c.ujet.api_token);
        let r = c
            .send_with(
                Some(&auth),
                "multipart/form-data; boundary=XB",
                Method::POST,
                &format!("{B}/import"),
                zip,
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.body, apps(super::ONLY_JSON));
        let menu = c.send(Method::GET, "/manager/api/v1/menus/9001", b"").await;
        assert_eq!(menu.body["name"], "Sales");

        let item = c
            .send(Method::GET, &format!("{B}/version_histories"), b"")
            .await;
        let item = item.body[0].clone();
        let other_revision = uuid::Uuid::new_v4().to_string();
        for (body, status, message) in [
            (
                json!({"email": email}),
                400,
                Some("param is missing or the value is empty: id"),
            ),
            (
                json!({"id": item["id"]}),
                400,
                Some("param is missing or the value is empty: email"),
            ),
            (
                json!({"id": "x", "email": email}),
                400,
                Some("id is invalid"),
            ),
            (
                json!({"id": item["id"], "email": email, "revision": other_revision}),
                400,
                Some("id and revision name different versions"),
            ),
            (json!({"id": 99999, "email": email}), 404, Some("Not Found")),
            (
                json!({"revision": other_revision, "email": email}),
                404,
                Some("Not Found"),
            ),
            (
                json!({"revision": item["revision"], "email": email}),
                200,
                None,
            ),
        ] {
            let r = c
                .send(
                    Method::POST,
                    &format!("{B}/version_histories/restore"),
                    body.to_string(),
                )
                .await;
            assert_eq!(r.status.as_u16(), status, "{body}");
            if let Some(message) = message {
                assert_eq!(r.body, apps(message), "{body}");
            } else {
                assert_eq!(r.body["kind"], "restore");
            }
        }
    }

    #[tokio::test]
    async fn another_tenants_versions_are_not_found() {
        let c = ctx().await;
        export(&c).await;
        let id = c
            .send(Method::GET, &format!("{B}/version_histories"), b"")
            .await
            .body[0]["id"]
            .as_i64()
            .unwrap();
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let auth = basic(&o.subdomain, &o.api_token);
        for path in [
            format!("{B}/version_histories/{id}"),
            format!("{B}/version_histories/{id}/download"),
            format!("{B}/version_histories/abc"),
        ] {
            let r = c.send_as(Some(&auth), Method::GET, &path, b"").await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(r.body, apps("Not Found"));
        }
        let r = c
            .send_as(
                Some(&auth),
                Method::GET,
                &format!("{B}/version_histories"),
                b"",
            )
            .await;
        assert_eq!(r.body, json!([]));
        // A job of another kind is not a version either.
        let r = c
            .send(
                Method::GET,
                &format!("{B}/version_histories/{}", id + 1),
                b"",
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}
