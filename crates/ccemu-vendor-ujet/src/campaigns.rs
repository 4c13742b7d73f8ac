//! Outbound dialer campaigns (`vendor-notes/ujet.md` §3.4 and the Manager campaign reads of §4):
//! the contacts of a campaign, added, listed, changed and removed through the Apps API, and the
//! campaigns themselves read through the Manager API.
//!
//! Campaigns are created through the control plane (UJET has no create endpoint in the note) and
//! dialled by the engine's dialer, which skips numbers on the DNC list. A contact's `id` is its
//! 1-based position on its campaign's list and `campaign_id` the campaign's id, a number when the
//! id is one [inferred: UJET ids are integers]. `assigned_call_id` is the interaction of the
//! contact's last attempt.

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use ccemu_core::campaign::{CampaignContact, CampaignContactStatus as S};
use ccemu_core::{Job, JobStatus, JobStep, JobWork, StepAction};
use ccemu_engine::{CampaignContactPatch, CampaignView, Engine, Op, OpOutput};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::auth::Authed;
use crate::dto::{self, Params, Text};
use crate::error::{Api, UjetError};
use crate::{bulk, paging};

/// UJET's name of a contact status (§5). Statuses UJET does not list take the nearest one: a
/// preview is `Dialing`, a busy line `Not Reached to Contact`, a contact cancelled by a stop
/// `Skipped & Closed`.
pub fn contact_status(status: S) -> &'static str {
    match status {
        S::Upcoming => "Upcoming",
        S::Previewing | S::Dialing => "Dialing",
        S::Queued => "Queued",
        S::Connected => "Connected",
        S::Finished => "Finished",
        S::Transferred => "Transferred",
        S::TransferredAndFinished => "Transferred and Finished",
        S::NotPickedUp => "Not Picked Up",
        S::NotReachedToContact | S::Busy => "Not Reached to Contact",
        S::AbandonedByContact => "Abandoned by Contact",
        S::Skipped => "Skipped",
        S::SkippedAndClosed | S::Cancelled => "Skipped & Closed",
        S::InvalidNumber => "Invalid Number",
        S::CarrierError => "Carrier Error",
        S::AbandonedByDialer => "Abandoned by Dialer",
        S::VoicemailHungUp => "Voicemail Hung Up",
        S::DialerGeneralError => "Dialer General Error",
        S::RedialScheduled => "Redial Scheduled",
        S::DoNotCall => "Do Not Call",
        S::InvalidOutboundNumber => "Invalid Outbound Number",
        S::BlockedPhoneNumber => "Blocked Phone Number",
    }
}

/// An id as UJET writes it: a number when it is one.
fn wire_id(id: &str) -> Value {
    id.parse::<i64>().map_or_else(|_| json!(id), |n| json!(n))
}

/// The list position of a contact record id (`<campaign id>.<n>`).
fn position(contact_id: &str) -> Option<i64> {
    contact_id.rsplit_once('.')?.1.parse().ok()
}

/// Whether a contact was removed through the API (it stays on the dialer's list, see the engine).
fn removed(c: &CampaignContact) -> bool {
    c.status == S::SkippedAndClosed
}

/// The campaign contact object (§5), plus the `phone_number` and `email` it was given.
pub fn contact_json(c: &CampaignContact) -> Value {
    json!({
        "assigned_call_id": c.interaction_id,
        "assigned_participant_id": null,
        "campaign_id": wire_id(&c.campaign_id),
        "created_at": dto::time(c.created_at_ms),
        "id": position(&c.id),
        "name": c.name,
        "email": c.email,
        "phone_number": c.phone_number,
        "outbound_number": c.outbound_number,
        "priority": c.priority,
        "status": contact_status(c.status),
        "unique_id": c.external_id,
        "updated_at": dto::time(c.updated_at_ms),
    })
}

/// The Manager campaign object: the fields reporting clients read (§4).
pub fn campaign_json(view: &CampaignView) -> Value {
    let c = &view.campaign;
    let mut stats = Map::new();
    let listed: Vec<_> = view.contacts.iter().filter(|c| !removed(c)).collect();
    stats.insert("total".into(), json!(listed.len()));
    for contact in listed {
        let entry = stats
            .entry(contact_status(contact.status))
            .or_insert(json!(0));
        *entry = json!(entry.as_u64().unwrap_or(0) + 1);
    }
    json!({
        "id": wire_id(&c.id),
        "name": c.name,
        "description": c.description,
        "status": serde_json::to_value(c.status).unwrap_or(Value::Null),
        "mode": serde_json::to_value(c.mode).unwrap_or(Value::Null),
        "created_at": dto::time(c.created_at_ms),
        "updated_at": dto::time(c.updated_at_ms),
        "contact_stats": Value::Object(stats),
    })
}

