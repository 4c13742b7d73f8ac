//! Frames of the Udesk agent WebSocket (`vendor-notes/udesk.md` §5.2): reading what a client
//! sends, writing REP and EVT frames, and which engine events become which agent events.
//!
//! Everything here is pure, so the wire shapes and the event mapping are unit-tested without a
//! socket. Values Udesk does not publish are marked \[invented\] where they are chosen.

use ccemu_core::agent::{AgentState, CallMode};
use ccemu_core::event::DomainEvent;
use ccemu_core::interaction::{Direction, EndReason, EndedBy, Interaction, TransferStatus};
use ccemu_core::telephony::ExtensionState;
use serde_json::{json, Map, Value};

use crate::error::UdeskError;

/// The protocol version every frame carries.
pub const VER: &str = "1.0";

/// What a REP echoes of the request it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// `SeqId` as the client sent it (`0` if it sent none).
    pub seq_id: Value,
    /// `MsgId` as the client sent it (`""` if it sent none).
    pub msg_id: Value,
    /// `Method` (`""` if there was none to read).
    pub method: String,
}

impl Default for Head {
    fn default() -> Self {
        Self {
            seq_id: json!(0),
            msg_id: json!(""),
            method: String::new(),
        }
    }
}

/// One text frame from the client, as far as it could be read.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A request (`MsgType` `REQ`, or none: the doc's method examples include the header by
    /// reference only, so a missing `MsgType` is read as a request \[inferred\]).
    Req {
        /// What the REP echoes.
        head: Head,
        /// The whole frame, method fields included.
        body: Map<String, Value>,
    },
    /// The client's `ACK` of an event.
    Ack {
        /// The event's `SeqId`, echoed.
        seq_id: Option<u64>,
        /// The event's `MsgId`, echoed.
        msg_id: Option<String>,
    },
    /// A frame that cannot be served: answered by an error REP that echoes what could be read.
    Bad {
        /// What the REP echoes.
        head: Head,
        /// Why.
        error: UdeskError,
    },
}

fn params_invalid() -> UdeskError {
    UdeskError::InvalidParameter(crate::dto::PARAMS_INVALID.into())
}

/// Reads one text frame. Not JSON: `100004 unexpected end of JSON input`, as for an HTTP body;
/// JSON that is not a frame (no object, no `Method`, an unknown `MsgType`): `000001`.
pub fn parse(text: &str) -> Incoming {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Incoming::Bad {
            head: Head::default(),
            error: UdeskError::BadJson,
        };
    };
    let Value::Object(body) = value else {
        return Incoming::Bad {
            head: Head::default(),
            error: params_invalid(),
        };
    };
    let method = body.get("Method").and_then(Value::as_str).unwrap_or("");
    let head = Head {
        seq_id: body.get("SeqId").cloned().unwrap_or(json!(0)),
        msg_id: body.get("MsgId").cloned().unwrap_or(json!("")),
        method: method.to_owned(),
    };
    // A NUL or an overlong string is not kept (PostgreSQL refuses NUL): refused like any bad field.
    if ccemu_core::validate::json_text_problem(text.as_bytes()).is_some() {
        return Incoming::Bad {
            head,
            error: params_invalid(),
        };
    }
    match body.get("MsgType").and_then(Value::as_str) {
        Some("ACK") => Incoming::Ack {
            seq_id: body.get("SeqId").and_then(|v| match v {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }),
            msg_id: body.get("MsgId").and_then(Value::as_str).map(str::to_owned),
        },
        None | Some("REQ") if !method.trim().is_empty() => Incoming::Req { head, body },
        _ => Incoming::Bad {
            head,
            error: params_invalid(),
        },
    }
}

