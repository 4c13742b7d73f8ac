//! Udesk event callbacks (`vendor-notes/udesk.md` §5.1): the domain events a Udesk subscription
//! asks for, POSTed to its callback URL through the engine's durable outbox.
//!
//! Every callback is `POST {callback}?Timestamp=..&AppId=..&Sign=..` with
//! `Sign = hex(SHA1(AppId + Secret + Timestamp))`, `Timestamp` in UTC seconds of the wall clock
//! when the request is sent (the receiver checks it against its own clock, whatever the tenant's
//! clock says) and `Secret` the app's (`credentials.udesk.app_secret`). The outbox stores the bare
//! callback URL, which keeps one subscription's callbacks in one ordered line, and the query is
//! signed afresh before every attempt ([`Notifier::prepare`]), so a retry is never stale. Udesk publishes no
//! callback bodies: every body here is **invented** (the shapes the note marks \[inferred\]),
//! `Content-Type: application/json`. The outbox sends each subscription's callbacks once, in
//! commit order, retrying a receiver that is down (Udesk documents no retries; losing callbacks
//! would make tests flaky for nothing).
//!
//! Only voice interactions make call events: Udesk CTI is a call center, and a chat routed by
//! the same tenant means nothing to a ccapi client.

use ccemu_core::event::{DomainEvent, EventRecord};
use ccemu_core::interaction::{Channel, Direction, EndedBy, Interaction, TransferStatus};
use ccemu_core::telephony::ExtensionState;
use ccemu_core::{Subscription, Tenant};
use ccemu_engine::{Notification, Notifier, View};
use serde_json::{json, Value};

// One mapping of seat states to words for callbacks, state logs and the agent socket.
use crate::reports::state_word;
use crate::sign;

/// The surface name of Udesk subscriptions (`subscriptions` and `webhooks/events`).
pub const SURFACE: &str = "udesk";

/// The `call` category's event names (§4), in the doc's order.
pub const CALL_EVENTS: &[&str] = &[
    "agent_breakout",
    "agent_interrupt",
    "asr_gather_fail",
    "asr_gather_succ",
    "begin",
    "call_notes",
    "consult_fail",
    "consult_succ",
    "dtmf_gather_fail",
    "dtmf_gather_succ",
    "eavesdrop_fail",
    "eavesdrop_succ",
    "end",
    "end_consult_fail",
    "end_consult_succ",
    "enqueue_succ",
    "extern_succ",
    "general_hangup",
    "hangup_cause",
    "hold_call",
    "play_fail",
    "play_succ",
    "record_stop",
    "start_dialout",
    "start_ivr",
    "substitute_fail",
    "substitute_succ",
    "three_way_fail",
    "three_way_succ",
    "transfer_agent_fail",
    "transfer_agent_succ",
    "user_answer",
    "user_hangup",
    "user_ringing",
    "voice_mail_fail",
    "voice_mail_succ",
];

/// Call events that the `subscriptions` example and `user_data` use but the category list
/// lacks; accepted wherever a call event is.
pub const EXTRA_CALL_EVENTS: &[&str] = &["agent_ringing", "agent_answer", "agent_hangup"];

/// The `webhooks/events` categories and the one event of each non-call category (§4).
pub const CATEGORIES: &[(&str, &[&str])] = &[
    ("agent_state", &["acd_agent_state"]),
    ("ext_state", &["ext_state"]),
    ("agent_call_mode", &["agent_call_mode_change"]),
    ("call", CALL_EVENTS),
];

/// Every event ccemu sends a callback for; the others are accepted in subscriptions and never
/// sent (listed in `docs/coverage.md`).
pub const EMITTED: &[&str] = &[
    "begin",
    "start_dialout",
    "enqueue_succ",
    "agent_ringing",
    "agent_answer",
    "user_ringing",
    "user_answer",
    "hold_call",
    "transfer_agent_succ",
    "transfer_agent_fail",
    "user_hangup",
    "agent_hangup",
    "general_hangup",
    "end",
    "acd_agent_state",
    "ext_state",
    "agent_call_mode_change",
];

