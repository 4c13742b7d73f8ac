//! The Udesk agent WebSocket (`vendor-notes/udesk.md` §5.2): the browser toolbar's connection.
//!
//! Udesk does not publish the URL or the handshake; ccemu serves `GET /ccapi/v2/ws` with the
//! front-end signature (`AppId`, `AgentId`, `Timestamp`, `Sign = SHA1(AgentId + AuthToken +
//! Timestamp)`) \[inferred\]. A bad or expired signature, or a seat this app does not have, is
//! refused with the Udesk error before the upgrade. After it, text frames of JSON: the client's
//! `REQ`s are answered by `REP`s in order; the agent's events arrive as `EVT`s, each re-sent at
//! the resend interval until the client `ACK`s it. A frame that cannot be served gets an error
//! `REP`; the socket is never dropped for it.
//!
//! Events come from the engine's live feed ([`Engine::watch`]), so an `EVT` never announces what
//! was not committed. They are forwarded once the socket's `login` succeeded (and the state change
//! of its own `logout`). The server closes the socket with a `disconnect` EVT when the seat is
//! deleted, when the agent is logged out from elsewhere, and when the app or the server stops.

mod frames;

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use ccemu_core::agent::{AgentState, CallMode};
use ccemu_core::event::EventRecord;
use ccemu_core::interaction::{Channel, Direction, EndedBy, Interaction, InteractionState};
use ccemu_core::telephony::ExtensionState;
use ccemu_core::TenantId;
use ccemu_engine::{AgentView, Engine, EventFeed, Op};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tokio::time::Instant;

use crate::auth::Authed;
use crate::dto::{self, Int, Text};
use crate::error::UdeskError;
use crate::sign;
use frames::{CallEvent, Incoming, Leg, Step};

/// How long an un-ACKed EVT waits before it is sent again, by default.
pub const DEFAULT_RESEND: Duration = Duration::from_secs(3);

/// EVTs kept for re-sending per socket; past this a client that never ACKs loses the oldest.
const MAX_UNACKED: usize = 1000;

/// The socket's settings, which the server hands the engine at start-up
/// ([`ccemu_engine::EngineConfig::vendor`]); an engine started without them uses the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketSettings {
    /// How long an un-ACKed EVT waits before it is sent again (real time, not the tenant
    /// clock: it paces a network peer); at least 1 ms.
    resend: Duration,
}

impl SocketSettings {
    /// Settings with this resend interval (1 ms at the least).
    pub fn new(resend: Duration) -> Self {
        Self {
            resend: resend.max(Duration::from_millis(1)),
        }
    }

    /// How long an un-ACKed EVT waits before it is sent again.
    pub fn resend(&self) -> Duration {
        self.resend
    }
}

impl Default for SocketSettings {
    fn default() -> Self {
        Self::new(DEFAULT_RESEND)
    }
}

/// The resend interval of the sockets `engine` serves.
fn resend_interval(engine: &Engine) -> Duration {
    engine
        .vendor_setting::<SocketSettings>()
        .copied()
        .unwrap_or_default()
        .resend
}

fn params_invalid() -> UdeskError {
    UdeskError::InvalidParameter(dto::PARAMS_INVALID.into())
}

/// `GET ws` (§5.2): checks the front-end signature and the seat, then upgrades.
pub async fn agent_websocket(
    auth: Authed,
    State(engine): State<Engine>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let result = async {
        let param = |name: &str| query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        // Authed also takes a server-side Sign over the Sid; the socket is the browser's, so
        // its Sign must be the front-end one over the AgentId.
        let (Some(agent_id), Some(timestamp), Some(given)) =
            (param("AgentId"), param("Timestamp"), param("Sign"))
        else {
            return Err(UdeskError::SignInvalid);
        };
        let now_ms = engine.clock(&auth.tenant.id).await?.now_ms;
        let token = &auth.tenant.credentials.udesk.auth_token;
        sign::verify(agent_id, token, timestamp, given, now_ms)?;
        // Only this app's seats: another app's AgentId is unknown here.
        let seat = engine.agents(&auth.tenant.id, Some(agent_id)).await?;
        if seat.is_empty() {
            return Err(UdeskError::RecordNotFound);
        }
        let upgrade = upgrade.map_err(|rejection| {
            tracing::debug!(%rejection, "udesk ws request without a WebSocket upgrade");
            params_invalid()
        })?;
        // Subscribed before the upgrade, so a failure still answers over HTTP.
        let feed = engine.watch(&auth.tenant.id).await?;
        let session = Session::new(engine.clone(), &auth, agent_id, given);
        Ok(upgrade.on_upgrade(move |socket| session.run(socket, feed)))
    }
    .await;
    let mut response = match result {
        Ok(response) => response,
        Err(error) => dto::fail(&auth, error),
    };
    response.extensions_mut().insert(auth.tenant.id.clone());
    response
}