/// A REP: the header with `SeqId`/`MsgId` echoed, then `Method` and the method's fields on
/// success, or the error's `ErrCode`/`ErrDesc` alone.
pub fn rep(head: &Head, now_ms: i64, result: Result<Map<String, Value>, UdeskError>) -> Value {
    let (code, desc, fields) = match result {
        Ok(fields) => ("000000".to_owned(), "OK".to_owned(), fields),
        Err(error) => (
            error.code().to_owned(),
            error.desc().into_owned(),
            Map::new(),
        ),
    };
    let mut frame = json!({
        "Ver": VER,
        "SeqId": head.seq_id,
        "MsgId": head.msg_id,
        "MsgType": "REP",
        "Timestamp": now_ms,
        "ErrCode": code,
        "ErrDesc": desc,
        "Method": head.method,
    });
    if let Value::Object(map) = &mut frame {
        map.extend(fields);
    }
    frame
}

/// An EVT, which the client must ACK; `seq_id` counts the server's own frames from 1.
pub fn evt(
    seq_id: u64,
    msg_id: &str,
    at_ms: i64,
    method: &str,
    fields: Map<String, Value>,
) -> Value {
    let mut frame = json!({
        "Ver": VER,
        "SeqId": seq_id,
        "MsgId": msg_id,
        "MsgType": "EVT",
        "Timestamp": at_ms,
        "Method": method,
    });
    if let Value::Object(map) = &mut frame {
        map.extend(fields);
    }
    frame
}

/// The agent state as the socket names it: `idle`, `busy` and `onBreak` are Udesk's (§4);
/// `offline`, `ringing`, `talking` and `wrapUp` are \[invented\], in the same camel case. The
/// words of the state logs, whose mapping this is, so the two never disagree.
pub fn state_word(state: &AgentState) -> &'static str {
    crate::reports::state_word(state).0
}

/// The state a client asks for with `login` or `setState` (`State`, and `SubState` for a break).
pub fn requested_state(
    state: Option<&str>,
    sub_state: Option<u32>,
) -> Result<AgentState, UdeskError> {
    match state.map(str::trim) {
        None | Some("") | Some("idle") => Ok(AgentState::Available),
        Some("busy") => Ok(AgentState::NotReady { reason: None }),
        Some("onBreak") => Ok(AgentState::OnBreak {
            sub_state: sub_state.unwrap_or(0),
            until_ms: None,
        }),
        Some(_) => Err(params_invalid()),
    }
}

/// `CurExtState`: the words of Udesk's `ExtState` enumeration (§4: 0 idle … 4 invalid).
pub fn ext_state_word(state: ExtensionState) -> &'static str {
    match state {
        ExtensionState::Idle => "idle",
        ExtensionState::Busy => "busy",
        ExtensionState::Online => "online",
        ExtensionState::Offline => "offline",
        ExtensionState::Invalid => "invalid",
    }
}

/// `CallDirection`: `in` or `out` (\[inferred\] from the callback example's `"out"`); a call between
/// agents is `internal` \[invented\].
pub fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "in",
        Direction::Outbound => "out",
        Direction::Internal => "internal",
    }
}

