//! Chat transcripts: customers and agents add messages, test code reads them back, on a manual clock.

use crate::harness::{assert_error, Server};
use serde_json::{json, Value};

const T0: i64 = 1_800_000_000_000;

fn messages_path(id: &str) -> String {
    format!("/_ccemu/tenants/demo/sim/interactions/{id}/messages")
}

/// Posts a message that must be accepted; returns it.
async fn say(s: &Server, id: &str, body: Value) -> Value {
    let (st, m) = s.post(&messages_path(id), body).await;
    assert_eq!(st, 201, "{m}");
    m
}

/// The transcript from `index` on (all with `None`).
async fn transcript(s: &Server, id: &str, index: Option<u32>) -> Vec<Value> {
    let path = match index {
        Some(n) => format!("{}?index={n}", messages_path(id)),
        None => messages_path(id),
    };
    let (st, body) = s.get(&path).await;
    assert_eq!(st, 200, "{body}");
    body["messages"].as_array().expect("messages").clone()
}

/// A chat to support that agent 1003 has answered; test code drives every step.
async fn answered_chat(s: &Server) -> String {
    s.sim_on_manual_clock("demo", T0, json!({ "auto": false }))
        .await;
    s.ready("demo", "1003").await;
    let chat = s.sim_contact("demo", "chats", "9002").await;
    assert_eq!(chat["agent_id"], "1003", "{chat}");
    let (st, body) = s
        .post("/_ccemu/tenants/demo/sim/agents/1003/answer", json!({}))
        .await;
    assert_eq!(st, 200, "{body}");
    chat["id"].as_str().unwrap().to_owned()
}