/// An EVT sent and not yet ACKed.
struct Unacked {
    seq_id: u64,
    text: String,
    sent_at: Instant,
}

/// The call the socket has announced to its agent.
struct Call {
    id: String,
}

/// Why the server closes a socket: the `Reason` of its `disconnect` EVT \[invented\].
#[derive(Debug, Clone, Copy)]
enum Disconnect {
    SeatDeleted,
    LoggedOutElsewhere,
    Stopped,
}

/// One agent's connection.
struct Session {
    engine: Engine,
    tenant: TenantId,
    app_id: String,
    agent_id: String,
    /// The URL's Sign, which `login` must carry as its `Token`.
    token: String,
    logged_in: bool,
    /// Set while this socket's own `logout` runs, so its state change is not taken for a
    /// logout from elsewhere.
    own_logout: bool,
    /// The last state word announced, so calls' internal steps do not repeat a word.
    state_word: &'static str,
    call: Option<Call>,
    /// The seat's extensions, to tell the release of one of them.
    extensions: Vec<String>,
    next_seq: u64,
    unacked: BTreeMap<String, Unacked>,
    resend: Duration,
}

impl Session {
    fn new(engine: Engine, auth: &Authed, agent_id: &str, token: &str) -> Self {
        Self {
            resend: resend_interval(&engine),
            engine,
            tenant: auth.tenant.id.clone(),
            app_id: auth.tenant.credentials.udesk.app_id.clone(),
            agent_id: agent_id.to_owned(),
            token: token.to_owned(),
            logged_in: false,
            own_logout: false,
            state_word: "offline",
            call: None,
            extensions: Vec::new(),
            next_seq: 1,
            unacked: BTreeMap::new(),
        }
    }

    async fn run(mut self, mut socket: WebSocket, mut feed: EventFeed) {
        let tick = (self.resend / 4).max(Duration::from_millis(10));
        let mut resend = tokio::time::interval(tick);
        resend.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let reason = loop {
            tokio::select! {
                message = socket.recv() => {
                    let text = match message {
                        Some(Ok(Message::Text(text))) => text.as_str().to_owned(),
                        // Binary frames carry no JSON text: answered like a body that is not JSON.
                        Some(Ok(Message::Binary(_))) => String::new(),
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
                    };
                    match self.on_frame(&text).await {
                        Ok(Some(reply)) => {
                            if socket.send(Message::text(reply.to_string())).await.is_err() {
                                break None;
                            }
                        }
                        Ok(None) => {}
                        Err(reason) => break Some(reason),
                    }
                }
                event = feed.next() => {
                    let record = match event {
                        Ok(Some(record)) => record,
                        Ok(None) => break Some(Disconnect::Stopped),
                        Err(error) => {
                            tracing::error!(%error, tenant.id = %self.tenant, "udesk ws lost its event feed");
                            break Some(Disconnect::Stopped);
                        }
                    };
                    match self.on_event(&record).await {
                        Ok(frames) => {
                            if !self.send_all(&mut socket, frames).await {
                                break None;
                            }
                        }
                        Err((frames, reason)) => {
                            if !self.send_all(&mut socket, frames).await {
                                break None;
                            }
                            break Some(reason);
                        }
                    }
                }
                _ = resend.tick() => {
                    if !self.resend_due(&mut socket).await {
                        break None;
                    }
                }
            }
        };
        if let Some(reason) = reason {
            self.disconnect(&mut socket, reason).await;
        }
    }