/// The `Reason` of a hang-up: the engine's end reason in snake case (`normal`, `abandoned`,
/// `no_answer`, ...) \[invented\]: Udesk publishes no reason values.
pub fn reason_word(reason: EndReason) -> String {
    match serde_json::to_value(reason) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The customer's number, the relay number, `CallDirection` and `UserData` of a call, as every
/// call event and `getState` carry them. `DestNumberLoc` is always `""`: ccemu has no number
/// location data \[inferred\]. `user_event` picks the `user_data` entry (`[{"evt","data"}]`, as
/// `originatev2` stores it) whose `evt` matches; a plain string is the data of every event.
pub fn call_fields(call: &Interaction, user_event: &str) -> Map<String, Value> {
    let (dest, sp) = match call.direction {
        Direction::Inbound => (&call.from, &call.to),
        Direction::Outbound | Direction::Internal => (&call.to, &call.from),
    };
    let mut fields = Map::new();
    fields.insert("DestNumber".into(), json!(dest));
    fields.insert("DestNumberLoc".into(), json!(""));
    fields.insert("SpNumber".into(), json!(sp));
    fields.insert(
        "CallDirection".into(),
        json!(direction_word(call.direction)),
    );
    fields.insert("UserData".into(), json!(user_data(call, user_event)));
    fields
}

/// The `data` of the call's `user_data` entry for `user_event`, `""` if none.
pub fn user_data(call: &Interaction, user_event: &str) -> String {
    match call.custom_data.get("user_data") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(entries)) => entries
            .iter()
            .find(|e| e.get("evt").and_then(Value::as_str) == Some(user_event))
            .and_then(|e| e.get("data"))
            .map(|d| match d {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// A call event of §5.2 and the `user_data` event name whose data it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEvent {
    /// The agent's phone rings.
    AgentRinging,
    /// The agent picked up.
    AgentAnswered,
    /// The customer's phone rings (outbound).
    UserRinging,
    /// The customer picked up (outbound).
    UserAnswered,
}

impl CallEvent {
    /// The EVT `Method`.
    pub fn method(self) -> &'static str {
        match self {
            Self::AgentRinging => "agentRinging",
            Self::AgentAnswered => "agentAnswered",
            Self::UserRinging => "userRinging",
            Self::UserAnswered => "userAnswered",
        }
    }

    /// The `evt` name of the `user_data` entry it carries (§4's call event names).
    pub fn user_event(self) -> &'static str {
        match self {
            Self::AgentRinging => "agent_ringing",
            Self::AgentAnswered => "agent_answer",
            Self::UserRinging => "user_ringing",
            Self::UserAnswered => "user_answer",
        }
    }
}

/// Which leg of a call hung up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    /// `agnetHangup` (sic: the doc's spelling, which clients match on).
    Agent,
    /// `userHangup`.
    User,
}

impl Leg {
    /// The EVT `Method`.
    pub fn method(self) -> &'static str {
        match self {
            Self::Agent => "agnetHangup",
            Self::User => "userHangup",
        }
    }
}

/// What one engine event means for the agent on a socket.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A call event of the agent's call.
    Call(CallEvent, String),
    /// Legs of the agent's call ended, in this order, with this `Reason`; the call is over for
    /// the agent.
    Hangup {
        /// The call.
        interaction_id: String,
        /// `agnetHangup` / `userHangup`, first the leg that hung up.
        legs: Vec<Leg>,
        /// `Reason`.
        reason: String,
    },
    /// The agent's state changed.
    State {
        /// Before.
        from: AgentState,
        /// After.
        to: AgentState,
    },
    /// The agent's call mode changed.
    CallMode(CallMode),
    /// An extension was bound to the agent (`true`) or one of its extensions released.
    Extension {
        /// The extension number.
        extension_id: String,
        /// Bound now.
        bound: bool,
    },
    /// The seat was deleted: the socket closes.
    SeatDeleted,
}

