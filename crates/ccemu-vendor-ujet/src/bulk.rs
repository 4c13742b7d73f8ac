//! Multipart uploads (`vendor-notes/ujet.md` §3.3, §3.4, §7): a `file` part holding a JSON array
//! and, on a re-upload, an `id` part naming the job.

use axum::extract::multipart::{Multipart, MultipartRejection};
use serde_json::Value;

use crate::dto;
use crate::error::{Api, UjetError};

/// The parts of an upload that ccemu reads.
#[derive(Debug, Default)]
pub(crate) struct Upload {
    /// The `id` part, trimmed.
    pub id: Option<String>,
    /// The `file` part parsed as a JSON array.
    pub rows: Vec<Value>,
}

/// Reads `file` (required, a JSON array) and `id` from a multipart body; anything else is a 400.
pub(crate) async fn read_upload(
    api: Api,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Upload, UjetError> {
    let bad = |m: &str| UjetError::BadRequest(api, m.to_owned());
    let mut multipart = multipart.map_err(|_| bad("Request must be multipart/form-data"))?;
    let mut upload = Upload::default();
    let mut file = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return Err(bad("Malformed multipart body")),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|_| bad("Malformed multipart body"))?;
        match name.as_str() {
            "file" => file = Some(bytes),
            "id" => {
                let text = String::from_utf8_lossy(&bytes).trim().to_owned();
                upload.id = Some(text).filter(|t| !t.is_empty());
            }
            _ => {}
        }
    }
    let file = file.ok_or_else(|| UjetError::BadRequest(api, dto::missing("file")))?;
    upload.rows = match serde_json::from_slice::<Value>(&file) {
        Ok(Value::Array(rows)) => rows,
        _ => return Err(bad("file must be a JSON array")),
    };
    Ok(upload)
}

// --- Bulk user management (§3.3) ---

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use ccemu_core::agent::{Agent, Capacity, Role};
use ccemu_core::{Job, JobStatus, JobStep, JobWork, StepAction, Team};
use ccemu_engine::{AgentPatch, Engine, Op, OpOutput};
use serde_json::{json, Map};

use crate::auth::Authed;
use crate::campaigns::job_status;

/// Kind of the engine job of a bulk user upload.
const BULK_JOB: &str = "bulk_users";
/// Highest `max_chat_limit` a row may set (the engine's chat capacity cap).
const MAX_CHAT_LIMIT: u64 = Capacity::MAX_CHAT as u64;
/// The roles of a template row, in UJET's names.
const ROLES: [&str; 3] = ["Admin", "Manager", "Agent"];

fn engine_err(api: Api) -> impl Fn(ccemu_engine::EngineError) -> UjetError {
    move |e| UjetError::from_engine(api, e)
}

/// The agent's UJET `location` (kept among the agent's vendor fields).
fn location(agent: &Agent) -> Option<&str> {
    agent.extra.get("location").and_then(Value::as_str)
}

/// The upload link of a job: `/bulk/users_jobs/{id}` under the request's origin.
fn job_link(auth: &Authed, id: &str) -> String {
    auth.origin
        .url(&format!("/apps/api/v1/bulk/users_jobs/{id}"))
}

fn bulk_job_json(auth: &Authed, job: &Job) -> Value {
    let rows = job.input.as_array().map_or(0, Vec::len);
    json!({
        "id": job.id.parse::<i64>().map_or(json!(job.id), |n| json!(n)),
        "status": job_status(job.status),
        "link": job_link(auth, &job.id),
        "total": rows,
        "processed": job.work.as_ref().map_or_else(
            || job.result.get("processed").cloned().unwrap_or(json!(0)),
            |w| json!(w.done),
        ),
        "created_at": dto::time(job.created_at_ms),
        "updated_at": dto::time(job.updated_at_ms),
    })
}

