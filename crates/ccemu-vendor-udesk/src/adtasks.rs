//! Auto-dialing tasks (`vendor-notes/udesk.md` §3.4) over the engine's outbound campaigns.
//!
//! `ads/task/start` carries no numbers: the task pulls them from the CRM, as the note infers from
//! `cc_ad_task/numbers` (`app_id`, `ad_task_id`, `count` in, `results` and `exhausted` out). ccemu
//! POSTs that request to `{CallbackUrl}/cc_ad_task/numbers`, signed like a callback, page after
//! page until the CRM says `exhausted`, and dials the list in the order received. When every number
//! is done, the CRM is told at `{CallbackUrl}/cc_ad_task/stop` (see [`stop_notice`]). The same two
//! paths are also served, for a CRM that asks ccemu instead: `cc_ad_task/numbers` answers the
//! numbers still waiting to be dialled, `cc_ad_task/stop` stops the task [inferred: the doc does
//! not say which side serves them].

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use ccemu_core::campaign::{CampaignStatus, MAX_RATIO, MIN_RATIO};
use ccemu_core::event::{DomainEvent, EventRecord};
use ccemu_core::{Campaign, CampaignContact, CampaignContactStatus, DialerMode, Subscription};
use ccemu_engine::{CampaignAction, Engine, Notification, Op};
use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::apps::APP_SUBSCRIPTION_ID;
use crate::auth::Authed;
use crate::dto::{self, Int, Text};
use crate::error::UdeskError;
use crate::events::NO_CALLBACK_URL;
use crate::sign;

/// Numbers asked for per `cc_ad_task/numbers` page.
const PAGE: u32 = 100;
/// Pages pulled at most for one task (10 000 numbers).
const MAX_PAGES: usize = 100;
/// How long ccemu waits for the CRM's answer to one page.
const PULL_TIMEOUT: Duration = Duration::from_secs(10);
/// Most calls a task may have in progress at once (the doc's `AdConCallLimit` bound).
const MAX_CONCURRENT: u32 = 100;

/// A decimal that clients may send as a JSON number or a string (`"AdTaskRatio":"1.5"`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Real(f64);

impl<'de> Deserialize<'de> for Real {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let parsed = match Value::deserialize(d)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        parsed
            .filter(|r: &f64| r.is_finite())
            .map(Self)
            .ok_or_else(|| D::Error::custom("expected a number"))
    }
}

fn invalid(field: &'static str) -> UdeskError {
    UdeskError::InvalidParameter(field.into())
}

#[derive(Debug, Deserialize)]
struct StartBody {
    #[serde(rename = "AdTaskId")]
    task_id: Option<Text>,
    #[serde(rename = "AdTaskType")]
    task_type: Option<Text>,
    #[serde(rename = "AdTaskRatio")]
    ratio: Option<Real>,
    #[serde(rename = "AdQueueId")]
    queue_id: Option<Text>,
    #[serde(rename = "AdCallerNum")]
    caller_number: Option<Text>,
    #[serde(rename = "AdDispNum")]
    display_number: Option<Text>,
    #[serde(rename = "AdConCallLimit")]
    concurrency: Option<Int>,
}

/// The pacing of an `AdTaskType`; voice broadcast (4) and robot (5) tasks connect callees to
/// a recording or a bot instead of seats, which ccemu does not simulate.
fn mode(task_type: &str) -> Result<DialerMode, UdeskError> {
    match task_type {
        "1" => Ok(DialerMode::Progressive),
        "2" => Ok(DialerMode::Ratio),
        "3" => Ok(DialerMode::Predictive),
        "4" => Err(UdeskError::NotImplemented(
            "start_ad_task with AdTaskType 4 (voice broadcast)",
        )),
        "5" => Err(UdeskError::NotImplemented(
            "start_ad_task with AdTaskType 5 (robot)",
        )),
        _ => Err(invalid("AdTaskType")),
    }
}