    /// Sends EVT frames, keeping each for re-sending until ACKed; false if the socket is gone.
    async fn send_all(&mut self, socket: &mut WebSocket, frames: Vec<(String, Value)>) -> bool {
        for (msg_id, frame) in frames {
            let text = frame.to_string();
            if socket.send(Message::text(text.clone())).await.is_err() {
                return false;
            }
            let seq_id = frame["SeqId"].as_u64().unwrap_or_default();
            if self.unacked.len() >= MAX_UNACKED {
                let oldest = self
                    .unacked
                    .iter()
                    .min_by_key(|(_, u)| u.seq_id)
                    .map(|(id, _)| id.clone());
                if let Some(oldest) = oldest {
                    tracing::warn!(tenant.id = %self.tenant, agent.id = %self.agent_id, "udesk ws client never ACKs; dropping its oldest EVT");
                    self.unacked.remove(&oldest);
                }
            }
            let sent_at = Instant::now();
            self.unacked.insert(
                msg_id,
                Unacked {
                    seq_id,
                    text,
                    sent_at,
                },
            );
        }
        true
    }

    /// Re-sends, oldest first, every EVT that waited the resend interval for its ACK.
    async fn resend_due(&mut self, socket: &mut WebSocket) -> bool {
        let now = Instant::now();
        let mut due: Vec<(u64, &mut Unacked)> = self
            .unacked
            .values_mut()
            .filter(|u| now.duration_since(u.sent_at) >= self.resend)
            .map(|u| (u.seq_id, u))
            .collect();
        due.sort_by_key(|(seq, _)| *seq);
        for (_, unacked) in due {
            if socket
                .send(Message::text(unacked.text.clone()))
                .await
                .is_err()
            {
                return false;
            }
            unacked.sent_at = now;
        }
        true
    }