/// `GET /bulk/users/template`: one row per agent in the upload format.
pub async fn get_bulk_users_template(auth: Authed, State(engine): State<Engine>) -> Response {
    let result = async {
        auth.require_api_token()?;
        let tenant = &auth.tenant.id;
        let agents = crate::agents::all(&engine, tenant)
            .await
            .map_err(engine_err(auth.api))?;
        let teams: Vec<Team> = engine.teams(tenant).await.map_err(engine_err(auth.api))?;
        let rows: Vec<Value> = agents
            .iter()
            .map(|a| {
                let role = match a.role {
                    Role::Admin => "Admin",
                    Role::Supervisor => "Manager",
                    Role::Agent => "Agent",
                };
                json!({
                    "email": a.email,
                    "new_email": "",
                    "agent_number": a.id,
                    "first_name": a.first_name,
                    "last_name": a.last_name,
                    "status": if a.enabled { "Active" } else { "Inactive" },
                    "location": location(a).unwrap_or_default(),
                    "max_chat_limit": a.capacity.chat,
                    // The same flag `/users` shows, so a template row reads like the user.
                    "max_chat_limit_enabled": i32::from(a.extra.get(LIMIT_ENABLED).and_then(Value::as_bool).unwrap_or(false)),
                    "roles": ROLES.iter().map(|r| json!({"name": r, "value": i32::from(*r == role)})).collect::<Vec<_>>(),
                    "teams": teams.iter().map(|t| json!({"name": t.name, "value": i32::from(a.team_ids.contains(&t.id))})).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(Value::Array(rows))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// A 0/1/empty flag of a row.
/// The agent's vendor field `/users` reads as `max_chat_limit_enabled`.
const LIMIT_ENABLED: &str = "max_chat_limit_enabled";

fn flag(value: Option<&Value>) -> Result<Option<bool>, ()> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => match v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        {
            Some(0) => Ok(Some(false)),
            Some(1) => Ok(Some(true)),
            _ => Err(()),
        },
    }
}

fn valid_email(text: &str) -> bool {
    let Some((user, domain)) = text.split_once('@') else {
        return false;
    };
    !user.is_empty() && domain.contains('.') && !domain.starts_with('.') && !text.contains(' ')
}

fn str_field<'a>(row: &'a Value, name: &str) -> &'a str {
    row.get(name).and_then(Value::as_str).map_or("", str::trim)
}

/// The scheme errors of an upload (§3.3 "Bulk row validation"), one per broken rule.
fn scheme_errors(rows: &[Value], locations: &[String]) -> Vec<Value> {
    let mut errors = Vec::new();
    let mut emails = std::collections::HashSet::new();
    let mut new_emails = std::collections::HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let mut error = |field: &str, message: &str| {
            errors.push(json!({"row": i + 1, "field": field, "message": message}));
        };
        if !row.is_object() {
            error("row", "row must be an object");
            continue;
        }
        let email = str_field(row, "email");
        if email.is_empty() {
            error("email", "email is required");
        } else if !valid_email(email) {
            error("email", "email is invalid");
        } else if !emails.insert(email.to_lowercase()) {
            error("email", "email is duplicated in the file");
        }
        let new_email = str_field(row, "new_email");
        if !new_email.is_empty() {
            if !valid_email(new_email) {
                error("new_email", "new_email is invalid");
            } else if !new_emails.insert(new_email.to_lowercase()) {
                error("new_email", "new_email is duplicated in the file");
            }
        }
        for name in ["first_name", "last_name"] {
            if str_field(row, name).is_empty() {
                error(name, &format!("{name} is required"));
            }
        }
        if !["Active", "Inactive", ""].contains(&str_field(row, "status")) {
            error("status", "status must be Active, Inactive or empty");
        }
        let place = str_field(row, "location");
        if !place.is_empty() && !locations.iter().any(|l| l.eq_ignore_ascii_case(place)) {
            error("location", "location does not exist");
        }
        match row.get("max_chat_limit") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.trim().is_empty() => {}
            Some(v) => {
                let n = v
                    .as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
                if !n.is_some_and(|n| (1..=MAX_CHAT_LIMIT).contains(&n)) {
                    error(
                        "max_chat_limit",
                        &format!("max_chat_limit must be 1 to {MAX_CHAT_LIMIT} or empty"),
                    );
                }
            }
        }
        if flag(row.get("max_chat_limit_enabled")).is_err() {
            error(
                "max_chat_limit_enabled",
                "max_chat_limit_enabled must be 0, 1 or empty",
            );
        }
        for list in ["roles", "teams"] {
            let items = row
                .get(list)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if items.iter().any(|item| flag(item.get("value")).is_err()) {
                error(list, &format!("{list}[].value must be 0, 1 or empty"));
            }
        }
    }
    errors
}