fn ratio(raw: Option<Real>) -> Result<f64, UdeskError> {
    match raw {
        Some(Real(r)) if (MIN_RATIO..=MAX_RATIO).contains(&r) => Ok(r),
        _ => Err(invalid("AdTaskRatio")),
    }
}

/// The app's `CallbackUrl`, where the CRM serves `cc_ad_task/*`.
async fn crm_url(engine: &Engine, auth: &Authed) -> Result<String, UdeskError> {
    engine
        .record::<Subscription>(&auth.tenant.id, APP_SUBSCRIPTION_ID)
        .await?
        .filter(|s| s.enabled && s.callback_url != NO_CALLBACK_URL)
        .map(|s| s.callback_url.trim_end_matches('/').to_owned())
        .ok_or_else(|| UdeskError::InvalidParameter("CallbackUrl Blank".into()))
}

/// `{url}/{api}` with the callback query `Timestamp`, `AppId`, `Sign` (§5.1), on the wall clock
/// like every callback: the CRM checks it against its own.
fn signed_crm_url(tenant: &ccemu_core::Tenant, url: &str, api: &str) -> String {
    let udesk = &tenant.credentials.udesk;
    let query = sign::callback_query(&udesk.app_id, &udesk.app_secret, ccemu_engine::wall_ms())
        .map(|(k, v)| format!("{k}={v}"))
        .join("&");
    format!("{}/{api}?{query}", url.trim_end_matches('/'))
}

#[derive(Debug, Deserialize)]
struct NumbersPage {
    code: Text,
    #[serde(default)]
    exhausted: bool,
    #[serde(default)]
    results: Vec<PulledNumber>,
}

#[derive(Debug, Deserialize)]
struct PulledNumber {
    id: Option<Text>,
    number: Text,
}