    /// Sends the `disconnect` EVT and closes; no ACK is awaited, the socket is going.
    async fn disconnect(&mut self, socket: &mut WebSocket, reason: Disconnect) {
        let reason = match reason {
            Disconnect::SeatDeleted => "seat deleted",
            Disconnect::LoggedOutElsewhere => "logged out elsewhere",
            Disconnect::Stopped if self.engine.is_stopping() => "server shutting down",
            Disconnect::Stopped if self.engine.tenant(&self.tenant).is_err() => "app deleted",
            Disconnect::Stopped => "internal error",
        };
        let now_ms = self.now_ms().await;
        let (_, frame) = self.evt(now_ms, "disconnect", fields([("Reason", json!(reason))]));
        let _ = socket.send(Message::text(frame.to_string())).await;
        let _ = socket
            .send(Message::Close(Some(CloseFrame {
                code: 1000,
                reason: reason.into(),
            })))
            .await;
        // The closing handshake: read on until the client's Close, so that frames it sent
        // meanwhile (ACKs) are not left unread, which would reset the connection under the
        // frames just sent. A client that never answers is let go after a while.
        let drain = async {
            while let Some(Ok(message)) = socket.recv().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
    }

    /// The tenant's time, for REP timestamps; the wall clock if the tenant is gone.
    async fn now_ms(&self) -> i64 {
        match self.engine.clock(&self.tenant).await {
            Ok(clock) => clock.now_ms,
            Err(_) => ccemu_engine::wall_ms(),
        }
    }

    /// A new EVT with the next SeqId and a fresh MsgId.
    fn evt(&mut self, at_ms: i64, method: &str, fields: Map<String, Value>) -> (String, Value) {
        let msg_id = uuid::Uuid::new_v4().to_string();
        let seq_id = self.next_seq;
        self.next_seq += 1;
        let frame = frames::evt(seq_id, &msg_id, at_ms, method, fields);
        (msg_id, frame)
    }

    /// Handles one text frame: the REP to send, if any (an ACK gets none); `Err` closes the
    /// socket (never for a client's mistake).
    async fn on_frame(&mut self, text: &str) -> Result<Option<Value>, Disconnect> {
        let (head, result) = match frames::parse(text) {
            Incoming::Ack { seq_id, msg_id } => {
                let by_msg = msg_id.and_then(|id| self.unacked.remove(&id));
                if by_msg.is_none() {
                    if let Some(seq) = seq_id {
                        self.unacked.retain(|_, u| u.seq_id != seq);
                    }
                }
                return Ok(None);
            }
            Incoming::Bad { head, error } => (head, Err(error)),
            Incoming::Req { head, body } => {
                let result = self.request(&head.method, &body).await;
                (head, result)
            }
        };
        let now_ms = self.now_ms().await;
        Ok(Some(frames::rep(&head, now_ms, result)))
    }

    /// Serves one request: the REP's method fields.
    async fn request(
        &mut self,
        method: &str,
        body: &Map<String, Value>,
    ) -> Result<Map<String, Value>, UdeskError> {
        let header: Header = fields_of(body)?;
        // A frame may name its app and agent; it may not name others than the socket's.
        let names_other = |given: &Option<Text>, own: &str| {
            given
                .as_ref()
                .is_some_and(|t| !t.0.trim().is_empty() && t.0.trim() != own)
        };
        if names_other(&header.app_id, &self.app_id)
            || names_other(&header.agent_id, &self.agent_id)
        {
            return Err(params_invalid());
        }
        if method != "login" && !is_known(method) {
            return Err(UdeskError::UnknownApi);
        }
        if method != "login" && !self.logged_in {
            // Udesk documents no code for it: 000001 with the text `agent/login`'s refusals use.
            return Err(UdeskError::InvalidParameter("AgentNotLogin".into()));
        }
        match method {
            "login" => self.login(body).await,
            "logout" => self.logout().await,
            "setState" => self.set_state(body).await,
            "getState" => self.get_state().await,
            "hangup" => self.hangup().await,
            "setCallMode" => self.set_call_mode(body).await,
            "dialout" => self.dialout(body).await,
            _ => Err(UdeskError::UnknownApi),
        }
    }

    async fn seat(&self) -> Result<AgentView, UdeskError> {
        let mut views = self
            .engine
            .agents(&self.tenant, Some(&self.agent_id))
            .await?;
        views.pop().ok_or(UdeskError::RecordNotFound)
    }

    /// Runs an op; refusals read as `agent/login`, `originatev2` and the other seat calls
    /// answer them (`AgentBusy`, `CallModeInvalid`, ...).
    async fn execute(&self, op: Op) -> Result<(), UdeskError> {
        self.engine
            .execute(&self.tenant, op)
            .await
            .map_err(crate::calls::refused)?;
        Ok(())
    }

    /// `login`: `Token` must be the URL's Sign; the seat becomes `State` (default `idle`). A
    /// seat already logged in and on a call (a reconnecting browser) keeps its state \[inferred\].
    async fn login(&mut self, body: &Map<String, Value>) -> Result<Map<String, Value>, UdeskError> {
        let req: StateReq = fields_of(body)?;
        let token = req.token.map(|t| t.0).unwrap_or_default();
        if !token.trim().eq_ignore_ascii_case(&self.token) {
            return Err(UdeskError::SignInvalid);
        }
        let to = frames::requested_state(
            req.state.as_ref().map(|t| t.0.as_str()),
            req.sub_state.map(|s| s.0),
        )?;
        let seat = self.seat().await?;
        let current = &seat.agent.state;
        if !self.logged_in {
            self.state_word = frames::state_word(current);
            self.extensions = seat.extensions.iter().map(|e| e.id.clone()).collect();
        }
        if *current != to && !on_call(current) {
            self.execute(Op::SetAgentState {
                agent_id: self.agent_id.clone(),
                state: to,
            })
            .await?;
        }
        self.logged_in = true;
        Ok(Map::new())
    }

    /// `logout`: the seat goes offline; the socket stays open and may log in again.
    async fn logout(&mut self) -> Result<Map<String, Value>, UdeskError> {
        let seat = self.seat().await?;
        if seat.agent.state != AgentState::LoggedOut {
            self.own_logout = true;
            let result = self
                .execute(Op::SetAgentState {
                    agent_id: self.agent_id.clone(),
                    state: AgentState::LoggedOut,
                })
                .await;
            if result.is_err() {
                self.own_logout = false;
            }
            result?;
        }
        self.logged_in = false;
        Ok(Map::new())
    }

    /// `setState`: `busy` is not ready, `idle` available, `onBreak` a break with `SubState`.
    /// Refused while a call rings or talks \[inferred\]: the engine would take the agent off it.
    async fn set_state(
        &mut self,
        body: &Map<String, Value>,
    ) -> Result<Map<String, Value>, UdeskError> {
        let req: StateReq = fields_of(body)?;
        let Some(state) = req.state.filter(|s| !s.0.trim().is_empty()) else {
            return Err(params_invalid());
        };
        let to = frames::requested_state(Some(&state.0), req.sub_state.map(|s| s.0))?;
        let seat = self.seat().await?;
        if on_call(&seat.agent.state) {
            return Err(UdeskError::InvalidParameter("AgentBusy".into()));
        }
        if seat.agent.state != to {
            self.execute(Op::SetAgentState {
                agent_id: self.agent_id.clone(),
                state: to,
            })
            .await?;
        }
        Ok(Map::new())
    }

    /// `getState`: the state, since when, the call mode and the extension's state; on a call
    /// also the call's numbers, direction and user data.
    async fn get_state(&mut self) -> Result<Map<String, Value>, UdeskError> {
        let seat = self.seat().await?;
        let agent = &seat.agent;
        let ext = seat
            .extensions
            .first()
            .map_or(ExtensionState::Offline, |e| e.state);
        let mut out = fields([
            ("CurState", json!(frames::state_word(&agent.state))),
            ("StartTime", json!(agent.state_since_ms)),
            ("CurMode", json!(crate::reports::mode_word(agent.call_mode))),
            ("CurExtState", json!(frames::ext_state_word(ext))),
        ]);
        if let Some(call) = self.current_call().await? {
            // The data of the call's latest step: the customer's answer once connected.
            let step = match call.state {
                InteractionState::Ringing => CallEvent::AgentRinging,
                _ if call.direction == Direction::Outbound => CallEvent::UserAnswered,
                _ => CallEvent::AgentAnswered,
            };
            out.extend(frames::call_fields(&call, step.user_event()));
        }
        Ok(out)
    }

    /// `hangup`: ends the agent's call; a ringing inbound call is refused instead, back to its
    /// queue for the next agent. Without a call: `000004 Data does not exist`.
    async fn hangup(&mut self) -> Result<Map<String, Value>, UdeskError> {
        let call = self.current_call().await?.ok_or(UdeskError::DataNotFound)?;
        let op = if call.state == InteractionState::Ringing && call.direction == Direction::Inbound
        {
            Op::Reject {
                agent_id: self.agent_id.clone(),
                interaction_id: Some(call.id),
            }
        } else {
            Op::Hangup {
                interaction_id: call.id,
                by: EndedBy::Agent,
            }
        };
        self.execute(op).await?;
        Ok(Map::new())
    }

    /// `setCallMode`: `Contact` `voip` or `cellphone` (the seat's mobile number). `UserData` is
    /// accepted and not kept: nothing documented reads it back.
    async fn set_call_mode(
        &mut self,
        body: &Map<String, Value>,
    ) -> Result<Map<String, Value>, UdeskError> {
        let req: CallModeReq = fields_of(body)?;
        let mode = match req.contact.as_ref().map(|t| t.0.trim()) {
            Some("voip") => CallMode::Voip,
            Some("cellphone") => CallMode::Cellphone,
            _ => return Err(params_invalid()),
        };
        self.execute(Op::SetCallMode {
            agent_id: self.agent_id.clone(),
            mode,
            number: None,
        })
        .await?;
        Ok(Map::new())
    }

    /// `dialout`: the agent calls `DestNumber` from `SpNumber` (else the seat's or the app's
    /// default number). `UserData`, one string, is kept as the data of every call event, in the
    /// `user_data` shape `originatev2` uses, so callbacks and EVTs carry it alike.
    async fn dialout(
        &mut self,
        body: &Map<String, Value>,
    ) -> Result<Map<String, Value>, UdeskError> {
        let req: DialoutReq = fields_of(body)?;
        let to = dto::required(req.dest_number)?;
        let from = req
            .sp_number
            .map(|t| t.0.trim().to_owned())
            .filter(|n| !n.is_empty());
        let user_data = req.user_data.map(|t| t.0).unwrap_or_default();
        let mut custom_data = BTreeMap::new();
        if !user_data.is_empty() {
            let entries: Vec<Value> = DIALOUT_USER_DATA_EVENTS
                .iter()
                .map(|evt| json!({"evt": evt, "data": user_data}))
                .collect();
            custom_data.insert("user_data".to_owned(), Value::Array(entries));
        }
        self.execute(Op::Originate {
            agent_id: self.agent_id.clone(),
            to,
            from,
            custom_data,
        })
        .await?;
        Ok(fields([
            ("DestNumberLoc", json!("")),
            ("UserData", json!(user_data)),
        ]))
    }

    /// The agent's open call: the one announced on this socket, else any that rings for or
    /// connects the agent (a socket opened mid-call).
    async fn current_call(&self) -> Result<Option<Interaction>, UdeskError> {
        let open = |i: &Interaction| {
            i.agent_id.as_deref() == Some(self.agent_id.as_str())
                && matches!(
                    i.state,
                    InteractionState::Ringing
                        | InteractionState::Connected
                        | InteractionState::Held
                )
        };
        if let Some(call) = &self.call {
            let found = self.engine.interaction(&self.tenant, &call.id).await?;
            if let Some(found) = found.filter(|i| open(i)) {
                return Ok(Some(found));
            }
        }
        // Open calls are in the live working set: no history is read.
        let all = self.engine.open_interactions(&self.tenant).await?;
        Ok(all
            .into_iter()
            .filter(|i| open(i) && i.channel == Channel::Voice)
            .max_by_key(|i| i.state_since_ms))
    }

    /// The EVTs one engine event makes for this agent; `Err` when the socket must close after
    /// sending them.
    async fn on_event(
        &mut self,
        record: &EventRecord,
    ) -> Result<Vec<(String, Value)>, (Vec<(String, Value)>, Disconnect)> {
        let call = self.call.as_ref().map(|c| c.id.as_str());
        let Some(step) = frames::classify(&record.event, &self.agent_id, call, &self.extensions)
        else {
            return Ok(Vec::new());
        };
        let at = record.at_ms;
        match step {
            Step::SeatDeleted => Err((Vec::new(), Disconnect::SeatDeleted)),
            Step::State { from, to } => {
                let own_logout =
                    to == AgentState::LoggedOut && std::mem::take(&mut self.own_logout);
                if !self.logged_in && !own_logout {
                    return Ok(Vec::new());
                }
                let word = frames::state_word(&to);
                let mut out = Vec::new();
                // Calls' internal steps (reserved → ringing) keep the word: nothing to announce.
                let break_changed = matches!(
                    (&from, &to),
                    (AgentState::OnBreak { sub_state: a, .. }, AgentState::OnBreak { sub_state: b, .. }) if a != b
                );
                if word != self.state_word || break_changed {
                    out.push(self.evt(
                        at,
                        "agentStateChange",
                        frames::state_change_fields(&from, &to),
                    ));
                    self.state_word = word;
                }
                if to == AgentState::LoggedOut && !own_logout {
                    self.logged_in = false;
                    return Err((out, Disconnect::LoggedOutElsewhere));
                }
                Ok(out)
            }
            _ if !self.logged_in => Ok(Vec::new()),
            Step::Extension {
                extension_id,
                bound,
            } => {
                if bound {
                    if !self.extensions.contains(&extension_id) {
                        self.extensions.push(extension_id.clone());
                    }
                } else {
                    self.extensions.retain(|e| *e != extension_id);
                }
                let state = match self.engine.extensions(&self.tenant).await {
                    Ok(all) => all
                        .into_iter()
                        .find(|e| e.id == extension_id)
                        .map_or(ExtensionState::Offline, |e| e.state),
                    Err(_) => ExtensionState::Offline,
                };
                // A binding leaves the device's state as it was: both sides carry it, and the
                // `Reason` says what happened [invented], as the ext_state callback does.
                let word = frames::ext_state_word(state);
                let reason = if bound { "bind" } else { "unbind" };
                Ok(vec![self.evt(
                    at,
                    "extensionStateChange",
                    fields([
                        ("CurState", json!(word)),
                        ("OldState", json!(word)),
                        ("Reason", json!(reason)),
                    ]),
                )])
            }
            Step::CallMode(mode) => Ok(vec![self.evt(
                at,
                "agentCallModeChange",
                fields([("CurContact", json!(crate::reports::mode_word(mode)))]),
            )]),
            Step::Call(event, interaction_id) => {
                // Chats and errands offered to the seat are not the toolbar's calls.
                let voice = |i: &Interaction| i.channel == Channel::Voice;
                let Some(call) = self.call_record(&interaction_id).await.filter(voice) else {
                    return Ok(Vec::new());
                };
                self.call = Some(Call { id: interaction_id });
                let mut fields = Map::new();
                fields.insert("AgentNumber".into(), json!(self.agent_number().await));
                fields.extend(frames::call_fields(&call, event.user_event()));
                Ok(vec![self.evt(at, event.method(), fields)])
            }
            Step::Hangup { legs, reason, .. } => {
                self.call = None;
                Ok(legs
                    .into_iter()
                    .map(|leg: Leg| self.evt(at, leg.method(), fields([("Reason", json!(reason))])))
                    .collect())
            }
        }
    }

    async fn call_record(&self, interaction_id: &str) -> Option<Interaction> {
        match self.engine.interaction(&self.tenant, interaction_id).await {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(%error, tenant.id = %self.tenant, "udesk ws could not read a call");
                None
            }
        }
    }

