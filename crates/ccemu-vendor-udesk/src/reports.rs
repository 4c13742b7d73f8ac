//! Data acquisition (`vendor-notes/udesk.md` §3.6): call logs, recording files and seat state
//! logs, read from the engine's committed records and judged on the tenant's clock.
//!
//! Rules shared by the three reads:
//! - `CallId` (logs, recordings) names one call and wins over the time range, which is then not
//!   looked at; the one-week retention still applies.
//! - `StartTime`/`EndTime` are epoch ms. A row is in range when it starts at or after
//!   `StartTime` and ends at or before `EndTime`. Absent, they default to one week ago and now.
//!   A `StartTime` more than one week back, or an `EndTime` before `StartTime`, answers 400
//!   `000001 Parameter error` (Udesk says older data "cannot be retrieved"; refusing rather than
//!   clipping is \[inferred\]).
//! - `PageSize` 1–100 (default 100), `PageNum` from 1 (default 1); 0, or a `PageSize` over 100,
//!   is `000001 Parameter error` \[inferred\]. A page past the end is empty. Rows are in time
//!   order, oldest first, as in the doc's example.
//! - `calls/logs` needs a JSON body (`{}` at least), else `100004 unexpected end of JSON input`;
//!   `calls/recfiles` and `agents/statelogs` take their filters from the body or, field by field
//!   where the body has none, from the query \[inferred\].

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::Response;
use ccemu_core::agent::{Agent, AgentState, AgentStateLog, CallMode};
use ccemu_core::interaction::{
    Channel, Direction, EndedBy, Interaction, ParticipantKind, TransferStatus,
};
use ccemu_core::origin::RequestOrigin;
use ccemu_engine::{Engine, InteractionFilter, InteractionOrder, StateLogFilter};
use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::dto::{self, Int, Text};
use crate::error::UdeskError;

/// How far back Udesk lets a client read: one week.
pub const WINDOW_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// The largest `PageSize` the doc allows.
pub const MAX_PAGE_SIZE: u32 = 100;

/// The filters of the three reads; each read looks at the ones it documents.
#[derive(Debug, Default, Deserialize)]
struct Filter {
    #[serde(rename = "CallId")]
    call_id: Option<Text>,
    #[serde(rename = "AgentId")]
    agent_id: Option<Text>,
    #[serde(rename = "PageSize")]
    page_size: Option<Int>,
    #[serde(rename = "PageNum")]
    page_num: Option<Int>,
    #[serde(rename = "StartTime")]
    start_time: Option<Millis>,
    #[serde(rename = "EndTime")]
    end_time: Option<Millis>,
}

impl Filter {
    /// The body's filters, with the query's for the fields the body leaves out.
    fn or(self, query: Filter) -> Filter {
        Filter {
            call_id: self.call_id.or(query.call_id),
            agent_id: self.agent_id.or(query.agent_id),
            page_size: self.page_size.or(query.page_size),
            page_num: self.page_num.or(query.page_num),
            start_time: self.start_time.or(query.start_time),
            end_time: self.end_time.or(query.end_time),
        }
    }

    /// A non-blank `CallId`.
    fn call_id(&self) -> Option<&str> {
        self.call_id
            .as_ref()
            .map(|t| t.0.trim())
            .filter(|s| !s.is_empty())
    }

    /// A non-blank `AgentId`.
    fn agent_id(&self) -> Option<&str> {
        self.agent_id
            .as_ref()
            .map(|t| t.0.trim())
            .filter(|s| !s.is_empty())
    }
}

/// Epoch milliseconds, as a JSON number or a string of digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Millis(i64);

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let parsed = match Value::deserialize(d)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        parsed
            .filter(|ms| *ms >= 0)
            .map(Self)
            .ok_or_else(|| D::Error::custom("expected epoch milliseconds"))
    }
}

fn parameter_error() -> UdeskError {
    UdeskError::InvalidParameter("Parameter error".into())
}

/// Which rows a read returns: a time range (or one call) and a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Selection {
    /// Rows must start at or after this.
    from_ms: i64,
    /// Rows must end at or before this.
    to_ms: i64,
    /// Rows to skip.
    skip: usize,
    /// Rows to return at most.
    take: usize,
}

impl Selection {
    /// Checks the filter against the window that ends at `now`. With a `CallId` only the
    /// retention counts, so a range sent along with it is not judged.
    fn of(filter: &Filter, now: i64, by_call: bool) -> Result<Self, UdeskError> {
        let oldest = now - WINDOW_MS;
        let (from_ms, to_ms) = if by_call {
            (oldest, i64::MAX)
        } else {
            let from = filter.start_time.map_or(oldest, |t| t.0);
            let to = filter.end_time.map_or(now, |t| t.0);
            if from < oldest || to < from {
                return Err(parameter_error());
            }
            (from, to)
        };
        let size = filter.page_size.map_or(MAX_PAGE_SIZE, |s| s.0);
        let page = filter.page_num.map_or(1, |p| p.0);
        if size == 0 || size > MAX_PAGE_SIZE || page == 0 {
            return Err(parameter_error());
        }
        Ok(Self {
            from_ms,
            to_ms,
            skip: (page as usize - 1).saturating_mul(size as usize),
            take: size as usize,
        })
    }

    fn contains(&self, start_ms: i64, end_ms: i64) -> bool {
        start_ms >= self.from_ms && end_ms <= self.to_ms
    }

    /// This selection's page of `rows`, which are in time order.
    fn page<T>(&self, rows: impl Iterator<Item = T>) -> Vec<T> {
        rows.skip(self.skip).take(self.take).collect()
    }
}