/// Pulls the task's numbers from the CRM until it says `exhausted` (or sends an empty page).
async fn pull_numbers(
    engine: &Engine,
    auth: &Authed,
    task_id: &str,
) -> Result<Vec<CampaignContact>, UdeskError> {
    let url = crm_url(engine, auth).await?;
    let client = reqwest::Client::builder()
        .timeout(PULL_TIMEOUT)
        .build()
        .map_err(|_| UdeskError::Internal)?;
    let unavailable = |why: String| {
        tracing::info!(%why, task_id, "udesk ad task could not pull its numbers");
        UdeskError::InvalidParameter(format!("AdTaskNumbers unavailable: {why}").into())
    };
    let mut contacts = Vec::new();
    for _ in 0..MAX_PAGES {
        let body = json!({
            "app_id": auth.tenant.credentials.udesk.app_id, "ad_task_id": task_id, "count": PAGE,
        });
        let response = client
            .post(signed_crm_url(&auth.tenant, &url, "cc_ad_task/numbers"))
            .json(&body)
            .send()
            .await
            .map_err(|e| unavailable(e.without_url().to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| unavailable(e.without_url().to_string()))?;
        let page: NumbersPage = serde_json::from_str(&text)
            .map_err(|_| unavailable(format!("HTTP {status}, not envelope D")))?;
        if page.code.0 != "000000" {
            return Err(unavailable(format!(
                "the CRM answered code {}",
                page.code.0
            )));
        }
        let empty = page.results.is_empty();
        contacts.extend(page.results.into_iter().map(|n| CampaignContact {
            id: String::new(),
            campaign_id: String::new(),
            name: String::new(),
            email: String::new(),
            phone_number: n.number.0,
            outbound_number: None,
            external_id: n.id.map(|t| t.0),
            priority: None,
            status: CampaignContactStatus::default(),
            attempts: 0,
            interaction_id: None,
            retry_at_ms: None,
            created_at_ms: 0,
            updated_at_ms: 0,
        }));
        if page.exhausted || empty {
            break;
        }
    }
    if contacts.is_empty() {
        return Err(unavailable("the CRM has no numbers for the task".into()));
    }
    Ok(contacts)
}

/// `POST ads/task/start`: a campaign paced by `AdTaskType` on the seats of `AdQueueId`, with the
/// numbers pulled from the CRM; `100004 Duplicate entry` for a task id in use.
pub async fn start_ad_task(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: StartBody = dto::body(&raw)?;
        let id = dto::required(body.task_id)?;
        let mode = mode(&dto::required(body.task_type)?)?;
        let ratio = ratio(body.ratio)?;
        let caller = dto::required(body.caller_number)?;
        let display = dto::required(body.display_number)?;
        let concurrency = match body.concurrency {
            Some(Int(n)) if (1..=MAX_CONCURRENT).contains(&n) => n,
            _ => return Err(invalid("AdConCallLimit")),
        };
        let queue_id = dto::required(body.queue_id).map_err(|_| invalid("AdQueueId"))?;
        if engine
            .queues(&auth.tenant.id, Some(&queue_id))
            .await?
            .is_empty()
        {
            return Err(UdeskError::RecordNotFound);
        }
        if engine.campaign(&auth.tenant.id, &id).await.is_ok() {
            return Err(UdeskError::Duplicate(format!("{id} for AdTaskId")));
        }
        let contacts = pull_numbers(&engine, &auth, &id).await?;
        let campaign = Campaign {
            name: format!("Udesk ad task {id}"),
            id: id.clone(),
            description: String::new(),
            mode,
            ratio,
            concurrency_limit: concurrency,
            queue_id: Some(queue_id),
            ivr_menu_id: None,
            caller_number: Some(caller),
            display_number: Some(display),
            max_attempts: 1,
            retry_after_ms: 60_000,
            target_abandon_rate: 0.03,
            status: CampaignStatus::Draft,
            created_at_ms: 0,
            updated_at_ms: 0,
        };
        let tenant = &auth.tenant.id;
        let create = Op::CreateCampaign {
            campaign: Box::new(campaign),
            contacts,
        };
        engine.execute(tenant, create).await?;
        let start = Op::ControlCampaign {
            campaign_id: id,
            action: CampaignAction::Start,
        };
        engine.execute(tenant, start).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

#[derive(Debug, Deserialize)]
struct TaskBody {
    #[serde(rename = "AdTaskId")]
    task_id: Option<Text>,
    #[serde(rename = "AdTaskRatio")]
    ratio: Option<Real>,
}

/// `POST ads/task/update_ratio`: the calls per free seat of a ratio task (`000001` for others).
pub async fn update_ad_task_ratio(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: TaskBody = dto::body(&raw)?;
        let campaign_id = dto::required(body.task_id)?;
        let ratio = ratio(body.ratio)?;
        let op = Op::SetCampaignRatio { campaign_id, ratio };
        engine.execute(&auth.tenant.id, op).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// Stops a task: numbers not dialled yet are dropped; `force` also hangs up calls still ringing.
async fn stop(engine: &Engine, auth: &Authed, raw: &Bytes, force: bool) -> Result<(), UdeskError> {
    let body: TaskBody = dto::body(raw)?;
    let campaign_id = dto::required(body.task_id)?;
    let action = if force {
        CampaignAction::ForceStop
    } else {
        CampaignAction::Stop
    };
    let op = Op::ControlCampaign {
        campaign_id,
        action,
    };
    match engine.execute(&auth.tenant.id, op).await {
        // Stopping a stopped task changes nothing, as a retried request expects.
        Err(ccemu_engine::EngineError::Domain(ccemu_core::DomainError::IllegalTransition {
            ..
        })) => Ok(()),
        other => other.map(drop).map_err(UdeskError::from),
    }
}

/// `POST ads/task/stop`: calls in progress finish.
pub async fn stop_ad_task(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = stop(&engine, &auth, &raw, false)
        .await
        .map(|()| Value::Null);
    dto::reply(&auth, result)
}

/// `POST ads/task/force_stop`: calls still ringing are hung up too.
pub async fn force_stop_ad_task(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = stop(&engine, &auth, &raw, true).await.map(|()| Value::Null);
    dto::reply(&auth, result)
}

#[derive(Debug, Deserialize)]
struct CrmBody {
    app_id: Option<Text>,
    ad_task_id: Option<Text>,
    count: Option<Int>,
}

/// The task a `cc_ad_task/*` body names; its `app_id` must be the signed app's (`100002`).
fn crm_task(auth: &Authed, raw: &Bytes) -> Result<(String, Option<u32>), UdeskError> {
    let body: CrmBody = dto::body(raw)?;
    let app = dto::required(body.app_id)?;
    if app != auth.tenant.credentials.udesk.app_id {
        return Err(UdeskError::AppForbidden);
    }
    Ok((dto::required(body.ad_task_id)?, body.count.map(|Int(n)| n)))
}

/// `POST cc_ad_task/numbers` (envelope D): the first `count` numbers of the task still waiting to
/// be dialled, with `exhausted` once every number is done.
pub async fn fetch_ad_task_numbers(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let (task_id, count) = crm_task(&auth, &raw)?;
        let count = count.ok_or_else(|| invalid("count"))?;
        let view = engine.campaign(&auth.tenant.id, &task_id).await?;
        let waiting: Vec<Value> = view
            .contacts
            .iter()
            .filter(|c| c.status == CampaignContactStatus::Upcoming)
            .take(count as usize)
            .map(|c| json!({"id": c.external_id.clone().unwrap_or_else(|| c.id.clone()), "number": c.phone_number}))
            .collect();
        let mut extra = Map::new();
        extra.insert("exhausted".into(), json!(view.exhausted));
        extra.insert("results".into(), json!(waiting));
        Ok(extra)
    }
    .await;
    dto::reply_code(&auth, result)
}

/// `POST cc_ad_task/stop` (envelope E): stops the task, as `ads/task/stop` does.
pub async fn notify_ad_task_stop(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let (task_id, _) = crm_task(&auth, &raw)?;
        let body = Bytes::from(json!({ "AdTaskId": task_id }).to_string());
        stop(&engine, &auth, &body, false).await?;
        Ok(Map::new())
    }
    .await;
    dto::reply_code(&auth, result)
}

/// The notice that a task used up its numbers: `POST {CallbackUrl}/cc_ad_task/stop` with
/// `{"app_id","ad_task_id"}` (envelope E's request, [inferred]), signed like every callback when
/// it is sent; `None` when the app has no CallbackUrl.
pub fn stop_notice(
    tenant: &ccemu_core::Tenant,
    subscriptions: &[Subscription],
    record: &EventRecord,
) -> Option<Notification> {
    let DomainEvent::CampaignExhausted { campaign_id } = &record.event else {
        return None;
    };
    let app = subscriptions
        .iter()
        .find(|s| s.id == APP_SUBSCRIPTION_ID && s.enabled && s.callback_url != NO_CALLBACK_URL)?;
    let app_id = &tenant.credentials.udesk.app_id;
    Some(Notification {
        source: crate::VENDOR.to_owned(),
        event_seq: Some(record.seq),
        // Signed at each delivery attempt, like every callback (`UdeskCallbacks::prepare`).
        url: format!("{}/cc_ad_task/stop", app.callback_url.trim_end_matches('/')),
        method: "POST".to_owned(),
        headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
        body: json!({"app_id": app_id, "ad_task_id": campaign_id}).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::extract::{Query, State};
    use axum::http::{Method, StatusCode};
    use axum::routing::post;
    use axum::{Json, Router};
    use ccemu_core::agent::AgentState;
    use ccemu_core::clock::ClockMode;
    use ccemu_core::TenantId;
    use ccemu_engine::sim::{Duration, SimSettings};
    use ccemu_engine::Op;
    use serde_json::{json, Value};

    use crate::routes::tests::{ctx, err_code, ok_with, Ctx};

    /// What the fake CRM was asked, with the query of each request.
    type Asked = Arc<Mutex<Vec<(std::collections::HashMap<String, String>, Value)>>>;

    /// How many numbers the fake CRM handed out, per task.
    type Served = Arc<Mutex<std::collections::HashMap<String, usize>>>;

    /// A CRM that hands out `numbers` to each task in pages of two, and records every request.
    async fn crm(numbers: Vec<&'static str>) -> (String, Asked) {
        let asked: Asked = Arc::default();
        let served = Arc::new(Mutex::new(std::collections::HashMap::<String, usize>::new()));
        let app = Router::new()
            .route(
                "/cb/cc_ad_task/numbers",
                post(
                    |State((asked, served)): State<(Asked, Served)>,
                     Query(q): Query<std::collections::HashMap<String, String>>,
                     Json(body): Json<Value>| async move {
                        let count = body["count"].as_u64().unwrap_or(0) as usize;
                        asked.lock().unwrap().push((q, body.clone()));
                        let task = body["ad_task_id"].as_str().unwrap_or_default().to_owned();
                        let mut served = served.lock().unwrap();
                        let next = served.entry(task).or_default();
                        let page: Vec<Value> = numbers
                            .iter()
                            .enumerate()
                            .skip(*next)
                            .take(count.min(2))
                            .map(|(i, n)| json!({"id": (i + 1).to_string(), "number": n}))
                            .collect();
                        *next += page.len();
                        let exhausted = *next >= numbers.len();
                        Json(json!({"code": "000000", "message": "OK", "exhausted": exhausted, "results": page}))
                    },
                ),
            )
            .with_state((asked.clone(), served));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/cb", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, asked)
    }

    fn demo() -> TenantId {
        TenantId::parse("demo").unwrap()
    }

    /// A manual clock, callees who answer after 5 s, seats that answer after 1 s and talk 20 s,
    /// and the support queue's two seats 1003 and 1004 ready.
    async fn ready(cx: &Ctx, url: &str) {
        let body = json!({ "CallbackUrl": url }).to_string();
        assert_eq!(
            cx.send(Method::PUT, "/ccapi/v2/apps", body).await.0,
            StatusCode::OK
        );
        // Frozen a little ahead of the wall clock (a clock never goes back), so requests signed
        // now stay within the window.
        cx.engine
            .set_clock(
                &demo(),
                ClockMode::Manual,
                Some(ccemu_engine::wall_ms() + 1_000),
            )
            .await
            .unwrap();
        let sim = SimSettings {
            answer_delay_ms: 1_000,
            talk_time: Duration::fixed(20_000),
            wrap_up_ms: Some(0),
            dial_answer_rate: 1.0,
            dial_ring_time: Duration::fixed(5_000),
            ..SimSettings::default()
        };
        cx.engine
            .execute(&demo(), Op::PutSimSettings(sim))
            .await
            .unwrap();
        for agent in ["1003", "1004"] {
            let op = Op::SetAgentState {
                agent_id: agent.into(),
                state: AgentState::Available,
            };
            cx.engine.execute(&demo(), op).await.unwrap();
        }
    }

    const START: &str = r#"{"AdTaskId":"77","AdTaskType":"2","AdTaskRatio":"1.5","AdQueueId":"9002","AdCallerNum":"057126200670","AdDispNum":"057126200670","AdConCallLimit":2}"#;

    #[tokio::test]
    async fn a_ratio_task_pulls_its_numbers_dials_within_its_limit_and_is_exhausted() {
        let cx = ctx().await;
        let numbers = vec![
            "13676546374",
            "13676546375",
            "13676546376",
            "13676546377",
            "13676546378",
        ];
        let (url, asked) = crm(numbers.clone()).await;
        ready(&cx, &url).await;
        let got = cx
            .send(Method::POST, "/ccapi/v2/ads/task/start", START)
            .await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        // Three pages of at most two numbers, each request signed with the app's Secret.
        let asked = asked.lock().unwrap().clone();
        assert_eq!(asked.len(), 3);
        for (query, body) in &asked {
            assert_eq!(
                body,
                &json!({"app_id": cx.udesk.app_id, "ad_task_id": "77", "count": 100})
            );
            let want =
                crate::sign::sign(&cx.udesk.app_id, &cx.udesk.app_secret, &query["Timestamp"]);
            assert_eq!((&query["AppId"], &query["Sign"]), (&cx.udesk.app_id, &want));
        }
        let view = cx.engine.campaign(&demo(), "77").await.unwrap();
        let listed: Vec<&str> = view
            .contacts
            .iter()
            .map(|c| c.phone_number.as_str())
            .collect();
        assert_eq!(listed, numbers);
        assert_eq!(view.contacts[4].external_id.as_deref(), Some("5"));
        assert_eq!(view.campaign.caller_number.as_deref(), Some("057126200670"));
        // 1.5 calls per free seat for two seats is 3, but the task allows 2 at once.
        assert_eq!(view.in_flight, 2, "{:?}", view.contacts);
        // The CRM may ask which numbers wait: the three not dialled yet.
        let ask = json!({"app_id": cx.udesk.app_id, "ad_task_id": "77", "count": 2}).to_string();
        let got = cx
            .send(Method::POST, "/ccapi/v2/cc_ad_task/numbers", &ask)
            .await;
        assert_eq!(
            got,
            (
                StatusCode::OK,
                json!({"code": "000000", "message": "OK", "exhausted": false,
                "results": [{"id": "3", "number": "13676546376"}, {"id": "4", "number": "13676546377"}]})
            )
        );
        // Answered calls reach the seats; a minute later every number is done.
        cx.engine.advance_clock(&demo(), 6_000).await.unwrap();
        let (_, seats) = cx
            .send(
                Method::GET,
                "/ccapi/v2/agents/1003",
                r#"{"AgentId":"1003"}"#,
            )
            .await;
        assert_eq!(seats["Result"]["State"], 3, "in call: {seats}");
        for _ in 0..12 {
            cx.engine.advance_clock(&demo(), 10_000).await.unwrap();
        }
        let view = cx.engine.campaign(&demo(), "77").await.unwrap();
        assert!(view.exhausted, "{:?}", view.contacts);
        assert_eq!(view.dialled, 5);
        let got = cx
            .send(Method::POST, "/ccapi/v2/cc_ad_task/numbers", &ask)
            .await;
        assert_eq!(
            got,
            (
                StatusCode::OK,
                json!({"code": "000000", "message": "OK", "exhausted": true, "results": []})
            )
        );
        // The same task id again is a duplicate.
        let got = cx
            .send(Method::POST, "/ccapi/v2/ads/task/start", START)
            .await;
        assert_eq!(
            got,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                err_code("100004", "Duplicate entry 77 for AdTaskId")
            )
        );
    }

    #[tokio::test]
    async fn ratio_updates_and_stops_reach_the_campaign() {
        let cx = ctx().await;
        let (url, _) = crm(vec!["1001", "1002", "1003", "1004", "1005", "1006"]).await;
        ready(&cx, &url).await;
        assert_eq!(
            cx.send(Method::POST, "/ccapi/v2/ads/task/start", START)
                .await
                .0,
            StatusCode::OK
        );
        let null = (StatusCode::OK, ok_with(Value::Null));
        let body = r#"{"AdTaskId":"77","AdTaskRatio":3}"#;
        assert_eq!(
            cx.send(Method::POST, "/ccapi/v2/ads/task/update_ratio", body)
                .await,
            null
        );
        assert_eq!(
            cx.engine
                .campaign(&demo(), "77")
                .await
                .unwrap()
                .campaign
                .ratio,
            3.0
        );
        for (body, want) in [
            (
                r#"{"AdTaskId":"77","AdTaskRatio":6}"#,
                err_code("000001", "AdTaskRatio"),
            ),
            (r#"{"AdTaskId":"77"}"#, err_code("000001", "AdTaskRatio")),
            (r#"{"AdTaskRatio":2}"#, err_code("000001", "ParamsInvalid")),
        ] {
            let got = cx
                .send(Method::POST, "/ccapi/v2/ads/task/update_ratio", body)
                .await;
            assert_eq!(got, (StatusCode::BAD_REQUEST, want), "{body}");
        }
        let got = cx
            .send(
                Method::POST,
                "/ccapi/v2/ads/task/update_ratio",
                r#"{"AdTaskId":"78","AdTaskRatio":2}"#,
            )
            .await;
        assert_eq!(
            got,
            (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"))
        );
        // A predictive task keeps its intensity; a precision task has none.
        for (id, kind, status) in [
            ("78", "3", StatusCode::OK),
            ("79", "1", StatusCode::BAD_REQUEST),
        ] {
            let body = START
                .replace(r#""77""#, &format!("\"{id}\""))
                .replace(r#""AdTaskType":"2""#, &format!("\"AdTaskType\":\"{kind}\""));
            assert_eq!(
                cx.send(Method::POST, "/ccapi/v2/ads/task/start", &body)
                    .await
                    .0,
                StatusCode::OK
            );
            let body = format!(r#"{{"AdTaskId":"{id}","AdTaskRatio":2.5}}"#);
            let got = cx
                .send(Method::POST, "/ccapi/v2/ads/task/update_ratio", &body)
                .await;
            assert_eq!(got.0, status, "{id}: {got:?}");
        }
        assert_eq!(
            cx.engine
                .campaign(&demo(), "78")
                .await
                .unwrap()
                .campaign
                .ratio,
            2.5
        );
        assert_eq!(
            cx.engine
                .campaign(&demo(), "79")
                .await
                .unwrap()
                .campaign
                .ratio,
            1.5
        );
        // A force stop hangs up the two dials ringing and drops the rest; stopping again is fine.
        let stop = r#"{"AdTaskId":"77"}"#;
        assert_eq!(
            cx.send(Method::POST, "/ccapi/v2/ads/task/force_stop", stop)
                .await,
            null
        );
        let view = cx.engine.campaign(&demo(), "77").await.unwrap();
        assert_eq!((view.in_flight, view.exhausted), (0, true));
        assert_eq!(
            serde_json::to_value(view.campaign.status).unwrap(),
            "stopped"
        );
        assert_eq!(
            cx.send(Method::POST, "/ccapi/v2/ads/task/stop", stop).await,
            null
        );
        // cc_ad_task/stop is envelope E; its app_id must be the signed app's.
        let body = json!({"app_id": cx.udesk.app_id, "ad_task_id": "77"}).to_string();
        let got = cx
            .send(Method::POST, "/ccapi/v2/cc_ad_task/stop", &body)
            .await;
        assert_eq!(
            got,
            (StatusCode::OK, json!({"code": "000000", "message": "OK"}))
        );
        let body = r#"{"app_id":"someone-else","ad_task_id":"77"}"#;
        let got = cx
            .send(Method::POST, "/ccapi/v2/cc_ad_task/stop", body)
            .await;
        assert_eq!(
            got,
            (
                StatusCode::FORBIDDEN,
                json!({"code": "100002", "message": "AppId AppNotFound or forbidden"})
            )
        );
        let got = cx
            .send(Method::POST, "/ccapi/v2/cc_ad_task/numbers", "")
            .await;
        assert_eq!(
            got,
            (
                StatusCode::BAD_REQUEST,
                json!({"code": "100004", "message": "unexpected end of JSON input"})
            )
        );
    }

    #[test]
    fn an_exhausted_task_tells_the_crm_at_its_callback_url_signed() {
        let tenant = ccemu_core::Tenant {
            id: demo(),
            name: "t".into(),
            created_at_ms: 0,
            credentials: ccemu_engine::credentials::generate("demo"),
        };
        let app = ccemu_core::Subscription {
            id: crate::apps::APP_SUBSCRIPTION_ID.into(),
            surface: "udesk".into(),
            name: "app".into(),
            callback_url: "http://crm.example/cb/".into(),
            events: vec![],
            secret: None,
            enabled: true,
            created_at_ms: 0,
        };
        let record = |event| ccemu_core::event::EventRecord {
            seq: 9,
            at_ms: 5,
            event,
        };
        let exhausted = record(ccemu_core::event::DomainEvent::CampaignExhausted {
            campaign_id: "77".into(),
        });
        let mut n =
            super::stop_notice(&tenant, std::slice::from_ref(&app), &exhausted).expect("notice");
        // Stored unsigned; signed at each delivery attempt.
        assert_eq!(n.url, "http://crm.example/cb/cc_ad_task/stop");
        use ccemu_engine::Notifier as _;
        crate::events::UdeskCallbacks.prepare(&tenant, &mut n);
        let udesk = &tenant.credentials.udesk;
        let (path, query) = n.url.split_once('?').unwrap();
        assert_eq!(path, "http://crm.example/cb/cc_ad_task/stop");
        let query: std::collections::HashMap<&str, &str> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        let sign = crate::sign::sign(&udesk.app_id, &udesk.app_secret, query["Timestamp"]);
        assert_eq!(
            (query["AppId"], query["Sign"]),
            (udesk.app_id.as_str(), sign.as_str())
        );
        let body: Value = serde_json::from_str(&n.body).unwrap();
        assert_eq!(body, json!({"app_id": udesk.app_id, "ad_task_id": "77"}));
        assert_eq!((n.method.as_str(), n.event_seq), ("POST", Some(9)));
        // Nothing for other events, or without a CallbackUrl.
        let other = record(ccemu_core::event::DomainEvent::CampaignCreated {
            campaign_id: "77".into(),
            contacts: 1,
        });
        assert!(super::stop_notice(&tenant, std::slice::from_ref(&app), &other).is_none());
        let disabled = ccemu_core::Subscription {
            enabled: false,
            ..app
        };
        assert!(super::stop_notice(&tenant, &[disabled], &exhausted).is_none());
    }

    #[tokio::test]
    async fn start_checks_every_field_and_needs_a_crm_to_pull_from() {
        let cx = ctx().await;
        let uri = "/ccapi/v2/ads/task/start";
        let with = |key: &str, value: Value| {
            let mut body: Value = serde_json::from_str(START).unwrap();
            body[key] = value;
            body.to_string()
        };
        let bad = |desc: &str| (StatusCode::BAD_REQUEST, err_code("000001", desc));
        for (body, want) in [
            (with("AdTaskType", json!("9")), bad("AdTaskType")),
            (with("AdTaskRatio", json!(0.5)), bad("AdTaskRatio")),
            (with("AdTaskRatio", json!("x")), bad("ParamsInvalid")),
            (with("AdConCallLimit", json!(101)), bad("AdConCallLimit")),
            (with("AdQueueId", json!("")), bad("AdQueueId")),
            (with("AdCallerNum", json!(null)), bad("ParamsInvalid")),
            (
                with("AdQueueId", json!("9999")),
                (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound")),
            ),
            (
                "".to_owned(),
                (
                    StatusCode::BAD_REQUEST,
                    err_code("100004", "unexpected end of JSON input"),
                ),
            ),
        ] {
            assert_eq!(cx.send(Method::POST, uri, &body).await, want, "{body}");
        }
        let got = cx
            .send(Method::POST, uri, with("AdTaskType", json!(4)))
            .await;
        assert_eq!(
            got,
            (StatusCode::NOT_IMPLEMENTED, err_code("000003", "start_ad_task with AdTaskType 4 (voice broadcast) is not emulated by ccemu yet"))
        );
        // No CallbackUrl: nowhere to pull numbers from. A CRM that is down: the same, with why.
        assert_eq!(
            cx.send(Method::POST, uri, START).await,
            bad("CallbackUrl Blank")
        );
        let body = json!({ "CallbackUrl": "http://127.0.0.1:9/cb" }).to_string();
        assert_eq!(
            cx.send(Method::PUT, "/ccapi/v2/apps", body).await.0,
            StatusCode::OK
        );
        let (status, got) = cx.send(Method::POST, uri, START).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let desc = got["ErrDesc"].as_str().unwrap();
        assert!(desc.starts_with("AdTaskNumbers unavailable: "), "{desc}");
        assert!(cx.engine.campaigns(&demo()).await.unwrap().is_empty());
    }
}