/// The participant id of the first participant of `kind`.
fn participant(i: &Value, kind: &str) -> Value {
    i["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == kind)
        .map(|p| p["id"].clone())
        .unwrap_or_else(|| panic!("no {kind} participant: {i}"))
}

/// `(index, message_id)` of every `message.added` event among `events`, checking the interaction.
fn added(events: &[Value], id: &str) -> Vec<(Value, Value, i64)> {
    events
        .iter()
        .filter(|e| e["kind"] == "message.added")
        .map(|e| {
            assert_eq!(e["data"]["interaction_id"], id, "{e}");
            (
                e["data"]["index"].clone(),
                e["data"]["message_id"].clone(),
                e["at_ms"].as_i64().unwrap() - T0,
            )
        })
        .collect()
}

#[tokio::test]
async fn a_customer_and_an_agent_exchange_messages_and_the_transcript_pages_by_index() {
    let s = Server::start().await;
    let id = answered_chat(&s).await;
    let i = s.interaction("demo", &id).await;
    let (customer, agent) = (participant(&i, "customer"), participant(&i, "agent"));
    assert_ne!(customer, agent);
    let start = s.last_seq("demo").await;

    let first = say(&s, &id, json!({ "from": "customer", "text": "hello" })).await;
    assert_eq!(first["index"], 1);
    assert_eq!(first["from_kind"], "customer");
    assert_eq!(first["from_participant_id"], customer);
    assert_eq!(first["kind"], "text");
    assert_eq!(first["visibility"], "all");
    assert_eq!(first["sent_at_ms"], T0);
    s.advance("demo", 1500).await;
    let reply = say(
        &s,
        &id,
        json!({ "from": "agent", "text": "hi, how can I help?" }),
    )
    .await;
    assert_eq!(reply["index"], 2);
    assert_eq!(reply["from_participant_id"], agent);
    s.advance("demo", 2000).await;
    say(
        &s,
        &id,
        json!({ "from": "agent", "text": "VIP customer", "visibility": "agents" }),
    )
    .await;
    say(
        &s,
        &id,
        json!({ "from": "customer", "kind": "typing_started" }),
    )
    .await;
    s.advance("demo", 1500).await;
    let last = say(
        &s,
        &id,
        json!({
            "from": "customer", "participant_id": customer, "text": "my order is late",
            "subject": "Order 42", "html": "<p>my order is late</p>",
            "attachments": [{ "name": "receipt.txt", "content_type": "text/plain", "size": 3, "content_base64": "YWJj" }]
        }),
    )
    .await;
    assert_eq!(last["index"], 5);
    assert_eq!(last["subject"], "Order 42");
    assert_eq!(last["attachments"][0]["name"], "receipt.txt");
    assert!(
        last["attachments"][0]["id"]
            .as_str()
            .is_some_and(|a| !a.is_empty()),
        "an attachment id is generated: {last}"
    );

    let all = transcript(&s, &id, None).await;
    let got: Vec<(Value, Value, Value, Value, Value, i64)> = all
        .iter()
        .map(|m| {
            (
                m["index"].clone(),
                m["from_kind"].clone(),
                m["kind"].clone(),
                m["text"].clone(),
                m["visibility"].clone(),
                m["sent_at_ms"].as_i64().unwrap() - T0,
            )
        })
        .collect();
    let want: Vec<(Value, Value, Value, Value, Value, i64)> = [
        (1, "customer", "text", "hello", "all", 0),
        (2, "agent", "text", "hi, how can I help?", "all", 1500),
        (3, "agent", "text", "VIP customer", "agents", 3500),
        (4, "customer", "typing_started", "", "all", 3500),
        (5, "customer", "text", "my order is late", "all", 5000),
    ]
    .iter()
    .map(|(n, from, kind, text, vis, t)| {
        (
            json!(n),
            json!(from),
            json!(kind),
            json!(text),
            json!(vis),
            *t,
        )
    })
    .collect();
    assert_eq!(got, want);
    assert_eq!(all[4], last, "the transcript holds the message as answered");
    assert_eq!(s.interaction("demo", &id).await["messages"], json!(all));

    let from3: Vec<Value> = transcript(&s, &id, Some(3)).await;
    assert_eq!(from3, all[2..]);
    assert_eq!(transcript(&s, &id, Some(0)).await, all);
    assert_eq!(transcript(&s, &id, Some(5)).await, all[4..]);
    assert!(transcript(&s, &id, Some(6)).await.is_empty());

    let events = s.events_after("demo", start).await;
    let ids: Vec<Value> = all.iter().map(|m| m["id"].clone()).collect();
    let want: Vec<(Value, Value, i64)> = [0, 1500, 3500, 3500, 5000]
        .iter()
        .zip(&ids)
        .enumerate()
        .map(|(n, (t, mid))| (json!(n + 1), mid.clone(), *t))
        .collect();
    assert_eq!(added(&events, &id), want);

    // The transcript outlives the chat.
    let (st, body) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{id}/hangup"),
            json!({ "by": "customer" }),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(transcript(&s, &id, None).await, all);
}

#[tokio::test]
async fn a_message_survives_sigkill_and_the_transcript_continues_after_it() {
    let mut s = Server::start().await;
    let id = answered_chat(&s).await;
    let first = say(
        &s,
        &id,
        json!({ "from": "customer", "text": "still there?" }),
    )
    .await;

    s.crash_and_restart().await;

    assert_eq!(transcript(&s, &id, None).await, vec![first.clone()]);
    s.advance("demo", 1000).await;
    let second = say(&s, &id, json!({ "from": "agent", "text": "yes" })).await;
    assert_eq!(second["index"], 2);
    assert_eq!(second["sent_at_ms"], T0 + 1000);
    let events = s.events_after("demo", 0).await;
    let indexes: Vec<Value> = added(&events, &id).into_iter().map(|a| a.0).collect();
    assert_eq!(indexes, [json!(1), json!(2)]);
}

#[tokio::test]
async fn a_simulated_chat_customer_opens_with_the_configured_message() {
    let s = Server::start().await;
    s.sim_on_manual_clock(
        "demo",
        T0,
        json!({ "auto": false, "chat_first_message": "I need help with my bill" }),
    )
    .await;
    let start = s.last_seq("demo").await;
    let chat = s.sim_contact("demo", "chats", "9002").await;
    let id = chat["id"].as_str().unwrap().to_owned();
    let all = transcript(&s, &id, None).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["text"], "I need help with my bill");
    assert_eq!(all[0]["from_kind"], "customer");
    assert_eq!(
        all[0]["from_participant_id"],
        participant(&chat, "customer")
    );
    assert_eq!(all[0]["sent_at_ms"], T0);
    let kinds: Vec<Value> = s
        .events_after("demo", start)
        .await
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [
            json!("interaction.created"),
            json!("interaction.queued"),
            json!("message.added")
        ]
    );
    let call = s.sim_contact("demo", "calls", "9002").await;
    assert_eq!(call["messages"], json!([]), "only chats: {call}");

    let (st, body) = s
        .put(
            "/_ccemu/tenants/demo/sim",
            json!({ "chat_first_message": "  " }),
        )
        .await;
    assert_error(st, &body, 422, "invalid");
    let (st, body) = s
        .put(
            "/_ccemu/tenants/demo/sim",
            json!({ "chat_first_message": 7 }),
        )
        .await;
    assert_error(st, &body, 400, "invalid_body");
    let (st, sim) = s.get("/_ccemu/tenants/demo/sim").await;
    assert_eq!(st, 200);
    assert_eq!(sim["chat_first_message"], "I need help with my bill");
}