/// Whether `name` is a Udesk event a subscription may ask for.
pub fn is_event(name: &str) -> bool {
    EXTRA_CALL_EVENTS.contains(&name) || CATEGORIES.iter().any(|(_, events)| events.contains(&name))
}

/// Whether `name` belongs to `category` of `webhooks/events` (the extra call names count as
/// `call`).
pub fn in_category(category: &str, name: &str) -> bool {
    (category == "call" && EXTRA_CALL_EVENTS.contains(&name))
        || CATEGORIES
            .iter()
            .any(|(c, events)| *c == category && events.contains(&name))
}

/// The callback URL of the app subscription while the app has no `CallbackUrl`: a reserved
/// `.invalid` host (RFC 2606) that is never called, since [`UdeskCallbacks`] skips it.
pub const NO_CALLBACK_URL: &str = "http://callback-url-not-set.invalid/";

/// Posts Udesk callbacks for the tenant's `udesk` subscriptions.
#[derive(Debug, Default)]
pub struct UdeskCallbacks;

/// Which agent a call callback names.
#[derive(Clone, Copy)]
enum Who<'e> {
    /// The one the event names (none: `""`): the view shows the call after the whole command,
    /// when a call that has just begun may already be routed to someone.
    Event(Option<&'e str>),
    /// The call's agent at commit (hold, hang-up, the customer leg of an agent's own call).
    Call,
}

/// One callback an event causes: its Udesk name and its body.
struct Callback {
    name: &'static str,
    body: Value,
}

impl Notifier for UdeskCallbacks {
    fn notify(
        &self,
        tenant: &Tenant,
        subscriptions: &[Subscription],
        view: &View<'_>,
        event: &EventRecord,
        out: &mut Vec<Notification>,
    ) {
        // An auto-dialing task that used up its numbers tells the CRM (`cc_ad_task/stop`).
        out.extend(crate::adtasks::stop_notice(tenant, subscriptions, event));
        let live = |s: &&Subscription| {
            s.surface == SURFACE
                && s.enabled
                && !s.events.is_empty()
                && s.callback_url != NO_CALLBACK_URL
        };
        if !subscriptions.iter().any(|s| live(&s)) {
            return;
        }
        let callbacks = translate(&tenant.credentials.udesk.app_id, event, view);
        if callbacks.is_empty() {
            return;
        }
        for callback in &callbacks {
            let body = callback.body.to_string();
            // Udesk's `events` is an explicit list: unlike ccemu's own subscriptions, an empty
            // one wants nothing (a `DELETE webhooks/events` leaves it so).
            for sub in subscriptions
                .iter()
                .filter(live)
                .filter(|s| s.events.iter().any(|e| e == callback.name))
            {
                out.push(Notification {
                    source: SURFACE.to_owned(),
                    event_seq: Some(event.seq),
                    url: sub.callback_url.clone(),
                    method: "POST".to_owned(),
                    headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
                    body: body.clone(),
                });
            }
        }
    }

    fn prepare(&self, tenant: &Tenant, notification: &mut Notification) {
        // Requests that carry their own signature (the dialer's CRM calls) are left as made.
        let signed = notification
            .url
            .split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|p| p.starts_with("Sign=")));
        if notification.source != SURFACE || signed {
            return;
        }
        let udesk = &tenant.credentials.udesk;
        let query = sign::callback_query(&udesk.app_id, &udesk.app_secret, ccemu_engine::wall_ms())
            .map(|(k, v)| format!("{k}={v}"))
            .join("&");
        let sep = if notification.url.contains('?') {
            '&'
        } else {
            '?'
        };
        notification.url = format!("{}{sep}{query}", notification.url);
    }
}