/// The scheme errors of `rows` against the tenant's agents as they are now: the verdict the
/// engine records when it takes the job up (`valid_scheme` or `invalid_scheme`).
async fn verdict(auth: &Authed, engine: &Engine, rows: &[Value]) -> Result<Vec<Value>, UjetError> {
    let agents = crate::agents::all(engine, &auth.tenant.id)
        .await
        .map_err(engine_err(auth.api))?;
    let locations: Vec<String> = agents
        .iter()
        .filter_map(location)
        .map(str::to_owned)
        .collect();
    Ok(scheme_errors(rows, &locations))
}

/// The tenant's bulk job `id`; another tenant's or another kind's is not found.
async fn bulk_job(auth: &Authed, engine: &Engine, id: &str) -> Result<Job, UjetError> {
    let job: Option<Job> = engine
        .record(&auth.tenant.id, id.trim())
        .await
        .map_err(engine_err(auth.api))?;
    job.filter(|j| j.kind == BULK_JOB)
        .ok_or(UjetError::NotFound(auth.api))
}

fn with_link(auth: &Authed, job: &Job, status: StatusCode) -> Response {
    let mut response = dto::ok(auth, status, bulk_job_json(auth, job));
    if let Ok(value) = HeaderValue::from_str(&job_link(auth, &job.id)) {
        response.headers_mut().insert(header::LINK, value);
    }
    response
}

/// `POST /bulk/users/upload` (multipart `file`): a new job answers `created`; the file is
/// checked at once and the engine records the verdict (`valid_scheme` or `invalid_scheme`).
pub async fn upload_bulk_users(
    auth: Authed,
    State(engine): State<Engine>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    upload(auth, engine, multipart, false).await
}

/// `PUT /bulk/users/upload`: multipart `id` (required) and `file`.
pub async fn reupload_bulk_users(
    auth: Authed,
    State(engine): State<Engine>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    upload(auth, engine, multipart, true).await
}

async fn upload(
    auth: Authed,
    engine: Engine,
    multipart: Result<Multipart, MultipartRejection>,
    replace: bool,
) -> Response {
    let result = async {
        auth.require_api_token()?;
        let upload = read_upload(auth.api, multipart).await?;
        let work = JobWork::validation(verdict(&auth, &engine, &upload.rows).await?);
        let op = if replace {
            let id = upload
                .id
                .ok_or_else(|| UjetError::BadRequest(auth.api, dto::missing("id")))?;
            let mut job = bulk_job(&auth, &engine, &id).await?;
            if matches!(job.status, JobStatus::Running | JobStatus::Finished) {
                return Err(UjetError::BadRequest(
                    auth.api,
                    format!(
                        "Job {id} is {} and cannot be changed",
                        job_status(job.status)
                    ),
                ));
            }
            job.input = Value::Array(upload.rows);
            job.status = JobStatus::Created;
            job.errors.clear();
            job.work = Some(work);
            Op::UpdateJob(Box::new(job))
        } else {
            let mut job = Job::new(BULK_JOB, None, Value::Array(upload.rows));
            job.work = Some(work);
            Op::CreateJob(Box::new(job))
        };
        let output = engine.execute(&auth.tenant.id, op).await;
        let OpOutput::Job(job) = output.map_err(engine_err(auth.api))? else {
            return Err(UjetError::Internal(auth.api));
        };
        Ok(*job)
    }
    .await;
    match result {
        Ok(job) => with_link(&auth, &job, StatusCode::OK),
        Err(error) => dto::fail(&auth, error),
    }
}