/// The tenant's campaign with the UJET id `id`; another tenant's id is not found.
async fn campaign(auth: &Authed, engine: &Engine, id: &str) -> Result<CampaignView, UjetError> {
    let views = engine
        .campaigns(&auth.tenant.id)
        .await
        .map_err(|e| UjetError::from_engine(auth.api, e))?;
    views
        .into_iter()
        .find(|v| v.campaign.id == id)
        .ok_or(UjetError::NotFound(auth.api))
}

async fn run(auth: &Authed, engine: &Engine, op: Op) -> Result<OpOutput, UjetError> {
    engine
        .execute(&auth.tenant.id, op)
        .await
        .map_err(|e| UjetError::from_engine(auth.api, e))
}

/// Body of an added contact.
#[derive(Debug, Deserialize)]
pub(crate) struct NewContact {
    name: Option<Text>,
    email: Option<Text>,
    phone_number: Option<Text>,
    outbound_number: Option<Text>,
    external_unique_id: Option<Text>,
}

fn text(value: Option<Text>) -> Option<String> {
    value
        .map(|t| t.0.trim().to_owned())
        .filter(|s| !s.is_empty())
}

impl NewContact {
    /// The engine's contact; the number is required.
    pub(crate) fn into_contact(self, api: Api) -> Result<CampaignContact, UjetError> {
        let phone_number = dto::required(api, "phone_number", self.phone_number)?;
        Ok(CampaignContact {
            id: String::new(),
            campaign_id: String::new(),
            name: text(self.name).unwrap_or_default(),
            email: text(self.email).unwrap_or_default(),
            phone_number,
            outbound_number: text(self.outbound_number),
            external_id: text(self.external_unique_id),
            priority: None,
            status: S::Upcoming,
            attempts: 0,
            interaction_id: None,
            retry_at_ms: None,
            created_at_ms: 0,
            updated_at_ms: 0,
        })
    }
}

/// Appends contacts to a campaign; answers the new contacts.
pub(crate) async fn add_contacts(
    auth: &Authed,
    engine: &Engine,
    campaign_id: &str,
    contacts: Vec<CampaignContact>,
) -> Result<Vec<Value>, UjetError> {
    campaign(auth, engine, campaign_id).await?;
    let n = contacts.len();
    let op = Op::AddCampaignContacts {
        campaign_id: campaign_id.to_owned(),
        contacts,
    };
    let OpOutput::Campaign(view) = run(auth, engine, op).await? else {
        return Err(UjetError::Internal(auth.api));
    };
    let start = view.contacts.len().saturating_sub(n);
    Ok(view.contacts[start..].iter().map(contact_json).collect())
}

/// `POST /outbound_dialer/campaigns/{campaign_id}/contacts`: adds one contact (201).
pub async fn add_campaign_contact(
    auth: Authed,
    State(engine): State<Engine>,
    Path(campaign_id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let contact = dto::body::<NewContact>(auth.api, &raw)?.into_contact(auth.api)?;
        let mut added = add_contacts(&auth, &engine, &campaign_id, vec![contact]).await?;
        Ok(added.pop().unwrap_or(Value::Null))
    }
    .await;
    dto::reply(&auth, StatusCode::CREATED, result)
}

/// `GET /outbound_dialer/campaigns/{campaign_id}/contacts`: the list in dial order.
pub async fn list_campaign_contacts(
    auth: Authed,
    State(engine): State<Engine>,
    Path(campaign_id): Path<String>,
) -> Response {
    let result = campaign(&auth, &engine, &campaign_id).await.map(|view| {
        let rows = view.contacts.iter().filter(|c| !removed(c));
        Value::Array(rows.map(contact_json).collect())
    });
    dto::reply(&auth, StatusCode::OK, result)
}

/// Body of a contact update or removal: the contact by `contact_id`, else by
/// `external_unique_id`, else by `phone_number`.
#[derive(Debug, Deserialize)]
struct ContactRef {
    contact_id: Option<Text>,
    name: Option<Text>,
    email: Option<Text>,
    phone_number: Option<Text>,
    outbound_number: Option<Text>,
    external_unique_id: Option<Text>,
}

