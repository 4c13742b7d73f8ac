//! Seats (`vendor-notes/udesk.md` §3.2): create, update, delete, read and list, and the seat's
//! extension and queue bindings. A seat is the tenant's agent, the same one every surface and
//! the ACD see; its extensions and queues are the engine's.

use std::borrow::Cow;
use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::Response;
use ccemu_core::agent::{Agent, AgentState, Role};
use ccemu_core::telephony::ExtensionState;
use ccemu_engine::{AgentPatch, AgentView, Engine, NewExtension, Op, OpOutput};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::dto::{self, Flag, Int, Text};
use crate::error::UdeskError;
use crate::extensions::{check_extension, extension_number};

/// One seat of `POST agents`.
#[derive(Debug, Deserialize)]
struct NewSeat {
    #[serde(rename = "AgentId")]
    agent_id: Option<Text>,
    #[serde(rename = "WorkId")]
    work_id: Option<Text>,
    #[serde(rename = "Name")]
    name: Option<Text>,
    #[serde(rename = "Mobile")]
    mobile: Option<Text>,
    #[serde(rename = "Email")]
    email: Option<Text>,
    #[serde(rename = "Role")]
    role: Option<Text>,
    #[serde(rename = "Enable")]
    enable: Option<Flag>,
    #[serde(rename = "IsCreateExtension")]
    create_extension: Option<Flag>,
    /// Not in the parameter table, but in the doc's example: the number of the extension to
    /// create when `IsCreateExtension` is set [inferred].
    #[serde(rename = "Extension")]
    extension: Option<Text>,
    #[serde(rename = "WrapUpTime")]
    wrap_up: Option<Int>,
}

#[derive(Debug, Deserialize)]
struct CreateSeats {
    #[serde(rename = "Agents")]
    agents: Vec<NewSeat>,
}

/// The body of `PUT agents/{AgentId}`.
#[derive(Debug, Deserialize)]
struct SeatUpdate {
    #[serde(rename = "AgentId")]
    agent_id: Option<Text>,
    #[serde(rename = "WorkId")]
    work_id: Option<Text>,
    #[serde(rename = "Name")]
    name: Option<Text>,
    #[serde(rename = "Mobile")]
    mobile: Option<Text>,
    #[serde(rename = "Email")]
    email: Option<Text>,
    #[serde(rename = "Role")]
    role: Option<Text>,
    #[serde(rename = "Enable")]
    enable: Option<Flag>,
    #[serde(rename = "WrapUpTime")]
    wrap_up: Option<Int>,
}

/// The body of `DELETE agents/{AgentId}` and of the seat read.
#[derive(Debug, Deserialize)]
struct SeatRef {
    #[serde(rename = "AgentId")]
    agent_id: Option<Text>,
    #[serde(rename = "IsDelExtensions", default)]
    delete_extensions: Option<Flag>,
}

/// Paging of `GET agents`, from the query or the body [inferred].
#[derive(Debug, Default, Deserialize)]
struct Paging {
    #[serde(rename = "PageNum")]
    page_num: Option<Int>,
    #[serde(rename = "PageSize")]
    page_size: Option<Int>,
}

/// The body of `agents/extensions` and `agents/queues`.
#[derive(Debug, Deserialize)]
struct Binding {
    #[serde(rename = "AgentId")]
    agent_id: Option<Text>,
    #[serde(rename = "Extensions")]
    extensions: Option<Vec<Text>>,
    #[serde(rename = "Queues")]
    queues: Option<Vec<Text>>,
}

fn invalid() -> UdeskError {
    UdeskError::InvalidParameter(dto::PARAMS_INVALID.into())
}

fn role(raw: Option<Text>) -> Result<Option<Role>, UdeskError> {
    match raw.as_ref().map(|t| t.0.trim()) {
        None | Some("") => Ok(None),
        Some("agent") => Ok(Some(Role::Agent)),
        Some("leader") => Ok(Some(Role::Supervisor)),
        Some(_) => Err(invalid()),
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Agent => "agent",
        // Udesk has two roles; an admin watches others like a leader does [inferred].
        Role::Supervisor | Role::Admin => "leader",
    }
}

