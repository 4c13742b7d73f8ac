//! UJET chat webhooks (`vendor-notes/ujet.md` §6): every chat event of a tenant POSTed to its one
//! webhook URL through the engine's durable outbox.
//!
//! The URL is a [`Subscription`] of surface [`SURFACE`] (UJET sets it in its admin UI, so there
//! is no Apps endpoint: the control plane's `POST /_ccemu/tenants/{id}/subscriptions` with
//! `"surface": "ujet"` creates it). The primary webhook secret is the tenant's company secret
//! and the secondary its API token [inferred]: signing
//! happens at each attempt, where only the tenant's credentials are at hand, and this keeps
//! secrets out of the stored (and listed) outbox rows.
//! Events [inferred]: `chat.created` (a chat or SMS session opens), `chat.message_received` (the
//! end user writes), `chat.escalated` (the virtual agent hands the chat to a queue) and
//! `chat.transferred` (an agent transfers it). Body `{"event","chat":<Apps chat object>,
//! "message"?}`; menu names are not in the engine's commit view, so `menus[].name` is empty.
//! Signed before every attempt ([`Notifier::prepare`]), over the wall clock the receiver checks:
//! `X-Signature-Timestamp: <unix seconds>` and
//! `X-Signature: primary=<b64 HMAC-SHA256(primary, ts + body)> secondary=<... secondary ...>`.

use base64::Engine as _;
use ccemu_core::agent::Agent;
use ccemu_core::event::{DomainEvent, EventRecord};
use ccemu_core::interaction::{Interaction, ParticipantKind};
use ccemu_core::{Subscription, Tenant};
use ccemu_engine::{Notification, Notifier, View};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::chat_objects::{self as objects, Lookup};
use crate::dto;

/// The surface name of the UJET webhook subscription.
pub const SURFACE: &str = "ujet";

const SIGNATURE: &str = "X-Signature";
const TIMESTAMP: &str = "X-Signature-Timestamp";

/// Posts UJET chat webhooks for the tenant's `ujet` subscription.
#[derive(Debug, Default)]
pub struct UjetWebhooks;

struct ViewLookup<'v, 'a>(&'v View<'a>);

impl Lookup for ViewLookup<'_, '_> {
    fn agent(&self, id: &str) -> Option<&Agent> {
        self.0.agent(id)
    }

    fn queue_name(&self, _id: &str) -> Option<&str> {
        None
    }
}

/// The webhook event name and message (if any) a domain event makes for a chat.
fn translate(event: &DomainEvent, i: &Interaction) -> Option<(&'static str, Value)> {
    match event {
        DomainEvent::InteractionCreated { .. } => Some(("chat.created", Value::Null)),
        DomainEvent::MessageAdded { message_id, .. } => {
            let m = i.messages.iter().find(|m| &m.id == message_id)?;
            (m.from_kind == ParticipantKind::Customer).then(|| {
                let message = json!({
                    "id": m.index,
                    "type": "text",
                    "content": m.text,
                    "created_at": dto::time(m.sent_at_ms),
                });
                ("chat.message_received", message)
            })
        }
        // Queued without a transfer after the virtual agent left: an escalation.
        DomainEvent::InteractionQueued { .. } => {
            let from_bot = i.transfers.is_empty()
                && i.participants
                    .iter()
                    .any(|p| p.kind == ParticipantKind::Bot);
            from_bot.then_some(("chat.escalated", Value::Null))
        }
        DomainEvent::InteractionTransferred { .. } => Some(("chat.transferred", Value::Null)),
        _ => None,
    }
}

fn subject(event: &DomainEvent) -> Option<&str> {
    match event {
        DomainEvent::InteractionCreated { interaction_id, .. }
        | DomainEvent::MessageAdded { interaction_id, .. }
        | DomainEvent::InteractionQueued { interaction_id, .. }
        | DomainEvent::InteractionTransferred { interaction_id, .. } => Some(interaction_id),
        _ => None,
    }
}