/// The step `event` means for `agent`, whose announced call (if any) is `call` and whose
/// extensions are `extensions`.
pub fn classify(
    event: &DomainEvent,
    agent: &str,
    call: Option<&str>,
    extensions: &[String],
) -> Option<Step> {
    let mine = |id: &str| call == Some(id);
    let hangup = |id: &str, legs: Vec<Leg>, reason: String| Step::Hangup {
        interaction_id: id.to_owned(),
        legs,
        reason,
    };
    match event {
        DomainEvent::InteractionRinging {
            interaction_id,
            agent_id,
        } if agent_id == agent => Some(Step::Call(CallEvent::AgentRinging, interaction_id.clone())),
        // The ring moved to another agent (ring-all, reassignment): this agent's leg is over.
        DomainEvent::InteractionRinging { interaction_id, .. } if mine(interaction_id) => {
            Some(hangup(interaction_id, vec![Leg::Agent], "no_answer".into()))
        }
        DomainEvent::InteractionAnswered {
            interaction_id,
            agent_id: Some(agent_id),
        } if agent_id == agent => {
            Some(Step::Call(CallEvent::AgentAnswered, interaction_id.clone()))
        }
        DomainEvent::CustomerRinging { interaction_id, .. } if mine(interaction_id) => {
            Some(Step::Call(CallEvent::UserRinging, interaction_id.clone()))
        }
        DomainEvent::CustomerAnswered { interaction_id, .. } if mine(interaction_id) => {
            Some(Step::Call(CallEvent::UserAnswered, interaction_id.clone()))
        }
        DomainEvent::InteractionEnded {
            interaction_id,
            ended_by,
            reason,
        } if mine(interaction_id) => {
            let legs = if *ended_by == EndedBy::Agent {
                vec![Leg::Agent, Leg::User]
            } else {
                vec![Leg::User, Leg::Agent]
            };
            Some(hangup(interaction_id, legs, reason_word(*reason)))
        }
        DomainEvent::InteractionAbandoned { interaction_id, .. } if mine(interaction_id) => {
            Some(hangup(
                interaction_id,
                vec![Leg::User, Leg::Agent],
                reason_word(EndReason::Abandoned),
            ))
        }
        DomainEvent::InteractionFailed {
            interaction_id,
            reason,
        } if mine(interaction_id) => Some(hangup(
            interaction_id,
            vec![Leg::User, Leg::Agent],
            reason_word(*reason),
        )),
        // Handed over: the agent's leg ends, the customer's goes on elsewhere.
        DomainEvent::InteractionTransferred {
            interaction_id,
            status: TransferStatus::Transferring,
            ..
        } if mine(interaction_id) => Some(hangup(
            interaction_id,
            vec![Leg::Agent],
            reason_word(EndReason::TransferredOut),
        )),
        // Back in the queue without a transfer: the agent did not answer in time.
        DomainEvent::InteractionQueued { interaction_id, .. } if mine(interaction_id) => {
            Some(hangup(
                interaction_id,
                vec![Leg::Agent],
                reason_word(EndReason::NoAnswer),
            ))
        }
        DomainEvent::AgentStateChanged { agent_id, from, to } if agent_id == agent => {
            Some(Step::State {
                from: from.clone(),
                to: to.clone(),
            })
        }
        DomainEvent::AgentCallModeChanged { agent_id, to, .. } if agent_id == agent => {
            Some(Step::CallMode(*to))
        }
        DomainEvent::AgentDeleted { agent_id } if agent_id == agent => Some(Step::SeatDeleted),
        // The engine simulates no device registration: a binding is the one change an
        // extension goes through.
        DomainEvent::ExtensionUpdated {
            extension_id,
            agent_id,
        } => match agent_id {
            Some(holder) if holder == agent => Some(Step::Extension {
                extension_id: extension_id.clone(),
                bound: true,
            }),
            _ if extensions.contains(extension_id) => Some(Step::Extension {
                extension_id: extension_id.clone(),
                bound: false,
            }),
            _ => None,
        },
        _ => None,
    }
}

