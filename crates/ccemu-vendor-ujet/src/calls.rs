//! Calls (`vendor-notes/ujet.md` §3.1 and §4): `POST /calls` (outbound, incoming, scheduled),
//! the session's end user, customer flags and custom data on the Apps API, and the call reports
//! (`GET /calls`, `/calls/:id`) on the Manager API.
//!
//! Incoming calls enter the routing engine in the menu's queue (UJET menus are ccemu queues);
//! outbound calls are the agent's own call (`Op::Originate`); scheduled calls are recorded in
//! state `scheduled` and the engine starts them at `scheduled_at` on the tenant clock: the call
//! enters the menu's queue and is routed like an incoming one (`scheduled` -> `queued` ->
//! `assigned` -> `connected` -> `finished`).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use ccemu_core::agent::Agent;
use ccemu_core::interaction::{Channel, Interaction};
use ccemu_core::Contact;
use ccemu_core::DomainError;
use ccemu_engine::{Annotation, ContactKey, Engine, EngineError, Op, OpOutput};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::custom_data;
use crate::dto::{self, Params, Text};
use crate::error::{Api, UjetError};
use crate::objects::{self, keys, Lookup};
use crate::paging;

/// Languages the emulated tenant serves; other known codes are "not available".
const AVAILABLE_LANGS: &[&str] = &["en", "es"];
/// Language codes UJET knows (ISO 639-1, the ones its menus offer).
const KNOWN_LANGS: &[&str] = &[
    "en", "es", "fr", "de", "it", "pt", "nl", "ja", "ko", "zh", "ru", "ar", "hi", "pl", "sv", "da",
    "fi", "no", "tr", "he", "th", "vi", "id", "ms", "tl", "uk", "cs", "el", "hu", "ro",
];

fn bad(message: impl Into<String>) -> UjetError {
    UjetError::BadRequest(Api::Apps, message.into())
}

/// `POST /calls` body (§3.1).
#[derive(Debug, Deserialize)]
struct CreateCall {
    call_type: Option<Text>,
    menu_id: Option<Value>,
    agent_email: Option<Text>,
    outbound_number: Option<Text>,
    end_user_number: Option<Text>,
    ticket_id: Option<Text>,
    lang: Option<Text>,
    call_id: Option<Text>,
    scheduled_at: Option<Text>,
    recording_permission: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Outbound,
    Inbound,
    Scheduled,
}

fn kind(call_type: &str) -> Option<(Kind, &'static str)> {
    match call_type {
        "Voice Outbound (API)" | "OutboundCall" => Some((Kind::Outbound, "Voice Outbound (API)")),
        "Voice Inbound (API)" | "IncomingCall" => Some((Kind::Inbound, "Voice Inbound (API)")),
        "Voice Scheduled (API)" | "ScheduledCall" => {
            Some((Kind::Scheduled, "Voice Scheduled (API)"))
        }
        _ => None,
    }
}

fn text(v: Option<Text>) -> Option<String> {
    v.map(|Text(s)| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// A phone number: `+`, digits and the usual separators, 3 to 15 digits [inferred].
pub fn well_formed_number(n: &str) -> bool {
    let digits = n.bytes().filter(u8::is_ascii_digit).count();
    let body = n.strip_prefix('+').unwrap_or(n);
    (3..=15).contains(&digits)
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'(' | b')' | b'.'))
}

/// `menu_id` (int or digits string) as a queue id of the tenant.
async fn menu(
    engine: &Engine,
    auth: &Authed,
    raw: Option<&Value>,
) -> Result<Option<String>, UjetError> {
    let id = match raw {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) if n.is_u64() => n.to_string(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) if s.trim().bytes().all(|b| b.is_ascii_digit()) => {
            s.trim().to_owned()
        }
        Some(_) => return Err(bad("menu_id is not well formed")),
    };
    let queues = engine
        .queues(&auth.tenant.id, None)
        .await
        .map_err(|e| UjetError::from_engine(Api::Apps, e))?;
    match queues.iter().find(|q| q.id == id) {
        Some(_) => Ok(Some(id)),
        None => Err(bad(format!("menu_id {id} is not found"))),
    }
}

fn lang(v: Option<Text>) -> Result<String, UjetError> {
    let lang = text(v).unwrap_or_else(|| "en".into());
    if AVAILABLE_LANGS.contains(&lang.as_str()) {
        Ok(lang)
    } else if KNOWN_LANGS.contains(&lang.as_str()) {
        Err(bad(format!("Language '{lang}' is not available")))
    } else {
        Err(bad(format!("Language '{lang}' is not found")))
    }
}

fn interaction(output: OpOutput) -> Result<Interaction, UjetError> {
    match output {
        OpOutput::Interaction(i) => Ok(*i),
        _ => Err(UjetError::Internal(Api::Apps)),
    }
}

/// Why the engine refused the agent's own call, as UJET says it.
fn originate_error(error: EngineError) -> UjetError {
    match error {
        EngineError::Domain(DomainError::Invalid {
            field: "extension" | "call_mode" | "from",
            ..
        }) => bad("Agent does not have access to make calls"),
        EngineError::Domain(DomainError::Invalid {
            field: "to",
            reason,
        }) if reason.contains("do-not-call") => bad(ON_DNC_LIST),
        EngineError::Domain(DomainError::Invalid { field: "to", .. }) => {
            bad("end_user_number is not well-formed")
        }
        EngineError::Domain(
            DomainError::Invalid { .. }
            | DomainError::Conflict(_)
            | DomainError::IllegalTransition { .. },
        ) => bad("Agent is not available to take this call"),
        other => UjetError::from_engine(Api::Apps, other),
    }
}

/// Refusal of an outbound call to a number on the company DNC list (§3.6). UJET documents no
/// text for it [inferred]; the engine refuses the dial too, but its reason names no UJET field.
pub const ON_DNC_LIST: &str = "end_user_number is on the Do Not Call list";

/// Whether `number` is on the tenant's DNC list now (an entry that lapsed does not count).
async fn on_dnc_list(engine: &Engine, auth: &Authed, number: &str) -> Result<bool, UjetError> {
    let Ok(id) = ccemu_core::dnc::normalize_phone(number) else {
        return Ok(false);
    };
    let t = &auth.tenant.id;
    let now = engine
        .clock(t)
        .await
        .map_err(|e| UjetError::from_engine(Api::Apps, e))?
        .now_ms;
    let entry: Option<ccemu_core::DncEntry> = engine
        .record(t, &id)
        .await
        .map_err(|e| UjetError::from_engine(Api::Apps, e))?;
    Ok(entry.is_some_and(|e| e.is_active(now)))
}

