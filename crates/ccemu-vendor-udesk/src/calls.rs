//! Seat sessions and calls (`vendor-notes/udesk.md` §3.2, §3.4): `agent/login`, `agent/logout`,
//! `agent/set_call_mode` and `originatev2` in envelope B, `agent/hold` (POST holds, DELETE
//! resumes) and `transfer/agent` in envelope C. The call is the engine's: an originated call rings
//! the seat, then the customer (see `ccemu-engine/src/state/calls.rs`).
//!
//! The doc names no error for an unmet precondition; each gets `000001` with its own `ErrDesc`
//! (the texts are \[inferred\], in the style of Udesk's `NumberIsExisted`, `VoipBindAgent`):
//! `AgentNotBindVoip` (no extension), `AgentNotLogin`, `CallModeInvalid` (cellphone mode without
//! a number, a voip number that is not the seat's), `SpNumberNotFound` (no caller number at all),
//! `AgentBusy` (on another call, or logging out mid-call), `AgentDisabled`, `AgentNotInCall`
//! (hold or transfer by a seat that is not on the call), `CallStateInvalid` (the call is not in
//! a state that allows it).

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ccemu_core::agent::{AgentState, CallMode};
use ccemu_core::interaction::Interaction;
use ccemu_core::{DomainError, Tenant};
use ccemu_engine::{Engine, EngineError, Op, OpOutput, TransferTarget, USER_DATA_KEY};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::dto::{self, Text};
use crate::error::{Envelope, UdeskError};

/// The body of `agent/login`.
#[derive(Debug, Deserialize)]
struct Login {
    #[serde(rename = "agent_Id", alias = "AgentId", alias = "agent_id")]
    agent_id: Option<Text>,
    #[serde(rename = "WorkerID", alias = "WorkId")]
    _work_id: Option<Text>,
    #[serde(rename = "QueueIDs")]
    queue_ids: Option<Vec<Text>>,
    #[serde(rename = "Number")]
    number: Option<Text>,
    #[serde(rename = "State")]
    state: Option<Text>,
    #[serde(rename = "MsgId")]
    msg_id: Option<Text>,
}

/// The body of `agent/logout`.
#[derive(Debug, Deserialize)]
struct Logout {
    #[serde(rename = "agent_Id", alias = "AgentId", alias = "agent_id")]
    agent_id: Option<Text>,
    #[serde(rename = "MsgId")]
    msg_id: Option<Text>,
}

/// The body of `agent/set_call_mode`.
#[derive(Debug, Deserialize)]
struct SetCallMode {
    #[serde(rename = "AgentId", alias = "agent_Id", alias = "agent_id")]
    agent_id: Option<Text>,
    #[serde(rename = "Contact")]
    contact: Option<Text>,
    #[serde(rename = "Number")]
    number: Option<Text>,
    #[serde(rename = "MsgId")]
    msg_id: Option<Text>,
}

/// The body of `originatev2`.
#[derive(Debug, Deserialize)]
struct Originate {
    caller: Option<Text>,
    called: Option<Text>,
    called_display: Option<Text>,
    #[serde(alias = "AgentId", alias = "agent_Id")]
    agent_id: Option<Text>,
    user_data: Option<Value>,
    #[serde(rename = "MsgId")]
    msg_id: Option<Text>,
}

/// The body of `agent/hold` (both methods) and `transfer/agent`; the callback names (`on_*`) are
/// required by the doc ("any non-empty string") and otherwise unused.
#[derive(Debug, Deserialize)]
struct CallControl {
    call_id: Option<Text>,
    agent_id: Option<Text>,
    on_succ: Option<Text>,
    on_failed: Option<Text>,
    agent_type: Option<Text>,
    agent_phone: Option<Text>,
    on_record_over: Option<Text>,
    on_transferee_hangup: Option<Text>,
}

fn refusal(desc: &'static str) -> UdeskError {
    UdeskError::InvalidParameter(desc.into())
}

/// The one refinement of the crate's domain-error mapping for these calls: each unmet
/// precondition gets its own `ErrDesc` (see the module doc).
pub(crate) fn refused(error: EngineError) -> UdeskError {
    match &error {
        EngineError::Domain(DomainError::Invalid { field, .. }) => match *field {
            "extension" => refusal("AgentNotBindVoip"),
            "agent_state" => refusal("AgentNotLogin"),
            "call_mode" | "number" => refusal("CallModeInvalid"),
            "from" => refusal("SpNumberNotFound"),
            "enabled" => refusal("AgentDisabled"),
            _ => error.into(),
        },
        EngineError::Domain(DomainError::Conflict(_))
        | EngineError::Domain(DomainError::IllegalTransition { kind: "agent", .. }) => {
            refusal("AgentBusy")
        }
        EngineError::Domain(DomainError::IllegalTransition { .. }) => refusal("CallStateInvalid"),
        _ => error.into(),
    }
}