/// Whole seconds between two ms timestamps, a started second counting as one, as the doc's
/// example row counts 11 420 ms as `TotalDuration` 12 \[inferred\].
pub fn seconds(start_ms: i64, end_ms: i64) -> i64 {
    ((end_ms - start_ms).max(0) + 999) / 1000
}

/// Udesk's seat state word for an engine state, with its sub-state number (`CurStateSubId`).
///
/// `idle`, `busy` and `onBreak` are the WebSocket states of §4. Udesk publishes no word for the
/// others; `ringing`, `talking`, `wrapUp` and `offline` are invented by ccemu, in the same
/// camel case. A reservation not yet presented counts as ringing.
pub fn state_word(state: &AgentState) -> (&'static str, u32) {
    match state {
        AgentState::Available => ("idle", 0),
        AgentState::NotReady { .. } => ("busy", 0),
        AgentState::OnBreak { sub_state, .. } => ("onBreak", *sub_state),
        AgentState::Reserved | AgentState::Ringing => ("ringing", 0),
        AgentState::OnContact => ("talking", 0),
        AgentState::WrapUp { .. } => ("wrapUp", 0),
        AgentState::LoggedOut => ("offline", 0),
    }
}

/// A call mode as Udesk words it (`Contact`, `CurMode`, `CurContact`): `voip` or `cellphone`.
pub fn mode_word(mode: ccemu_core::agent::CallMode) -> &'static str {
    match mode {
        ccemu_core::agent::CallMode::Voip => "voip",
        ccemu_core::agent::CallMode::Cellphone => "cellphone",
    }
}

/// The request's filters: the body (required or not) over the query.
fn filters(raw: &Bytes, uri: &Uri, body_required: bool) -> Result<Filter, UdeskError> {
    let body: Filter = if body_required {
        dto::body(raw)?
    } else {
        dto::optional_body(raw)?
    };
    if body_required {
        return Ok(body);
    }
    let query = Query::<Filter>::try_from_uri(uri)
        .map_err(|_| UdeskError::InvalidParameter(dto::PARAMS_INVALID.into()))?
        .0;
    Ok(body.or(query))
}

async fn now_ms(engine: &Engine, auth: &Authed) -> Result<i64, UdeskError> {
    Ok(engine.clock(&auth.tenant.id).await?.now_ms)
}

/// The tenant's agents by id.
async fn agents(engine: &Engine, auth: &Authed) -> Result<HashMap<String, Agent>, UdeskError> {
    Ok(engine
        .agents(&auth.tenant.id, None)
        .await?
        .into_iter()
        .map(|v| (v.agent.id.clone(), v.agent))
        .collect())
}

/// The finished voice call a `CallId` names, if the tenant has it.
async fn finished_call(
    engine: &Engine,
    auth: &Authed,
    call_id: &str,
) -> Result<Option<Interaction>, UdeskError> {
    // One read by id: a CallId of another tenant is simply not found here.
    Ok(engine
        .interaction(&auth.tenant.id, call_id)
        .await?
        .filter(|i| i.channel == Channel::Voice && i.state.is_terminal()))
}

/// Finished voice calls created at or after `created_from` and ended at or before `ended_to`,
/// oldest first, one page.
fn finished_calls_filter(created_from: i64, ended_to: i64) -> InteractionFilter {
    InteractionFilter {
        channels: vec![Channel::Voice],
        ended: Some(true),
        created_from_ms: Some(created_from),
        ended_to_ms: Some(ended_to),
        order: InteractionOrder::CreatedAsc,
        // Udesk answers no count.
        without_total: true,
        ..InteractionFilter::default()
    }
}

/// The party that hung up: Udesk knows only the customer and the agent, so the platform and
/// its robots count as the center's side \[inferred\].
fn hangup_by(by: Option<EndedBy>) -> &'static str {
    match by {
        Some(EndedBy::Customer) => "customer",
        Some(EndedBy::Agent | EndedBy::Bot | EndedBy::System) | None => "agent",
    }
}

/// `CallType`: `Incoming` and `Outgoing` are the doc's example values; a call that reached its
/// agent through a transfer is `IncomingTransfer`, ccemu's invented spelling of the doc's
/// "incoming (transfer)".
fn call_type(i: &Interaction) -> &'static str {
    let transferred_in = i
        .transfers
        .iter()
        .any(|t| t.status == TransferStatus::Completed && t.to_number.is_none());
    match i.direction {
        Direction::Outbound => "Outgoing",
        Direction::Inbound | Direction::Internal if transferred_in => "IncomingTransfer",
        Direction::Inbound | Direction::Internal => "Incoming",
    }
}