/// Seat `State` (§4): the mapping of ccemu's states onto Udesk's five is \[inferred\].
fn seat_state(state: &AgentState) -> u8 {
    match state {
        AgentState::Available => 0,
        AgentState::WrapUp { .. } => 1,
        AgentState::Reserved | AgentState::Ringing => 2,
        AgentState::OnContact => 3,
        AgentState::LoggedOut | AgentState::NotReady { .. } | AgentState::OnBreak { .. } => 4,
    }
}

/// `ExtState` (§4) of a seat: its first extension's, offline without one.
fn ext_state(view: &AgentView) -> u8 {
    match view
        .extensions
        .first()
        .map_or(ExtensionState::Offline, |e| e.state)
    {
        ExtensionState::Idle => 0,
        ExtensionState::Busy => 1,
        ExtensionState::Online => 2,
        ExtensionState::Offline => 3,
        ExtensionState::Invalid => 4,
    }
}

/// The seat object of §4. The detail names the seat `"<AgentId>@<AppId>"`, list rows by its id.
/// Empty lists are `null`, as in every example; `QueuesNames` joins names with `,` [inferred].
/// Typed, since the seat list renders one for every seat of a page.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Seat<'a> {
    app_id: &'a str,
    agent_id: Cow<'a, str>,
    work_id: &'a str,
    name: &'a str,
    mobile: &'a str,
    email: &'a str,
    role: &'static str,
    queues: Option<Vec<&'a str>>,
    queues_names: Option<String>,
    extensions: Option<Vec<&'a str>>,
    def_sp_number: &'a str,
    state: u8,
    ext_state: u8,
    wrap_up_time: u32,
    enable: bool,
    exten_infos: (),
}

impl<'a> Seat<'a> {
    fn new(app_id: &'a str, view: &'a AgentView, detail: bool) -> Self {
        let a = &view.agent;
        let some = |items: Vec<&'a str>| (!items.is_empty()).then_some(items);
        let queue_names: Vec<&str> = view.queues.iter().map(|(_, name)| name.as_str()).collect();
        Self {
            app_id,
            agent_id: if detail {
                Cow::Owned(format!("{}@{app_id}", a.id))
            } else {
                Cow::Borrowed(&a.id)
            },
            work_id: &a.work_id,
            name: &a.name,
            mobile: &a.phone,
            email: &a.email,
            role: role_name(a.role),
            queues: some(view.queues.iter().map(|(id, _)| id.as_str()).collect()),
            queues_names: (!queue_names.is_empty()).then(|| queue_names.join(",")),
            extensions: some(view.extensions.iter().map(|e| e.id.as_str()).collect()),
            def_sp_number: a.default_caller_number.as_deref().unwrap_or_default(),
            state: seat_state(&a.state),
            ext_state: ext_state(view),
            wrap_up_time: a.wrap_up_secs,
            enable: a.enabled,
            exten_infos: (),
        }
    }
}

/// An AgentId of Udesk's form: digits, at most 32 (§4).
fn agent_id(id: String) -> Result<String, UdeskError> {
    let ok = id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(id)
    } else {
        Err(invalid())
    }
}

/// A WorkId of Udesk's form `\w+`, at most 32 (§4).
fn work_id(id: String) -> Result<String, UdeskError> {
    let ok = id.len() <= 32 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(id)
    } else {
        Err(invalid())
    }
}

/// The lowest free extension number of Udesk's form `[1-9]\d{3}`, for a seat created with
/// `IsCreateExtension` but no `Extension` [inferred].
fn free_extension(taken: &BTreeSet<String>) -> Result<String, UdeskError> {
    (1000..=9999)
        .map(|n: u32| n.to_string())
        .find(|n| !taken.contains(n))
        .ok_or_else(invalid)
}