/// `MsgId` from the body, else from the query (the doc's examples put it there); `""` if none.
fn msg_id(body: Option<Text>, uri: &Uri) -> String {
    body.map(|t| t.0).unwrap_or_else(|| {
        Query::<HashMap<String, String>>::try_from_uri(uri)
            .ok()
            .and_then(|q| q.0.get("MsgId").cloned())
            .unwrap_or_default()
    })
}

/// Envelope B (§2): `msg_id` echoes `MsgId`, `results` is the call id of `originatev2`, else `""`.
fn reply_b(auth: &Authed, result: Result<(String, String), UdeskError>) -> Response {
    match result {
        Ok((msg_id, results)) => {
            let mut response = Json(json!({
                "ErrCode": "000000",
                "ErrDesc": "OK",
                "msg_id": msg_id,
                "results": results,
                "data": null,
            }))
            .into_response();
            response.extensions_mut().insert(auth.tenant.id.clone());
            response
        }
        Err(error) => dto::fail(auth, error),
    }
}

/// Envelope C (§2), also for its errors.
fn reply_c(auth: &Authed, result: Result<(), UdeskError>) -> Response {
    let mut response = match result {
        Ok(()) => Json(json!({"code": "000000", "message": "OK", "results": ""})).into_response(),
        Err(error) => error.into_response_in(Envelope::Code),
    };
    response.extensions_mut().insert(auth.tenant.id.clone());
    response
}

/// The login `State`: the doc types it "string (digits)" without values, so both the REST seat
/// states (`0` ready, `4` not available) and the WebSocket words are taken; absent is idle
/// \[inferred\].
fn login_state(raw: Option<Text>) -> Result<AgentState, UdeskError> {
    match raw.as_ref().map(|t| t.0.trim()) {
        None | Some("" | "0" | "idle") => Ok(AgentState::Available),
        Some("4" | "busy") => Ok(AgentState::NotReady { reason: None }),
        Some("onBreak") => Ok(AgentState::OnBreak {
            sub_state: 0,
            until_ms: None,
        }),
        Some(_) => Err(UdeskError::InvalidParameter(dto::PARAMS_INVALID.into())),
    }
}

/// `POST agent/login` (§3.2): the seat must hold an extension. `QueueIDs` are joined (additive)
/// and `Number` sets the call mode (one of the seat's extensions: voip; else cellphone)
/// \[inferred\]; `WorkerID` is accepted and not checked. Logging in again succeeds.
pub async fn login_agent(
    auth: Authed,
    State(engine): State<Engine>,
    uri: Uri,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: Login = dto::body(&raw)?;
        let agent_id = dto::required(body.agent_id)?;
        auth.acts_for(&agent_id)?;
        let op = Op::LoginAgent {
            agent_id,
            state: login_state(body.state)?,
            queue_ids: dto::texts(body.queue_ids.unwrap_or_default()),
            number: body.number.map(|t| t.0),
        };
        engine.execute(&auth.tenant.id, op).await.map_err(refused)?;
        Ok((msg_id(body.msg_id, &uri), String::new()))
    }
    .await;
    reply_b(&auth, result)
}

/// `POST agent/logout` (§3.2, `app_id` in the query): logging out a seat that is logged out
/// succeeds; a seat ringing or on a call is `AgentBusy` \[inferred\].
pub async fn logout_agent(
    auth: Authed,
    State(engine): State<Engine>,
    uri: Uri,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: Logout = dto::body(&raw)?;
        let agent_id = dto::required(body.agent_id)?;
        auth.acts_for(&agent_id)?;
        let views = engine.agents(&auth.tenant.id, Some(&agent_id)).await?;
        let view = views.first().ok_or(UdeskError::RecordNotFound)?;
        match view.agent.state {
            AgentState::LoggedOut => {}
            AgentState::Reserved | AgentState::Ringing | AgentState::OnContact => {
                return Err(refusal("AgentBusy"))
            }
            _ => {
                let op = Op::SetAgentState {
                    agent_id,
                    state: AgentState::LoggedOut,
                };
                engine.execute(&auth.tenant.id, op).await.map_err(refused)?;
            }
        }
        Ok((msg_id(body.msg_id, &uri), String::new()))
    }
    .await;
    reply_b(&auth, result)
}