/// The Udesk callbacks one domain event causes, in the order they are sent.
fn translate(app_id: &str, record: &EventRecord, view: &View<'_>) -> Vec<Callback> {
    let at = record.at_ms;
    let call = |names: &[&'static str], interaction_id: &str, who: Who<'_>| {
        let Some(i) = view.interaction(interaction_id) else {
            return Vec::new();
        };
        if i.channel != Channel::Voice {
            return Vec::new();
        }
        names
            .iter()
            .map(|&name| Callback {
                name,
                body: call_body(app_id, name, &i, who, at),
            })
            .collect()
    };
    match &record.event {
        DomainEvent::InteractionCreated {
            interaction_id,
            agent_id,
            ..
        } => call(&["begin"], interaction_id, Who::Event(agent_id.as_deref())),
        DomainEvent::InteractionQueued { interaction_id, .. } => {
            call(&["enqueue_succ"], interaction_id, Who::Event(None))
        }
        DomainEvent::InteractionRinging {
            interaction_id,
            agent_id,
        } => call(
            &["agent_ringing"],
            interaction_id,
            Who::Event(Some(agent_id)),
        ),
        DomainEvent::InteractionAnswered {
            interaction_id,
            agent_id: Some(agent_id),
        } => call(
            &["agent_answer"],
            interaction_id,
            Who::Event(Some(agent_id)),
        ),
        // The system starts dialling the customer once the agent's leg is up (originatev2).
        DomainEvent::CustomerRinging { interaction_id, .. } => call(
            &["start_dialout", "user_ringing"],
            interaction_id,
            Who::Call,
        ),
        DomainEvent::CustomerAnswered { interaction_id, .. } => {
            call(&["user_answer"], interaction_id, Who::Call)
        }
        DomainEvent::InteractionHeld { interaction_id } => {
            call(&["hold_call"], interaction_id, Who::Call)
        }
        DomainEvent::InteractionTransferred {
            interaction_id,
            status,
            from_agent_id,
            ..
        } => {
            // The seat that handed the call over, when the engine knows it.
            let who = from_agent_id
                .as_deref()
                .map_or(Who::Call, |a| Who::Event(Some(a)));
            match status {
                TransferStatus::Completed => call(&["transfer_agent_succ"], interaction_id, who),
                TransferStatus::Failed => call(&["transfer_agent_fail"], interaction_id, who),
                TransferStatus::Transferring => Vec::new(),
            }
        }
        DomainEvent::InteractionEnded {
            interaction_id,
            ended_by,
            ..
        } => {
            let hangup = match ended_by {
                EndedBy::Customer => "user_hangup",
                EndedBy::Agent => "agent_hangup",
                EndedBy::Bot | EndedBy::System => "general_hangup",
            };
            call(&[hangup, "end"], interaction_id, Who::Call)
        }
        DomainEvent::InteractionAbandoned { interaction_id, .. } => {
            call(&["user_hangup", "end"], interaction_id, Who::Call)
        }
        DomainEvent::InteractionFailed { interaction_id, .. } => {
            call(&["end"], interaction_id, Who::Call)
        }
        DomainEvent::AgentStateChanged { agent_id, from, to } => {
            let (cur, cur_sub) = state_word(to);
            let (old, _) = state_word(from);
            vec![Callback {
                name: "acd_agent_state",
                // Invented body (§5.1 [inferred]).
                body: json!({
                    "AppId": app_id,
                    "Event": "acd_agent_state",
                    "AgentId": agent_id,
                    "CurState": cur,
                    "CurStateSubId": cur_sub,
                    "OldState": old,
                    "Timestamp": at,
                }),
            }]
        }
        DomainEvent::AgentCallModeChanged { agent_id, to, .. } => vec![Callback {
            name: "agent_call_mode_change",
            // Invented body (§5.1 [inferred]).
            body: json!({
                "AppId": app_id,
                "Event": "agent_call_mode_change",
                "AgentId": agent_id,
                "CurContact": crate::reports::mode_word(*to),
                "Timestamp": at,
            }),
        }],
        DomainEvent::ExtensionUpdated {
            extension_id,
            agent_id,
        } => {
            // The engine tracks no device registration, so the one extension change it knows
            // is a binding: reported with the stored state on both sides [invented].
            let state = view
                .extension(extension_id)
                .map_or(ExtensionState::Offline, |e| e.state);
            vec![Callback {
                name: "ext_state",
                body: json!({
                    "AppId": app_id,
                    "Event": "ext_state",
                    "Extension": extension_id,
                    "AgentId": agent_id.as_deref().unwrap_or_default(),
                    "CurState": ext_state_code(state),
                    "OldState": ext_state_code(state),
                    "Reason": if agent_id.is_some() { "bind" } else { "unbind" },
                    "Timestamp": at,
                }),
            }]
        }
        _ => Vec::new(),
    }
}

/// The invented call-event body of §5.1: the customer's number is `DestNumber`, the center's
/// `SpNumber`, whichever side called.
fn call_body(app_id: &str, name: &str, i: &Interaction, who: Who<'_>, at_ms: i64) -> Value {
    let agent_id = match who {
        Who::Event(agent_id) => agent_id,
        Who::Call => i.agent_id.as_deref(),
    };
    let (dest, sp, direction) = match i.direction {
        Direction::Outbound => (&i.to, &i.from, "out"),
        // An internal call reaches its agent like an inbound one [inferred].
        Direction::Inbound | Direction::Internal => (&i.from, &i.to, "in"),
    };
    json!({
        "AppId": app_id,
        "Event": name,
        "CallId": i.id,
        "AgentId": agent_id.unwrap_or_default(),
        "Timestamp": at_ms,
        "DestNumber": dest,
        "SpNumber": sp,
        "CallDirection": direction,
        "UserData": user_data(i, name),
    })
}

/// The `data` of the interaction's `user_data` entry (as originatev2 stored it) whose `evt`
/// is `name`; `""` when there is none. Non-string data is sent as its JSON text.
pub fn user_data(i: &Interaction, name: &str) -> String {
    let entry = i
        .custom_data
        .get(ccemu_engine::USER_DATA_KEY)
        .and_then(Value::as_array)
        .and_then(|entries| entries.iter().find(|e| e["evt"] == name));
    match entry.map(|e| &e["data"]) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// `ExtState` code (§4): 0 idle, 1 busy, 2 online, 3 offline, 4 invalid.
fn ext_state_code(state: ExtensionState) -> u8 {
    match state {
        ExtensionState::Idle => 0,
        ExtensionState::Busy => 1,
        ExtensionState::Online => 2,
        ExtensionState::Offline => 3,
        ExtensionState::Invalid => 4,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ccemu_core::agent::{AgentState, CallMode};
    use ccemu_core::clock::ClockMode;
    use ccemu_core::interaction::{Channel, EndedBy};
    use ccemu_core::{Subscription, TenantId};
    use ccemu_engine::{credentials, Engine, EngineConfig, Op, OpOutput};
    use ccemu_store::testing::TestDb;
    use ccemu_store::Store;
    use serde_json::{json, Value};

    use super::*;

    const T0: i64 = 1_800_000_000_000;

    struct Fixture {
        engine: Engine,
        demo: TenantId,
        _db: TestDb,
    }

    /// An engine with the Udesk notifier, the demo tenant on a manual clock at `T0` and the
    /// simulator off, so that test code makes every step.
    async fn fixture() -> Fixture {
        let db = TestDb::new().await;
        let store = Store::connect(&db.url).await.expect("store");
        let config = EngineConfig {
            demo_credentials: Some(credentials::generate("demo")),
            notifiers: vec![Arc::new(UdeskCallbacks)],
            ..EngineConfig::default()
        };
        let engine = Engine::start(store, config).await.expect("engine");
        let demo = TenantId::parse("demo").unwrap();
        engine
            .set_clock(&demo, ClockMode::Manual, Some(T0))
            .await
            .unwrap();
        let mut sim = engine.sim_settings(&demo).await.unwrap();
        sim.auto = false;
        engine
            .execute(&demo, Op::PutSimSettings(sim))
            .await
            .unwrap();
        Fixture {
            engine,
            demo,
            _db: db,
        }
    }

    fn udesk_sub(id: &str, url: &str, events: &[&str]) -> Subscription {
        Subscription {
            id: id.into(),
            surface: SURFACE.into(),
            name: id.into(),
            callback_url: url.into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            secret: None,
            enabled: true,
            created_at_ms: T0,
        }
    }

    impl Fixture {
        fn udesk(&self) -> ccemu_core::tenant::UdeskCredentials {
            self.engine.tenant(&self.demo).unwrap().credentials.udesk
        }

        async fn op(&self, op: Op) -> OpOutput {
            self.engine.execute(&self.demo, op).await.expect("op")
        }

        async fn subscribe(&self, sub: Subscription) {
            self.op(Op::PutSubscription(sub)).await;
        }

        /// Every notification of the outbox, oldest first, as (url, body).
        async fn sent(&self) -> Vec<(String, Value)> {
            let mut all = self
                .engine
                .deliveries(&self.demo, None, 1000)
                .await
                .unwrap();
            all.reverse();
            all.into_iter()
                .map(|d| {
                    let n = d.notification;
                    assert_eq!(n.source, "udesk");
                    assert_eq!(n.method, "POST");
                    assert_eq!(
                        n.headers,
                        [("Content-Type".to_owned(), "application/json".to_owned())]
                    );
                    (n.url, serde_json::from_str(&n.body).expect("JSON body"))
                })
                .collect()
        }

        /// Agent 1001 available, then a call from a customer to Sales (9001), which rings 1001.
        async fn inbound_call(&self) -> String {
            self.op(Op::SetAgentState {
                agent_id: "1001".into(),
                state: AgentState::Available,
            })
            .await;
            let OpOutput::Interaction(call) = self
                .op(Op::StartInbound {
                    channel: Channel::Voice,
                    queue_id: "9001".into(),
                    from: "13800138000".into(),
                    to: "057126200670".into(),
                    priority: 0,
                })
                .await
            else {
                panic!("not an interaction");
            };
            call.id
        }
    }

    fn names(sent: &[(String, Value)]) -> Vec<String> {
        sent.iter()
            .map(|(_, b)| b["Event"].as_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn an_answered_inbound_call_makes_each_subscribed_callback_in_order() {
        let f = fixture().await;
        f.subscribe(udesk_sub("udesk-1", "http://127.0.0.1:9/cb", EMITTED))
            .await;
        let call = f.inbound_call().await;
        f.op(Op::Answer {
            agent_id: "1001".into(),
            interaction_id: None,
        })
        .await;
        f.op(Op::Hangup {
            interaction_id: call.clone(),
            by: EndedBy::Customer,
        })
        .await;
        let sent = f.sent().await;
        assert_eq!(
            names(&sent),
            [
                "acd_agent_state",
                "begin",
                "enqueue_succ",
                "agent_ringing",
                "acd_agent_state",
                "agent_answer",
                "acd_agent_state",
                "user_hangup",
                "end",
                "acd_agent_state",
            ]
        );
        let app = &f.udesk().app_id;
        let call_body = |event: &str, agent: &str| {
            json!({
                "AppId": app, "Event": event, "CallId": call, "AgentId": agent,
                "Timestamp": T0, "DestNumber": "13800138000", "SpNumber": "057126200670",
                "CallDirection": "in", "UserData": "",
            })
        };
        // Before the answer the call has no agent; the ring names the agent it rings.
        assert_eq!(sent[1].1, call_body("begin", ""));
        assert_eq!(sent[2].1, call_body("enqueue_succ", ""));
        assert_eq!(sent[3].1, call_body("agent_ringing", "1001"));
        assert_eq!(sent[5].1, call_body("agent_answer", "1001"));
        // The call has ended when its hang-up is told, and is still found with its agent.
        assert_eq!(sent[7].1, call_body("user_hangup", "1001"));
        assert_eq!(sent[8].1, call_body("end", "1001"));
        let state = |cur: &str, old: &str| {
            json!({
                "AppId": app, "Event": "acd_agent_state", "AgentId": "1001", "CurState": cur,
                "CurStateSubId": 0, "OldState": old, "Timestamp": T0,
            })
        };
        assert_eq!(sent[0].1, state("idle", "offline"));
        assert_eq!(sent[4].1, state("ringing", "idle"));
        assert_eq!(sent[6].1, state("talking", "ringing"));
        assert_eq!(sent[9].1, state("wrapUp", "talking"));
    }

    #[tokio::test]
    async fn every_callback_is_stored_bare_and_signed_before_each_attempt() {
        let f = fixture().await;
        f.subscribe(udesk_sub(
            "udesk-1",
            "http://127.0.0.1:9/cb?k=v",
            &["begin"],
        ))
        .await;
        f.inbound_call().await;
        let mut stored = f
            .engine
            .deliveries(&f.demo, None, 10)
            .await
            .unwrap()
            .pop()
            .expect("one delivery")
            .notification;
        // The outbox keeps the subscription's URL, so its callbacks queue in one line.
        assert_eq!(stored.url, "http://127.0.0.1:9/cb?k=v");
        let tenant = f.engine.tenant(&f.demo).unwrap();
        let before = ccemu_engine::wall_ms() / 1000;
        UdeskCallbacks.prepare(&tenant, &mut stored);
        let after = ccemu_engine::wall_ms() / 1000;
        let (base, query) = stored
            .url
            .split_once("?k=v&")
            .expect("query appended to the URL's");
        assert_eq!(base, "http://127.0.0.1:9/cb");
        let params: Vec<(&str, &str)> = query
            .split('&')
            .map(|p| p.split_once('=').unwrap())
            .collect();
        let keys: Vec<&str> = params.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["Timestamp", "AppId", "Sign"]);
        let udesk = f.udesk();
        let (ts, app, given) = (params[0].1, params[1].1, params[2].1);
        assert_eq!(app, udesk.app_id);
        // Seconds of the wall clock at the attempt, not the tenant's manual clock at T0.
        let secs: i64 = ts.parse().unwrap();
        assert!((before..=after).contains(&secs), "{secs}");
        assert_eq!(given, sign::sign(&udesk.app_id, &udesk.app_secret, ts));
        assert_ne!(given, sign::sign(&udesk.app_id, "another-secret", ts));
        // A signed request is not signed twice, and other surfaces' requests are left alone.
        let signed = stored.url.clone();
        UdeskCallbacks.prepare(&tenant, &mut stored);
        assert_eq!(stored.url, signed);
        stored.url = "http://127.0.0.1:9/cb".into();
        stored.source = "ccemu".into();
        UdeskCallbacks.prepare(&tenant, &mut stored);
        assert_eq!(stored.url, "http://127.0.0.1:9/cb");
    }

    #[tokio::test]
    async fn only_enabled_udesk_subscriptions_with_a_url_get_the_events_they_name() {
        let f = fixture().await;
        f.subscribe(udesk_sub(
            "udesk-1",
            "http://127.0.0.1:9/a",
            &["agent_ringing"],
        ))
        .await;
        let mut off = udesk_sub("udesk-2", "http://127.0.0.1:9/off", &["agent_ringing"]);
        off.enabled = false;
        f.subscribe(off).await;
        // No events (DELETE webhooks/events), no URL yet, another surface's subscription.
        f.subscribe(udesk_sub("udesk-3", "http://127.0.0.1:9/none", &[]))
            .await;
        f.subscribe(udesk_sub("udesk-app", NO_CALLBACK_URL, &["agent_ringing"]))
            .await;
        let mut ccemu = udesk_sub("sub_x", "http://127.0.0.1:9/ccemu", &["agent_ringing"]);
        ccemu.surface = "ccemu".into();
        f.subscribe(ccemu).await;
        f.inbound_call().await;
        let sent = f.sent().await;
        let urls: Vec<&str> = sent
            .iter()
            .map(|(u, _)| u.split('?').next().unwrap())
            .collect();
        assert_eq!(urls, ["http://127.0.0.1:9/a"]);
        assert_eq!(names(&sent), ["agent_ringing"]);
    }

    #[tokio::test]
    async fn a_chat_makes_no_call_callbacks_and_nobody_subscribed_costs_no_notification() {
        let f = fixture().await;
        f.inbound_call().await;
        assert!(f.sent().await.is_empty());
        f.subscribe(udesk_sub(
            "udesk-1",
            "http://127.0.0.1:9/a",
            &["begin", "enqueue_succ"],
        ))
        .await;
        let queues = f.engine.queues(&f.demo, None).await.unwrap();
        let chat_queue = queues
            .iter()
            .find(|q| q.serves(Channel::Chat))
            .expect("a demo queue takes chats");
        f.op(Op::StartInbound {
            channel: Channel::Chat,
            queue_id: chat_queue.id.clone(),
            from: "visitor".into(),
            to: "web".into(),
            priority: 0,
        })
        .await;
        assert!(f.sent().await.is_empty());
    }

    #[tokio::test]
    async fn user_data_is_the_entry_whose_evt_matches() {
        let f = fixture().await;
        f.subscribe(udesk_sub(
            "udesk-1",
            "http://127.0.0.1:9/a",
            &["agent_answer", "end"],
        ))
        .await;
        let call = f.inbound_call().await;
        let mut i: ccemu_core::interaction::Interaction =
            f.engine.interaction(&f.demo, &call).await.unwrap().unwrap();
        i.custom_data.insert(
            "user_data".into(),
            json!([{"evt": "agent_answer", "data": "1111111"}, {"evt": "end", "data": 42}]),
        );
        assert_eq!(user_data(&i, "agent_answer"), "1111111");
        assert_eq!(user_data(&i, "end"), "42");
        assert_eq!(user_data(&i, "begin"), "");
        i.custom_data
            .insert("user_data".into(), json!("not a list"));
        assert_eq!(user_data(&i, "agent_answer"), "");
    }

    #[tokio::test]
    async fn hold_and_a_transfer_that_an_agent_of_the_target_queue_takes() {
        let f = fixture().await;
        let wanted = [
            "hold_call",
            "transfer_agent_succ",
            "enqueue_succ",
            "agent_answer",
        ];
        f.subscribe(udesk_sub("udesk-1", "http://127.0.0.1:9/a", &wanted))
            .await;
        let call = f.inbound_call().await;
        f.op(Op::Answer {
            agent_id: "1001".into(),
            interaction_id: None,
        })
        .await;
        f.op(Op::Hold {
            interaction_id: call.clone(),
        })
        .await;
        f.op(Op::SetAgentState {
            agent_id: "1003".into(),
            state: AgentState::Available,
        })
        .await;
        f.op(Op::Transfer {
            interaction_id: call.clone(),
            target: ccemu_engine::TransferTarget::Queue("9002".into()),
        })
        .await;
        f.op(Op::Answer {
            agent_id: "1003".into(),
            interaction_id: None,
        })
        .await;
        let sent = f.sent().await;
        let seen: Vec<(String, Value)> = sent
            .iter()
            .map(|(_, b)| {
                (
                    b["Event"].as_str().unwrap().to_owned(),
                    b["AgentId"].clone(),
                )
            })
            .collect();
        let want: Vec<(String, Value)> = [
            ("enqueue_succ", ""),
            ("agent_answer", "1001"),
            ("hold_call", "1001"),
            ("enqueue_succ", ""),
            ("agent_answer", "1003"),
            // The seat that handed the call over.
            ("transfer_agent_succ", "1001"),
        ]
        .into_iter()
        .map(|(e, a)| (e.to_owned(), json!(a)))
        .collect();
        assert_eq!(seen, want);
        assert!(sent.iter().all(|(_, b)| b["CallId"] == json!(call)));
    }

    #[tokio::test]
    async fn extension_bindings_and_call_modes_are_told() {
        let f = fixture().await;
        f.subscribe(udesk_sub(
            "udesk-1",
            "http://127.0.0.1:9/a",
            &["ext_state", "agent_call_mode_change"],
        ))
        .await;
        f.op(Op::UnbindExtensions {
            agent_id: "1001".into(),
            extension_ids: vec!["8001".into()],
        })
        .await;
        f.op(Op::BindExtensions {
            agent_id: "1002".into(),
            extension_ids: vec!["8001".into()],
        })
        .await;
        f.op(Op::SetCallMode {
            agent_id: "1002".into(),
            mode: CallMode::Cellphone,
            number: Some("13800138001".into()),
        })
        .await;
        let app = f.udesk().app_id;
        let ext = |agent: &str, reason: &str| {
            json!({
                "AppId": app, "Event": "ext_state", "Extension": "8001", "AgentId": agent,
                "CurState": 3, "OldState": 3, "Reason": reason, "Timestamp": T0,
            })
        };
        let bodies: Vec<Value> = f.sent().await.into_iter().map(|(_, b)| b).collect();
        assert_eq!(
            bodies,
            [
                ext("", "unbind"),
                ext("1002", "bind"),
                json!({
                    "AppId": app, "Event": "agent_call_mode_change", "AgentId": "1002",
                    "CurContact": "cellphone", "Timestamp": T0,
                }),
            ]
        );
    }

    #[tokio::test]
    async fn an_originated_call_tells_both_legs_with_the_user_data_of_each_step() {
        let f = fixture().await;
        f.subscribe(udesk_sub(
            "udesk-1",
            "http://127.0.0.1:9/a",
            &[
                "begin",
                "agent_ringing",
                "agent_answer",
                "start_dialout",
                "user_ringing",
                "user_answer",
                "agent_hangup",
                "end",
            ],
        ))
        .await;
        f.op(Op::SetAgentState {
            agent_id: "1001".into(),
            state: AgentState::Available,
        })
        .await;
        let user_data = json!([
            {"evt": "user_answer", "data": "1111111"},
            {"evt": "end", "data": "bye"},
        ]);
        let OpOutput::Interaction(call) = f
            .op(Op::Originate {
                agent_id: "1001".into(),
                to: "15650000000".into(),
                from: Some("057126200670".into()),
                custom_data: [(ccemu_engine::USER_DATA_KEY.to_owned(), user_data)].into(),
            })
            .await
        else {
            panic!("not an interaction");
        };
        f.op(Op::Answer {
            agent_id: "1001".into(),
            interaction_id: None,
        })
        .await;
        // The customer's phone rings for the sim's dial ring time, then it answers.
        f.engine.advance_clock(&f.demo, 60_000).await.unwrap();
        let i: ccemu_core::interaction::Interaction = f
            .engine
            .interaction(&f.demo, &call.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(i.state.name(), "connected", "{i:?}");
        f.op(Op::Hangup {
            interaction_id: call.id.clone(),
            by: EndedBy::Agent,
        })
        .await;
        let sent = f.sent().await;
        assert_eq!(
            names(&sent),
            [
                "begin",
                "agent_ringing",
                "agent_answer",
                "start_dialout",
                "user_ringing",
                "user_answer",
                "agent_hangup",
                "end"
            ]
        );
        for (_, body) in &sent {
            assert_eq!(
                (
                    &body["CallId"],
                    &body["AgentId"],
                    &body["DestNumber"],
                    &body["SpNumber"],
                    &body["CallDirection"]
                ),
                (
                    &json!(call.id),
                    &json!("1001"),
                    &json!("15650000000"),
                    &json!("057126200670"),
                    &json!("out")
                ),
                "{body}"
            );
        }
        let data: Vec<&Value> = sent.iter().map(|(_, b)| &b["UserData"]).collect();
        assert_eq!(
            data,
            [
                &json!(""),
                &json!(""),
                &json!(""),
                &json!(""),
                &json!(""),
                &json!("1111111"),
                &json!(""),
                &json!("bye")
            ]
        );
    }

    #[test]
    fn categories_hold_the_documented_names() {
        assert_eq!(CALL_EVENTS.len(), 36);
        for name in [
            "acd_agent_state",
            "ext_state",
            "agent_call_mode_change",
            "begin",
        ] {
            assert!(is_event(name), "{name}");
        }
        for name in EXTRA_CALL_EVENTS.iter().chain(EMITTED) {
            assert!(is_event(name), "{name}");
        }
        assert!(in_category("call", "agent_ringing"));
        assert!(in_category("agent_state", "acd_agent_state"));
        assert!(!in_category("agent_state", "begin"));
        assert!(!in_category("call", "acd_agent_state"));
        assert!(!is_event("agent.state_changed"));
        assert!(!is_event("call"));
    }

    #[test]
    fn agent_states_in_udesk_words() {
        assert_eq!(state_word(&AgentState::Available), ("idle", 0));
        assert_eq!(
            state_word(&AgentState::NotReady { reason: None }),
            ("busy", 0)
        );
        assert_eq!(
            state_word(&AgentState::OnBreak {
                sub_state: 3,
                until_ms: None
            }),
            ("onBreak", 3)
        );
    }
}