/// The job id of a proceed request: JSON `{"id"}` or a form `id=` [inferred: accept both].
fn proceed_id(raw: &Bytes) -> Option<String> {
    if let Ok(value) = serde_json::from_slice::<Value>(raw) {
        return value.get("id").and_then(|v| match v {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
    }
    form_urlencoded::parse(raw)
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.trim().to_owned())
}

/// `POST /bulk/users/proceed`: starts a `valid_scheme` job; its rows, compiled into agent
/// changes against the agents as they are now, are applied by the engine in the background.
pub async fn proceed_bulk_users_job(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        auth.require_api_token()?;
        let id = proceed_id(&raw)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| UjetError::BadRequest(auth.api, dto::missing("id")))?;
        let mut job = bulk_job(&auth, &engine, &id).await?;
        if job.status != JobStatus::Validated {
            return Err(UjetError::BadRequest(
                auth.api,
                format!("Job {id} is {}, not valid_scheme", job_status(job.status)),
            ));
        }
        job.work = Some(JobWork::steps(compile_job(&auth, &engine, &job).await?));
        job.status = JobStatus::Running;
        let output = engine
            .execute(&auth.tenant.id, Op::UpdateJob(Box::new(job)))
            .await;
        let OpOutput::Job(job) = output.map_err(engine_err(auth.api))? else {
            return Err(UjetError::Internal(auth.api));
        };
        Ok(*job)
    }
    .await;
    match result {
        Ok(job) => with_link(&auth, &job, StatusCode::OK),
        Err(error) => dto::fail(&auth, error),
    }
}

/// One row as an agent change: the agent with the row's `email` is updated, else created with
/// the next free number (`agents` takes it, so that the next row numbers after it).
fn compile_row(
    api: Api,
    row: &Value,
    agents: &mut Vec<Agent>,
    teams: &[Team],
) -> Result<StepAction, UjetError> {
    let email = str_field(row, "email");
    let first = str_field(row, "first_name");
    let last = str_field(row, "last_name");
    let new_email = Some(str_field(row, "new_email")).filter(|e| !e.is_empty());
    let flags = |list: &str| -> Vec<String> {
        row.get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|i| flag(i.get("value")) == Ok(Some(true)))
            .filter_map(|i| i.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect()
    };
    let roles = flags("roles");
    let role = if roles.iter().any(|r| r == "Admin") {
        Some(Role::Admin)
    } else if roles.iter().any(|r| r == "Manager") {
        Some(Role::Supervisor)
    } else if roles.iter().any(|r| r == "Agent") {
        Some(Role::Agent)
    } else {
        None
    };
    let enabled = match str_field(row, "status") {
        "Active" => Some(true),
        "Inactive" => Some(false),
        _ => None,
    };
    if let Some(agent) = agents.iter().find(|a| a.email.eq_ignore_ascii_case(email)) {
        let patch = AgentPatch {
            name: Some(format!("{first} {last}")),
            email: new_email.map(str::to_owned),
            role,
            enabled,
            ..AgentPatch::default()
        };
        return Ok(StepAction::UpdateAgent {
            agent_id: agent.id.clone(),
            patch,
        });
    }
    let next = agents
        .iter()
        .filter_map(|a| a.id.parse::<u64>().ok())
        .max()
        .unwrap_or(1000)
        + 1;
    let team_names = flags("teams");
    let team_ids: Vec<&str> = teams
        .iter()
        .filter(|t| team_names.contains(&t.name))
        .map(|t| t.id.as_str())
        .collect();
    let mut extra = Map::new();
    let place = str_field(row, "location");
    if !place.is_empty() {
        extra.insert("location".into(), json!(place));
    }
    let mut capacity = Capacity::default();
    let limit = row.get("max_chat_limit").and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    });
    let enabled_limit = flag(row.get(LIMIT_ENABLED));
    if let Ok(Some(on)) = enabled_limit {
        extra.insert(LIMIT_ENABLED.into(), json!(on));
    }
    match (enabled_limit, limit) {
        // A disabled limit takes no chats: UJET then routes no chat to the agent [inferred].
        (Ok(Some(false)), _) => capacity.chat = 0,
        (_, Some(n)) => capacity.chat = u32::try_from(n).unwrap_or(Capacity::MAX_CHAT),
        _ => {}
    }
    let agent: Agent = serde_json::from_value(json!({
        "id": next.to_string(),
        "name": format!("{first} {last}"),
        "first_name": first,
        "last_name": last,
        "email": new_email.unwrap_or(email),
        "role": role.unwrap_or_default(),
        "enabled": enabled.unwrap_or(true),
        "team_ids": team_ids,
        "capacity": capacity,
        "extra": extra,
    }))
    .map_err(|_| UjetError::Internal(api))?;
    agents.push(agent.clone());
    Ok(StepAction::CreateAgent {
        agent: Box::new(agent),
    })
}