/// The engine id of the contact a body names.
fn find_contact(
    api: Api,
    view: &CampaignView,
    body: &ContactRef,
    by_fields: bool,
) -> Result<String, UjetError> {
    let listed = view.contacts.iter().filter(|c| !removed(c));
    if let Some(Text(id)) = &body.contact_id {
        let n: i64 = id
            .trim()
            .parse()
            .map_err(|_| UjetError::BadRequest(api, "contact_id is invalid".into()))?;
        return listed
            .filter(|c| position(&c.id) == Some(n))
            .map(|c| c.id.clone())
            .next()
            .ok_or(UjetError::NotFound(api));
    }
    if !by_fields {
        return Err(UjetError::BadRequest(api, dto::missing("contact_id")));
    }
    let unique = text(body.external_unique_id.clone());
    let number =
        text(body.phone_number.clone()).and_then(|n| ccemu_core::dnc::normalize_phone(&n).ok());
    if unique.is_none() && number.is_none() {
        return Err(UjetError::BadRequest(api, dto::missing("contact_id")));
    }
    listed
        .filter(|c| match (&unique, &number) {
            (Some(u), _) => c.external_id.as_ref() == Some(u),
            (None, Some(n)) => {
                ccemu_core::dnc::normalize_phone(&c.phone_number)
                    .ok()
                    .as_ref()
                    == Some(n)
            }
            (None, None) => false,
        })
        .map(|c| c.id.clone())
        .next()
        .ok_or(UjetError::NotFound(api))
}