/// `POST agent/set_call_mode` (§3.2): `voip` rings the seat's extension (`Number`, if given,
/// must be one of them), `cellphone` its mobile number (`Number` replaces the seat's `Mobile`).
pub async fn set_call_mode(
    auth: Authed,
    State(engine): State<Engine>,
    uri: Uri,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: SetCallMode = dto::body(&raw)?;
        let agent_id = dto::required(body.agent_id)?;
        auth.acts_for(&agent_id)?;
        let mode = match dto::required(body.contact)?.as_str() {
            "voip" => CallMode::Voip,
            "cellphone" => CallMode::Cellphone,
            _ => return Err(UdeskError::InvalidParameter(dto::PARAMS_INVALID.into())),
        };
        let op = Op::SetCallMode {
            agent_id,
            mode,
            number: body.number.map(|t| t.0),
        };
        engine.execute(&auth.tenant.id, op).await.map_err(refused)?;
        Ok((msg_id(body.msg_id, &uri), String::new()))
    }
    .await;
    reply_b(&auth, result)
}

/// `user_data` as the doc gives it: an array of `{"evt","data"}` with string values (a number
/// for `data` is taken too); it is stored exactly as sent.
fn check_user_data(value: &Value) -> Result<(), UdeskError> {
    let invalid = || UdeskError::InvalidParameter(dto::PARAMS_INVALID.into());
    let entries = value.as_array().ok_or_else(invalid)?;
    for entry in entries {
        let evt = entry.get("evt").and_then(Value::as_str);
        let data = entry.get("data");
        let data_ok = matches!(data, Some(Value::String(_) | Value::Number(_)));
        if evt.is_none_or(|e| e.trim().is_empty()) || !data_ok {
            return Err(invalid());
        }
    }
    Ok(())
}

/// `POST originatev2` (§3.4): the seat's phone rings, then `called`'s; `results` is the CallId.
/// The seat must be logged in with an extension and a usable call mode. `caller` is the caller
/// number; absent or blank, the §3.1 order picks one (seat default, company default, any)
/// \[inferred: the table marks it required, §3.1 implies it may be left out\].
/// `called_display` is kept with the call's data.
pub async fn originate_call(
    auth: Authed,
    State(engine): State<Engine>,
    uri: Uri,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: Originate = dto::body(&raw)?;
        let called = dto::required(body.called)?;
        let display = dto::required(body.called_display)?;
        let agent_id = dto::required(body.agent_id)?;
        auth.acts_for(&agent_id)?;
        let mut custom_data = BTreeMap::new();
        if let Some(user_data) = body.user_data.filter(|v| !v.is_null()) {
            check_user_data(&user_data)?;
            custom_data.insert(USER_DATA_KEY.to_owned(), user_data);
        }
        custom_data.insert("called_display".to_owned(), Value::String(display));
        let op = Op::Originate {
            agent_id,
            to: called,
            from: body.caller.map(|t| t.0).filter(|c| !c.trim().is_empty()),
            custom_data,
        };
        let call_id = match engine.execute(&auth.tenant.id, op).await.map_err(refused)? {
            OpOutput::Interaction(i) => i.id,
            _ => return Err(UdeskError::Internal),
        };
        Ok((msg_id(body.msg_id, &uri), call_id))
    }
    .await;
    reply_b(&auth, result)
}

/// The call named by `call_id` and `agent_id`, checked: this account's, with that seat on it;
/// with the tenant (app) it belongs to. Every `on_*` field the doc requires must be a non-empty
/// string.
async fn seat_call(
    engine: &Engine,
    auth: &Authed,
    body: &CallControl,
    callbacks: &[&Option<Text>],
) -> Result<(Tenant, Interaction), UdeskError> {
    let call_id = dto::required(body.call_id.clone())?;
    let agent_id = dto::required(body.agent_id.clone())?;
    for callback in callbacks {
        dto::required((*callback).clone())?;
    }
    // These calls carry only the `Sid`, which names the account, not the app: the app is the
    // one that has the call (§1). Only apps of the signing account (same Sid and AuthToken) are
    // searched, the authenticated one first.
    let own = &auth.tenant.credentials.udesk;
    let siblings = engine.tenants().into_iter().filter(|t| {
        let udesk = &t.credentials.udesk;
        t.id != auth.tenant.id && udesk.sid == own.sid && udesk.auth_token == own.auth_token
    });
    let mut found = None;
    for tenant in std::iter::once(auth.tenant.clone()).chain(siblings) {
        if let Some(call) = engine.interaction(&tenant.id, &call_id).await? {
            found = Some((tenant, call));
            break;
        }
    }
    let (tenant, call) = found.ok_or(UdeskError::RecordNotFound)?;
    if call.state.is_terminal() {
        return Err(refusal("CallStateInvalid"));
    }
    if call.agent_id.as_deref() != Some(agent_id.as_str()) {
        return Err(refusal("AgentNotInCall"));
    }
    Ok((tenant, call))
}