impl Notifier for UjetWebhooks {
    fn notify(
        &self,
        _tenant: &Tenant,
        subscriptions: &[Subscription],
        view: &View<'_>,
        event: &EventRecord,
        out: &mut Vec<Notification>,
    ) {
        let live = |s: &&Subscription| s.surface == SURFACE && s.enabled;
        if !subscriptions.iter().any(|s| live(&s)) {
            return;
        }
        let Some(i) = subject(&event.event).and_then(|id| view.interaction(id)) else {
            return;
        };
        if !objects::is_chat(&i) {
            return;
        }
        let Some((name, message)) = translate(&event.event, &i) else {
            return;
        };
        let mut body = json!({
            "event": name,
            "chat": objects::apps_chat(&ViewLookup(view), &i),
        });
        if !message.is_null() {
            body["message"] = message;
        }
        let body = body.to_string();
        for sub in subscriptions.iter().filter(live).filter(|s| s.wants(name)) {
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

    fn prepare(&self, tenant: &Tenant, notification: &mut Notification) {
        if notification.source != SURFACE {
            return;
        }
        let ujet = &tenant.credentials.ujet;
        let ts = (ccemu_engine::wall_ms() / 1000).to_string();
        let header = signature(
            &ujet.company_secret,
            &ujet.api_token,
            &ts,
            &notification.body,
        );
        notification
            .headers
            .retain(|(k, _)| k != SIGNATURE && k != TIMESTAMP);
        notification.headers.push((TIMESTAMP.to_owned(), ts));
        notification.headers.push((SIGNATURE.to_owned(), header));
    }
}

/// `primary=<b64 HMAC-SHA256(primary, ts + body)> secondary=<b64 HMAC-SHA256(secondary, ...)>`.
pub fn signature(primary: &str, secondary: &str, ts: &str, body: &str) -> String {
    let sign = |key: &str| {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length");
        mac.update(ts.as_bytes());
        mac.update(body.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    };
    format!("primary={} secondary={}", sign(primary), sign(secondary))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::HeaderMap;
    use axum::routing::post;
    use axum::Router;
    use ccemu_core::clock::ClockMode;
    use ccemu_core::TenantId;
    use ccemu_engine::{credentials, Engine, EngineConfig, Op};
    use ccemu_store::testing::TestDb;
    use ccemu_store::Store;

    use super::*;

    type Got = Arc<Mutex<Vec<(HeaderMap, String)>>>;

    /// A webhook receiver on a free local port that records every request.
    async fn receiver() -> (String, Got) {
        let got: Got = Arc::default();
        let app = Router::new()
            .route(
                "/hook",
                post(
                    |State(got): State<Got>, headers: HeaderMap, body: Bytes| async move {
                        got.lock()
                            .unwrap()
                            .push((headers, String::from_utf8_lossy(&body).into_owned()));
                        "ok"
                    },
                ),
            )
            .with_state(got.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, got)
    }

    async fn wait_for(got: &Got, n: usize) -> Vec<(HeaderMap, String)> {
        for _ in 0..200 {
            if got.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        got.lock().unwrap().clone()
    }

    #[tokio::test]
    async fn chat_events_reach_the_tenants_webhook_signed_with_both_secrets() {
        let db = TestDb::new().await;
        let store = Store::connect(&db.url).await.unwrap();
        let config = EngineConfig {
            demo_credentials: Some(credentials::generate("demo")),
            notifiers: vec![Arc::new(UjetWebhooks)],
            ..EngineConfig::default()
        };
        let engine = Engine::start(store, config).await.unwrap();
        let demo = TenantId::parse("demo").unwrap();
        engine
            .set_clock(
                &demo,
                ClockMode::Manual,
                Some(ccemu_engine::wall_ms() + 1_000),
            )
            .await
            .unwrap();
        let (url, got) = receiver().await;
        let sub = Subscription {
            id: "ujet-webhook".into(),
            surface: SURFACE.into(),
            name: "webhook".into(),
            callback_url: url,
            events: vec![],
            secret: None,
            enabled: true,
            created_at_ms: 0,
        };
        engine
            .execute(&demo, Op::PutSubscription(sub))
            .await
            .unwrap();
        // A voice call is no chat: it sends nothing.
        engine
            .execute(
                &demo,
                Op::StartInbound {
                    channel: ccemu_core::interaction::Channel::Voice,
                    queue_id: "9001".into(),
                    from: "+15550001111".into(),
                    to: String::new(),
                    priority: 0,
                },
            )
            .await
            .unwrap();
        let out = engine
            .execute(
                &demo,
                Op::StartSession {
                    channel: ccemu_core::interaction::Channel::Chat,
                    direction: ccemu_core::interaction::Direction::Inbound,
                    queue_id: Some("9002".into()),
                    from: "visitor".into(),
                    to: String::new(),
                    bot: Some(objects::VIRTUAL_AGENT.into()),
                    data: Default::default(),
                },
            )
            .await
            .unwrap();
        let ccemu_engine::OpOutput::Interaction(chat) = out else {
            panic!("no chat");
        };
        for (from, text) in [
            (ParticipantKind::Customer, "hello"),
            (ParticipantKind::Bot, "how can I help?"),
        ] {
            engine
                .execute(
                    &demo,
                    Op::AddMessage {
                        interaction_id: chat.id.clone(),
                        message: ccemu_engine::NewMessage::text(from, text),
                    },
                )
                .await
                .unwrap();
        }
        engine
            .execute(
                &demo,
                Op::HandToQueue {
                    interaction_id: chat.id.clone(),
                    queue_id: None,
                },
            )
            .await
            .unwrap();
        // A human takes it and transfers it on to sales.
        let agent = |id: &str| Op::SetAgentState {
            agent_id: id.into(),
            state: ccemu_core::agent::AgentState::Available,
        };
        engine.execute(&demo, agent("1003")).await.unwrap();
        let answer = Op::Answer {
            agent_id: "1003".into(),
            interaction_id: Some(chat.id.clone()),
        };
        engine.execute(&demo, answer).await.unwrap();
        let transfer = Op::Transfer {
            interaction_id: chat.id.clone(),
            target: ccemu_engine::TransferTarget::Queue("9001".into()),
        };
        engine.execute(&demo, transfer).await.unwrap();
        let got = wait_for(&got, 4).await;
        let events: Vec<String> = got
            .iter()
            .map(|(_, b)| {
                serde_json::from_str::<Value>(b).unwrap()["event"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            events,
            // The transfer's own re-queue is no escalation.
            [
                "chat.created",
                "chat.message_received",
                "chat.escalated",
                "chat.transferred"
            ]
        );
        let ujet = engine.tenant(&demo).unwrap().credentials.ujet;
        for (headers, body) in &got {
            let ts = headers[TIMESTAMP].to_str().unwrap();
            let now = ccemu_engine::wall_ms() / 1000;
            assert!((now - ts.parse::<i64>().unwrap()).abs() < 60, "{ts}");
            // The receiver recomputes both signatures from the raw body it got.
            assert_eq!(
                headers[SIGNATURE].to_str().unwrap(),
                signature(&ujet.company_secret, &ujet.api_token, ts, body)
            );
            assert_ne!(
                headers[SIGNATURE].to_str().unwrap(),
                signature("wrong", &ujet.api_token, ts, body)
            );
            assert_eq!(headers["content-type"], "application/json");
        }
        let first: Value = serde_json::from_str(&got[0].1).unwrap();
        assert_ne!(chat.number, 0);
        assert_eq!(first["chat"]["id"], chat.number);
        assert_eq!(first["chat"]["status"], "va_assigned");
        let second: Value = serde_json::from_str(&got[1].1).unwrap();
        assert_eq!(second["message"]["content"], "hello");
        assert_eq!(second["message"]["id"], 1);
        let third: Value = serde_json::from_str(&got[2].1).unwrap();
        assert_eq!(third["chat"]["status"], "queued");
        let fourth: Value = serde_json::from_str(&got[3].1).unwrap();
        assert_eq!(fourth["chat"]["all_agents"][0]["id"], 1003);
    }

    #[test]
    fn signature_is_base64_hmac_sha256_of_timestamp_then_body() {
        // HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog"), RFC 4231 style vector.
        let sig = signature(
            "key",
            "key",
            "The quick brown fox ",
            "jumps over the lazy dog",
        );
        assert_eq!(
            sig,
            "primary=97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg= secondary=97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="
        );
    }
}