/// A job's rows as the engine's steps, one per row (the step's item is the 1-based row). The
/// agents are read once, as the job starts; a row that fails when its step runs is reported in
/// the job's errors.
async fn compile_job(auth: &Authed, engine: &Engine, job: &Job) -> Result<Vec<JobStep>, UjetError> {
    let tenant = &auth.tenant.id;
    let mut agents = crate::agents::all(engine, tenant)
        .await
        .map_err(engine_err(auth.api))?;
    let teams: Vec<Team> = engine.teams(tenant).await.map_err(engine_err(auth.api))?;
    let rows = job.input.as_array().map_or(&[][..], Vec::as_slice);
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            Ok(JobStep {
                item: i as u64 + 1,
                action: compile_row(auth.api, row, &mut agents, &teams)?,
            })
        })
        .collect()
}

/// The rows that failed when a job ran, `[{row, email, message}]`.
fn run_errors(api: Api, job: &Job) -> Value {
    let Some(work) = &job.work else {
        return job.result.get("errors").cloned().unwrap_or(json!([]));
    };
    let rows = job.input.as_array().map_or(&[][..], Vec::as_slice);
    let errors = work.failures.iter().map(|f| {
        let row = usize::try_from(f.item)
            .ok()
            .and_then(|n| rows.get(n.checked_sub(1)?));
        json!({
            "row": f.item,
            "email": row.map_or("", |r| str_field(r, "email")),
            "message": UjetError::from_step(api, &f.error).message(),
        })
    });
    Value::Array(errors.collect())
}