/// One CallLog of §4 for a finished call; the agent is the one who last held it.
fn call_log(i: &Interaction, agents: &HashMap<String, Agent>) -> Value {
    let end = i.ended_at_ms.unwrap_or(i.updated_at_ms);
    let outbound = i.direction == Direction::Outbound;
    // The first agent's answer; an agent leg added while ringing counts once it connected.
    let agent_answer = i
        .participants
        .iter()
        .find(|p| p.kind == ParticipantKind::Agent)
        .and_then(|p| p.connected_at_ms)
        .unwrap_or(0);
    // The customer answers only a call the center places: an inbound caller is on the line
    // from the start, and the doc's Incoming row has `UserAnswerTime` 0.
    let user_answer = if outbound {
        i.participants
            .iter()
            .find(|p| p.kind == ParticipantKind::Customer)
            .and_then(|p| p.connected_at_ms)
            .unwrap_or(0)
    } else {
        0
    };
    // Talk time: from the moment both sides were on the line.
    let talk_from = if outbound { user_answer } else { agent_answer };
    let call_duration = if talk_from > 0 {
        seconds(talk_from, end)
    } else {
        0
    };
    // A call handed to an outside number has no agent any more: its last seat still took it.
    let agent_id = i.agent_id.as_deref().or_else(|| {
        i.participants
            .iter()
            .rev()
            .find(|p| p.kind == ParticipantKind::Agent)
            .and_then(|p| p.agent_id.as_deref())
    });
    let agent = agent_id.and_then(|id| agents.get(id));
    let (dest, sp) = if outbound {
        (&i.to, &i.from)
    } else {
        (&i.from, &i.to)
    };
    json!({
        "CallId": i.id,
        "StartTime": i.created_at_ms,
        "EndTime": end,
        "AgentAnswerTime": agent_answer,
        "UserAnswerTime": user_answer,
        "CallDuration": call_duration,
        "TotalDuration": seconds(i.created_at_ms, end),
        "DestNumber": dest,
        "UNProvince": "",
        "UNCity": "",
        "SpNumber": sp,
        "AgentId": agent_id.unwrap_or_default(),
        "AgentName": agent.map_or("", |a| a.name.as_str()),
        "WorkId": agent.map_or("", |a| a.work_id.as_str()),
        "Email": agent.map_or("", |a| a.email.as_str()),
        "CallType": call_type(i),
        // The only outcome the doc shows; others are unpublished.
        "EndType": "callResult",
        "HangupBy": hangup_by(i.ended_by),
        "HangupReason": "",
        "HangupCode": "",
        "AgentDevType": match agent.map(|a| a.call_mode) {
            Some(CallMode::Cellphone) => "cellphone",
            Some(CallMode::Voip) | None => "voip",
        },
        "RobotVars": null,
        "AIRecordLen": 0,
        // A campaign's call is the auto-dialer's; Udesk's dial ids are the campaign and the call.
        "AdCallId": if i.campaign_id.is_some() { i.id.as_str() } else { "" },
        "AdTaskId": i.campaign_id.clone().unwrap_or_default(),
    })
}

/// `GET calls/logs` (§3.6): finished calls, by `CallId` or time range, one page.
pub async fn list_call_logs(
    auth: Authed,
    State(engine): State<Engine>,
    uri: Uri,
    raw: Bytes,
) -> Response {
    let result = async {
        let filter = filters(&raw, &uri, true)?;
        let now = now_ms(&engine, &auth).await?;
        let call_id = filter.call_id();
        let selection = Selection::of(&filter, now, call_id.is_some())?;
        let calls = match call_id {
            Some(id) => {
                let call = finished_call(&engine, &auth, id).await?;
                let kept = call
                    .filter(|i| selection.contains(i.created_at_ms, i.ended_at_ms.unwrap_or(0)));
                selection.page(kept.into_iter())
            }
            None => {
                let mut page = finished_calls_filter(selection.from_ms, selection.to_ms);
                page.offset = selection.skip as u64;
                page.limit = selection.take as u64;
                engine.interactions(&auth.tenant.id, &page).await?.items
            }
        };
        let agents = agents(&engine, &auth).await?;
        let rows: Vec<Value> = calls.iter().map(|i| call_log(i, &agents)).collect();
        Ok(json!({ "CallLogs": rows }))
    }
    .await;
    dto::reply(&auth, result)
}

/// Where the client reached ccemu: the origin the server recorded, else the `Host` header
/// over plain HTTP.
fn origin(headers: &HeaderMap, recorded: Option<&RequestOrigin>) -> RequestOrigin {
    recorded.cloned().unwrap_or_else(|| RequestOrigin {
        scheme: "http".into(),
        authority: headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_owned(),
        prefix: String::new(),
    })
}

/// `GET calls/recfiles` (§3.6): the recordings of finished calls, by `CallId` or by the
/// recording's own start and end; `RecFileUrl` is absolute, under the scheme, host and path
/// prefix the client used, so the client can fetch the file the way it reached this API.
pub async fn list_recording_files(
    auth: Authed,
    State(engine): State<Engine>,
    uri: Uri,
    headers: HeaderMap,
    recorded: Option<axum::Extension<RequestOrigin>>,
    raw: Bytes,
) -> Response {
    let result = async {
        let filter = filters(&raw, &uri, false)?;
        let now = now_ms(&engine, &auth).await?;
        let call_id = filter.call_id();
        let selection = Selection::of(&filter, now, call_id.is_some())?;
        let calls = match call_id {
            Some(id) => finished_call(&engine, &auth, id)
                .await?
                .into_iter()
                .collect(),
            None => recorded_calls(&engine, &auth, &selection).await?,
        };
        let origin = origin(&headers, recorded.as_ref().map(|e| &e.0));
        let mut files: Vec<(&Interaction, &ccemu_core::interaction::Recording)> = calls
            .iter()
            .flat_map(|i| i.recordings.iter().map(move |r| (i, r)))
            .filter(|(_, r)| selection.contains(r.started_at_ms, r.ended_at_ms))
            .collect();
        files.sort_by(|a, b| (a.1.started_at_ms, &a.1.id).cmp(&(b.1.started_at_ms, &b.1.id)));
        let rows = selection.page(files.into_iter().map(|(i, r)| {
            json!({
                "CallId": i.id,
                "StartTime": r.started_at_ms,
                "EndTime": r.ended_at_ms,
                "Duration": seconds(r.started_at_ms, r.ended_at_ms),
                "RecFileUrl": origin.url(&r.url),
            })
        }));
        Ok(json!({ "RecFiles": rows }))
    }
    .await;
    dto::reply(&auth, result)
}