    /// `AgentNumber`: where the call reaches the agent, the mobile number in `cellphone` mode,
    /// else the extension's SIP number (company prefix + extension, §4).
    async fn agent_number(&self) -> String {
        let Ok(seat) = self.seat().await else {
            return String::new();
        };
        match seat.agent.call_mode {
            CallMode::Cellphone => seat.agent.phone,
            CallMode::Voip => seat
                .extensions
                .first()
                .map(|e| {
                    if e.number.is_empty() {
                        e.id.clone()
                    } else {
                        e.number.clone()
                    }
                })
                .unwrap_or_default(),
        }
    }
}

/// The `user_data` events a `dialout`'s `UserData` is attached to: the call events of §4 that
/// an agent's outbound call goes through.
const DIALOUT_USER_DATA_EVENTS: &[&str] = &[
    "begin",
    "agent_ringing",
    "agent_answer",
    "user_ringing",
    "user_answer",
    "agent_hangup",
    "user_hangup",
    "end",
];

/// The request methods of §5.2.
fn is_known(method: &str) -> bool {
    matches!(
        method,
        "login" | "logout" | "setState" | "hangup" | "setCallMode" | "dialout" | "getState"
    )
}

/// Whether the agent is taken by a call the engine runs (`setState` would take it off).
fn on_call(state: &AgentState) -> bool {
    matches!(
        state,
        AgentState::Reserved | AgentState::Ringing | AgentState::OnContact
    )
}