/// `PATCH /outbound_dialer/campaigns/{campaign_id}/contact`: changes a contact not dialled yet.
pub async fn update_campaign_contact(
    auth: Authed,
    State(engine): State<Engine>,
    Path(campaign_id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: ContactRef = dto::body(auth.api, &raw)?;
        let view = campaign(&auth, &engine, &campaign_id).await?;
        let contact_id = find_contact(auth.api, &view, &body, false)?;
        let patch = CampaignContactPatch {
            name: text(body.name),
            email: text(body.email),
            phone_number: text(body.phone_number),
            outbound_number: text(body.outbound_number),
            external_id: text(body.external_unique_id),
        };
        let op = Op::UpdateCampaignContact {
            campaign_id: campaign_id.clone(),
            contact_id: contact_id.clone(),
            patch,
        };
        let OpOutput::Campaign(view) = run(&auth, &engine, op).await? else {
            return Err(UjetError::Internal(auth.api));
        };
        view.contacts
            .iter()
            .find(|c| c.id == contact_id)
            .map(contact_json)
            .ok_or(UjetError::NotFound(auth.api))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `DELETE /outbound_dialer/campaigns/{campaign_id}/contact` (JSON body): removes a contact not
/// dialled yet; 200 `{}` [inferred].
pub async fn remove_campaign_contact(
    auth: Authed,
    State(engine): State<Engine>,
    Path(campaign_id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: ContactRef = dto::body(auth.api, &raw)?;
        let view = campaign(&auth, &engine, &campaign_id).await?;
        let contact_id = find_contact(auth.api, &view, &body, true)?;
        let op = Op::RemoveCampaignContact {
            campaign_id,
            contact_id,
        };
        run(&auth, &engine, op).await?;
        Ok(json!({}))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// Manager `GET /outbound_dialer/campaigns` (and `/campaigns`): the tenant's campaigns, paged.
pub async fn list_campaigns(
    auth: Authed,
    State(engine): State<Engine>,
    RawQuery(query): RawQuery,
) -> Response {
    match engine.campaigns(&auth.tenant.id).await {
        Ok(views) => {
            let rows = views.iter().map(campaign_json).collect();
            paging::list(&auth, &Params::parse(query.as_deref()), rows)
        }
        Err(e) => dto::fail(&auth, UjetError::from_engine(auth.api, e)),
    }
}

/// Manager `GET /outbound_dialer/campaigns/{id}` (and `/campaigns/{id}`): one campaign.
pub async fn get_campaign(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
) -> Response {
    let result = campaign(&auth, &engine, &id)
        .await
        .map(|view| campaign_json(&view));
    dto::reply(&auth, StatusCode::OK, result)
}

/// Kind of the engine job of a contact import.
const IMPORT_JOB: &str = "campaign_contacts_import";

/// UJET's name of a job status (the bulk-job names of §5).
pub(crate) fn job_status(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Created => "created",
        JobStatus::Validated => "valid_scheme",
        JobStatus::Invalid => "invalid_scheme",
        JobStatus::Running => "in_progress",
        JobStatus::Finished => "finished",
    }
}

/// The import job object [inferred]: clients read `job_id` or `id`. `errors` are the rows
/// refused up front and those whose contact the campaign did not take, by row.
fn import_job_json(api: Api, job: &Job) -> Value {
    let id = wire_id(&job.id);
    let mut errors = job.errors.clone();
    let mut imported = job.result.get("imported").cloned().unwrap_or(json!(0));
    if let Some(work) = &job.work {
        imported = json!(work.applied());
        errors.extend(work.failures.iter().map(
            |f| json!({"row": f.item, "message": UjetError::from_step(api, &f.error).message()}),
        ));
        errors.sort_by_key(|e| e.get("row").and_then(Value::as_u64));
    }
    json!({
        "id": id,
        "job_id": id,
        "campaign_id": job.owner.as_deref().map(wire_id),
        "status": job_status(job.status),
        "total": job.input.as_array().map_or(0, Vec::len),
        "imported": imported,
        "failed": errors.len(),
        "errors": errors,
        "created_at": dto::time(job.created_at_ms),
        "updated_at": dto::time(job.updated_at_ms),
    })
}

/// `POST /outbound_dialer/campaigns/{campaign_id}/contacts/import`: multipart `file`, a JSON
/// array of contacts; answers 202 with the job (and `Location` of its status). Each row is checked
/// at once; the engine appends the valid ones in the background, and each bad row is reported
/// with its 1-based `row`.
pub async fn import_campaign_contacts(
    auth: Authed,
    State(engine): State<Engine>,
    Path(campaign_id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let result = async {
        let upload = bulk::read_upload(auth.api, multipart).await?;
        campaign(&auth, &engine, &campaign_id).await?;
        let (steps, errors) = compile_import(auth.api, &campaign_id, &upload.rows);
        let mut job = Job::new(
            IMPORT_JOB,
            Some(campaign_id.clone()),
            Value::Array(upload.rows),
        );
        job.errors = errors;
        job.work = Some(JobWork::steps(steps));
        let OpOutput::Job(job) = run(&auth, &engine, Op::CreateJob(Box::new(job))).await? else {
            return Err(UjetError::Internal(auth.api));
        };
        Ok(*job)
    }
    .await;
    match result {
        Ok(job) => {
            let mut response =
                dto::ok(&auth, StatusCode::ACCEPTED, import_job_json(auth.api, &job));
            let location = auth.origin.url(&format!(
                "{}/jobs/{}",
                auth.path.trim_end_matches("/import"),
                job.id
            ));
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Err(error) => dto::fail(&auth, error),
    }
}

/// The rows of an import as the engine's steps, one per valid row (its item is the 1-based
/// row), and the errors of the rows refused up front.
fn compile_import(api: Api, campaign_id: &str, rows: &[Value]) -> (Vec<JobStep>, Vec<Value>) {
    let (mut steps, mut errors) = (Vec::new(), Vec::new());
    for (i, row) in rows.iter().enumerate() {
        let parsed = dto::body::<NewContact>(api, &Bytes::from(row.to_string()))
            .and_then(|c| c.into_contact(api))
            .and_then(|c| {
                // Checked here so that a bad number is reported up front with its row.
                ccemu_core::dnc::normalize_phone(&c.phone_number)
                    .map(|_| c)
                    .map_err(|e| UjetError::from_engine(api, e.into()))
            });
        match parsed {
            Ok(contact) => steps.push(JobStep {
                item: i as u64 + 1,
                action: StepAction::AddCampaignContact {
                    campaign_id: campaign_id.to_owned(),
                    contact: Box::new(contact),
                },
            }),
            Err(e) => errors.push(json!({"row": i + 1, "message": e.message()})),
        }
    }
    (steps, errors)
}

/// `GET /outbound_dialer/campaigns/{campaign_id}/contacts/jobs/{job_id}`: an import job.
pub async fn get_campaign_contacts_job(
    auth: Authed,
    State(engine): State<Engine>,
    Path((campaign_id, job_id)): Path<(String, String)>,
) -> Response {
    let result = async {
        let job: Option<Job> = engine
            .record(&auth.tenant.id, &job_id)
            .await
            .map_err(|e| UjetError::from_engine(auth.api, e))?;
        job.filter(|j| j.kind == IMPORT_JOB && j.owner.as_deref() == Some(campaign_id.as_str()))
            .map(|j| import_job_json(auth.api, &j))
            .ok_or(UjetError::NotFound(auth.api))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use ccemu_core::agent::AgentState;
    use ccemu_core::clock::ClockMode;
    use ccemu_core::{Campaign, CampaignContact};
    use ccemu_engine::sim::{Duration, SimSettings};
    use ccemu_engine::{CampaignAction, JobConfig, Op};
    use serde_json::{json, Value};

    use crate::routes::tests::*;

    const CONTACTS: &str = "/apps/api/v1/outbound_dialer/campaigns/240/contacts";
    const CONTACT: &str = "/apps/api/v1/outbound_dialer/campaigns/240/contact";
    /// 2030-01-01T00:00:00Z, ahead of the real clock the test starts on.
    const NOW: i64 = 1_893_456_000_000;

    /// Campaign 240 (progressive, support queue) in draft with `n` numbers, on a manual clock.
    async fn campaign(c: &Ctx, n: usize) {
        c.engine
            .set_clock(&demo(), ClockMode::Manual, Some(NOW))
            .await
            .unwrap();
        let campaign: Campaign = serde_json::from_value(json!({
            "id": "240", "name": "Renewals", "description": "Q1 renewals",
            "queue_id": "9002", "mode": "progressive", "concurrency_limit": 2
        }))
        .unwrap();
        let contacts = (0..n)
            .map(|i| {
                serde_json::from_value::<CampaignContact>(json!({
                    "id": "", "campaign_id": "", "phone_number": format!("+1555000{i:04}"),
                    "name": format!("n{i}")
                }))
                .unwrap()
            })
            .collect();
        let op = Op::CreateCampaign {
            campaign: Box::new(campaign),
            contacts,
        };
        c.engine.execute(&demo(), op).await.unwrap();
    }

    async fn start(c: &Ctx) {
        let op = Op::ControlCampaign {
            campaign_id: "240".into(),
            action: CampaignAction::Start,
        };
        c.engine.execute(&demo(), op).await.unwrap();
    }

    #[tokio::test]
    async fn a_campaign_skips_the_numbers_on_the_dnc_list() {
        let c = ctx().await;
        campaign(&c, 10).await;
        let sim = SimSettings {
            answer_delay_ms: 500,
            talk_time: Duration::fixed(3_000),
            wrap_up_ms: Some(0),
            dial_answer_rate: 0.6,
            dial_ring_time: Duration::fixed(2_000),
            seed: 11,
            ..SimSettings::default()
        };
        c.engine
            .execute(&demo(), Op::PutSimSettings(sim))
            .await
            .unwrap();
        for agent in ["1001", "1003"] {
            let op = Op::SetAgentState {
                agent_id: agent.into(),
                state: AgentState::Available,
            };
            c.engine.execute(&demo(), op).await.unwrap();
        }
        let body = json!({"contacts": [
            {"phone_number": "+1-555-000-0002"}, {"phone_number": "+1 (555) 000-0008"}
        ]});
        let r = c
            .send(
                Method::POST,
                "/apps/api/v1/outbound_dialer/dnc",
                body.to_string(),
            )
            .await;
        assert_eq!(r.body[1]["status"], "created");
        start(&c).await;
        for _ in 0..90 {
            c.engine.advance_clock(&demo(), 1_000).await.unwrap();
        }
        let r = c.send(Method::GET, CONTACTS, b"").await;
        assert_eq!(r.status, StatusCode::OK);
        let rows = r.body.as_array().unwrap();
        assert_eq!(rows.len(), 10);
        for (i, row) in rows.iter().enumerate() {
            let status = row["status"].as_str().unwrap();
            if i == 2 || i == 8 {
                assert_eq!(status, "Do Not Call", "{row}");
                assert_eq!(row["assigned_call_id"], Value::Null, "{row}");
            } else {
                assert!(
                    ["Finished", "Not Picked Up"].contains(&status),
                    "{i} reached an agent or rang out: {row}"
                );
                assert!(row["assigned_call_id"].is_string(), "{row}");
            }
        }
        let finished = rows.iter().filter(|r| r["status"] == "Finished").count();
        assert!(finished >= 1, "some calls reach agents: {rows:?}");
        let r = c
            .send(
                Method::GET,
                "/manager/api/v1/outbound_dialer/campaigns/240",
                b"",
            )
            .await;
        let stats = &r.body["contact_stats"];
        assert_eq!(stats["total"], 10);
        assert_eq!(stats["Do Not Call"], 2);
        assert_eq!(r.body["status"], "completed");
    }

    #[tokio::test]
    async fn contacts_are_added_listed_changed_and_removed() {
        let c = ctx().await;
        campaign(&c, 1).await;
        let body = json!({
            "name": "Jane", "email": "customer@somedomain.com", "phone_number": "+1 111-111-1111",
            "outbound_number": "+1 760-867-5309", "external_unique_id": "UID_123456"
        });
        let r = c.send(Method::POST, CONTACTS, body.to_string()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let stamp = "2030-01-01T00:00:00.000Z";
        assert_eq!(
            r.body,
            json!({
                "assigned_call_id": null, "assigned_participant_id": null, "campaign_id": 240,
                "created_at": stamp, "id": 2, "name": "Jane", "email": "customer@somedomain.com",
                "phone_number": "+1 111-111-1111", "outbound_number": "+1 760-867-5309",
                "priority": null, "status": "Upcoming", "unique_id": "UID_123456",
                "updated_at": stamp
            })
        );
        let body = json!({"contact_id": 2, "name": "Janet", "phone_number": "+1 222-222-2222"});
        let r = c.send(Method::PATCH, CONTACT, body.to_string()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["name"], "Janet");
        assert_eq!(r.body["phone_number"], "+1 222-222-2222");
        assert_eq!(r.body["unique_id"], "UID_123456");
        let r = c.send(Method::GET, CONTACTS, b"").await;
        let names: Vec<_> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].clone())
            .collect();
        assert_eq!(names, [json!("n0"), json!("Janet")]);
        // DELETE carries a JSON body; here the contact is named by its external id.
        let body = json!({"external_unique_id": "UID_123456"});
        let r = c.send(Method::DELETE, CONTACT, body.to_string()).await;
        assert_eq!((r.status, r.body), (StatusCode::OK, json!({})));
        let body = json!({"phone_number": "+15550000000"});
        let r = c.send(Method::DELETE, CONTACT, body.to_string()).await;
        assert_eq!((r.status, r.body), (StatusCode::OK, json!({})));
        let r = c.send(Method::GET, CONTACTS, b"").await;
        assert_eq!(r.body, json!([]));
        // Removed contacts are gone for updates too.
        let r = c
            .send(Method::PATCH, CONTACT, json!({"contact_id": 2}).to_string())
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
    }

    #[tokio::test]
    async fn bad_requests_and_other_tenants_get_ujet_errors() {
        let c = ctx().await;
        campaign(&c, 2).await;
        for (method, uri, body, status, message) in [
            (
                Method::POST,
                CONTACTS,
                "{}",
                400,
                "param is missing or the value is empty: phone_number",
            ),
            (
                Method::POST,
                CONTACTS,
                r#"{"phone_number":"call me"}"#,
                400,
                "phone_number is invalid",
            ),
            (
                Method::POST,
                CONTACTS,
                "[",
                400,
                "Invalid JSON in request body",
            ),
            (
                Method::PATCH,
                CONTACT,
                "{}",
                400,
                "param is missing or the value is empty: contact_id",
            ),
            (
                Method::PATCH,
                CONTACT,
                r#"{"contact_id":"x"}"#,
                400,
                "contact_id is invalid",
            ),
            (
                Method::PATCH,
                CONTACT,
                r#"{"contact_id":9}"#,
                404,
                "Not Found",
            ),
            (
                Method::DELETE,
                CONTACT,
                "{}",
                400,
                "param is missing or the value is empty: contact_id",
            ),
            (
                Method::DELETE,
                CONTACT,
                r#"{"external_unique_id":"nope"}"#,
                404,
                "Not Found",
            ),
            (
                Method::POST,
                "/apps/api/v1/outbound_dialer/campaigns/999/contacts",
                r#"{"phone_number":"+15551234567"}"#,
                404,
                "Not Found",
            ),
            (
                Method::GET,
                "/apps/api/v1/outbound_dialer/campaigns/999/contacts",
                "",
                404,
                "Not Found",
            ),
        ] {
            let r = c.send(method.clone(), uri, body).await;
            assert_eq!(r.status.as_u16(), status, "{method} {uri} {body}");
            assert_eq!(r.body, apps(message), "{method} {uri} {body}");
        }
        // A contact the dialer has taken cannot change any more.
        c.engine
            .execute(
                &demo(),
                Op::SetAgentState {
                    agent_id: "1001".into(),
                    state: AgentState::Available,
                },
            )
            .await
            .unwrap();
        start(&c).await;
        let r = c
            .send(
                Method::PATCH,
                CONTACT,
                json!({"contact_id": 1, "name": "x"}).to_string(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.body, apps("contact 240.1 has already been dialled"));
        // Another tenant sees none of it.
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let auth = basic(&o.subdomain, &o.api_token);
        let r = c.send_as(Some(&auth), Method::GET, CONTACTS, b"").await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
        let r = c
            .send_as(
                Some(&auth),
                Method::DELETE,
                CONTACT,
                json!({"contact_id": 2}).to_string(),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = c
            .send_as(
                Some(&auth),
                Method::GET,
                "/manager/api/v1/outbound_dialer/campaigns/240",
                b"",
            )
            .await;
        assert_eq!(r.body, manager("Not Found", "Resource not found", 404));
        let r = c
            .send_as(Some(&auth), Method::GET, "/manager/api/v1/campaigns", b"")
            .await;
        assert_eq!((r.status, r.body), (StatusCode::OK, json!([])));
    }

    #[tokio::test]
    async fn manager_lists_campaigns_with_paging_on_both_paths() {
        let c = ctx().await;
        campaign(&c, 3).await;
        let op = Op::CreateCampaign {
            campaign: Box::new(
                serde_json::from_value(json!({"id": "241", "name": "Winback", "queue_id": "9002", "mode": "ratio", "ratio": 2.0}))
                    .unwrap(),
            ),
            contacts: vec![serde_json::from_value(json!({"id": "", "campaign_id": "", "phone_number": "+15559990000"})).unwrap()],
        };
        c.engine.execute(&demo(), op).await.unwrap();
        for base in [
            "/manager/api/v1/outbound_dialer/campaigns",
            "/manager/api/v1/campaigns",
        ] {
            let r = c
                .send(
                    Method::GET,
                    &format!("{base}?per=1&sort_column=id&sort_direction=DESC"),
                    b"",
                )
                .await;
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.headers["total"], "2");
            assert_eq!(r.body.as_array().unwrap().len(), 1);
            assert_eq!(r.body[0]["id"], 241);
            assert!(r.headers["link"].to_str().unwrap().contains("page=2"));
            let r = c.send(Method::GET, &format!("{base}/240"), b"").await;
            assert_eq!(
                r.body,
                json!({
                    "id": 240, "name": "Renewals", "description": "Q1 renewals",
                    "status": "draft", "mode": "progressive",
                    "created_at": "2030-01-01T00:00:00.000Z", "updated_at": "2030-01-01T00:00:00.000Z",
                    "contact_stats": {"total": 3, "Upcoming": 3}
                })
            );
            let r = c.send(Method::GET, &format!("{base}/9"), b"").await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
            assert_eq!(r.body, manager("Not Found", "Resource not found", 404));
        }
    }

    #[tokio::test]
    async fn an_import_is_a_job_that_appends_valid_rows_and_reports_bad_ones() {
        let c = ctx().await;
        campaign(&c, 1).await;
        let file = json!([
            {"name": "A", "phone_number": "+1 555 100 0001", "external_unique_id": "U1"},
            {"name": "B"},
            {"name": "C", "phone_number": 15551000003_i64},
            {"name": "D", "phone_number": "nope"},
        ])
        .to_string();
        let uri = format!("{CONTACTS}/import");
        let r = c
            .send_multipart(Method::POST, &uri, &[("file", &file)])
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        assert_eq!(r.body["status"], "created");
        assert_eq!(r.body["id"], r.body["job_id"]);
        assert_eq!(r.body["campaign_id"], 240);
        assert_eq!(r.body["total"], 4);
        let id = r.body["id"].as_i64().unwrap();
        assert_eq!(
            r.headers["location"],
            format!("https://127.0.0.1:8443/ujet.acme.co{CONTACTS}/jobs/{id}").as_str()
        );
        let job_uri = format!("{CONTACTS}/jobs/{id}");
        let mut job = Value::Null;
        for _ in 0..200 {
            job = c.send(Method::GET, &job_uri, b"").await.body;
            if job["status"] == "finished" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(job["status"], "finished", "{job}");
        assert_eq!(job["imported"], 2, "{job}");
        assert_eq!(job["failed"], 2);
        assert_eq!(
            job["errors"],
            json!([
                {"row": 2, "message": "param is missing or the value is empty: phone_number"},
                {"row": 4, "message": "phone_number is invalid"},
            ])
        );
        let r = c.send(Method::GET, CONTACTS, b"").await;
        let numbers: Vec<_> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["phone_number"].clone())
            .collect();
        assert_eq!(
            numbers,
            [
                json!("+15550000000"),
                json!("+1 555 100 0001"),
                json!("15551000003")
            ]
        );
        // Another campaign's path, an unknown job and another tenant do not see the job.
        let r = c
            .send(
                Method::GET,
                &format!("/apps/api/v1/outbound_dialer/campaigns/241/contacts/jobs/{id}"),
                b"",
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
        let r = c
            .send(Method::GET, &format!("{CONTACTS}/jobs/99"), b"")
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let auth = basic(&o.subdomain, &o.api_token);
        let r = c.send_as(Some(&auth), Method::GET, &job_uri, b"").await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
    }

    /// Polls a job until `done` holds (or gives up after a second).
    async fn poll_job(c: &Ctx, uri: &str, done: impl Fn(&Value) -> bool) -> Value {
        let mut job = Value::Null;
        for _ in 0..200 {
            job = c.send(Method::GET, uri, b"").await.body;
            if done(&job) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        job
    }

    #[tokio::test]
    async fn an_import_cut_short_by_a_restart_resumes_and_adds_each_row_once() {
        // Three rows per transaction; the first engine stops after four rows, as a crash would.
        let halt = JobConfig {
            batch_steps: 3,
            halt_after_steps: Some(4),
        };
        let mut c = ctx_with(halt).await;
        campaign(&c, 1).await;
        let mut rows: Vec<Value> = (0..10)
            .map(|i| json!({"name": format!("r{i}"), "phone_number": format!("+1555200{i:04}")}))
            .collect();
        rows[4] = json!({"name": "bad", "phone_number": "nope"});
        let file = Value::Array(rows).to_string();
        let uri = format!("{CONTACTS}/import");
        let r = c
            .send_multipart(Method::POST, &uri, &[("file", &file)])
            .await;
        assert_eq!(r.body["status"], "created", "{}", r.body);
        let job_uri = format!("{CONTACTS}/jobs/{}", r.body["id"]);
        // On the manual clock the tests run on, the import goes on by itself.
        let job = poll_job(&c, &job_uri, |j| j["imported"] == 4).await;
        assert_eq!(
            (job["status"].clone(), job["imported"].clone()),
            (json!("in_progress"), json!(4)),
            "{job}"
        );
        c.restart(JobConfig::default()).await;
        let job = poll_job(&c, &job_uri, |j| j["status"] == "finished").await;
        assert_eq!(job["status"], "finished", "{job}");
        assert_eq!(
            (job["imported"].clone(), job["failed"].clone()),
            (json!(9), json!(1))
        );
        assert_eq!(
            job["errors"],
            json!([{"row": 5, "message": "phone_number is invalid"}])
        );
        let r = c.send(Method::GET, CONTACTS, b"").await;
        let names: Vec<_> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect();
        let mut want = vec!["n0".to_owned()];
        want.extend((0..10).filter(|i| *i != 4).map(|i| format!("r{i}")));
        assert_eq!(names, want);
    }

    #[tokio::test]
    async fn an_import_without_a_json_array_file_is_refused() {
        let c = ctx().await;
        campaign(&c, 1).await;
        let uri = format!("{CONTACTS}/import");
        for (parts, message) in [
            (
                vec![("other", "[]")],
                "param is missing or the value is empty: file",
            ),
            (vec![("file", "{}")], "file must be a JSON array"),
            (vec![("file", "[")], "file must be a JSON array"),
        ] {
            let r = c.send_multipart(Method::POST, &uri, &parts).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{message}");
            assert_eq!(r.body, apps(message));
        }
        let r = c.send(Method::POST, &uri, "[]").await;
        assert_eq!(r.body, apps("Request must be multipart/form-data"));
        let r = c
            .send_multipart(
                Method::POST,
                "/apps/api/v1/outbound_dialer/campaigns/9/contacts/import",
                &[("file", "[]")],
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
    }
}