async fn hold_or_resume(auth: &Authed, engine: &Engine, raw: &Bytes, hold: bool) -> Response {
    let mut owner = auth.clone();
    let result = async {
        let body: CallControl = dto::body(raw)?;
        let (tenant, call) =
            seat_call(engine, auth, &body, &[&body.on_succ, &body.on_failed]).await?;
        owner.tenant = tenant;
        let interaction_id = call.id;
        let op = if hold {
            Op::Hold { interaction_id }
        } else {
            Op::Resume { interaction_id }
        };
        engine
            .execute(&owner.tenant.id, op)
            .await
            .map_err(|e| match e {
                EngineError::Domain(DomainError::Conflict(_)) => refusal("CallStateInvalid"),
                e => refused(e),
            })?;
        Ok(())
    }
    .await;
    reply_c(&owner, result)
}

/// `POST agent/hold` (§3.4, `Sid` only): holds the seat's connected call.
pub async fn hold_call(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    hold_or_resume(&auth, &engine, &raw, true).await
}

/// `DELETE agent/hold` (§3.4, `Sid` only): resumes the seat's held call.
pub async fn resume_call(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    hold_or_resume(&auth, &engine, &raw, false).await
}

/// `POST transfer/agent` (§3.4, `Sid` only): hands the seat's call to `agent_phone`, an outside
/// number (`agent_type` must be `"anonymous"`). The seat's leg ends and it wraps up; the number
/// rings like a dialled callee and takes the call or not (the transfer fails and the call ends).
pub async fn transfer_to_agent(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let mut owner = auth.clone();
    let result = async {
        let body: CallControl = dto::body(&raw)?;
        let callbacks = [
            &body.on_succ,
            &body.on_failed,
            &body.on_record_over,
            &body.on_transferee_hangup,
        ];
        if dto::required(body.agent_type.clone())? != "anonymous" {
            return Err(UdeskError::InvalidParameter(dto::PARAMS_INVALID.into()));
        }
        let phone = dto::required(body.agent_phone.clone())?;
        let (tenant, call) = seat_call(&engine, &auth, &body, &callbacks).await?;
        owner.tenant = tenant;
        let op = Op::Transfer {
            interaction_id: call.id,
            target: TransferTarget::Number(phone),
        };
        engine
            .execute(&owner.tenant.id, op)
            .await
            .map_err(|e| match e {
                EngineError::Domain(DomainError::Conflict(_)) => refusal("CallStateInvalid"),
                e => refused(e),
            })?;
        Ok(())
    }
    .await;
    reply_c(&owner, result)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use ccemu_core::clock::ClockMode;
    use ccemu_core::interaction::{InteractionState, TransferStatus};
    use ccemu_core::tenant::UdeskCredentials;
    use ccemu_core::TenantId;
    use ccemu_engine::sim::SimSettings;
    use ccemu_engine::wall_ms;

    use super::*;
    use crate::routes::tests::{ctx, err_code, Ctx};
    use crate::sign;

    fn demo() -> TenantId {
        TenantId::parse("demo").unwrap()
    }

    /// Envelope B of a success.
    fn ok_b(msg_id: &str, results: &str) -> Value {
        json!({"ErrCode": "000000", "ErrDesc": "OK", "msg_id": msg_id, "results": results, "data": null})
    }

    fn ok_c() -> Value {
        json!({"code": "000000", "message": "OK", "results": ""})
    }

    fn err_c(code: &str, message: &str) -> Value {
        json!({"code": code, "message": message})
    }

    /// `api` signed with the account's Sid alone (and `extra` query parameters), as the doc's
    /// `agent/hold`, `transfer/agent` and `agent/logout` examples are.
    fn sid_only(u: &UdeskCredentials, api: &str, extra: &str) -> String {
        let ts = (wall_ms() / 1000).to_string();
        let sign = sign::sign(&u.sid, &u.auth_token, &ts);
        format!(
            "/ccapi/v2/{api}?{extra}Timestamp={ts}&Sid={}&Sign={sign}",
            u.sid
        )
    }

    /// The demo tenant frozen a second ahead of the wall clock (a clock never goes back, and
    /// signatures made now stay valid), with simulated agents that do nothing by themselves.
    async fn manual(cx: &Ctx) {
        cx.engine
            .set_clock(&demo(), ClockMode::Manual, Some(wall_ms() + 1_000))
            .await
            .unwrap();
        let sim = SimSettings {
            auto: false,
            ..SimSettings::default()
        };
        cx.engine
            .execute(&demo(), Op::PutSimSettings(sim))
            .await
            .unwrap();
    }

    async fn call(cx: &Ctx, id: &str) -> Interaction {
        cx.engine.interaction(&demo(), id).await.unwrap().unwrap()
    }

    const ORIGINATE: &str = r#"{"caller":"057128091649","called":"15652692674","called_display":"057128091649","agent_id":"1001","user_data":[{"evt":"user_answer","data":"1111111"},{"evt":"agent_answer","data":"22222"}]}"#;

    /// Seat 1001 logged in and talking to the doc's callee on a call it placed; its CallId.
    async fn talking(cx: &Ctx) -> String {
        manual(cx).await;
        let (status, _) = cx
            .send(
                Method::POST,
                "/ccapi/v2/agent/login",
                r#"{"agent_Id":"1001"}"#,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = cx
            .send(Method::POST, "/ccapi/v2/originatev2", ORIGINATE)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body["results"].as_str().unwrap().to_owned();
        cx.engine
            .execute(
                &demo(),
                Op::Answer {
                    agent_id: "1001".into(),
                    interaction_id: Some(id.clone()),
                },
            )
            .await
            .unwrap();
        cx.engine.advance_clock(&demo(), 5_000).await.unwrap();
        id
    }

    #[tokio::test]
    async fn login_set_call_mode_and_logout_answer_envelope_b_with_the_msg_id() {
        let cx = ctx().await;
        let got = cx
            .send(
                Method::POST,
                "/ccapi/v2/agent/login?MsgId=123456789",
                r#"{ "agent_Id": "10032" }"#,
            )
            .await;
        assert_eq!(
            got,
            (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"))
        );
        let got = cx
            .send(
                Method::POST,
                "/ccapi/v2/agent/login?MsgId=123456789",
                r#"{"agent_Id":"1001","QueueIDs":["9002"],"State":"0"}"#,
            )
            .await;
        assert_eq!(got, (StatusCode::OK, ok_b("123456789", "")));
        let seat = &cx.engine.agents(&demo(), Some("1001")).await.unwrap()[0];
        assert_eq!(seat.agent.state, AgentState::Available);
        // The doc's example: Contact only, MsgId in the query; then a number in the body.
        let got = cx
            .send(
                Method::POST,
                "/ccapi/v2/agent/set_call_mode?MsgId=123456789",
                "{\n\"AgentId\": \"1001\",\n\"Contact\": \"voip\"\n}\n",
            )
            .await;
        assert_eq!(got, (StatusCode::OK, ok_b("123456789", "")));
        let got = cx
            .send(
                Method::POST,
                "/ccapi/v2/agent/set_call_mode",
                r#"{"AgentId":"1001","Contact":"cellphone","Number":"13800000000","MsgId":"m-2"}"#,
            )
            .await;
        assert_eq!(got, (StatusCode::OK, ok_b("m-2", "")));
        let seat = &cx.engine.agents(&demo(), Some("1001")).await.unwrap()[0];
        assert_eq!(
            (seat.agent.call_mode, seat.agent.phone.as_str()),
            (CallMode::Cellphone, "13800000000")
        );
        // Logout names the app `app_id`; twice is fine.
        let uri = sid_only(
            &cx.udesk,
            "agent/logout",
            &format!("app_id={}&MsgId=123456789&", cx.udesk.app_id),
        );
        for _ in 0..2 {
            let got = cx
                .send_raw(Method::POST, &uri, r#"{"agent_Id":"1001"}"#)
                .await;
            assert_eq!(got, (StatusCode::OK, ok_b("123456789", "")));
        }
        let seat = &cx.engine.agents(&demo(), Some("1001")).await.unwrap()[0];
        assert_eq!(seat.agent.state, AgentState::LoggedOut);
    }

    #[tokio::test]
    async fn seat_preconditions_and_bad_bodies_answer_000001_with_their_reason() {
        let cx = ctx().await;
        let params = err_code("000001", "ParamsInvalid");
        let cases = [
            // 1002 holds no extension.
            (
                "agent/login",
                r#"{"agent_Id":"1002"}"#,
                StatusCode::BAD_REQUEST,
                err_code("000001", "AgentNotBindVoip"),
            ),
            (
                "agent/login",
                r#"{"agent_Id":"1001","State":"9"}"#,
                StatusCode::BAD_REQUEST,
                params.clone(),
            ),
            (
                "agent/login",
                r#"{"agent_Id":"1001","QueueIDs":"9001"}"#,
                StatusCode::BAD_REQUEST,
                params.clone(),
            ),
            (
                "agent/login",
                r#"{"agent_Id":"1001","QueueIDs":["9999"]}"#,
                StatusCode::NOT_FOUND,
                err_code("100018", "RecordNotFound"),
            ),
            (
                "agent/login",
                r#"{"WorkerID":"1001"}"#,
                StatusCode::BAD_REQUEST,
                params.clone(),
            ),
            (
                "agent/set_call_mode",
                r#"{"AgentId":"1001","Contact":"pstn"}"#,
                StatusCode::BAD_REQUEST,
                params.clone(),
            ),
            (
                "agent/set_call_mode",
                r#"{"AgentId":"1001"}"#,
                StatusCode::BAD_REQUEST,
                params.clone(),
            ),
            (
                "agent/set_call_mode",
                r#"{"AgentId":"1003","Contact":"cellphone"}"#,
                StatusCode::BAD_REQUEST,
                err_code("000001", "CallModeInvalid"),
            ),
            (
                "agent/set_call_mode",
                r#"{"AgentId":"1002","Contact":"voip"}"#,
                StatusCode::BAD_REQUEST,
                err_code("000001", "AgentNotBindVoip"),
            ),
            (
                "agent/set_call_mode",
                r#"{"AgentId":"7777","Contact":"voip"}"#,
                StatusCode::NOT_FOUND,
                err_code("100018", "RecordNotFound"),
            ),
            // Logged out: no call.
            (
                "originatev2",
                ORIGINATE,
                StatusCode::BAD_REQUEST,
                err_code("000001", "AgentNotLogin"),
            ),
            (
                "originatev2",
                r#"{"caller":"1","called":"2","called_display":"3","agent_id":"7777"}"#,
                StatusCode::NOT_FOUND,
                err_code("100018", "RecordNotFound"),
            ),
            (
                "originatev2",
                r#"{"called":"2","called_display":"3"}"#,
                StatusCode::BAD_REQUEST,
                params.clone(),
            ),
            (
                "originatev2",
                r#"{"called":"2","called_display":"3","agent_id":"1001","user_data":{"evt":"x"}}"#,
                StatusCode::BAD_REQUEST,
                params.clone(),
            ),
            (
                "originatev2",
                r#"{"called":"2","called_display":"3","agent_id":"1001","user_data":[{"evt":"x","data":{}}]}"#,
                StatusCode::BAD_REQUEST,
                params.clone(),
            ),
            (
                "agent/logout",
                r#"{"agent_Id":"7777"}"#,
                StatusCode::NOT_FOUND,
                err_code("100018", "RecordNotFound"),
            ),
        ];
        for (api, body, status, want) in cases {
            let got = cx
                .send(Method::POST, &format!("/ccapi/v2/{api}"), body)
                .await;
            assert_eq!(got, (status, want), "{api} {body}");
        }
        // Nothing of that logged anyone in or placed a call.
        let seats = cx.engine.agents(&demo(), None).await.unwrap();
        assert!(seats.iter().all(|s| s.agent.state == AgentState::LoggedOut));
        let calls = cx
            .engine
            .interactions(&demo(), &ccemu_engine::InteractionFilter::first(10))
            .await
            .unwrap();
        assert_eq!(calls.total, 0);
    }

    #[tokio::test]
    async fn originatev2_answers_the_call_id_and_keeps_user_data_as_sent() {
        let cx = ctx().await;
        manual(&cx).await;
        cx.send(
            Method::POST,
            "/ccapi/v2/agent/login",
            r#"{"agent_Id":"1001"}"#,
        )
        .await;
        let (status, body) = cx
            .send(Method::POST, "/ccapi/v2/originatev2", ORIGINATE)
            .await;
        assert_eq!(status, StatusCode::OK);
        let id = body["results"].as_str().unwrap().to_owned();
        assert_eq!(body, ok_b("", &id));
        assert!(uuid_like(&id), "{id}");
        let c = call(&cx, &id).await;
        assert_eq!(c.state, InteractionState::Ringing);
        assert_eq!(
            (c.from.as_str(), c.to.as_str()),
            ("057128091649", "15652692674")
        );
        assert_eq!(c.agent_id.as_deref(), Some("1001"));
        assert_eq!(
            c.custom_data["user_data"],
            json!([{"evt":"user_answer","data":"1111111"},{"evt":"agent_answer","data":"22222"}])
        );
        assert_eq!(c.custom_data["called_display"], "057128091649");
        // A second call while the first rings: busy.
        let got = cx
            .send(Method::POST, "/ccapi/v2/originatev2", ORIGINATE)
            .await;
        assert_eq!(
            got,
            (StatusCode::BAD_REQUEST, err_code("000001", "AgentBusy"))
        );
        // A seat ringing for its call cannot log out.
        let got = cx
            .send(
                Method::POST,
                "/ccapi/v2/agent/logout",
                r#"{"agent_Id":"1001"}"#,
            )
            .await;
        assert_eq!(
            got,
            (StatusCode::BAD_REQUEST, err_code("000001", "AgentBusy"))
        );
        // Seat 1003 without a caller number: the company default (§3.1).
        cx.send(
            Method::POST,
            "/ccapi/v2/agent/login",
            r#"{"agent_Id":"1003"}"#,
        )
        .await;
        let (status, body) = cx
            .send(
                Method::POST,
                "/ccapi/v2/originatev2",
                r#"{"caller":"","called":"13900000000","called_display":"x","agent_id":1003}"#,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let c = call(&cx, body["results"].as_str().unwrap()).await;
        assert_eq!(c.from, "+14155550100");
        assert!(!c.custom_data.contains_key("user_data"));
    }

    fn uuid_like(id: &str) -> bool {
        id.len() == 36 && id.split('-').map(str::len).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
    }

    #[tokio::test]
    async fn hold_resume_and_transfer_answer_envelope_c_on_the_seats_own_call() {
        let cx = ctx().await;
        let id = talking(&cx).await;
        let hold = |agent: &str| {
            json!({"call_id": id, "agent_id": agent, "on_succ": "demo", "on_failed": "demo"})
                .to_string()
        };
        let uri = sid_only(&cx.udesk, "agent/hold", "");
        let got = cx.send_raw(Method::POST, &uri, hold("1001")).await;
        assert_eq!(got, (StatusCode::OK, ok_c()));
        assert_eq!(call(&cx, &id).await.state, InteractionState::Held);
        let got = cx.send_raw(Method::POST, &uri, hold("1001")).await;
        assert_eq!(
            got,
            (StatusCode::BAD_REQUEST, err_c("000001", "CallStateInvalid"))
        );
        let got = cx.send_raw(Method::DELETE, &uri, hold("1001")).await;
        assert_eq!(got, (StatusCode::OK, ok_c()));
        assert_eq!(call(&cx, &id).await.state, InteractionState::Connected);
        let got = cx.send_raw(Method::POST, &uri, hold("1002")).await;
        assert_eq!(
            got,
            (StatusCode::BAD_REQUEST, err_c("000001", "AgentNotInCall"))
        );

        let transfer = |agent_type: &str| {
            json!({"call_id": id, "agent_id": "1001", "agent_type": agent_type,
                "agent_phone": "10010001000", "on_succ": "demo", "on_failed": "demo",
                "on_record_over": "demo", "on_transferee_hangup": "demo"})
            .to_string()
        };
        let uri = sid_only(&cx.udesk, "transfer/agent", "");
        let got = cx.send_raw(Method::POST, &uri, transfer("named")).await;
        assert_eq!(
            got,
            (StatusCode::BAD_REQUEST, err_c("000001", "ParamsInvalid"))
        );
        let got = cx.send_raw(Method::POST, &uri, transfer("anonymous")).await;
        assert_eq!(got, (StatusCode::OK, ok_c()));
        let c = call(&cx, &id).await;
        assert_eq!(
            (c.state, c.agent_id.as_deref()),
            (InteractionState::Connected, None)
        );
        let t = &c.transfers[0];
        assert_eq!(
            (t.status, t.to_number.as_deref()),
            (TransferStatus::Transferring, Some("10010001000"))
        );
        // The number rings like a dialled callee, then takes the call.
        cx.engine.advance_clock(&demo(), 5_000).await.unwrap();
        assert_eq!(
            call(&cx, &id).await.transfers[0].status,
            TransferStatus::Completed
        );
        // The seat has left the call: it can neither hold nor transfer it again.
        let got = cx.send_raw(Method::POST, &uri, transfer("anonymous")).await;
        assert_eq!(
            got,
            (StatusCode::BAD_REQUEST, err_c("000001", "AgentNotInCall"))
        );
    }

    #[tokio::test]
    async fn call_control_finds_the_call_in_whichever_app_of_the_account_has_it() {
        let cx = ctx().await;
        let id = talking(&cx).await;
        // A second app of the demo account: the request is its, the call the demo app's.
        let sibling = cx
            .engine
            .create_tenant_from("Second app".into(), |c| {
                c.udesk.sid = cx.udesk.sid.clone();
                c.udesk.auth_token = cx.udesk.auth_token.clone();
            })
            .await
            .unwrap();
        let extra = format!("AppId={}&", sibling.credentials.udesk.app_id);
        let hold = sid_only(&cx.udesk, "agent/hold", &extra);
        let body = json!({"call_id": id, "agent_id": "1001", "on_succ": "a", "on_failed": "b"})
            .to_string();
        let got = cx.send_raw(Method::POST, &hold, &body).await;
        assert_eq!(got, (StatusCode::OK, ok_c()));
        assert_eq!(call(&cx, &id).await.state, InteractionState::Held);
        let got = cx.send_raw(Method::DELETE, &hold, &body).await;
        assert_eq!(got, (StatusCode::OK, ok_c()));
        let transfer = json!({"call_id": id, "agent_id": "1001", "agent_type": "anonymous",
            "agent_phone": "10010001000", "on_succ": "a", "on_failed": "b",
            "on_record_over": "c", "on_transferee_hangup": "d"})
        .to_string();
        let uri = sid_only(&cx.udesk, "transfer/agent", &extra);
        let got = cx.send_raw(Method::POST, &uri, &transfer).await;
        assert_eq!(got, (StatusCode::OK, ok_c()));
        let c = call(&cx, &id).await;
        assert_eq!(
            (c.state, c.agent_id.as_deref(), c.hold_ms),
            (InteractionState::Connected, None, 0)
        );
    }

    #[tokio::test]
    async fn call_control_refuses_bad_bodies_unknown_calls_and_other_tenants_calls() {
        let cx = ctx().await;
        let id = talking(&cx).await;
        let hold = sid_only(&cx.udesk, "agent/hold", "");
        let transfer = sid_only(&cx.udesk, "transfer/agent", "");
        let bad_json = err_c("100004", "unexpected end of JSON input");
        let params = err_c("000001", "ParamsInvalid");
        let not_found = err_c("100018", "RecordNotFound");
        let unknown = r#"{"call_id":"97688e57-7a36-40f7-694a-393d4d1a10d3","agent_id":"1001","on_succ":"a","on_failed":"b"}"#;
        let no_on_failed = json!({"call_id": id, "agent_id": "1001", "on_succ": "a"}).to_string();
        let wrong_type =
            json!({"call_id": [id], "agent_id": "1001", "on_succ": "a", "on_failed": "b"})
                .to_string();
        let no_phone = json!({"call_id": id, "agent_id": "1001", "agent_type": "anonymous",
            "on_succ": "a", "on_failed": "b", "on_record_over": "c", "on_transferee_hangup": "d"})
        .to_string();
        let cases = [
            (
                Method::POST,
                &hold,
                "".to_owned(),
                StatusCode::BAD_REQUEST,
                bad_json.clone(),
            ),
            (
                Method::DELETE,
                &hold,
                "{\"call_id\":".to_owned(),
                StatusCode::BAD_REQUEST,
                bad_json.clone(),
            ),
            (
                Method::POST,
                &hold,
                no_on_failed,
                StatusCode::BAD_REQUEST,
                params.clone(),
            ),
            (
                Method::POST,
                &hold,
                wrong_type,
                StatusCode::BAD_REQUEST,
                params.clone(),
            ),
            (
                Method::DELETE,
                &hold,
                unknown.to_owned(),
                StatusCode::NOT_FOUND,
                not_found.clone(),
            ),
            (
                Method::POST,
                &transfer,
                "".to_owned(),
                StatusCode::BAD_REQUEST,
                bad_json.clone(),
            ),
            (
                Method::POST,
                &transfer,
                no_phone,
                StatusCode::BAD_REQUEST,
                params.clone(),
            ),
        ];
        for (method, uri, body, status, want) in cases {
            let got = cx.send_raw(method.clone(), uri, &body).await;
            assert_eq!(got, (status, want), "{method} {uri} {body}");
        }
        // Another tenant, signing with its own Sid, does not find this tenant's call.
        let other = cx.engine.create_tenant(None).await.unwrap();
        let theirs = &other.credentials.udesk;
        let body = json!({"call_id": id, "agent_id": "1001", "on_succ": "a", "on_failed": "b"})
            .to_string();
        for method in [Method::POST, Method::DELETE] {
            let got = cx
                .send_raw(method, &sid_only(theirs, "agent/hold", ""), &body)
                .await;
            assert_eq!(got, (StatusCode::NOT_FOUND, not_found.clone()));
        }
        let body = json!({"call_id": id, "agent_id": "1001", "agent_type": "anonymous",
            "agent_phone": "1", "on_succ": "a", "on_failed": "b", "on_record_over": "c",
            "on_transferee_hangup": "d"})
        .to_string();
        let got = cx
            .send_raw(Method::POST, &sid_only(theirs, "transfer/agent", ""), &body)
            .await;
        assert_eq!(got, (StatusCode::NOT_FOUND, not_found));
        // The call went on untouched.
        let c = call(&cx, &id).await;
        assert_eq!(
            (c.state, c.agent_id.as_deref()),
            (InteractionState::Connected, Some("1001"))
        );
    }
}