/// The fields of `agentStateChange`: `CurStateSubId` only for a break, as the doc says.
pub fn state_change_fields(from: &AgentState, to: &AgentState) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("CurState".into(), json!(state_word(to)));
    if let AgentState::OnBreak { sub_state, .. } = to {
        fields.insert("CurStateSubId".into(), json!(sub_state));
    }
    fields.insert("OldState".into(), json!(state_word(from)));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccemu_core::interaction::Channel;

    #[test]
    fn a_request_is_read_with_its_header_and_fields() {
        let text = r#"{"Ver":"1.0","UA":"Chrome 62;uvcsdk-js-1.0","SeqId":7,"MsgId":"m-7","MsgType":"REQ","AppId":"a","AgentId":"1001","Timestamp":1511069652789,"Method":"setState","State":"busy"}"#;
        let Incoming::Req { head, body } = parse(text) else {
            panic!("not a request");
        };
        assert_eq!(
            head,
            Head {
                seq_id: json!(7),
                msg_id: json!("m-7"),
                method: "setState".into()
            }
        );
        assert_eq!(body["State"], "busy");
        // Without MsgType it is a request too.
        assert!(matches!(
            parse(r#"{"SeqId":1,"Method":"getState"}"#),
            Incoming::Req { .. }
        ));
    }

    #[test]
    fn an_ack_echoes_seq_id_and_msg_id_in_either_type() {
        assert_eq!(
            parse(
                r#"{"Ver":"1.0","SeqId":3,"MsgId":"e-3","MsgType":"ACK","Timestamp":1,"Method":"agentRinging"}"#
            ),
            Incoming::Ack {
                seq_id: Some(3),
                msg_id: Some("e-3".into())
            }
        );
        assert_eq!(
            parse(r#"{"SeqId":"4","MsgType":"ACK"}"#),
            Incoming::Ack {
                seq_id: Some(4),
                msg_id: None
            }
        );
    }

    #[test]
    fn frames_that_cannot_be_served_are_errors_that_echo_what_could_be_read() {
        let bad_json = Incoming::Bad {
            head: Head::default(),
            error: UdeskError::BadJson,
        };
        for text in ["", "{", "not json", "{\"Method\":"] {
            assert_eq!(parse(text), bad_json, "{text:?}");
        }
        for text in [
            "[1]",
            "42",
            "\"login\"",
            "{}",
            r#"{"Method":""}"#,
            r#"{"Method":7}"#,
            r#"{"MsgType":"REQ","Method":"dialout","DestNumber":"1\u0000"}"#,
        ] {
            let Incoming::Bad { error, .. } = parse(text) else {
                panic!("{text} was accepted");
            };
            assert_eq!(error, params_invalid(), "{text}");
        }
        let Incoming::Bad { head, error } =
            parse(r#"{"SeqId":9,"MsgId":"x","MsgType":"EVT","Method":"agentRinging"}"#)
        else {
            panic!("a client EVT was accepted");
        };
        assert_eq!(error, params_invalid());
        assert_eq!(
            (head.seq_id, head.msg_id, head.method.as_str()),
            (json!(9), json!("x"), "agentRinging")
        );
    }

    #[test]
    fn a_rep_has_the_documented_header_then_the_method_fields() {
        let head = Head {
            seq_id: json!(1),
            msg_id: json!("uuid"),
            method: "dialout".into(),
        };
        let mut fields = Map::new();
        fields.insert("DestNumberLoc".into(), json!(""));
        fields.insert("UserData".into(), json!(""));
        let frame = rep(&head, 1_511_070_594_789, Ok(fields));
        assert_eq!(
            frame,
            json!({"Ver": "1.0", "SeqId": 1, "MsgId": "uuid", "MsgType": "REP",
                   "Timestamp": 1_511_070_594_789_i64, "ErrCode": "000000", "ErrDesc": "OK",
                   "Method": "dialout", "DestNumberLoc": "", "UserData": ""})
        );
        let failed = rep(&Head::default(), 5, Err(UdeskError::BadJson));
        assert_eq!(
            failed,
            json!({"Ver": "1.0", "SeqId": 0, "MsgId": "", "MsgType": "REP", "Timestamp": 5,
                   "ErrCode": "100004", "ErrDesc": "unexpected end of JSON input", "Method": ""})
        );
    }

    #[test]
    fn an_evt_has_the_documented_header_then_the_event_fields() {
        let frame = evt(
            2,
            "m",
            1_511_069_652_789,
            "agentStateChange",
            state_change_fields(
                &AgentState::Available,
                &AgentState::OnBreak {
                    sub_state: 3,
                    until_ms: None,
                },
            ),
        );
        assert_eq!(
            frame,
            json!({"Ver": "1.0", "SeqId": 2, "MsgId": "m", "MsgType": "EVT",
                   "Timestamp": 1_511_069_652_789_i64, "Method": "agentStateChange",
                   "CurState": "onBreak", "CurStateSubId": 3, "OldState": "idle"})
        );
        // CurStateSubId only exists for break states.
        let busy = state_change_fields(
            &AgentState::Available,
            &AgentState::NotReady { reason: None },
        );
        assert_eq!(
            Value::Object(busy),
            json!({"CurState": "busy", "OldState": "idle"})
        );
    }

    #[test]
    fn states_and_requests_use_the_socket_words() {
        assert_eq!(requested_state(None, None), Ok(AgentState::Available));
        assert_eq!(
            requested_state(Some("idle"), Some(4)),
            Ok(AgentState::Available)
        );
        assert_eq!(
            requested_state(Some("busy"), None),
            Ok(AgentState::NotReady { reason: None })
        );
        assert_eq!(
            requested_state(Some("onBreak"), None),
            Ok(AgentState::OnBreak {
                sub_state: 0,
                until_ms: None
            })
        );
        assert_eq!(requested_state(Some("away"), None), Err(params_invalid()));
        let words: Vec<&str> = [
            AgentState::LoggedOut,
            AgentState::Available,
            AgentState::NotReady { reason: None },
            AgentState::OnBreak {
                sub_state: 1,
                until_ms: None,
            },
            AgentState::Reserved,
            AgentState::Ringing,
            AgentState::OnContact,
            AgentState::WrapUp { until_ms: None },
        ]
        .iter()
        .map(state_word)
        .collect();
        assert_eq!(
            words,
            ["offline", "idle", "busy", "onBreak", "ringing", "ringing", "talking", "wrapUp"]
        );
    }

    fn call(direction: Direction) -> Interaction {
        let mut i = Interaction::new("c1", Channel::Voice, direction, 0);
        i.from = "13800000000".into();
        i.to = "057126200670".into();
        i
    }

    #[test]
    fn call_fields_name_the_customer_and_the_relay_number_by_direction() {
        let inbound = call(Direction::Inbound);
        assert_eq!(
            Value::Object(call_fields(&inbound, "agent_ringing")),
            json!({"DestNumber": "13800000000", "DestNumberLoc": "", "SpNumber": "057126200670",
                   "CallDirection": "in", "UserData": ""})
        );
        let mut outbound = call(Direction::Outbound);
        outbound.custom_data.insert(
            "user_data".into(),
            json!([{"evt": "user_answer", "data": "1111111"}, {"evt": "agent_ringing", "data": 7}]),
        );
        let fields = call_fields(&outbound, "user_answer");
        assert_eq!(
            (
                &fields["DestNumber"],
                &fields["SpNumber"],
                &fields["CallDirection"],
                &fields["UserData"]
            ),
            (
                &json!("057126200670"),
                &json!("13800000000"),
                &json!("out"),
                &json!("1111111")
            )
        );
        assert_eq!(user_data(&outbound, "agent_ringing"), "7");
        assert_eq!(user_data(&outbound, "user_ringing"), "");
        outbound
            .custom_data
            .insert("user_data".into(), json!("crm-42"));
        assert_eq!(user_data(&outbound, "agent_answer"), "crm-42");
    }

    #[test]
    fn engine_events_map_onto_the_agents_socket_events() {
        let ringing = DomainEvent::InteractionRinging {
            interaction_id: "c1".into(),
            agent_id: "1001".into(),
        };
        assert_eq!(
            classify(&ringing, "1001", None, &[]),
            Some(Step::Call(CallEvent::AgentRinging, "c1".into()))
        );
        // Another agent's ring is not this agent's business, unless it took this agent's call.
        assert_eq!(classify(&ringing, "1002", None, &[]), None);
        assert_eq!(
            classify(&ringing, "1002", Some("c1"), &[]),
            Some(Step::Hangup {
                interaction_id: "c1".into(),
                legs: vec![Leg::Agent],
                reason: "no_answer".into()
            })
        );
        let answered = DomainEvent::InteractionAnswered {
            interaction_id: "c1".into(),
            agent_id: Some("1001".into()),
        };
        assert_eq!(
            classify(&answered, "1001", Some("c1"), &[]),
            Some(Step::Call(CallEvent::AgentAnswered, "c1".into()))
        );
        let customer = DomainEvent::CustomerAnswered {
            interaction_id: "c1".into(),
            number: "138".into(),
        };
        assert_eq!(
            classify(&customer, "1001", Some("c1"), &[]),
            Some(Step::Call(CallEvent::UserAnswered, "c1".into()))
        );
        assert_eq!(classify(&customer, "1001", Some("c2"), &[]), None);
        for (by, legs) in [
            (EndedBy::Customer, vec![Leg::User, Leg::Agent]),
            (EndedBy::Agent, vec![Leg::Agent, Leg::User]),
        ] {
            let ended = DomainEvent::InteractionEnded {
                interaction_id: "c1".into(),
                ended_by: by,
                reason: EndReason::Normal,
            };
            assert_eq!(
                classify(&ended, "1001", Some("c1"), &[]),
                Some(Step::Hangup {
                    interaction_id: "c1".into(),
                    legs,
                    reason: "normal".into()
                })
            );
            assert_eq!(classify(&ended, "1001", None, &[]), None);
        }
        let requeued = DomainEvent::InteractionQueued {
            interaction_id: "c1".into(),
            queue_id: "9001".into(),
        };
        assert_eq!(
            classify(&requeued, "1001", Some("c1"), &[]),
            Some(Step::Hangup {
                interaction_id: "c1".into(),
                legs: vec![Leg::Agent],
                reason: "no_answer".into()
            })
        );
        let state = DomainEvent::AgentStateChanged {
            agent_id: "1001".into(),
            from: AgentState::LoggedOut,
            to: AgentState::Available,
        };
        assert_eq!(
            classify(&state, "1001", None, &[]),
            Some(Step::State {
                from: AgentState::LoggedOut,
                to: AgentState::Available
            })
        );
        assert_eq!(classify(&state, "10011", None, &[]), None);
        let mode = DomainEvent::AgentCallModeChanged {
            agent_id: "1001".into(),
            from: CallMode::Voip,
            to: CallMode::Cellphone,
            number: Some("13800000000".into()),
        };
        assert_eq!(
            classify(&mode, "1001", None, &[]),
            Some(Step::CallMode(CallMode::Cellphone))
        );
        let deleted = DomainEvent::AgentDeleted {
            agent_id: "1001".into(),
        };
        assert_eq!(
            classify(&deleted, "1001", None, &[]),
            Some(Step::SeatDeleted)
        );
        let bound = DomainEvent::ExtensionUpdated {
            extension_id: "8001".into(),
            agent_id: Some("1001".into()),
        };
        let released = DomainEvent::ExtensionUpdated {
            extension_id: "8001".into(),
            agent_id: None,
        };
        let own = ["8001".to_owned()];
        assert_eq!(
            classify(&bound, "1001", None, &[]),
            Some(Step::Extension {
                extension_id: "8001".into(),
                bound: true
            })
        );
        assert_eq!(classify(&bound, "1002", None, &[]), None);
        // Bound to another seat, an extension this agent held is released from it.
        assert_eq!(
            classify(&bound, "1002", None, &own),
            Some(Step::Extension {
                extension_id: "8001".into(),
                bound: false
            })
        );
        assert_eq!(
            classify(&released, "1001", None, &own),
            Some(Step::Extension {
                extension_id: "8001".into(),
                bound: false
            })
        );
        // Another seat's extension released is none of this agent's business.
        assert_eq!(classify(&released, "1001", None, &[]), None);
    }
}