/// The finished calls that may hold a recording inside the selection's range: a recording lies
/// within its call, so the call was created before the range ends and ended after it starts.
async fn recorded_calls(
    engine: &Engine,
    auth: &Authed,
    selection: &Selection,
) -> Result<Vec<Interaction>, UdeskError> {
    const BATCH: u64 = 500;
    let mut filter = finished_calls_filter(i64::MIN, i64::MAX);
    filter.created_from_ms = None;
    filter.ended_to_ms = None;
    filter.created_to_ms = Some(selection.to_ms);
    filter.ended_from_ms = Some(selection.from_ms);
    filter.limit = BATCH;
    let mut calls = Vec::new();
    loop {
        let page = engine.interactions(&auth.tenant.id, &filter).await?;
        let got = page.items.len() as u64;
        calls.extend(page.items.into_iter().filter(|i| !i.recordings.is_empty()));
        if got < BATCH {
            return Ok(calls);
        }
        filter.offset += BATCH;
    }
}

/// One AgentStateLog of §4: the period `log` spent in `CurState`, after `OldState`.
fn state_log(log: &AgentStateLog, old: Option<&AgentState>, agent: Option<&Agent>) -> Value {
    let (cur, cur_sub) = state_word(&log.from);
    // Before an agent's first logged period it was logged out: every agent starts so.
    let (old, old_sub) = state_word(old.unwrap_or(&AgentState::LoggedOut));
    json!({
        "AgentId": log.agent_id,
        "AgentName": agent.map_or("", |a| a.name.as_str()),
        "WorkId": agent.map_or("", |a| a.work_id.as_str()),
        "CurState": cur,
        "CurStateSubId": cur_sub,
        "StartTime": log.start_ms,
        "EndTime": log.end_ms,
        "Duration": seconds(log.start_ms, log.end_ms),
        "OldState": old,
        "OldStateSubId": old_sub,
    })
}

/// `GET agents/statelogs` (§3.6): finished state periods of one seat or of all, in a time range.
/// An `AgentId` the tenant does not have answers an empty list, like a seat without history.
pub async fn list_agent_state_logs(
    auth: Authed,
    State(engine): State<Engine>,
    uri: Uri,
    raw: Bytes,
) -> Response {
    let result = async {
        let filter = filters(&raw, &uri, false)?;
        let now = now_ms(&engine, &auth).await?;
        let selection = Selection::of(&filter, now, false)?;
        let agents = agents(&engine, &auth).await?;
        let page = StateLogFilter {
            agent_id: filter.agent_id().map(str::to_owned),
            start_from_ms: Some(selection.from_ms),
            end_to_ms: Some(selection.to_ms),
            offset: selection.skip as u64,
            limit: selection.take as u64,
            ..StateLogFilter::default()
        };
        let logs = engine.state_logs(&auth.tenant.id, &page).await?.items;
        let before = engine.previous_states(&auth.tenant.id, &logs).await?;
        let rows: Vec<Value> = logs
            .iter()
            .zip(&before)
            .map(|(log, old)| state_log(log, old.as_ref(), agents.get(&log.agent_id)))
            .collect();
        Ok(json!({ "AgentStateLogs": rows }))
    }
    .await;
    dto::reply(&auth, result)
}

#[cfg(test)]
mod tests {
    use axum::body::{to_bytes, Body};
    use axum::http::{Method, Request, StatusCode};
    use ccemu_core::clock::ClockMode;
    use ccemu_core::TenantId;
    use ccemu_engine::sim::SimSettings;
    use ccemu_engine::{wall_ms, Op, OpOutput};
    use tower::ServiceExt;

    use super::*;
    use crate::routes::tests::{ctx, Ctx};

    const GET: Method = Method::GET;

    fn demo() -> TenantId {
        TenantId::parse("demo").unwrap()
    }

    fn ok(result: Value) -> Value {
        json!({"ErrCode": "000000", "ErrDesc": "OK", "Result": result})
    }

    fn error(code: &str, desc: &str) -> Value {
        json!({"ErrCode": code, "ErrDesc": desc, "Result": null})
    }

    /// The demo tenant on a manual clock at a whole second near the wall clock (requests are
    /// signed with the wall clock, within Udesk's 10 minutes), driven step by step.
    async fn manual(cx: &Ctx) -> i64 {
        let t0 = wall_ms() / 1000 * 1000 + 1000;
        cx.engine
            .set_clock(&demo(), ClockMode::Manual, Some(t0))
            .await
            .unwrap();
        let sim = SimSettings {
            auto: false,
            wrap_up_ms: Some(5_000),
            ..SimSettings::default()
        };
        cx.engine
            .execute(&demo(), Op::PutSimSettings(sim))
            .await
            .unwrap();
        t0
    }

    async fn advance(cx: &Ctx, ms: i64) {
        cx.engine.advance_clock(&demo(), ms).await.unwrap();
    }

    async fn op(cx: &Ctx, op: Op) -> OpOutput {
        cx.engine.execute(&demo(), op).await.unwrap()
    }

    /// A customer calls queue 9001; agent 1001 (available) answers after `ring_ms`, and the
    /// customer hangs up `talk_ms` later. Returns the CallId.
    async fn call(cx: &Ctx, ring_ms: i64, talk_ms: i64) -> String {
        let _ = cx
            .engine
            .execute(
                &demo(),
                Op::SetAgentState {
                    agent_id: "1001".into(),
                    state: AgentState::Available,
                },
            )
            .await;
        let OpOutput::Interaction(i) = op(
            cx,
            Op::StartInbound {
                channel: Channel::Voice,
                queue_id: "9001".into(),
                from: "13800138000".into(),
                to: "057126200670".into(),
                priority: 0,
            },
        )
        .await
        else {
            panic!("no interaction");
        };
        assert_eq!(i.agent_id.as_deref(), Some("1001"), "routed to 1001");
        advance(cx, ring_ms).await;
        op(
            cx,
            Op::Answer {
                agent_id: "1001".into(),
                interaction_id: None,
            },
        )
        .await;
        advance(cx, talk_ms).await;
        op(
            cx,
            Op::Hangup {
                interaction_id: i.id.clone(),
                by: EndedBy::Customer,
            },
        )
        .await;
        // Wrap-up ends, so the next call finds the agent available.
        advance(cx, 5_000).await;
        i.id
    }