/// `GET /bulk/users/jobs/{job_id}` (and `/bulk/users_jobs/{job_id}`): one job.
pub async fn get_bulk_users_job(
    auth: Authed,
    State(engine): State<Engine>,
    Path(job_id): Path<String>,
) -> Response {
    let result = async {
        auth.require_api_token()?;
        let job = bulk_job(&auth, &engine, &job_id).await?;
        Ok(bulk_job_json(&auth, &job))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `GET /bulk/users/jobs`: every bulk job, newest first.
pub async fn list_bulk_users_jobs(auth: Authed, State(engine): State<Engine>) -> Response {
    let result = async {
        auth.require_api_token()?;
        let mut jobs: Vec<Job> = engine
            .records(&auth.tenant.id)
            .await
            .map_err(engine_err(auth.api))?;
        jobs.retain(|j| j.kind == BULK_JOB);
        jobs.sort_by_key(|j| std::cmp::Reverse(j.id.parse::<u64>().unwrap_or(0)));
        Ok(Value::Array(
            jobs.iter().map(|j| bulk_job_json(&auth, j)).collect(),
        ))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `GET /bulk/users/errors/scheme/{job_id}`: the validation errors `[{row, field, message}]`.
pub async fn get_bulk_users_scheme_errors(
    auth: Authed,
    State(engine): State<Engine>,
    Path(job_id): Path<String>,
) -> Response {
    let result = async {
        auth.require_api_token()?;
        let job = bulk_job(&auth, &engine, &job_id).await?;
        Ok(Value::Array(job.errors))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `GET /bulk/users/errors/{job_id}`: the rows that failed when the job ran `[{row, email, message}]`.
pub async fn get_bulk_users_errors(
    auth: Authed,
    State(engine): State<Engine>,
    Path(job_id): Path<String>,
) -> Response {
    let result = async {
        auth.require_api_token()?;
        let job = bulk_job(&auth, &engine, &job_id).await?;
        Ok(run_errors(auth.api, &job))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use ccemu_core::agent::Role;
    use serde_json::{json, Value};

    use ccemu_engine::JobConfig;

    use crate::routes::tests::*;

    const B: &str = "/apps/api/v1/bulk/users";

    /// Polls a job until its status is no longer `from`.
    async fn settle(c: &Ctx, id: i64, from: &str) -> Value {
        let mut job = Value::Null;
        for _ in 0..200 {
            job = c
                .send(Method::GET, &format!("{B}/jobs/{id}"), b"")
                .await
                .body;
            if job["status"] != from {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        job
    }

    fn row(email: &str, first: &str) -> Value {
        json!({
            "email": email, "new_email": "", "agent_number": "", "first_name": first,
            "last_name": "Doe", "status": "Active", "location": "", "max_chat_limit": 3,
            "max_chat_limit_enabled": 1, "roles": [{"name": "Manager", "value": 1}],
            "teams": [{"name": "Support", "value": 1}, {"name": "Sales", "value": 0}]
        })
    }

    #[tokio::test]
    async fn the_template_lists_every_agent_in_the_upload_format() {
        let c = ctx().await;
        let r = c.send(Method::GET, &format!("{B}/template"), b"").await;
        assert_eq!(r.status, StatusCode::OK);
        let rows = r.body.as_array().unwrap();
        let agents = crate::agents::all(&c.engine, &demo()).await.unwrap();
        assert_eq!(rows.len(), agents.len());
        let alice = agents.iter().find(|a| a.id == "1001").unwrap();
        let row = rows.iter().find(|r| r["agent_number"] == "1001").unwrap();
        assert_eq!(row["email"], json!(alice.email));
        assert_eq!(row["first_name"], json!(alice.first_name));
        assert_eq!(row["last_name"], json!(alice.last_name));
        assert_eq!(row["new_email"], "");
        assert_eq!(row["status"], "Active");
        assert_eq!(
            row["roles"],
            json!([{"name": "Admin", "value": 0}, {"name": "Manager", "value": 1}, {"name": "Agent", "value": 0}])
        );
        assert_eq!(
            row["teams"],
            json!([{"name": "Sales", "value": 1}, {"name": "Support", "value": 0}])
        );
        assert!(row["max_chat_limit"].is_u64() && row["max_chat_limit_enabled"].is_i64());
    }

    #[tokio::test]
    async fn upload_validate_proceed_creates_and_updates_agents() {
        let c = ctx().await;
        let agents = crate::agents::all(&c.engine, &demo()).await.unwrap();
        let bob = agents.iter().find(|a| a.id == "1002").unwrap().clone();
        let mut update = row(&bob.email, "Robert");
        update["new_email"] = json!("robert@example.com");
        update["status"] = json!("Inactive");
        let file = json!([row("new.agent@example.com", "Nina"), update]).to_string();
        let r = c
            .send_multipart(Method::POST, &format!("{B}/upload"), &[("file", &file)])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "created");
        let id = r.body["id"].as_i64().unwrap();
        let link = format!("https://127.0.0.1:8443/ujet.acme.co/apps/api/v1/bulk/users_jobs/{id}");
        assert_eq!(r.body["link"], json!(link));
        assert_eq!(r.headers["link"], link.as_str());
        let job = settle(&c, id, "created").await;
        assert_eq!(job["status"], "valid_scheme", "{job}");
        let r = c
            .send(Method::GET, &format!("{B}/errors/scheme/{id}"), b"")
            .await;
        assert_eq!(r.body, json!([]));
        // Proceed takes the id as a form field too.
        let r = c
            .send(Method::POST, &format!("{B}/proceed"), format!("id={id}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "in_progress");
        let job = settle(&c, id, "in_progress").await;
        assert_eq!(job["status"], "finished", "{job}");
        let r = c
            .send(
                Method::GET,
                &format!("/apps/api/v1/bulk/users_jobs/{id}"),
                b"",
            )
            .await;
        assert_eq!(r.body["status"], "finished");
        let r = c.send(Method::GET, &format!("{B}/errors/{id}"), b"").await;
        assert_eq!(r.body, json!([]));
        let agents = crate::agents::all(&c.engine, &demo()).await.unwrap();
        let nina = agents
            .iter()
            .find(|a| a.email == "new.agent@example.com")
            .unwrap();
        assert_eq!(
            (nina.first_name.as_str(), nina.last_name.as_str()),
            ("Nina", "Doe")
        );
        assert_eq!(nina.role, Role::Supervisor);
        assert_eq!(nina.team_ids, ["12"]);
        assert_eq!(nina.capacity.chat, 3);
        // The row's enabled limit is what `/users` and the template show afterwards.
        assert_eq!(nina.extra.get("max_chat_limit_enabled"), Some(&json!(true)));
        let bob = agents.iter().find(|a| a.id == "1002").unwrap();
        assert_eq!(bob.email, "robert@example.com");
        assert_eq!(bob.name, "Robert Doe");
        assert!(!bob.enabled);
        // A finished job cannot run again, nor take a new file.
        let r = c
            .send(
                Method::POST,
                &format!("{B}/proceed"),
                json!({"id": id}).to_string(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            r.body,
            apps(&format!("Job {id} is finished, not valid_scheme"))
        );
        let r = c
            .send_multipart(
                Method::PUT,
                &format!("{B}/upload"),
                &[("id", &id.to_string()), ("file", "[]")],
            )
            .await;
        assert_eq!(
            r.body,
            apps(&format!("Job {id} is finished and cannot be changed"))
        );
    }

    #[tokio::test]
    async fn a_job_cut_short_by_a_restart_resumes_and_applies_each_row_once() {
        // Two rows per transaction; the first engine stops after five rows, as a crash would.
        let halt = JobConfig {
            batch_steps: 2,
            halt_after_steps: Some(5),
        };
        let mut c = ctx_with(halt).await;
        let agents = crate::agents::all(&c.engine, &demo()).await.unwrap();
        let before = agents.len();
        let bob = agents.iter().find(|a| a.id == "1002").unwrap().clone();
        let mut rows: Vec<Value> = (0..12)
            .map(|i| row(&format!("new{i}@example.com"), &format!("N{i}")))
            .collect();
        rows[3] = row(&bob.email, "Robert");
        let file = Value::Array(rows).to_string();
        let r = c
            .send_multipart(Method::POST, &format!("{B}/upload"), &[("file", &file)])
            .await;
        let id = r.body["id"].as_i64().unwrap();
        assert_eq!(settle(&c, id, "created").await["status"], "valid_scheme");
        let r = c
            .send(Method::POST, &format!("{B}/proceed"), format!("id={id}"))
            .await;
        assert_eq!(r.body["status"], "in_progress", "{}", r.body);
        let mut job = Value::Null;
        for _ in 0..200 {
            job = c
                .send(Method::GET, &format!("{B}/jobs/{id}"), b"")
                .await
                .body;
            if job["processed"] == 5 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(
            (job["status"].clone(), job["processed"].clone()),
            (json!("in_progress"), json!(5)),
            "{job}"
        );
        c.restart(JobConfig::default()).await;
        let job = settle(&c, id, "in_progress").await;
        assert_eq!(
            (job["status"].clone(), job["processed"].clone()),
            (json!("finished"), json!(12)),
            "{job}"
        );
        // A row applied twice would fail: its agent would exist already.
        let r = c.send(Method::GET, &format!("{B}/errors/{id}"), b"").await;
        assert_eq!(r.body, json!([]));
        let agents = crate::agents::all(&c.engine, &demo()).await.unwrap();
        for i in (0..12).filter(|i| *i != 3) {
            let email = format!("new{i}@example.com");
            let found: Vec<_> = agents.iter().filter(|a| a.email == email).collect();
            assert_eq!(found.len(), 1, "{email}");
            assert_eq!(found[0].first_name, format!("N{i}"));
        }
        assert_eq!(
            agents.iter().find(|a| a.id == "1002").unwrap().name,
            "Robert Doe"
        );
        assert_eq!(agents.len(), before + 11);
    }

    #[tokio::test]
    async fn scheme_errors_name_each_broken_rule_and_a_reupload_fixes_them() {
        let c = ctx().await;
        let mut bad = row("x@example.com", "");
        bad["status"] = json!("Gone");
        bad["location"] = json!("Nowhere");
        bad["max_chat_limit"] = json!(0);
        bad["max_chat_limit_enabled"] = json!(2);
        bad["roles"] = json!([{"name": "Admin", "value": 5}]);
        let file = json!([bad, row("x@example.com", "Y"), row("not-an-email", "Z")]).to_string();
        let r = c
            .send_multipart(Method::POST, &format!("{B}/upload"), &[("file", &file)])
            .await;
        let id = r.body["id"].as_i64().unwrap();
        let job = settle(&c, id, "created").await;
        assert_eq!(job["status"], "invalid_scheme");
        let r = c
            .send(Method::GET, &format!("{B}/errors/scheme/{id}"), b"")
            .await;
        let got: Vec<_> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["row"].as_u64().unwrap(),
                    e["field"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let want: Vec<(u64, String)> = [
            (1, "first_name"),
            (1, "status"),
            (1, "location"),
            (1, "max_chat_limit"),
            (1, "max_chat_limit_enabled"),
            (1, "roles"),
            (2, "email"),
            (3, "email"),
        ]
        .into_iter()
        .map(|(r, f)| (r, f.to_owned()))
        .collect();
        assert_eq!(got, want);
        let r = c
            .send(
                Method::POST,
                &format!("{B}/proceed"),
                json!({"id": id}).to_string(),
            )
            .await;
        assert_eq!(
            r.body,
            apps(&format!("Job {id} is invalid_scheme, not valid_scheme"))
        );
        let file = json!([row("fixed@example.com", "F")]).to_string();
        let r = c
            .send_multipart(
                Method::PUT,
                &format!("{B}/upload"),
                &[("id", &id.to_string()), ("file", &file)],
            )
            .await;
        assert_eq!(
            (r.body["id"].as_i64(), r.body["status"].clone()),
            (Some(id), json!("created"))
        );
        assert_eq!(settle(&c, id, "created").await["status"], "valid_scheme");
        let r = c
            .send(Method::GET, &format!("{B}/errors/scheme/{id}"), b"")
            .await;
        assert_eq!(r.body, json!([]));
        // Jobs are listed newest first.
        let r = c
            .send_multipart(Method::POST, &format!("{B}/upload"), &[("file", "[]")])
            .await;
        let newer = r.body["id"].as_i64().unwrap();
        let r = c.send(Method::GET, &format!("{B}/jobs"), b"").await;
        let ids: Vec<_> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [newer, id]);
    }

    #[tokio::test]
    async fn bulk_refuses_the_company_secret_bad_requests_and_other_tenants_jobs() {
        let c = ctx().await;
        let r = c
            .send_multipart(Method::POST, &format!("{B}/upload"), &[("file", "[]")])
            .await;
        let id = r.body["id"].as_i64().unwrap();
        let legacy = basic(&c.ujet.company_key, &c.ujet.company_secret);
        for (method, uri) in [
            (Method::GET, format!("{B}/template")),
            (Method::GET, format!("{B}/jobs")),
            (Method::GET, format!("{B}/jobs/{id}")),
            (Method::POST, format!("{B}/proceed")),
            (Method::GET, format!("{B}/errors/{id}")),
        ] {
            let r = c.send_as(Some(&legacy), method.clone(), &uri, b"{}").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
            assert_eq!(r.body, manager("Unauthorized", "Invalid credentials", 401));
        }
        for (method, uri, body, message) in [
            (
                Method::POST,
                format!("{B}/proceed"),
                "{}",
                "param is missing or the value is empty: id",
            ),
            (
                Method::POST,
                format!("{B}/upload"),
                "[]",
                "Request must be multipart/form-data",
            ),
        ] {
            let r = c.send(method, &uri, body).await;
            assert_eq!(
                (r.status, r.body),
                (StatusCode::BAD_REQUEST, apps(message)),
                "{uri}"
            );
        }
        let r = c
            .send_multipart(Method::PUT, &format!("{B}/upload"), &[("file", "[]")])
            .await;
        assert_eq!(r.body, apps("param is missing or the value is empty: id"));
        let r = c
            .send_multipart(
                Method::POST,
                &format!("{B}/upload"),
                &[("file", "{\"a\":1}")],
            )
            .await;
        assert_eq!(r.body, apps("file must be a JSON array"));
        let r = c.send(Method::GET, &format!("{B}/jobs/999"), b"").await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let auth = basic(&o.subdomain, &o.api_token);
        let r = c
            .send_as(Some(&auth), Method::GET, &format!("{B}/jobs/{id}"), b"")
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
        let r = c
            .send_as(Some(&auth), Method::GET, &format!("{B}/jobs"), b"")
            .await;
        assert_eq!(r.body, json!([]));
        let body = json!({"id": id}).to_string();
        let r = c
            .send_as(Some(&auth), Method::POST, &format!("{B}/proceed"), &body)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}