/// `POST agents` (§3.2): creates seats, all or none, with their extensions if asked.
pub async fn create_agents(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let CreateSeats { agents: seats } = dto::body(&raw)?;
        if seats.is_empty() {
            return Err(invalid());
        }
        let mut taken: BTreeSet<String> = engine
            .extensions(&auth.tenant.id)
            .await?
            .into_iter()
            .map(|e| e.id)
            .collect();
        let app_id = &auth.tenant.credentials.udesk.app_id;
        let (mut agents, mut extensions) = (Vec::new(), Vec::new());
        for seat in seats {
            let id = agent_id(dto::required(seat.agent_id)?)?;
            let work_id = work_id(dto::required(seat.work_id)?)?;
            // Every surface shows a display name; a seat without one is named by its id [inferred].
            let name = seat
                .name
                .map(|t| t.0)
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| id.clone());
            let mut agent = Agent::new(&id, name, 0);
            agent.work_id = work_id;
            agent.phone = seat.mobile.map(|t| t.0).unwrap_or_default();
            agent.email = seat.email.map(|t| t.0).unwrap_or_default();
            agent.role = role(seat.role)?.unwrap_or_default();
            agent.enabled = seat.enable.is_none_or(|f| f.0);
            agent.wrap_up_secs = seat.wrap_up.map_or(0, |w| w.0);
            if seat.create_extension.is_some_and(|f| f.0) {
                let number = match seat.extension.map(|t| t.0) {
                    Some(n) => check_extension(n)?,
                    None => free_extension(&taken)?,
                };
                taken.insert(number.clone());
                extensions.push(NewExtension {
                    number: extension_number(app_id, &number),
                    id: number,
                    agent_id: Some(id),
                });
            }
            agents.push(agent);
        }
        let output = engine
            .execute(&auth.tenant.id, Op::CreateAgents { agents, extensions })
            .await?;
        Ok(match output {
            OpOutput::Provisioned { extensions, .. } if !extensions.is_empty() => json!({
                "Extensions": extensions
                    .iter()
                    .map(|e| json!({"Extension": e.id, "Password": e.password}))
                    .collect::<Vec<_>>()
            }),
            _ => Value::Null,
        })
    }
    .await;
    dto::reply(&auth, result)
}