    async fn logs(cx: &Ctx, body: &str) -> (StatusCode, Value) {
        cx.send(GET, "/ccapi/v2/calls/logs", body).await
    }

    #[tokio::test]
    async fn a_finished_call_is_one_call_log_field_by_field() {
        let cx = ctx().await;
        let t0 = manual(&cx).await;
        let id = call(&cx, 2_000, 61_500).await;
        let (status, body) = logs(&cx, "{}").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            ok(json!({"CallLogs": [{
                "CallId": id,
                "StartTime": t0,
                "EndTime": t0 + 63_500,
                "AgentAnswerTime": t0 + 2_000,
                "UserAnswerTime": 0,
                "CallDuration": 62,
                "TotalDuration": 64,
                "DestNumber": "13800138000",
                "UNProvince": "",
                "UNCity": "",
                "SpNumber": "057126200670",
                "AgentId": "1001",
                "AgentName": "Alice Chen",
                "WorkId": "1001",
                "Email": "alice@demo.ccemu.test",
                "CallType": "Incoming",
                "EndType": "callResult",
                "HangupBy": "customer",
                "HangupReason": "",
                "HangupCode": "",
                "AgentDevType": "voip",
                "RobotVars": null,
                "AIRecordLen": 0,
                "AdCallId": "",
                "AdTaskId": ""
            }]}))
        );
    }

    #[tokio::test]
    async fn a_call_handed_to_an_outside_number_keeps_the_seat_that_took_it() {
        let cx = ctx().await;
        manual(&cx).await;
        let _ = op(
            &cx,
            Op::SetAgentState {
                agent_id: "1001".into(),
                state: AgentState::Available,
            },
        )
        .await;
        let OpOutput::Interaction(i) = op(
            &cx,
            Op::StartInbound {
                channel: Channel::Voice,
                queue_id: "9001".into(),
                from: "13800138000".into(),
                to: "057126200670".into(),
                priority: 0,
            },
        )
        .await
        else {
            panic!("no interaction");
        };
        op(
            &cx,
            Op::Answer {
                agent_id: "1001".into(),
                interaction_id: None,
            },
        )
        .await;
        op(
            &cx,
            Op::Transfer {
                interaction_id: i.id.clone(),
                target: ccemu_engine::TransferTarget::Number("10010001000".into()),
            },
        )
        .await;
        advance(&cx, 10_000).await;
        op(
            &cx,
            Op::Hangup {
                interaction_id: i.id.clone(),
                by: EndedBy::Customer,
            },
        )
        .await;
        let (_, body) = logs(&cx, &format!(r#"{{"CallId":"{}"}}"#, i.id)).await;
        let row = &body["Result"]["CallLogs"][0];
        assert_eq!(
            (&row["AgentId"], &row["AgentName"], &row["WorkId"]),
            (&json!("1001"), &json!("Alice Chen"), &json!("1001")),
            "{body}"
        );
    }

    #[tokio::test]
    async fn only_finished_calls_are_listed_and_an_agent_hangup_says_agent() {
        let cx = ctx().await;
        manual(&cx).await;
        let id = call(&cx, 1_000, 1_000).await;
        // A second call still ringing is not a call log yet.
        let OpOutput::Interaction(open) = op(
            &cx,
            Op::StartInbound {
                channel: Channel::Voice,
                queue_id: "9001".into(),
                from: "1".into(),
                to: "2".into(),
                priority: 0,
            },
        )
        .await
        else {
            panic!("no interaction");
        };
        let (_, body) = logs(&cx, "{}").await;
        let ids: Vec<&Value> = body["Result"]["CallLogs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| &l["CallId"])
            .collect();
        assert_eq!(ids, [&json!(id)]);
        op(
            &cx,
            Op::Answer {
                agent_id: "1001".into(),
                interaction_id: None,
            },
        )
        .await;
        op(
            &cx,
            Op::Hangup {
                interaction_id: open.id.clone(),
                by: EndedBy::Agent,
            },
        )
        .await;
        let (_, body) = logs(&cx, &format!(r#"{{"CallId":"{}"}}"#, open.id)).await;
        let rows = body["Result"]["CallLogs"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{body}");
        assert_eq!(rows[0]["HangupBy"], "agent");
        assert_eq!(rows[0]["CallDuration"], 0, "answered and hung up at once");
    }

    #[tokio::test]
    async fn call_id_wins_over_the_time_range_and_stays_in_its_tenant() {
        let cx = ctx().await;
        let t0 = manual(&cx).await;
        let first = call(&cx, 1_000, 10_000).await;
        let second = call(&cx, 1_000, 10_000).await;
        // An inverted range alongside a CallId is not judged: the CallId wins.
        let body = format!(
            r#"{{"CallId":"{second}","StartTime":{},"EndTime":{}}}"#,
            t0 + 999_999,
            t0
        );
        let (status, got) = logs(&cx, &body).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        let rows = got["Result"]["CallLogs"].as_array().unwrap();
        assert_eq!(
            rows.iter().map(|r| &r["CallId"]).collect::<Vec<_>>(),
            [&json!(second)]
        );
        // A CallId as a JSON number, an unknown one: nothing.
        for body in [r#"{"CallId":12345}"#, r#"{"CallId":"no-such-call"}"#] {
            assert_eq!(
                logs(&cx, body).await,
                (StatusCode::OK, ok(json!({"CallLogs": []}))),
                "{body}"
            );
        }
        // Another tenant's app asking for this tenant's CallId sees nothing.
        let other = cx.engine.create_tenant(None).await.unwrap();
        let v = &other.credentials.udesk;
        let ts = (wall_ms() / 1000).to_string();
        let uri = format!(
            "/ccapi/v2/calls/logs?AppId={}&Sid={}&Timestamp={ts}&Sign={}",
            v.app_id,
            v.sid,
            crate::sign::sign(&v.sid, &v.auth_token, &ts)
        );
        for body in [format!(r#"{{"CallId":"{first}"}}"#), "{}".to_owned()] {
            assert_eq!(
                cx.send_raw(GET, &uri, &body).await,
                (StatusCode::OK, ok(json!({"CallLogs": []}))),
                "{body}"
            );
        }
    }

    #[tokio::test]
    async fn pages_split_calls_in_time_order() {
        let cx = ctx().await;
        manual(&cx).await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(call(&cx, 1_000, 2_000).await);
        }
        let page = |size: u32, num: u32| format!(r#"{{"PageSize":{size},"PageNum":"{num}"}}"#);
        let ids_of = |body: &Value| -> Vec<String> {
            body["Result"]["CallLogs"]
                .as_array()
                .unwrap_or_else(|| panic!("{body}"))
                .iter()
                .map(|r| r["CallId"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(ids_of(&logs(&cx, &page(2, 1)).await.1), ids[..2]);
        assert_eq!(ids_of(&logs(&cx, &page(2, 2)).await.1), ids[2..]);
        assert!(ids_of(&logs(&cx, &page(2, 3)).await.1).is_empty());
        assert_eq!(ids_of(&logs(&cx, &page(100, 1)).await.1), ids);
        let refused = (StatusCode::BAD_REQUEST, error("000001", "Parameter error"));
        for body in [page(101, 1), page(0, 1), page(10, 0)] {
            assert_eq!(logs(&cx, &body).await, refused, "{body}");
        }
    }

    #[tokio::test]
    async fn the_range_is_at_most_one_week_back_and_not_inverted() {
        let cx = ctx().await;
        let t0 = manual(&cx).await;
        call(&cx, 1_000, 4_000).await;
        let now = cx.engine.clock(&demo()).await.unwrap().now_ms;
        let range = |from: i64, to: i64| format!(r#"{{"StartTime":{from},"EndTime":"{to}"}}"#);
        let refused = (StatusCode::BAD_REQUEST, error("000001", "Parameter error"));
        // Older than one week, an end before the start, an end older than a week without a start.
        for body in [
            range(now - WINDOW_MS - 1, now),
            range(t0 + 1, t0),
            format!(r#"{{"EndTime":{}}}"#, now - WINDOW_MS - 1),
        ] {
            assert_eq!(logs(&cx, &body).await, refused, "{body}");
        }
        let count = |body: Value| body["Result"]["CallLogs"].as_array().unwrap().len();
        // Exactly one week back is allowed; the call lies within [t0, t0 + 5 s].
        assert_eq!(count(logs(&cx, &range(now - WINDOW_MS, now)).await.1), 1);
        assert_eq!(count(logs(&cx, &range(t0, t0 + 5_000)).await.1), 1);
        // A range that ends before the call ended, or starts after it started, leaves it out.
        assert_eq!(count(logs(&cx, &range(t0, t0 + 4_999)).await.1), 0);
        assert_eq!(count(logs(&cx, &range(t0 + 1, now)).await.1), 0);
        // Only a start or only an end.
        assert_eq!(
            count(logs(&cx, &format!(r#"{{"StartTime":{t0}}}"#)).await.1),
            1
        );
        assert_eq!(
            count(logs(&cx, &format!(r#"{{"EndTime":{t0}}}"#)).await.1),
            0
        );
    }

    #[tokio::test]
    async fn call_logs_need_a_json_body_of_the_documented_types() {
        let cx = ctx().await;
        let bad_json = (
            StatusCode::BAD_REQUEST,
            error("100004", "unexpected end of JSON input"),
        );
        for body in ["", "  ", "{", "CallId=1", "\u{ff}"] {
            assert_eq!(logs(&cx, body).await, bad_json, "{body:?}");
        }
        let invalid = (StatusCode::BAD_REQUEST, error("000001", "ParamsInvalid"));
        for body in [
            r#"{"CallId":{}}"#,
            r#"{"PageSize":"many"}"#,
            r#"{"PageNum":-1}"#,
            r#"{"StartTime":"yesterday"}"#,
            r#"{"EndTime":-5}"#,
            r#"[]"#,
        ] {
            assert_eq!(logs(&cx, body).await, invalid, "{body}");
        }
        // The query does not stand in for the body here.
        let (status, got) = cx.send(GET, "/ccapi/v2/calls/logs?PageSize=5", "").await;
        assert_eq!((status, got), bad_json);
    }

    #[tokio::test]
    async fn a_bad_signature_is_refused_before_the_body_is_read() {
        let cx = ctx().await;
        let u = &cx.udesk;
        let ts = (wall_ms() / 1000).to_string();
        for api in ["calls/logs", "calls/recfiles", "agents/statelogs"] {
            let uri = format!(
                "/ccapi/v2/{api}?AppId={}&Sid={}&Timestamp={ts}&Sign={}",
                u.app_id,
                u.sid,
                crate::sign::sign(&u.sid, "not-the-token", &ts)
            );
            assert_eq!(
                cx.send_raw(GET, &uri, "").await,
                (StatusCode::UNAUTHORIZED, error("000001", "Sign invalid")),
                "{api}"
            );
        }
    }

    /// Sends a signed GET with a `Host` header, as a client through a proxy would.
    async fn get_with_host(cx: &Ctx, api: &str, host: &str, body: &str) -> Value {
        let u = &cx.udesk;
        let ts = (wall_ms() / 1000).to_string();
        let sep = if api.contains('?') { '&' } else { '?' };
        let uri = format!(
            "/ccapi/v2/{api}{sep}AppId={}&Sid={}&Timestamp={ts}&Sign={}",
            u.app_id,
            u.sid,
            crate::sign::sign(&u.sid, &u.auth_token, &ts)
        );
        let request = Request::get(uri)
            .header(header::HOST, host)
            .body(Body::from(body.to_owned()))
            .unwrap();
        let response = crate::router::<Engine>()
            .with_state(cx.engine.clone())
            .oneshot(request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        serde_json::from_slice(&to_bytes(response.into_body(), usize::MAX).await.unwrap()).unwrap()
    }

    #[tokio::test]
    async fn recording_files_point_at_ccemus_wav_under_the_clients_host() {
        let cx = ctx().await;
        let t0 = manual(&cx).await;
        let id = call(&cx, 3_000, 30_250).await;
        let i = cx.engine.interaction(&demo(), &id).await.unwrap().unwrap();
        assert_eq!(i.recordings.len(), 1);
        let rec = &i.recordings[0];
        assert_eq!(
            (rec.started_at_ms, rec.ended_at_ms),
            (t0 + 3_000, t0 + 33_250)
        );
        let url = format!(
            "http://cc.example:8080/_ccemu/tenants/demo/recordings/{id}/{}.wav",
            rec.id
        );
        let want = ok(json!({"RecFiles": [{
            "CallId": id,
            "StartTime": t0 + 3_000,
            "EndTime": t0 + 33_250,
            "Duration": 31,
            "RecFileUrl": url,
        }]}));
        // Filters from the body, from the query, or none.
        assert_eq!(
            get_with_host(&cx, "calls/recfiles", "cc.example:8080", "").await,
            want
        );
        let by_call = format!("calls/recfiles?CallId={id}&PageSize=1");
        assert_eq!(
            get_with_host(&cx, &by_call, "cc.example:8080", "").await,
            want
        );
        let body = format!(r#"{{"CallId":"{id}","StartTime":{t0}}}"#);
        assert_eq!(
            get_with_host(&cx, "calls/recfiles", "cc.example:8080", &body).await,
            want
        );
        // The body wins over the query, field by field.
        let none = ok(json!({"RecFiles": []}));
        let later = format!(r#"{{"StartTime":{}}}"#, t0 + 3_001);
        assert_eq!(
            get_with_host(&cx, &format!("calls/recfiles?StartTime={t0}"), "h", &later).await,
            none
        );
        assert_eq!(
            cx.send(GET, "/ccapi/v2/calls/recfiles?PageSize=500", "")
                .await,
            (StatusCode::BAD_REQUEST, error("000001", "Parameter error"))
        );
        assert_eq!(
            cx.send(GET, "/ccapi/v2/calls/recfiles?StartTime=soon", "")
                .await,
            (StatusCode::BAD_REQUEST, error("000001", "ParamsInvalid"))
        );
    }

    #[tokio::test]
    async fn a_transferred_call_has_one_recording_per_agent_leg() {
        let cx = ctx().await;
        let t0 = manual(&cx).await;
        for agent in ["1001", "1003"] {
            op(
                &cx,
                Op::SetAgentState {
                    agent_id: agent.into(),
                    state: AgentState::Available,
                },
            )
            .await;
        }
        let OpOutput::Interaction(i) = op(
            &cx,
            Op::StartInbound {
                channel: Channel::Voice,
                queue_id: "9001".into(),
                from: "13800138000".into(),
                to: "057126200670".into(),
                priority: 0,
            },
        )
        .await
        else {
            panic!("no interaction");
        };
        op(
            &cx,
            Op::Answer {
                agent_id: "1001".into(),
                interaction_id: None,
            },
        )
        .await;
        advance(&cx, 10_000).await;
        op(
            &cx,
            Op::Transfer {
                interaction_id: i.id.clone(),
                target: ccemu_engine::TransferTarget::Queue("9002".into()),
            },
        )
        .await;
        advance(&cx, 2_000).await;
        op(
            &cx,
            Op::Answer {
                agent_id: "1003".into(),
                interaction_id: None,
            },
        )
        .await;
        advance(&cx, 20_000).await;
        op(
            &cx,
            Op::Hangup {
                interaction_id: i.id.clone(),
                by: EndedBy::Agent,
            },
        )
        .await;
        let (_, body) = cx.send(GET, "/ccapi/v2/calls/recfiles", "").await;
        let legs: Vec<(i64, i64, i64)> = body["Result"]["RecFiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["StartTime"].as_i64().unwrap() - t0,
                    r["EndTime"].as_i64().unwrap() - t0,
                    r["Duration"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(legs, [(0, 10_000, 10), (12_000, 32_000, 20)]);
        let (_, body) = logs(&cx, "{}").await;
        let log = &body["Result"]["CallLogs"][0];
        assert_eq!(
            (&log["AgentId"], &log["CallType"], &log["AgentName"]),
            (
                &json!("1003"),
                &json!("IncomingTransfer"),
                &json!("Carol Diaz")
            )
        );
    }

    #[tokio::test]
    async fn state_logs_name_udesk_states_for_one_seat_or_all() {
        let cx = ctx().await;
        let t0 = manual(&cx).await;
        call(&cx, 2_000, 10_000).await;
        op(
            &cx,
            Op::SetAgentState {
                agent_id: "1001".into(),
                state: AgentState::OnBreak {
                    sub_state: 2,
                    until_ms: None,
                },
            },
        )
        .await;
        advance(&cx, 1_500).await;
        op(
            &cx,
            Op::SetAgentState {
                agent_id: "1002".into(),
                state: AgentState::NotReady { reason: None },
            },
        )
        .await;
        op(
            &cx,
            Op::SetAgentState {
                agent_id: "1002".into(),
                state: AgentState::Available,
            },
        )
        .await;
        op(
            &cx,
            Op::SetAgentState {
                agent_id: "1001".into(),
                state: AgentState::LoggedOut,
            },
        )
        .await;
        let since = format!(r#"{{"AgentId":"1001","StartTime":{t0}}}"#);
        let (status, body) = cx.send(GET, "/ccapi/v2/agents/statelogs", &since).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let row = |cur: &str, cur_sub: u32, from: i64, to: i64, old: &str| {
            json!({
                "AgentId": "1001", "AgentName": "Alice Chen", "WorkId": "1001",
                "CurState": cur, "CurStateSubId": cur_sub,
                "StartTime": t0 + from, "EndTime": t0 + to, "Duration": (to - from + 999) / 1000,
                "OldState": old, "OldStateSubId": 0,
            })
        };
        assert_eq!(
            body["Result"]["AgentStateLogs"],
            json!([
                row("idle", 0, 0, 0, "offline"),
                row("ringing", 0, 0, 2_000, "idle"),
                row("talking", 0, 2_000, 12_000, "ringing"),
                row("wrapUp", 0, 12_000, 17_000, "talking"),
                row("idle", 0, 17_000, 17_000, "wrapUp"),
                row("onBreak", 2, 17_000, 18_500, "idle"),
            ])
        );
        // Without an AgentId every seat's periods are listed, 1002's `busy` among them.
        let (_, all) = cx
            .send(
                GET,
                &format!("/ccapi/v2/agents/statelogs?StartTime={t0}"),
                "",
            )
            .await;
        let seats: std::collections::BTreeSet<&str> = all["Result"]["AgentStateLogs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["AgentId"].as_str().unwrap())
            .collect();
        assert_eq!(seats, ["1001", "1002"].into_iter().collect());
        let busy: Vec<&Value> = all["Result"]["AgentStateLogs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["AgentId"] == "1002")
            .collect();
        assert_eq!(busy.len(), 1);
        assert_eq!(
            (
                &busy[0]["CurState"],
                &busy[0]["OldState"],
                &busy[0]["WorkId"]
            ),
            (&json!("busy"), &json!("offline"), &json!("1002"))
        );
        // The seeded logged-out periods began long before the week: the default range leaves
        // them out, and asking for them is refused.
        let (_, recent) = cx.send(GET, "/ccapi/v2/agents/statelogs", "").await;
        assert!(recent["Result"]["AgentStateLogs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["StartTime"].as_i64().unwrap() >= t0));
        assert_eq!(
            cx.send(GET, "/ccapi/v2/agents/statelogs", r#"{"StartTime":0}"#)
                .await,
            (StatusCode::BAD_REQUEST, error("000001", "Parameter error"))
        );
        // An unknown seat has no history.
        let (_, none) = cx
            .send(GET, "/ccapi/v2/agents/statelogs", r#"{"AgentId":"4242"}"#)
            .await;
        assert_eq!(none, ok(json!({"AgentStateLogs": []})));
    }

    #[tokio::test]
    async fn an_originated_call_is_outgoing_with_the_customers_answer() {
        let cx = ctx().await;
        let t0 = wall_ms() / 1000 * 1000 + 1000;
        cx.engine
            .set_clock(&demo(), ClockMode::Manual, Some(t0))
            .await
            .unwrap();
        // The simulated agent answers after 2 s, the customer after 5 s more, talk 60 s.
        op(&cx, Op::PutSimSettings(SimSettings::default())).await;
        op(
            &cx,
            Op::LoginAgent {
                agent_id: "1001".into(),
                state: AgentState::Available,
                queue_ids: vec![],
                number: None,
            },
        )
        .await;
        let OpOutput::Interaction(i) = op(
            &cx,
            Op::Originate {
                agent_id: "1001".into(),
                to: "13900139000".into(),
                from: None,
                custom_data: Default::default(),
            },
        )
        .await
        else {
            panic!("no interaction");
        };
        for ms in [2_000, 5_000, 60_000] {
            advance(&cx, ms).await;
        }
        let (_, body) = logs(&cx, "{}").await;
        let log = &body["Result"]["CallLogs"][0];
        let fields = [
            "CallId",
            "CallType",
            "StartTime",
            "EndTime",
            "AgentAnswerTime",
            "UserAnswerTime",
            "CallDuration",
            "TotalDuration",
            "DestNumber",
            "SpNumber",
            "AgentId",
            "HangupBy",
        ];
        let got: Vec<&Value> = fields.iter().map(|f| &log[*f]).collect();
        let want = [
            json!(i.id),
            json!("Outgoing"),
            json!(t0),
            json!(t0 + 67_000),
            json!(t0 + 2_000),
            json!(t0 + 7_000),
            json!(60),
            json!(67),
            json!("13900139000"),
            json!("+14155550100"),
            json!("1001"),
            json!("agent"),
        ];
        assert_eq!(got, want.iter().collect::<Vec<_>>(), "{body}");
        // Recorded from the agent's answer: the customer's ringing is on the recording too.
        let (_, files) = cx.send(GET, "/ccapi/v2/calls/recfiles", "").await;
        let file = &files["Result"]["RecFiles"][0];
        assert_eq!(
            (&file["StartTime"], &file["EndTime"], &file["Duration"]),
            (&json!(t0 + 2_000), &json!(t0 + 67_000), &json!(65))
        );
    }

    #[test]
    fn durations_count_started_seconds() {
        assert_eq!(seconds(1566351290766, 1566351302186), 12);
        assert_eq!(seconds(0, 0), 0);
        assert_eq!(seconds(0, 1_000), 1);
        assert_eq!(seconds(0, 1_001), 2);
        assert_eq!(seconds(5, 1), 0);
    }
}