fn fields<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Reads a request's fields; the wrong shape is `000001`, as for an HTTP body.
fn fields_of<T: DeserializeOwned>(body: &Map<String, Value>) -> Result<T, UdeskError> {
    serde_json::from_value(Value::Object(body.clone())).map_err(|error| {
        tracing::debug!(%error, "udesk ws request has the wrong shape");
        params_invalid()
    })
}

/// The header fields a request may name.
#[derive(Debug, Deserialize)]
struct Header {
    #[serde(rename = "AppId")]
    app_id: Option<Text>,
    #[serde(rename = "AgentId")]
    agent_id: Option<Text>,
}

/// `login` and `setState`.
#[derive(Debug, Deserialize)]
struct StateReq {
    #[serde(rename = "Token")]
    token: Option<Text>,
    #[serde(rename = "State")]
    state: Option<Text>,
    #[serde(rename = "SubState")]
    sub_state: Option<Int>,
}

/// `setCallMode`.
#[derive(Debug, Deserialize)]
struct CallModeReq {
    #[serde(rename = "Contact")]
    contact: Option<Text>,
}

/// `dialout`.
#[derive(Debug, Deserialize)]
struct DialoutReq {
    #[serde(rename = "DestNumber")]
    dest_number: Option<Text>,
    #[serde(rename = "SpNumber")]
    sp_number: Option<Text>,
    #[serde(rename = "UserData")]
    user_data: Option<Text>,
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use ccemu_engine::wall_ms;