#[tokio::test]
async fn messages_refuse_bad_input_and_impossible_senders_with_control_plane_errors() {
    let s = Server::start().await;
    s.sim_on_manual_clock("demo", T0, json!({ "auto": false }))
        .await;
    // Nobody is ready: the chat waits in the queue.
    let waiting = s.sim_contact("demo", "chats", "9002").await;
    let id = waiting["id"].as_str().unwrap().to_owned();
    let path = messages_path(&id);
    let start = s.last_seq("demo").await;

    let hello = json!({ "from": "customer", "text": "hello" });
    let (st, body) = s
        .post(
            "/_ccemu/tenants/nobody/sim/interactions/x/messages",
            hello.clone(),
        )
        .await;
    assert_error(st, &body, 404, "tenant_not_found");
    let (st, body) = s
        .get("/_ccemu/tenants/nobody/sim/interactions/x/messages")
        .await;
    assert_error(st, &body, 404, "tenant_not_found");
    let (st, body) = s.post(&messages_path("nope"), hello.clone()).await;
    assert_error(st, &body, 404, "not_found");
    let (st, body) = s.get(&messages_path("nope")).await;
    assert_error(st, &body, 404, "not_found");

    let (st, body) = s.post_raw(&path, "{\"from\":").await;
    assert_error(st, &body, 400, "invalid_json");
    for bad in [
        json!({ "text": "no sender" }),
        json!({ "from": "system", "text": "x" }),
        json!({ "from": "customer", "text": 5 }),
        json!({ "from": "customer", "text": "x", "colour": "red" }),
        json!({ "from": "customer", "text": "x", "visibility": "everyone" }),
        json!({ "from": "customer", "text": "x", "attachments": [{ "url": "http://x" }] }),
    ] {
        let (st, body) = s.post(&path, bad.clone()).await;
        assert_error(st, &body, 400, "invalid_body");
    }
    for query in ["index=-1", "index=x", "page=2"] {
        let (st, body) = s.get(&format!("{path}?{query}")).await;
        assert_error(st, &body, 400, "invalid_query");
    }

    for (bad, status, code) in [
        (json!({ "from": "customer", "text": "" }), 422, "invalid"),
        (
            json!({ "from": "customer", "text": " \n " }),
            422,
            "invalid",
        ),
        (
            json!({ "from": "customer", "kind": "participant_joined" }),
            422,
            "invalid",
        ),
        (
            json!({ "from": "customer", "text": "x", "visibility": "agents" }),
            422,
            "invalid",
        ),
        (
            json!({ "from": "customer", "text": "x", "attachments": [{ "name": "" }] }),
            422,
            "invalid",
        ),
        (
            json!({ "from": "customer", "participant_id": "9", "text": "x" }),
            404,
            "not_found",
        ),
        (
            json!({ "from": "agent", "text": "nobody answered yet" }),
            409,
            "conflict",
        ),
    ] {
        let (st, body) = s.post(&path, bad.clone()).await;
        assert_error(st, &body, status, code);
    }

    s.ready("demo", "1003").await;
    s.post("/_ccemu/tenants/demo/sim/agents/1003/answer", json!({}))
        .await;
    let i = s.interaction("demo", &id).await;
    let (customer, agent) = (participant(&i, "customer"), participant(&i, "agent"));
    for (bad, status, code) in [
        (
            json!({ "from": "agent", "participant_id": customer, "text": "x" }),
            422,
            "invalid",
        ),
        (
            json!({ "from": "customer", "participant_id": agent, "text": "x" }),
            422,
            "invalid",
        ),
    ] {
        let (st, body) = s.post(&path, bad.clone()).await;
        assert_error(st, &body, status, code);
    }
    // After a blind transfer to a queue where nobody is free, no agent is connected.
    let (st, body) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{id}/transfer"),
            json!({ "queue_id": "9001" }),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["state"], "queued");
    let (st, body) = s
        .post(
            &path,
            json!({ "from": "agent", "participant_id": agent, "text": "x" }),
        )
        .await;
    assert_error(st, &body, 409, "conflict");
    let (st, body) = s.post(&path, json!({ "from": "agent", "text": "x" })).await;
    assert_error(st, &body, 409, "conflict");

    let (st, body) = s
        .post(
            &format!("/_ccemu/tenants/demo/sim/interactions/{id}/hangup"),
            json!({ "by": "customer" }),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let (st, body) = s.post(&path, hello).await;
    assert_error(st, &body, 409, "conflict");
    assert!(
        body["message"].as_str().unwrap().contains("ended"),
        "{body}"
    );

    assert!(transcript(&s, &id, None).await.is_empty());
    assert!(added(&s.events_after("demo", start).await, &id).is_empty());
}