/// The end user a ticket names, by CRM id or else by identifier, if it has a phone number.
async fn ticket_contact(
    engine: &Engine,
    auth: &Authed,
    ticket: &str,
) -> Result<Option<Contact>, UjetError> {
    for key in [
        ContactKey::ExternalId(ticket.to_owned()),
        ContactKey::Identifier(ticket.to_owned()),
    ] {
        let found = engine
            .contact(&auth.tenant.id, &key)
            .await
            .map_err(|e| UjetError::from_engine(Api::Apps, e))?;
        if let Some(c) = found.filter(|c| !c.phone.is_empty()) {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// The call object of an interaction, as it is now.
async fn render(engine: &Engine, auth: &Authed, i: &Interaction) -> Result<Value, UjetError> {
    // Routing may have moved the call on since the op answered: read the committed record.
    let current = engine
        .interaction(&auth.tenant.id, &i.id)
        .await
        .map_err(|e| UjetError::from_engine(auth.api, e))?
        .unwrap_or_else(|| i.clone());
    let at = Lookup::load(engine, auth, std::slice::from_ref(&current)).await?;
    Ok(objects::call(&current, &at))
}

/// `POST /calls` (§3.1): outbound by number or ticket, incoming, scheduled; 201 with the call.
pub async fn create_call(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: CreateCall = dto::body(Api::Apps, &raw)?;
        let call_type = dto::required(Api::Apps, "call_type", body.call_type.clone())?;
        let (kind, canonical) = kind(&call_type).ok_or_else(|| bad("Invalid call type"))?;
        let t = &auth.tenant.id;
        let ticket = text(body.ticket_id.clone());
        let mut data = BTreeMap::from([(keys::CALL_TYPE.to_owned(), json!(canonical))]);
        if let Some(ticket) = &ticket {
            data.insert(keys::TICKET_ID.to_owned(), json!(ticket));
        }
        if let Some(n) = text(body.outbound_number.clone()) {
            data.insert(keys::OUTBOUND_NUMBER.to_owned(), json!(n));
        }
        if let Some(p) = text(body.recording_permission.clone()) {
            data.insert(keys::RECORDING_PERMISSION.to_owned(), json!(p));
        }
        let number = text(body.end_user_number.clone());
        let created = match kind {
            Kind::Outbound => {
                let email =
                    text(body.agent_email.clone()).ok_or_else(|| bad("Agent email required"))?;
                let agents: Vec<Agent> = engine
                    .agents(t, None)
                    .await
                    .map_err(|e| UjetError::from_engine(Api::Apps, e))?
                    .into_iter()
                    .map(|v| v.agent)
                    .collect();
                let agent = agents
                    .iter()
                    .find(|a| a.email.eq_ignore_ascii_case(&email))
                    .ok_or_else(|| bad("Not a valid agent email"))?;
                if !agent.enabled {
                    return Err(bad("Agent does not have access to make calls"));
                }
                // The ticket's CRM contact wins over a number given with it.
                let by_ticket = match &ticket {
                    Some(tk) => ticket_contact(&engine, &auth, tk).await?,
                    None => None,
                };
                let by_ticket = by_ticket.as_ref();
                let to = match (by_ticket, &number, &ticket) {
                    (Some(c), _, _) => c.phone.clone(),
                    (None, Some(n), _) => {
                        if !well_formed_number(n) {
                            return Err(bad("end_user_number is not well-formed"));
                        }
                        n.clone()
                    }
                    (None, None, Some(_)) => return Err(bad("Contact not found")),
                    (None, None, None) => return Err(bad("ticket_id or end_user_number required")),
                };
                if on_dnc_list(&engine, &auth, &to).await? {
                    return Err(bad(ON_DNC_LIST));
                }
                if let Some(m) = menu(&engine, &auth, body.menu_id.as_ref()).await? {
                    data.insert(keys::MENU_ID.to_owned(), json!(m));
                }
                let lang = lang(body.lang)?;
                let op = Op::Originate {
                    agent_id: agent.id.clone(),
                    to,
                    from: text(body.outbound_number),
                    custom_data: BTreeMap::new(),
                };
                let i = interaction(engine.execute(t, op).await.map_err(originate_error)?)?;
                let note = Annotation {
                    lang: Some(lang),
                    parent_id: None,
                    contact_id: by_ticket.map(|c| c.id.clone()),
                    custom_data: data,
                };
                annotate(&engine, &auth, &i, note).await?
            }
            Kind::Inbound => {
                if body
                    .menu_id
                    .as_ref()
                    .is_none_or(|m| m.is_null() || m.as_str().is_some_and(|s| s.trim().is_empty()))
                {
                    return Err(bad("menu_id is required"));
                }
                let queue = menu(&engine, &auth, body.menu_id.as_ref())
                    .await?
                    .ok_or_else(|| bad("menu_id is required"))?;
                let number = number.ok_or_else(|| bad("end_user_number is required"))?;
                if !well_formed_number(&number) {
                    return Err(bad("end_user_number is not well formed"));
                }
                let lang = lang(body.lang)?;
                let op = Op::StartInbound {
                    channel: Channel::Voice,
                    queue_id: queue,
                    from: number,
                    to: text(body.outbound_number).unwrap_or_default(),
                    priority: 0,
                };
                let i = match engine.execute(t, op).await {
                    Ok(out) => interaction(out)?,
                    Err(EngineError::Domain(DomainError::Invalid {
                        field: "channel", ..
                    })) => return Err(bad("Only IVR and mobile menu IDs are permitted")),
                    Err(e) => return Err(UjetError::from_engine(Api::Apps, e)),
                };
                let note = Annotation {
                    lang: Some(lang),
                    parent_id: None,
                    contact_id: None,
                    custom_data: data,
                };
                annotate(&engine, &auth, &i, note).await?
            }
            Kind::Scheduled => {
                let parent = match text(body.call_id) {
                    Some(id) => Some(objects::find(&engine, &auth, &[Channel::Voice], &id).await?),
                    None => None,
                };
                // Without a menu of its own the callback waits in its parent's (an outbound
                // parent keeps the menu it was placed from); it needs one to be routed at all.
                let queue = match menu(&engine, &auth, body.menu_id.as_ref()).await? {
                    Some(q) => q,
                    None => parent
                        .as_ref()
                        .and_then(|p| {
                            p.queue_id.clone().or_else(|| {
                                p.custom_data
                                    .get(keys::MENU_ID)
                                    .and_then(Value::as_str)
                                    .map(str::to_owned)
                            })
                        })
                        .ok_or_else(|| bad("menu_id is required"))?,
                };
                let number = number.ok_or_else(|| bad("end_user_number is required"))?;
                if !well_formed_number(&number) {
                    return Err(bad("end_user_number is not well formed"));
                }
                let at = text(body.scheduled_at).ok_or_else(|| bad("scheduled_at is required"))?;
                let lang = lang(body.lang)?;
                let at_ms = ccemu_core::clock::parse_rfc3339(&at)
                    .ok_or_else(|| bad("scheduled_at is not well formed"))?;
                let op = Op::ScheduleInteraction {
                    channel: Channel::Voice,
                    queue_id: Some(queue),
                    customer: number,
                    scheduled_at_ms: at_ms,
                    note: Annotation {
                        lang: Some(lang),
                        parent_id: parent.map(|p| p.id),
                        contact_id: None,
                        custom_data: data,
                    },
                };
                match engine.execute(t, op).await {
                    Ok(out) => interaction(out)?,
                    Err(EngineError::Domain(DomainError::Invalid {
                        field: "scheduled_at",
                        ..
                    })) => return Err(bad("scheduled_at must be in the future")),
                    Err(e) => return Err(UjetError::from_engine(Api::Apps, e)),
                }
            }
        };
        render(&engine, &auth, &created).await
    }
    .await;
    dto::reply(&auth, StatusCode::CREATED, result)
}

/// Attaches UJET's data to a call just created; a call that already ended keeps what it has.
async fn annotate(
    engine: &Engine,
    auth: &Authed,
    i: &Interaction,
    note: Annotation,
) -> Result<Interaction, UjetError> {
    let op = Op::AnnotateInteraction {
        interaction_id: i.id.clone(),
        note,
    };
    match engine.execute(&auth.tenant.id, op).await {
        Ok(out) => interaction(out),
        Err(EngineError::Domain(DomainError::NotFound { .. })) => Ok(i.clone()),
        Err(e) => Err(UjetError::from_engine(auth.api, e)),
    }
}

/// An open call of the tenant, else 404 (unknown) or 400 `Call is already ended`.
async fn open_call(engine: &Engine, auth: &Authed, id: &str) -> Result<Interaction, UjetError> {
    let i = objects::find(engine, auth, &[Channel::Voice], id).await?;
    if i.state.is_terminal() {
        return Err(bad("Call is already ended"));
    }
    Ok(i)
}

/// Applies a note to an open interaction, answering `Call is already ended` if it just ended.
async fn note(
    engine: &Engine,
    auth: &Authed,
    i: &Interaction,
    note: Annotation,
) -> Result<Interaction, UjetError> {
    let op = Op::AnnotateInteraction {
        interaction_id: i.id.clone(),
        note,
    };
    match engine.execute(&auth.tenant.id, op).await {
        Ok(out) => interaction(out),
        Err(EngineError::Domain(DomainError::NotFound {
            kind: "interaction",
            ..
        })) => Err(bad("Call is already ended")),
        Err(e) => Err(UjetError::from_engine(auth.api, e)),
    }
}

/// Mid-session end user body (§3.1): `identifier` required.
#[derive(Debug, Deserialize)]
pub(crate) struct EndUserBody {
    pub identifier: Option<Text>,
    pub name: Option<Text>,
    pub email: Option<Text>,
    pub phone: Option<Text>,
}

/// `POST /calls/:call_id/end_user` (§3.1): sets the session's end user; 202 `{"message":"accepted"}`.
pub async fn update_call_end_user(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: EndUserBody = dto::body(Api::Apps, &raw)?;
        let identifier = dto::required(Api::Apps, "identifier", body.identifier)?;
        let call = open_call(&engine, &auth, &id).await?;
        let contact = crate::end_users::upsert(
            &engine,
            &auth,
            identifier,
            text(body.name),
            text(body.email),
            text(body.phone),
        )
        .await?;
        let annotation = Annotation {
            contact_id: Some(contact.id),
            ..Annotation::default()
        };
        note(&engine, &auth, &call, annotation).await?;
        Ok(json!({"message": "accepted"}))
    }
    .await;
    dto::reply(&auth, StatusCode::ACCEPTED, result)
}

/// `GET /calls/:id/customer_flag` (§3.1): `{"verified_customer","bad_actor","repeat_customer"}`.
pub async fn get_call_customer_flag(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
) -> Response {
    let result = objects::find(&engine, &auth, &[Channel::Voice], &id)
        .await
        .map(|i| custom_data::flags(&i));
    dto::reply(&auth, StatusCode::OK, result)
}

/// `PATCH`/`PUT /calls/:id/customer_flag` (§3.1): 200 with the flags [inferred].
pub async fn update_call_customer_flag(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: custom_data::FlagsBody = dto::body(Api::Apps, &raw)?;
        let call = open_call(&engine, &auth, &id).await?;
        let flags = custom_data::merged_flags(&call, &body);
        let annotation = Annotation {
            custom_data: BTreeMap::from([(custom_data::FLAGS_KEY.to_owned(), flags)]),
            ..Annotation::default()
        };
        let i = note(&engine, &auth, &call, annotation).await?;
        Ok(custom_data::flags(&i))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `POST /calls/:id/custom_data` (§3.1, path [inferred]): unsigned or signed (HS256 with the
/// company secret); 200 `{}`.
pub async fn set_call_custom_data(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: custom_data::CustomDataBody = dto::body(Api::Apps, &raw)?;
        let now = engine
            .clock(&auth.tenant.id)
            .await
            .map_err(|e| UjetError::from_engine(Api::Apps, e))?
            .now_ms;
        let secret = auth.tenant.credentials.ujet.company_secret.clone();
        let parsed = custom_data::parse(Api::Apps, body, &secret, now)?;
        let call = open_call(&engine, &auth, &id).await?;
        let annotation = Annotation {
            custom_data: custom_data::attach(&call, &parsed),
            ..Annotation::default()
        };
        note(&engine, &auth, &call, annotation).await?;
        Ok(json!({}))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// Manager `GET /calls` (§4): the tenant's voice interactions, paged like every list. Paging,
/// sorting by id or time and time bounds are the store's; other filters apply to every call.
pub async fn list_calls(
    auth: Authed,
    State(engine): State<Engine>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let voice = [Channel::Voice];
    match paging::window(&params) {
        Some(Ok(window)) => {
            let page = async {
                let page = objects::window(&engine, &auth, &voice, false, &window).await?;
                let at = Lookup::load(&engine, &auth, &page.items).await?;
                let rows = page.items.iter().map(|i| objects::call(i, &at)).collect();
                Ok::<_, UjetError>((page.total, rows))
            }
            .await;
            match page {
                Ok((total, rows)) => paging::page(&auth, &params, &window, total, rows),
                Err(e) => dto::fail(&auth, e),
            }
        }
        Some(Err(e)) => dto::fail(&auth, e),
        None => {
            let rows = async {
                let calls = objects::all(&engine, &auth, &voice, false).await?;
                let at = Lookup::load(&engine, &auth, &calls).await?;
                Ok::<_, UjetError>(calls.iter().map(|i| objects::call(i, &at)).collect())
            }
            .await;
            match rows {
                Ok(rows) => paging::list(&auth, &params, rows),
                Err(e) => dto::fail(&auth, e),
            }
        }
    }
}

/// Manager `GET /calls/:id` (§4): one call object.
pub async fn get_call(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let i = objects::find(&engine, &auth, &[Channel::Voice], &id).await?;
        let at = Lookup::load(&engine, &auth, std::slice::from_ref(&i)).await?;
        Ok(objects::call(&i, &at))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

#[cfg(test)]
mod tests {
    use axum::http::Method;
    use ccemu_core::agent::AgentState;
    use ccemu_core::clock::ClockMode;
    use serde_json::json;

    use super::*;
    use crate::routes::tests::*;

    const T0: i64 = 1_798_761_600_000; // 2027-01-01T00:00:00Z

    /// Manual clock at T0, simulated agents that answer, and `agents` logged in and available.
    async fn setup(c: &Ctx, agents: &[&str]) {
        let t = demo();
        c.engine
            .set_clock(&t, ClockMode::Manual, Some(T0))
            .await
            .unwrap();
        let mut sim = c.engine.sim_settings(&t).await.unwrap();
        sim.auto = true;
        c.engine.execute(&t, Op::PutSimSettings(sim)).await.unwrap();
        for a in agents {
            c.engine
                .execute(
                    &t,
                    Op::LoginAgent {
                        agent_id: (*a).into(),
                        state: AgentState::Available,
                        queue_ids: vec![],
                        number: None,
                    },
                )
                .await
                .unwrap();
        }
    }

    async fn post(c: &Ctx, body: Value) -> Reply {
        c.send(Method::POST, "/apps/api/v1/calls", body.to_string())
            .await
    }

    fn incoming(menu: Value) -> Value {
        json!({"call_type": "Voice Inbound (API)", "menu_id": menu, "end_user_number": "+1 617-555-0101", "lang": "en"})
    }

    #[tokio::test]
    async fn an_incoming_call_is_routed_and_reported_with_durations_on_the_tenant_clock() {
        let c = ctx().await;
        setup(&c, &[]).await;
        // Nobody is logged in: the call waits in the menu's queue.
        let r = post(&c, incoming(json!("9002"))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let call = &r.body;
        assert!(call["id"].is_i64());
        assert_eq!(call["status"], "queued");
        assert_eq!(call["call_type"], "Voice Inbound (API)");
        assert_eq!(call["lang"], "en");
        assert_eq!(call["offer_type"], "cascade");
        assert_eq!(
            call["offer_events"],
            json!([{"casting_time": "2027-01-01T00:00:00.000Z", "group": "Group 1"}])
        );
        assert_eq!(call["created_at"], "2027-01-01T00:00:00.000Z");
        assert_eq!(call["queued_at"], "2027-01-01T00:00:00.000Z");
        assert_eq!(call["selected_menu"]["id"], 9002);
        assert_eq!(call["selected_menu"]["name"], "Support");
        assert_eq!(call["menu_path"]["materialized_path"], "Support");
        assert_eq!(call["agent_info"], Value::Null);
        assert_eq!(call["answer_type"], "manual");
        assert_eq!(call["voip_provider"], "voip_provider_twilio");
        assert_eq!(call["fail_reason"], "nothing");
        assert_eq!(call["disconnected_by"], "disconnected_by_unknown");
        assert_eq!(call["recording_permission"], "not_asked");
        for list in ["photos", "videos", "transfers", "deflection_details"] {
            assert_eq!(call[list], json!([]), "{list}");
        }
        assert_eq!(call["participants"][0]["type"], "end_user");
        assert_eq!(call["participants"][0]["status"], "waiting");
        let id = call["id"].as_i64().unwrap();
        let t = demo();

        // 5 s later Carol logs in: the call rings her, she answers after 2 s, talks 60 s.
        c.engine.advance_clock(&t, 5_000).await.unwrap();
        c.engine
            .execute(
                &t,
                Op::LoginAgent {
                    agent_id: "1003".into(),
                    state: AgentState::Available,
                    queue_ids: vec![],
                    number: None,
                },
            )
            .await
            .unwrap();
        let uri = format!("/manager/api/v1/calls/{id}");
        let r = c.send(Method::GET, &uri, b"").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["status"], "assigned");
        assert_eq!(r.body["agent_info"]["agent_number"], "1003");
        assert_eq!(r.body["agent_info"]["first_name"], "Carol");
        c.engine.advance_clock(&t, 2_000).await.unwrap();
        c.engine.advance_clock(&t, 30_000).await.unwrap();
        let r = c.send(Method::GET, &uri, b"").await;
        assert_eq!(r.body["status"], "connected");
        assert_eq!(r.body["queue_duration"], 7);
        assert_eq!(r.body["wait_duration"], 7);
        assert_eq!(r.body["call_duration"], 30);
        assert_eq!(r.body["hold_duration"], 0);
        assert_eq!(r.body["connected_at"], "2027-01-01T00:00:07.000Z");
        c.engine.advance_clock(&t, 40_000).await.unwrap();
        let r = c.send(Method::GET, &uri, b"").await;
        assert_eq!(r.body["status"], "finished");
        assert_eq!(r.body["call_duration"], 60);
        assert_eq!(r.body["ends_at"], "2027-01-01T00:01:07.000Z");
        assert_eq!(r.body["disconnected_by"], "disconnected_by_agent");

        // The list has it, filtered by the tailing bounds, with Total.
        let r = c
            .send(
                Method::GET,
                "/manager/api/v1/calls?page=1&per=100&sort_column=updated_at&sort_direction=ASC&updated_at%5Bfrom%5D=2027-01-01T00:00:00Z",
                b"",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["total"], "1");
        assert_eq!(r.body[0]["id"], id);
        assert_eq!(r.body[0]["status"], "finished");
        let r = c
            .send(
                Method::GET,
                "/manager/api/v1/calls?created_at[from]=2027-01-02T00:00:00Z",
                b"",
            )
            .await;
        assert_eq!(r.body, json!([]));
        assert_eq!(r.headers["total"], "0");
    }

    #[tokio::test]
    async fn an_outbound_call_to_a_dnc_listed_number_is_refused_as_such() {
        let c = ctx().await;
        setup(&c, &["1001"]).await;
        let r = c
            .send(
                Method::POST,
                "/apps/api/v1/outbound_dialer/dnc",
                json!({"contacts": [{"phone_number": "+1-617-555-0101"}]}).to_string(),
            )
            .await;
        assert_eq!(r.body[0]["status"], "created");
        let call = |to: &str| json!({"call_type": "Voice Outbound (API)", "agent_email": "alice@demo.ccemu.test", "end_user_number": to});
        let r = post(&c, call("+1 (617) 555-0101")).await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::BAD_REQUEST, apps(super::ON_DNC_LIST))
        );
        let r = post(&c, call("+1 617 555 0102")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }

    #[tokio::test]
    async fn incoming_call_errors_follow_the_note() {
        let c = ctx().await;
        setup(&c, &[]).await;
        let cases = [
            (
                json!({}),
                "param is missing or the value is empty: call_type",
            ),
            (json!({"call_type": "Voice Fax"}), "Invalid call type"),
            (
                json!({"call_type": "IncomingCall", "end_user_number": "123"}),
                "menu_id is required",
            ),
            (incoming(json!("abc")), "menu_id is not well formed"),
            (incoming(json!(9999)), "menu_id 9999 is not found"),
            (
                json!({"call_type": "IncomingCall", "menu_id": 9002}),
                "end_user_number is required",
            ),
            (
                json!({"call_type": "IncomingCall", "menu_id": 9002, "end_user_number": "call me"}),
                "end_user_number is not well formed",
            ),
            (
                json!({"call_type": "IncomingCall", "menu_id": 9002, "end_user_number": "123", "lang": "fr"}),
                "Language 'fr' is not available",
            ),
            (
                json!({"call_type": "IncomingCall", "menu_id": 9002, "end_user_number": "123", "lang": "xy"}),
                "Language 'xy' is not found",
            ),
        ];
        for (body, message) in cases {
            let r = post(&c, body.clone()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(r.body, apps(message), "{body}");
        }
        // The deprecated alias and an integer menu id work.
        let r = post(
            &c,
            json!({"call_type": "IncomingCall", "menu_id": 9001, "end_user_number": "123", "ticket_id": 77}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.body["call_type"], "Voice Inbound (API)");
        assert_eq!(r.body["out_ticket_id"], "77");
    }

    #[tokio::test]
    async fn an_outbound_call_rings_the_agent_and_refuses_what_the_note_lists() {
        let c = ctx().await;
        setup(&c, &["1001"]).await;
        // Dan may not work at all.
        let patch = ccemu_engine::AgentPatch {
            enabled: Some(false),
            ..Default::default()
        };
        c.engine
            .execute(
                &demo(),
                Op::UpdateAgent {
                    agent_id: "1004".into(),
                    patch,
                },
            )
            .await
            .unwrap();
        let outbound = |email: &str, extra: Value| {
            let mut b = json!({"call_type": "Voice Outbound (API)", "menu_id": 9001, "agent_email": email,
                "outbound_number": "+14155550100", "end_user_number": "+1 760-867-5309", "lang": "en"});
            for (k, v) in extra.as_object().unwrap() {
                b[k] = v.clone();
            }
            b
        };
        let r = post(&c, outbound("alice@demo.ccemu.test", json!({}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let call = &r.body;
        assert_eq!(call["status"], "assigned");
        assert_eq!(call["call_type"], "Voice Outbound (API)");
        assert_eq!(call["answer_type"], "manual");
        assert_eq!(call["outbound_number"], "+14155550100");
        assert_eq!(call["agent_info"]["agent_number"], "1001");
        assert_eq!(call["selected_menu"]["id"], 9001);
        assert_eq!(call["offer_type"], Value::Null);
        assert!(call["participants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["type"] == "end_user"));
        // Alice is on her call now.
        let cases = [
            (
                outbound("alice@demo.ccemu.test", json!({})),
                "Agent is not available to take this call",
            ),
            (
                outbound("carol@demo.ccemu.test", json!({})),
                "Agent is not available to take this call",
            ),
            (
                outbound("dan@demo.ccemu.test", json!({})),
                "Agent does not have access to make calls",
            ),
            (
                outbound("nobody@demo.ccemu.test", json!({})),
                "Not a valid agent email",
            ),
            (outbound("", json!({})), "Agent email required"),
            (
                outbound("bob@demo.ccemu.test", json!({"end_user_number": null})),
                "ticket_id or end_user_number required",
            ),
            (
                outbound("bob@demo.ccemu.test", json!({"end_user_number": "x1"})),
                "end_user_number is not well-formed",
            ),
            (
                outbound(
                    "bob@demo.ccemu.test",
                    json!({"end_user_number": null, "ticket_id": "T-1"}),
                ),
                "Contact not found",
            ),
            (
                outbound("bob@demo.ccemu.test", json!({"menu_id": "9x"})),
                "menu_id is not well formed",
            ),
            (
                outbound("bob@demo.ccemu.test", json!({"lang": "de"})),
                "Language 'de' is not available",
            ),
        ];
        for (body, message) in cases {
            let r = post(&c, body.clone()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(r.body, apps(message), "{body}");
        }
    }

    #[tokio::test]
    async fn a_scheduled_call_is_stored_as_scheduled_with_its_parent() {
        let c = ctx().await;
        setup(&c, &[]).await;
        let parent = post(&c, incoming(json!(9002))).await.body["id"].clone();
        let r = post(
            &c,
            json!({"call_type": "ScheduledCall", "call_id": parent, "end_user_number": "+16175550101",
                "scheduled_at": "2027-01-01T01:00:00Z", "recording_permission": "recording_permission_granted"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["status"], "scheduled");
        assert_eq!(r.body["call_type"], "Voice Scheduled (API)");
        assert_eq!(r.body["scheduled_at"], "2027-01-01T01:00:00.000Z");
        assert_eq!(r.body["parent_id"], parent);
        assert_eq!(r.body["selected_menu"]["id"], 9002);
        assert_eq!(r.body["recording_permission"], "granted");
        for (body, message) in [
            (
                json!({"call_type": "ScheduledCall", "end_user_number": "123", "scheduled_at": "2027-01-01T01:00:00Z"}),
                "menu_id is required",
            ),
            (
                json!({"call_type": "ScheduledCall", "menu_id": 9002, "end_user_number": "123"}),
                "scheduled_at is required",
            ),
            (
                json!({"call_type": "ScheduledCall", "menu_id": 9002, "end_user_number": "12"}),
                "end_user_number is not well formed",
            ),
            (
                json!({"call_type": "ScheduledCall", "menu_id": 9002, "end_user_number": "123", "scheduled_at": "2025-01-01T00:00:00Z"}),
                "scheduled_at must be in the future",
            ),
        ] {
            let r = post(&c, body.clone()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(r.body, apps(message), "{body}");
        }
        let r = post(
            &c,
            json!({"call_type": "ScheduledCall", "call_id": 12345, "end_user_number": "123", "scheduled_at": "2027-01-01T01:00:00Z"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // An outbound parent lends the menu it was placed from, and one without a menu nothing.
        // The incoming parent hangs up first, so that it is not offered to Alice.
        let incoming_parent = objects::find(
            &c.engine,
            &authed(&c).await,
            &[Channel::Voice],
            &parent.to_string(),
        )
        .await
        .unwrap();
        let op = Op::Hangup {
            interaction_id: incoming_parent.id,
            by: ccemu_core::interaction::EndedBy::Customer,
        };
        c.engine.execute(&demo(), op).await.unwrap();
        c.engine
            .execute(
                &demo(),
                Op::LoginAgent {
                    agent_id: "1001".into(),
                    state: AgentState::Available,
                    queue_ids: vec![],
                    number: None,
                },
            )
            .await
            .unwrap();
        let out = post(&c, json!({"call_type": "OutboundCall", "agent_email": "alice@demo.ccemu.test", "end_user_number": "+16175550101"})).await;
        assert_eq!(out.status, StatusCode::CREATED, "{}", out.body);
        let r = post(
            &c,
            json!({"call_type": "ScheduledCall", "call_id": out.body["id"], "end_user_number": "123", "scheduled_at": "2027-01-01T01:00:00Z"}),
        )
        .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::BAD_REQUEST, apps("menu_id is required"))
        );
        c.engine.advance_clock(&demo(), 2_000).await.unwrap();
        let op = Op::Hangup {
            interaction_id: objects::find(
                &c.engine,
                &authed(&c).await,
                &[Channel::Voice],
                &out.body["id"].to_string(),
            )
            .await
            .unwrap()
            .id,
            by: ccemu_core::interaction::EndedBy::Agent,
        };
        c.engine.execute(&demo(), op).await.unwrap();
        // Her wrap-up ends before she calls again.
        c.engine.advance_clock(&demo(), 300_000).await.unwrap();
        let out = post(&c, json!({"call_type": "OutboundCall", "menu_id": 9001, "agent_email": "alice@demo.ccemu.test", "end_user_number": "+16175550101"})).await;
        assert_eq!(out.status, StatusCode::CREATED, "{}", out.body);
        let r = post(
            &c,
            json!({"call_type": "ScheduledCall", "call_id": out.body["id"], "end_user_number": "123", "scheduled_at": "2027-01-01T01:00:00Z"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["selected_menu"]["id"], 9001);
    }

    /// The participant of `type` in a call object.
    fn party(call: &Value, kind: &str) -> Value {
        call["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} participant in {call}"))
            .clone()
    }

    #[tokio::test]
    async fn an_outbound_call_has_its_agent_and_end_user_as_participants() {
        let c = ctx().await;
        setup(&c, &["1001"]).await;
        let r = post(
            &c,
            json!({"call_type": "Voice Outbound (API)", "agent_email": "alice@demo.ccemu.test",
                "end_user_number": "+1 760-867-5309"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_i64().unwrap();
        assert_eq!(r.body["status"], "assigned");
        let parts = r.body["participants"].as_array().unwrap();
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert_eq!(
            party(&r.body, "end_user"),
            json!({"id": 1, "type": "end_user", "status": "waiting", "call_id": id, "user_id": null,
                "end_user_id": null, "call_duration": 0, "hold_duration": 0, "connected_at": null,
                "ended_at": null, "fail_reason": "nothing"})
        );
        assert_eq!(
            party(&r.body, "agent"),
            json!({"id": 2, "type": "agent", "status": "waiting", "call_id": id, "user_id": 1001,
                "end_user_id": null, "call_duration": 0, "hold_duration": 0, "connected_at": null,
                "ended_at": null, "fail_reason": "nothing"})
        );

        // Alice's phone answers after 2 s: her leg (same id) is on, the customer's phone rings.
        let t = demo();
        let uri = format!("/manager/api/v1/calls/{id}");
        c.engine.advance_clock(&t, 2_000).await.unwrap();
        let call = c.send(Method::GET, &uri, b"").await.body;
        assert_eq!(call["status"], "connecting");
        assert_eq!(call["participants"].as_array().unwrap().len(), 2);
        let agent = party(&call, "agent");
        assert_eq!(
            (&agent["id"], &agent["status"], &agent["user_id"]),
            (&json!(2), &json!("connected"), &json!(1001))
        );
        assert_eq!(agent["connected_at"], "2027-01-01T00:00:02.000Z");
        assert_eq!(party(&call, "end_user")["status"], "connecting");

        // The customer picks up 5 s later; 10 s after that both legs have talked for their time.
        c.engine.advance_clock(&t, 15_000).await.unwrap();
        let call = c.send(Method::GET, &uri, b"").await.body;
        assert_eq!(call["status"], "connected");
        let (agent, user) = (party(&call, "agent"), party(&call, "end_user"));
        assert_eq!(user["status"], "connected");
        assert_eq!(user["connected_at"], "2027-01-01T00:00:07.000Z");
        assert_eq!(
            (&agent["call_duration"], &user["call_duration"]),
            (&json!(15), &json!(10))
        );
    }

    #[tokio::test]
    async fn a_scheduled_call_is_queued_at_scheduled_at_then_routed_and_reported() {
        let c = ctx().await;
        setup(&c, &[]).await;
        let t = demo();
        let r = post(
            &c,
            json!({"call_type": "Voice Scheduled (API)", "menu_id": 9002, "end_user_number": "+16175550101",
                "scheduled_at": "2027-01-01T01:00:00Z"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_i64().unwrap();
        let uri = format!("/manager/api/v1/calls/{id}");
        assert_eq!(r.body["status"], "scheduled");
        assert_eq!(r.body["queued_at"], Value::Null);

        // Not a millisecond early.
        c.engine.advance_clock(&t, 3_600_000 - 1).await.unwrap();
        let call = c.send(Method::GET, &uri, b"").await.body;
        assert_eq!(call["status"], "scheduled");
        assert_eq!(call["queued_at"], Value::Null);

        // Due: it waits in Support's queue, nobody being logged in.
        c.engine.advance_clock(&t, 1).await.unwrap();
        let call = c.send(Method::GET, &uri, b"").await.body;
        assert_eq!(call["status"], "queued");
        assert_eq!(call["queued_at"], "2027-01-01T01:00:00.000Z");
        assert_eq!(call["scheduled_at"], "2027-01-01T01:00:00.000Z");
        assert_eq!(call["call_type"], "Voice Scheduled (API)");
        assert_eq!(call["selected_menu"]["id"], 9002);
        assert_eq!(call["agent_info"], Value::Null);
        assert_eq!(call["assigned_at"], Value::Null);
        assert_eq!(call["participants"].as_array().unwrap().len(), 1);
        assert_eq!(party(&call, "end_user")["status"], "waiting");

        // 10 s later Carol logs in: the ACD offers it to her, and her simulated phone answers.
        c.engine.advance_clock(&t, 10_000).await.unwrap();
        c.engine
            .execute(
                &t,
                Op::LoginAgent {
                    agent_id: "1003".into(),
                    state: AgentState::Available,
                    queue_ids: vec![],
                    number: None,
                },
            )
            .await
            .unwrap();
        let call = c.send(Method::GET, &uri, b"").await.body;
        assert_eq!(call["status"], "assigned");
        assert_eq!(call["agent_info"]["agent_number"], "1003");
        assert_eq!(call["assigned_at"], "2027-01-01T01:00:10.000Z");
        let agent = party(&call, "agent");
        assert_eq!(
            (&agent["id"], &agent["status"], &agent["user_id"]),
            (&json!(2), &json!("waiting"), &json!(1003))
        );
        c.engine.advance_clock(&t, 2_000).await.unwrap();
        let call = c.send(Method::GET, &uri, b"").await.body;
        assert_eq!(call["status"], "connected");
        assert_eq!(call["connected_at"], "2027-01-01T01:00:12.000Z");
        assert_eq!(call["queue_duration"], 12);
        for kind in ["agent", "end_user"] {
            let p = party(&call, kind);
            assert_eq!(p["status"], "connected", "{kind}");
            assert_eq!(p["connected_at"], "2027-01-01T01:00:12.000Z", "{kind}");
        }
        assert_eq!(party(&call, "agent")["id"], 2);

        // The talk time passes; the Manager list reports it, finished.
        c.engine.advance_clock(&t, 60_000).await.unwrap();
        let r = c
            .send(
                Method::GET,
                "/manager/api/v1/calls?sort_column=updated_at&sort_direction=ASC&updated_at%5Bfrom%5D=2027-01-01T01:00:00Z",
                b"",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["total"], "1");
        let row = &r.body[0];
        assert_eq!(row["id"], id);
        assert_eq!(row["status"], "finished");
        assert_eq!(row["call_type"], "Voice Scheduled (API)");
        assert_eq!(row["call_duration"], 60);
        assert_eq!(row["ends_at"], "2027-01-01T01:01:12.000Z");
        for kind in ["agent", "end_user"] {
            assert_eq!(party(row, kind)["status"], "finished", "{kind}");
        }
    }

    #[tokio::test]
    async fn another_tenants_clock_does_not_start_a_scheduled_call() {
        let c = ctx().await;
        setup(&c, &[]).await;
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = basic(
            &other.credentials.ujet.subdomain,
            &other.credentials.ujet.api_token,
        );
        let r = post(
            &c,
            json!({"call_type": "ScheduledCall", "menu_id": 9001, "end_user_number": "123",
                "scheduled_at": "2027-01-01T00:01:00Z"}),
        )
        .await;
        let id = r.body["id"].as_i64().unwrap();
        let uri = format!("/manager/api/v1/calls/{id}");
        c.engine
            .set_clock(&other.id, ClockMode::Manual, Some(T0 + 120_000))
            .await
            .unwrap();
        assert_eq!(
            c.send(Method::GET, &uri, b"").await.body["status"],
            "scheduled"
        );
        let r = c.send_as(Some(&o), Method::GET, &uri, b"").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        c.engine.advance_clock(&demo(), 60_000).await.unwrap();
        assert_eq!(
            c.send(Method::GET, &uri, b"").await.body["status"],
            "queued"
        );
        let r = c
            .send_as(Some(&o), Method::GET, "/manager/api/v1/calls", b"")
            .await;
        assert_eq!(r.body, json!([]));
    }

    #[tokio::test]
    async fn end_user_flags_and_custom_data_apply_to_the_open_call_only() {
        let c = ctx().await;
        setup(&c, &[]).await;
        let id = post(&c, incoming(json!(9002))).await.body["id"]
            .as_i64()
            .unwrap();
        let base = format!("/apps/api/v1/calls/{id}");

        // Mid-session end user.
        let r = c
            .send(Method::POST, &format!("{base}/end_user"), b"{}")
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            r.body,
            apps("param is missing or the value is empty: identifier")
        );
        let r = c
            .send(
                Method::POST,
                &format!("{base}/end_user"),
                br#"{"identifier":"abc123","name":"Joe","phone":"+16171231234"}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        assert_eq!(r.body, json!({"message": "accepted"}));
        let r = c
            .send(Method::GET, &format!("/manager/api/v1/calls/{id}"), b"")
            .await;
        assert_eq!(
            r.body["end_user"],
            json!({"id": 1, "identifier": "abc123", "out_contact_id": null})
        );
        let r = c
            .send(Method::GET, "/apps/api/v1/end_users?identifier=abc123", b"")
            .await;
        assert_eq!(r.body, json!({"id": 1, "identifier": "abc123"}));

        // Flags.
        let r = c
            .send(Method::GET, &format!("{base}/customer_flag"), b"")
            .await;
        assert_eq!(
            r.body,
            json!({"verified_customer": false, "bad_actor": false, "repeat_customer": false})
        );
        let r = c
            .send(
                Method::PATCH,
                &format!("{base}/customer_flag"),
                br#"{"verified_customer":true,"bad_actor":false,"repeat_customers":true}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.body,
            json!({"verified_customer": true, "bad_actor": false, "repeat_customer": true})
        );
        let r = c
            .send(
                Method::PUT,
                &format!("{base}/customer_flag"),
                br#"{"verified_customer":"false"}"#,
            )
            .await;
        assert_eq!(
            r.body,
            json!({"verified_customer": false, "bad_actor": false, "repeat_customer": true})
        );
        let r = c
            .send(Method::GET, &format!("{base}/customer_flag"), b"")
            .await;
        assert_eq!(r.body["repeat_customer"], true);

        // Custom data, unsigned then signed.
        let r = c
            .send(Method::POST, &format!("{base}/custom_data"),
                json!({"signed": false, "data": {"reserved_bad_actor": {"label": "L", "value": true}, "field1": {"label": "LABEL 4", "value": "dummy1"}}}).to_string())
            .await;
        assert_eq!((r.status, r.body), (StatusCode::OK, json!({})));
        let r = c
            .send(Method::GET, &format!("{base}/customer_flag"), b"")
            .await;
        assert_eq!(r.body["bad_actor"], true);
        let secret = c.ujet.company_secret.clone();
        let exp = T0 / 1000 + 60;
        let token = crate::custom_data::tests::jwt(
            &json!({"custom_data": {"field2": {"label": "X", "value": 1}}, "exp": exp, "iat": T0 / 1000}),
            &secret,
        );
        let r = c
            .send(
                Method::POST,
                &format!("{base}/custom_data"),
                json!({"signed": true, "signed_data": token}).to_string(),
            )
            .await;
        assert_eq!((r.status, r.body), (StatusCode::OK, json!({})));
        let stored = objects::find(
            &c.engine,
            &authed(&c).await,
            &[Channel::Voice],
            &id.to_string(),
        )
        .await
        .unwrap();
        let data = &stored.custom_data[custom_data::DATA_KEY];
        assert_eq!(data["field1"]["value"], "dummy1");
        assert_eq!(data["field2"]["value"], 1);
        let forged = crate::custom_data::tests::jwt(
            &json!({"custom_data": {}, "exp": exp}),
            "not-the-secret",
        );
        let r = c
            .send(
                Method::POST,
                &format!("{base}/custom_data"),
                json!({"signed": true, "signed_data": forged}).to_string(),
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (
                StatusCode::BAD_REQUEST,
                apps("signed_data signature is invalid")
            )
        );
        let old = crate::custom_data::tests::jwt(
            &json!({"custom_data": {}, "exp": T0 / 1000 - 1}),
            &secret,
        );
        let r = c
            .send(
                Method::POST,
                &format!("{base}/custom_data"),
                json!({"signed": true, "signed_data": old}).to_string(),
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::BAD_REQUEST, apps("signed_data has expired"))
        );

        // Once the caller hangs up, the session is over.
        let t = demo();
        let engine_id = stored.id.clone();
        c.engine
            .execute(
                &t,
                Op::Hangup {
                    interaction_id: engine_id,
                    by: ccemu_core::interaction::EndedBy::Customer,
                },
            )
            .await
            .unwrap();
        for (method, path, body) in [
            (Method::POST, "end_user", r#"{"identifier":"x"}"#),
            (Method::PATCH, "customer_flag", r#"{"bad_actor":true}"#),
            (Method::POST, "custom_data", r#"{"data":{}}"#),
        ] {
            let r = c.send(method, &format!("{base}/{path}"), body).await;
            assert_eq!(
                (r.status, r.body),
                (StatusCode::BAD_REQUEST, apps("Call is already ended")),
                "{path}"
            );
        }
        let r = c
            .send(Method::GET, &format!("/manager/api/v1/calls/{id}"), b"")
            .await;
        assert_eq!(r.body["status"], "failed");
        assert_eq!(r.body["disconnected_by"], "disconnected_by_end_user");
    }

    #[tokio::test]
    async fn pages_cut_by_the_store_match_the_list_over_every_call() {
        let c = ctx().await;
        c.engine
            .set_clock(&demo(), ClockMode::Manual, Some(T0))
            .await
            .unwrap();
        // Two calls at T0, three a second later: ties on created_at and updated_at.
        let mut ids = Vec::new();
        for n in 0..5 {
            if n == 2 {
                c.engine.advance_clock(&demo(), 1_000).await.unwrap();
            }
            let r = post(&c, incoming(json!(9002))).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            ids.push(r.body["id"].as_i64().unwrap());
        }
        assert_eq!(ids, [1, 2, 3, 4, 5]);
        let get = |query: String| {
            let c = &c;
            async move {
                c.send(Method::GET, &format!("/manager/api/v1/calls?{query}"), b"")
                    .await
            }
        };
        let ids_of = |r: &Reply| -> Vec<i64> {
            r.body
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap())
                .collect()
        };
        // Descending by time, ties stay in ascending id order, across page edges too.
        for (query, want) in [
            (
                "sort_column=created_at&sort_direction=DESC",
                vec![3, 4, 5, 1, 2],
            ),
            (
                "sort_column=created_at&sort_direction=DESC&per=2",
                vec![3, 4],
            ),
            (
                "sort_column=created_at&sort_direction=DESC&per=2&page=2",
                vec![5, 1],
            ),
            (
                "sort_column=created_at&sort_direction=DESC&per=2&page=3",
                vec![2],
            ),
            (
                "sort_column=created_at&sort_direction=desc&per=1&page=4",
                vec![1],
            ),
            (
                "sort_column=id&sort_direction=DESC&per=2&page=2",
                vec![3, 2],
            ),
            ("per=2&page=2", vec![3, 4]),
            (
                "created_at[from]=2027-01-01T00:00:01Z&sort_column=created_at&sort_direction=DESC",
                vec![3, 4, 5],
            ),
            ("created_at[to]=2027-01-01T00:00:00.999Z", vec![1, 2]),
        ] {
            assert_eq!(ids_of(&get(query.to_owned()).await), want, "{query}");
        }
        // The same query with a filter the store does not apply (every call is in English)
        // goes through the list over every call; both answer the same rows and headers.
        let t1 = "2027-01-01T00:00:01.000Z";
        for query in [
            "per=2".to_owned(),
            "per=2&page=3".to_owned(),
            "page=9".to_owned(),
            "sort_column=created_at&sort_direction=DESC&per=2&page=2".to_owned(),
            "sort_column=updated_at&sort_direction=DESC&per=3&page=1".to_owned(),
            "sort_column=updated_at&sort_direction=DESC&per=3&page=2".to_owned(),
            "sort_column=updated_at&per=2&page=2".to_owned(),
            "sort_column=id&sort_direction=ASC&per=4".to_owned(),
            format!("updated_at[from]={t1}&sort_column=created_at&per=2"),
            format!("updated_at[to]={t1}&created_at[from]={T0}&per=2&page=2"),
            "per=0".to_owned(),
            "per=1001".to_owned(),
            "page=x".to_owned(),
            "sort_column=id&sort_direction=UP".to_owned(),
            "updated_at[to]=x&created_at[from]=y".to_owned(),
            "created_at[from]=y&updated_at[to]=x".to_owned(),
        ] {
            let cut = get(query.clone()).await;
            let listed = get(format!("{query}&lang[]=en")).await;
            assert_eq!(cut.status, listed.status, "{query}");
            assert_eq!(cut.body, listed.body, "{query}");
            for header in ["total", "per-page"] {
                assert_eq!(
                    cut.headers.get(header),
                    listed.headers.get(header),
                    "{query} {header}"
                );
            }
            let link = |r: &Reply| {
                r.headers
                    .get("link")
                    .map(|l| l.to_str().unwrap().replace("&lang%5B%5D=en", ""))
            };
            assert_eq!(link(&cut), link(&listed), "{query}");
        }
        let r = get("per=2".to_owned()).await;
        assert_eq!(r.headers["total"], "5");
        assert_eq!(
            r.headers["link"],
            "<https://127.0.0.1:8443/ujet.acme.co/manager/api/v1/calls?page=2&per=2>; rel=\"next\""
        );
        let r = get("per=2&page=3".to_owned()).await;
        assert!(r.headers.get("link").is_none());
    }

    async fn authed(c: &Ctx) -> Authed {
        Authed {
            tenant: c.engine.tenant(&demo()).unwrap(),
            credential: crate::auth::Credential::ApiToken,
            api: Api::Apps,
            origin: Default::default(),
            path: String::new(),
        }
    }

    #[tokio::test]
    async fn another_tenants_calls_are_not_found() {
        let c = ctx().await;
        setup(&c, &[]).await;
        let id = post(&c, incoming(json!(9002))).await.body["id"]
            .as_i64()
            .unwrap();
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = basic(
            &other.credentials.ujet.subdomain,
            &other.credentials.ujet.api_token,
        );
        for (method, uri, body) in [
            (
                Method::GET,
                format!("/apps/api/v1/calls/{id}/customer_flag"),
                "",
            ),
            (
                Method::PATCH,
                format!("/apps/api/v1/calls/{id}/customer_flag"),
                "{}",
            ),
            (
                Method::PUT,
                format!("/apps/api/v1/calls/{id}/customer_flag"),
                "{}",
            ),
            (
                Method::POST,
                format!("/apps/api/v1/calls/{id}/custom_data"),
                r#"{"data":{}}"#,
            ),
            (
                Method::POST,
                format!("/apps/api/v1/calls/{id}/end_user"),
                r#"{"identifier":"x"}"#,
            ),
            (Method::GET, "/apps/api/v1/end_users?id=1".into(), ""),
        ] {
            let r = c.send_as(Some(&o), method.clone(), &uri, body).await;
            assert_eq!(
                (r.status, r.body),
                (StatusCode::NOT_FOUND, apps("Not Found")),
                "{method} {uri}"
            );
        }
        let r = c
            .send_as(
                Some(&o),
                Method::GET,
                &format!("/manager/api/v1/calls/{id}"),
                b"",
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body, manager("Not Found", "Resource not found", 404));
        let r = c
            .send_as(Some(&o), Method::GET, "/manager/api/v1/calls", b"")
            .await;
        assert_eq!(r.body, json!([]));
        // The other tenant's menus are its own: the demo's queue id is unknown there.
        let r = c
            .send_as(
                Some(&o),
                Method::POST,
                "/apps/api/v1/calls",
                incoming(json!(9002)).to_string(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.body, apps("menu_id 9002 is not found"));
        // And the demo's own ids still answer.
        let r = c
            .send(
                Method::GET,
                &format!("/apps/api/v1/calls/{id}/customer_flag"),
                b"",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = c
            .send(Method::GET, "/apps/api/v1/calls/999/customer_flag", b"")
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
    }
}