    use crate::routes::tests::{ctx, err_code, Ctx};
    use crate::sign;

    fn ws_uri(app: &str, agent: &str, token: &str, ts: &str) -> String {
        let sign = sign::sign(agent, token, ts);
        format!("/ccapi/v2/ws?AppId={app}&AgentId={agent}&Timestamp={ts}&Sign={sign}")
    }

    fn now_s() -> String {
        (wall_ms() / 1000).to_string()
    }

    async fn get(cx: &Ctx, uri: &str) -> (StatusCode, serde_json::Value) {
        cx.send_raw(Method::GET, uri, b"").await
    }

    #[tokio::test]
    async fn the_resend_interval_is_the_engines_setting_not_the_process() {
        use ccemu_engine::{Engine, EngineConfig};
        use std::time::Duration;
        let cx = ctx().await;
        assert_eq!(super::resend_interval(&cx.engine), super::DEFAULT_RESEND);
        let db = ccemu_store::testing::TestDb::new().await;
        let store = ccemu_store::Store::connect(&db.url).await.unwrap();
        let mut config = EngineConfig::default();
        config
            .vendor
            .insert(super::SocketSettings::new(Duration::from_millis(40)));
        let tuned = Engine::start(store, config).await.unwrap();
        assert_eq!(super::resend_interval(&tuned), Duration::from_millis(40));
        // The other engine in this process keeps its own.
        assert_eq!(super::resend_interval(&cx.engine), super::DEFAULT_RESEND);
        assert_eq!(
            super::SocketSettings::new(Duration::ZERO).resend(),
            Duration::from_millis(1)
        );
        tuned.shutdown().await;
    }