/// `PUT agents/{AgentId}` (§3.2): the path names the seat; the body must carry `AgentId` and
/// `WorkId` too, but the doc's own example sends another `AgentId` in the body than in the
/// path, so the path wins [inferred]. Absent optional fields keep their value [inferred].
pub async fn update_agent(
    auth: Authed,
    State(engine): State<Engine>,
    Path(agent_id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let update: SeatUpdate = dto::body(&raw)?;
        dto::required(update.agent_id)?;
        let work_id = work_id(dto::required(update.work_id)?)?;
        let patch = AgentPatch {
            work_id: Some(work_id),
            name: update.name.map(|t| t.0).filter(|n| !n.trim().is_empty()),
            email: update.email.map(|t| t.0),
            phone: update.mobile.map(|t| t.0),
            role: role(update.role)?,
            enabled: update.enable.map(|f| f.0),
            wrap_up_secs: update.wrap_up.map(|w| w.0),
            ..AgentPatch::default()
        };
        engine
            .execute(&auth.tenant.id, Op::UpdateAgent { agent_id, patch })
            .await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `DELETE agents/{AgentId}` (§3.2): refused while the seat is in a queue, or holds an
/// extension and `IsDelExtensions` is not set.
pub async fn delete_agent(
    auth: Authed,
    State(engine): State<Engine>,
    Path(agent_id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let target: SeatRef = dto::body(&raw)?;
        dto::required(target.agent_id)?;
        let op = Op::DeleteAgent {
            agent_id,
            delete_extensions: target.delete_extensions.is_some_and(|f| f.0),
        };
        engine
            .execute(&auth.tenant.id, op)
            .await
            .map_err(|e| UdeskError::from(e).deleting())?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `GET agents/{AgentId}` (§3.2), also served as POST: the seat object.
pub async fn get_agent(
    auth: Authed,
    State(engine): State<Engine>,
    Path(agent_id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let target: SeatRef = dto::body(&raw)?;
        dto::required(target.agent_id)?;
        let views = engine.agents(&auth.tenant.id, Some(&agent_id)).await?;
        let view = views.first().ok_or(UdeskError::RecordNotFound)?;
        Ok(json!(Seat::new(
            &auth.tenant.credentials.udesk.app_id,
            view,
            true
        )))
    }
    .await;
    dto::reply(&auth, result)
}

/// `GET agents` (§3.2): one page of seats. Without `PageSize` the page holds every seat, as
/// in the doc's example (`PageSize` = `Total`) [inferred].
pub async fn list_agents(
    auth: Authed,
    State(engine): State<Engine>,
    uri: Uri,
    raw: Bytes,
) -> Response {
    let result = async {
        let from_body: Paging = dto::optional_body(&raw)?;
        let query = Query::<Paging>::try_from_uri(&uri)
            .map_err(|_| invalid())?
            .0;
        let page_num = from_body.page_num.or(query.page_num).map_or(1, |p| p.0);
        let views = engine.agents(&auth.tenant.id, None).await?;
        let total = views.len();
        let page_size = from_body
            .page_size
            .or(query.page_size)
            .map_or(total, |p| p.0 as usize);
        if page_num == 0 || (page_size == 0 && total > 0) {
            return Err(invalid());
        }
        let total_page = if page_size == 0 {
            0
        } else {
            total.div_ceil(page_size)
        };
        let app_id = &auth.tenant.credentials.udesk.app_id;
        let skip = (page_num as usize - 1).saturating_mul(page_size);
        let page = SeatPage {
            curr_page: page_num,
            page_size,
            total,
            total_page,
            agent_list: views
                .iter()
                .skip(skip)
                .take(page_size)
                .map(|v| Seat::new(app_id, v, false))
                .collect(),
        };
        // The list example answers `"ErrDesc": ""`.
        Ok(dto::ok_with_desc(&auth, "", page))
    }
    .await;
    result.unwrap_or_else(|error| dto::fail(&auth, error))
}

/// The `Result` of `GET agents`.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct SeatPage<'a> {
    curr_page: u32,
    page_size: usize,
    total: usize,
    total_page: usize,
    agent_list: Vec<Seat<'a>>,
}

/// Reads a binding body: the seat and the ids in `Extensions` or `Queues`, which must be arrays.
fn binding(raw: &Bytes, queues: bool) -> Result<(String, Vec<String>), UdeskError> {
    let b: Binding = dto::body(raw)?;
    let agent_id = dto::required(b.agent_id)?;
    let ids = if queues { b.queues } else { b.extensions }.ok_or_else(invalid)?;
    if ids.is_empty() {
        return Err(invalid());
    }
    Ok((agent_id, dto::texts(ids)))
}

/// `POST agents/extensions` (§3.2): binds extensions, at most two per seat.
pub async fn bind_agent_extensions(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let (agent_id, extension_ids) = binding(&raw, false)?;
        let op = Op::BindExtensions {
            agent_id,
            extension_ids,
        };
        engine.execute(&auth.tenant.id, op).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `DELETE agents/extensions` (§3.2): releases extensions the seat holds.
pub async fn unbind_agent_extensions(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let (agent_id, extension_ids) = binding(&raw, false)?;
        let op = Op::UnbindExtensions {
            agent_id,
            extension_ids,
        };
        engine.execute(&auth.tenant.id, op).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `POST agents/queues` (§3.2): adds the seat to queues.
pub async fn bind_agent_queues(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let (agent_id, queue_ids) = binding(&raw, true)?;
        let op = Op::AddQueueMembers {
            queue_ids,
            agent_ids: vec![agent_id],
        };
        engine.execute(&auth.tenant.id, op).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `DELETE agents/queues` (§3.2): removes the seat from queues.
pub async fn unbind_agent_queues(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let (agent_id, queue_ids) = binding(&raw, true)?;
        let op = Op::RemoveQueueMembers {
            queue_ids,
            agent_ids: vec![agent_id],
        };
        engine.execute(&auth.tenant.id, op).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use serde_json::{json, Value};

    use crate::routes::tests::{ctx, err_code, ok_with, Ctx};

    /// The doc's seat-creation example body, byte for byte (escaped quotes and line break included).
    const DOC_CREATE: &str = r#"{\"Agents\":[{\"AgentId\":\"199\",\"WorkId\":\"199\",\"Name\":\"Li\",
\"Mobile\":\"18512520714\",\"Email\":\"123@qq.com\",\"Role\":\"agent\",\"Extension\":\"2457\",\"WrapUpTime\":0},{\"AgentId\":\"200\",\"WorkId\":\"200\",\"Name\":\"Qian\",\"Mobile\":\"18512520714\",\"Email\":\"456@qq.com\",\"Role\":\"agent\",\"Extension\":\"2458\",\"WrapUpTime\":1}]}"#;

    /// The seat object of §4 with the given identity fields and no bindings.
    fn seat_object(cx: &Ctx, agent_id: &str, fields: Value) -> Value {
        let mut seat = json!({
            "AppId": cx.udesk.app_id, "AgentId": agent_id, "WorkId": "", "Name": "",
            "Mobile": "", "Email": "", "Role": "agent", "Queues": null, "QueuesNames": null,
            "Extensions": null, "DefSpNumber": "", "State": 4, "ExtState": 3, "WrapUpTime": 0,
            "Enable": true, "ExtenInfos": null
        });
        for (k, v) in fields.as_object().unwrap() {
            assert!(seat.get(k).is_some(), "{k} is not a seat field");
            seat[k] = v.clone();
        }
        seat
    }

    async fn detail(cx: &Ctx, id: &str) -> (StatusCode, Value) {
        let body = json!({ "AgentId": id }).to_string();
        cx.send(Method::GET, &format!("/ccapi/v2/agents/{id}"), body)
            .await
    }

    async fn create(cx: &Ctx, agents: Value) -> (StatusCode, Value) {
        let body = json!({ "Agents": agents }).to_string();
        cx.send(Method::POST, "/ccapi/v2/agents", body).await
    }

    #[tokio::test]
    async fn create_agents_replays_the_docs_example_and_reads_back_the_seat_object() {
        let cx = ctx().await;
        let got = cx.send(Method::POST, "/ccapi/v2/agents", DOC_CREATE).await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let app = cx.udesk.app_id.clone();
        let (status, body) = detail(&cx, "199").await;
        assert_eq!(status, StatusCode::OK);
        let expected = seat_object(
            &cx,
            &format!("199@{app}"),
            json!({"WorkId": "199", "Name": "Li", "Mobile": "18512520714", "Email": "123@qq.com"}),
        );
        assert_eq!(body, ok_with(expected));
        let (_, body) = detail(&cx, "200").await;
        assert_eq!(body["Result"]["WrapUpTime"], 1);
        assert_eq!(body["Result"]["Name"], "Qian");
    }

    #[tokio::test]
    async fn is_create_extension_answers_each_new_extension_and_its_password() {
        let cx = ctx().await;
        let (status, body) = create(
            &cx,
            json!([
                {"AgentId": "301", "WorkId": "301", "IsCreateExtension": true, "Extension": "4567"},
                {"AgentId": 302, "WorkId": 302, "IsCreateExtension": "true", "Role": "leader"},
                {"AgentId": "303", "WorkId": "303", "Enable": false}
            ]),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (body["ErrCode"].clone(), body["ErrDesc"].clone()),
            (json!("000000"), json!("OK"))
        );
        let extensions = body["Result"]["Extensions"].as_array().unwrap();
        assert_eq!(body["Result"].as_object().unwrap().len(), 1);
        // 302 gave no number: the lowest free one of Udesk's form.
        let numbers: Vec<&str> = extensions
            .iter()
            .map(|e| e["Extension"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, ["4567", "1000"]);
        for e in extensions {
            assert_eq!(e.as_object().unwrap().len(), 2, "{e}");
            let password = e["Password"].as_str().unwrap();
            assert_eq!(password.len(), 16);
            assert!(password.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        let (_, body) = detail(&cx, "301").await;
        assert_eq!(body["Result"]["Extensions"], json!(["4567"]));
        let (_, body) = detail(&cx, "302").await;
        assert_eq!(body["Result"]["Role"], "leader");
        assert_eq!(body["Result"]["Name"], "302");
        let (_, body) = detail(&cx, "303").await;
        assert_eq!(body["Result"]["Enable"], false);
        assert_eq!(body["Result"]["Extensions"], Value::Null);
    }

    #[tokio::test]
    async fn a_duplicate_seat_is_100004_and_creates_none_of_the_batch() {
        let cx = ctx().await;
        let got = create(
            &cx,
            json!([{"AgentId": "300", "WorkId": "300"}, {"AgentId": "1001", "WorkId": "1001"}]),
        )
        .await;
        assert_eq!(
            got,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                err_code("100004", "Duplicate entry 1001 for AgentId")
            )
        );
        let got = detail(&cx, "300").await;
        assert_eq!(
            got,
            (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"))
        );
        // The same id twice in one batch is a duplicate too.
        let got = create(
            &cx,
            json!([{"AgentId": "300", "WorkId": "a"}, {"AgentId": "300", "WorkId": "b"}]),
        )
        .await;
        assert_eq!(got.1["ErrCode"], "100004");
    }

    #[tokio::test]
    async fn seat_fields_that_are_missing_or_invalid_are_000001() {
        let cx = ctx().await;
        for agents in [
            json!([]),
            json!([{"WorkId": "1"}]),
            json!([{"AgentId": "1"}]),
            json!([{"AgentId": "", "WorkId": "1"}]),
            json!([{"AgentId": "1", "WorkId": "1", "Role": "boss"}]),
            json!([{"AgentId": "1", "WorkId": "1", "Email": "not-an-email"}]),
            json!([{"AgentId": "1", "WorkId": "1", "IsCreateExtension": true, "Extension": "0123"}]),
            json!([{"AgentId": {}, "WorkId": "1"}]),
            json!([{"AgentId": "12a", "WorkId": "1"}]),
            json!([{"AgentId": "1".repeat(33), "WorkId": "1"}]),
            json!([{"AgentId": "1", "WorkId": "a b"}]),
            json!([{"AgentId": "1", "WorkId": "w".repeat(33)}]),
            json!({"AgentId": "1"}),
        ] {
            let got = create(&cx, agents.clone()).await;
            assert_eq!(
                got,
                (StatusCode::BAD_REQUEST, err_code("000001", "ParamsInvalid")),
                "{agents}"
            );
        }
    }

    #[tokio::test]
    async fn update_agent_replays_the_docs_example_where_the_path_names_the_seat() {
        let cx = ctx().await;
        create(
            &cx,
            json!([{"AgentId": "7763", "WorkId": "1", "WrapUpTime": 5}]),
        )
        .await;
        // The doc's body names 10030 while its URL names 7763.
        let doc = r#"{
"AgentId": "10030",
"WorkId": "22024",
"Name": "test 5",
"Mobile": "17777773333",
"Email": "5544@qq.com",
"Role": "agent"
}
"#;
        let got = cx.send(Method::PUT, "/ccapi/v2/agents/7763", doc).await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let (_, body) = detail(&cx, "7763").await;
        let expected = seat_object(
            &cx,
            &format!("7763@{}", cx.udesk.app_id),
            json!({"WorkId": "22024", "Name": "test 5", "Mobile": "17777773333",
                   "Email": "5544@qq.com", "WrapUpTime": 5}),
        );
        assert_eq!(body, ok_with(expected));
        let got = cx
            .send(
                Method::PUT,
                "/ccapi/v2/agents/7763",
                r#"{"AgentId":"7763","WorkId":"1","Enable":"false"}"#,
            )
            .await;
        assert_eq!(got.0, StatusCode::OK);
        assert_eq!(detail(&cx, "7763").await.1["Result"]["Enable"], false);
        let got = cx
            .send(
                Method::PUT,
                "/ccapi/v2/agents/4242",
                r#"{"AgentId":"4242","WorkId":"1"}"#,
            )
            .await;
        assert_eq!(
            got,
            (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"))
        );
        for body in [
            r#"{"WorkId":"1"}"#,
            r#"{"AgentId":"7763"}"#,
            r#"{"AgentId":"7763","WorkId":"1","Enable":"maybe"}"#,
        ] {
            let got = cx.send(Method::PUT, "/ccapi/v2/agents/7763", body).await;
            assert_eq!(
                got,
                (StatusCode::BAD_REQUEST, err_code("000001", "ParamsInvalid")),
                "{body}"
            );
        }
    }

    #[tokio::test]
    async fn delete_agent_refuses_a_bound_seat_unless_told_to_delete_its_extensions() {
        let cx = ctx().await;
        // 1003 is in queue 9002 and holds extension 8002.
        let got = cx
            .send(
                Method::DELETE,
                "/ccapi/v2/agents/1003",
                r#"{"AgentId":"1003","IsDelExtensions":true}"#,
            )
            .await;
        assert_eq!(
            got,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                err_code("100004", "Agent has queue or voip, can't delete")
            )
        );
        // The doc's example.
        create(&cx, json!([{"AgentId": "7777", "WorkId": "7777"}])).await;
        let got = cx
            .send(
                Method::DELETE,
                "/ccapi/v2/agents/7777",
                r#"{"AgentId":"7777"}"#,
            )
            .await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let got = cx
            .send(
                Method::DELETE,
                "/ccapi/v2/agents/7777",
                r#"{"AgentId":"7777"}"#,
            )
            .await;
        assert_eq!(
            got,
            (
                StatusCode::NOT_FOUND,
                err_code("000004", "Data does not exist")
            )
        );
        // A seat with an extension: kept by default, deleted with IsDelExtensions.
        create(&cx, json!([{"AgentId": "7778", "WorkId": "1", "IsCreateExtension": true, "Extension": "5555"}])).await;
        let got = cx
            .send(
                Method::DELETE,
                "/ccapi/v2/agents/7778",
                r#"{"AgentId":"7778","IsDelExtensions":false}"#,
            )
            .await;
        assert_eq!(got.1["ErrCode"], "100004");
        let got = cx
            .send(
                Method::DELETE,
                "/ccapi/v2/agents/7778",
                r#"{"AgentId":"7778","IsDelExtensions":"true"}"#,
            )
            .await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let got = cx
            .send(
                Method::POST,
                "/ccapi/v2/extensions",
                r#"{"Extension":"5555"}"#,
            )
            .await;
        assert_eq!(got.0, StatusCode::OK, "the extension went with the seat");
    }

    #[tokio::test]
    async fn get_agent_replays_the_docs_example_on_get_and_post() {
        let cx = ctx().await;
        create(&cx, json!([{"AgentId": "7765", "WorkId": "7765"}])).await;
        let doc = r#"{"AgentId":"7765"}"#;
        let expected = ok_with(seat_object(
            &cx,
            &format!("7765@{}", cx.udesk.app_id),
            json!({"WorkId": "7765", "Name": "7765"}),
        ));
        for method in [Method::GET, Method::POST] {
            let got = cx.send(method.clone(), "/ccapi/v2/agents/7765", doc).await;
            assert_eq!(got, (StatusCode::OK, expected.clone()), "{method}");
        }
    }

    #[tokio::test]
    async fn list_agents_pages_through_seat_rows_shaped_like_the_docs_example() {
        let cx = ctx().await;
        let (status, body) = cx.send(Method::GET, "/ccapi/v2/agents", "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (&body["ErrCode"], &body["ErrDesc"]),
            (&json!("000000"), &json!(""))
        );
        let result = &body["Result"];
        assert_eq!(
            (
                &result["CurrPage"],
                &result["PageSize"],
                &result["Total"],
                &result["TotalPage"]
            ),
            (&json!(1), &json!(4), &json!(4), &json!(1))
        );
        let alice = seat_object(
            &cx,
            "1001",
            json!({"WorkId": "1001", "Name": "Alice Chen", "Email": "alice@demo.ccemu.test",
                   "Role": "leader", "Queues": ["9001", "9002"], "QueuesNames": "Sales,Support",
                   "Extensions": ["8001"], "WrapUpTime": 10}),
        );
        assert_eq!(result["AgentList"][0], alice);
        let ids = |v: &Value| -> Vec<String> {
            v["Result"]["AgentList"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["AgentId"].as_str().unwrap().to_owned())
                .collect()
        };
        let (_, page) = cx
            .send(Method::GET, "/ccapi/v2/agents?PageNum=2&PageSize=3", "")
            .await;
        assert_eq!(ids(&page), ["1004"]);
        assert_eq!(
            (&page["Result"]["CurrPage"], &page["Result"]["TotalPage"]),
            (&json!(2), &json!(2))
        );
        let (_, page) = cx
            .send(
                Method::GET,
                "/ccapi/v2/agents",
                r#"{"PageNum":"1","PageSize":2}"#,
            )
            .await;
        assert_eq!(ids(&page), ["1001", "1002"]);
        for bad in ["?PageSize=x", "?PageNum=0"] {
            let got = cx
                .send(Method::GET, &format!("/ccapi/v2/agents{bad}"), "")
                .await;
            assert_eq!(
                got,
                (StatusCode::BAD_REQUEST, err_code("000001", "ParamsInvalid")),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn extension_bindings_replay_the_docs_examples() {
        let cx = ctx().await;
        create(
            &cx,
            json!([{"AgentId": "10031", "WorkId": "1"}, {"AgentId": "6655", "WorkId": "2"}]),
        )
        .await;
        for n in ["2345", "9527", "9528"] {
            let got = cx
                .send(
                    Method::POST,
                    "/ccapi/v2/extensions",
                    json!({"Extension": n}).to_string(),
                )
                .await;
            assert_eq!(got.0, StatusCode::OK);
        }
        let bind = "/ccapi/v2/agents/extensions";
        let doc_bind = "\n{\n\"AgentId\" : \"10031\",\n\"Extensions\" : [\"2345\",\"9527\"]\n}\n";
        assert_eq!(
            cx.send(Method::POST, bind, doc_bind).await,
            (StatusCode::OK, ok_with(Value::Null))
        );
        assert_eq!(
            detail(&cx, "10031").await.1["Result"]["Extensions"],
            json!(["2345", "9527"])
        );
        // A third is one too many; one held by another seat is VoipBindAgent; unknowns are 100018.
        let got = cx
            .send(
                Method::POST,
                bind,
                r#"{"AgentId":"10031","Extensions":["9528"]}"#,
            )
            .await;
        assert_eq!(
            got,
            (StatusCode::BAD_REQUEST, err_code("000001", "ParamsInvalid"))
        );
        let got = cx
            .send(
                Method::POST,
                bind,
                r#"{"AgentId":"6655","Extensions":["2345"]}"#,
            )
            .await;
        assert_eq!(
            got,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                err_code("100016", "VoipBindAgent")
            )
        );
        let got = cx
            .send(
                Method::POST,
                bind,
                r#"{"AgentId":"6655","Extensions":["1111"]}"#,
            )
            .await;
        assert_eq!(
            got,
            (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"))
        );
        let got = cx
            .send(
                Method::POST,
                bind,
                r#"{"AgentId":"4242","Extensions":["9528"]}"#,
            )
            .await;
        assert_eq!(
            got,
            (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"))
        );
        // The doc stresses the brackets: a bare string is not a list.
        let got = cx
            .send(
                Method::POST,
                bind,
                r#"{"AgentId":"6655","Extensions":"9528"}"#,
            )
            .await;
        assert_eq!(
            got,
            (StatusCode::BAD_REQUEST, err_code("000001", "ParamsInvalid"))
        );
        let unbind = r#"{"AgentId":"10031","Extensions":["2345","9527"]}"#;
        assert_eq!(
            cx.send(Method::DELETE, bind, unbind).await.0,
            StatusCode::OK
        );
        assert_eq!(
            detail(&cx, "10031").await.1["Result"]["Extensions"],
            Value::Null
        );
        cx.send(
            Method::POST,
            bind,
            r#"{"AgentId":"6655","Extensions":["2345"]}"#,
        )
        .await;
        let doc_unbind = "\n{\n\"AgentId\":\"6655\",\n\"Extensions\":[\"2345\"]\n}\n";
        assert_eq!(
            cx.send(Method::DELETE, bind, doc_unbind).await,
            (StatusCode::OK, ok_with(Value::Null))
        );
        assert_eq!(
            detail(&cx, "6655").await.1["Result"]["Extensions"],
            Value::Null
        );
    }

    #[tokio::test]
    async fn queue_bindings_replay_the_docs_examples() {
        let cx = ctx().await;
        create(&cx, json!([{"AgentId": "10031", "WorkId": "1"}])).await;
        let got = cx
            .send(
                Method::POST,
                "/ccapi/v2/queues",
                r#"{"QueueId":"9008","QueueName":"Q"}"#,
            )
            .await;
        assert_eq!(got.0, StatusCode::OK);
        let doc = "\n{\n\"AgentId\" : \"10031\",\n\"Queues\" : [\"9008\"]\n}\n";
        let path = "/ccapi/v2/agents/queues";
        assert_eq!(
            cx.send(Method::POST, path, doc).await,
            (StatusCode::OK, ok_with(Value::Null))
        );
        let (_, seat) = detail(&cx, "10031").await;
        assert_eq!(
            (&seat["Result"]["Queues"], &seat["Result"]["QueuesNames"]),
            (&json!(["9008"]), &json!("Q"))
        );
        // A seat in a queue cannot be deleted.
        let got = cx
            .send(
                Method::DELETE,
                "/ccapi/v2/agents/10031",
                r#"{"AgentId":"10031"}"#,
            )
            .await;
        assert_eq!(got.1["ErrCode"], "100004");
        let got = cx
            .send(
                Method::POST,
                path,
                r#"{"AgentId":"10031","Queues":["9999"]}"#,
            )
            .await;
        assert_eq!(
            got,
            (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"))
        );
        assert_eq!(
            cx.send(Method::DELETE, path, doc).await,
            (StatusCode::OK, ok_with(Value::Null))
        );
        assert_eq!(
            detail(&cx, "10031").await.1["Result"]["Queues"],
            Value::Null
        );
    }
}