    #[tokio::test]
    async fn the_handshake_checks_the_front_end_sign_and_the_seat_before_the_upgrade() {
        let cx = ctx().await;
        let u = &cx.udesk;
        let sign_invalid = (StatusCode::UNAUTHORIZED, err_code("000001", "Sign invalid"));
        let good = ws_uri(&u.app_id, "1001", &u.auth_token, &now_s());
        assert_eq!(
            get(&cx, &good.replace("Sign=", "Sign=f")).await,
            sign_invalid
        );
        let stale = (wall_ms() / 1000 - 11 * 60).to_string();
        assert_eq!(
            get(&cx, &ws_uri(&u.app_id, "1001", &u.auth_token, &stale)).await,
            sign_invalid
        );
        assert_eq!(
            get(&cx, &ws_uri(&u.app_id, "1001", "wrong-token", &now_s())).await,
            sign_invalid
        );
        // A server-side signature over the Sid passes Authed, but the socket is the browser's.
        let ts = now_s();
        let server_side = format!(
            "/ccapi/v2/ws?AppId={}&Sid={}&AgentId=1001&Timestamp={ts}&Sign={}",
            u.app_id,
            u.sid,
            sign::sign(&u.sid, &u.auth_token, &ts)
        );
        assert_eq!(get(&cx, &server_side).await, sign_invalid);
        assert_eq!(
            get(&cx, &ws_uri(&u.app_id, "4242", &u.auth_token, &now_s())).await,
            (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"))
        );
        // A seat of another app is unknown to this one, even signed with that app's own token.
        let other = cx.engine.create_tenant(Some("Other".into())).await.unwrap();
        let v = &other.credentials.udesk;
        assert_eq!(
            get(&cx, &ws_uri(&v.app_id, "1001", &v.auth_token, &now_s())).await,
            (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"))
        );
        assert_eq!(
            get(&cx, &ws_uri(&v.app_id, "1001", &u.auth_token, &now_s())).await,
            sign_invalid
        );
        // Everything right but no upgrade: a parameter error.
        assert_eq!(
            get(&cx, &good).await,
            (StatusCode::BAD_REQUEST, err_code("000001", "ParamsInvalid"))
        );
    }
}
