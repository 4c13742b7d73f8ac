//! Upgrading from release b695fe1, which kept interactions, agent state logs and contacts as JSON
//! documents: the new binary starts on a database that b695fe1 itself wrote (`fixtures/`, made by
//! `fixtures/make-b695fe1.sh`, see `fixtures/README.md`) and serves the same history through the
//! control plane and UJET, interactions numbered in the order they were created and new ones after
//! them. The fixture's `.json` holds what b695fe1 answered about that history just before it
//! stopped; every field it showed must read the same after the upgrade.

use crate::harness::Server;
use crate::ujet_manager::{get_url, manager, TOKEN};
use ccemu_store::testing::TestDb;
use ccemu_store::Backend;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The b695fe1 history, in creation order: (channel, queue, final state, last agent).
const HISTORY: [(&str, &str, &str, Option<&str>); 7] = [
    ("voice", "9002", "ended", Some("1003")), // A: answered by 1003
    ("voice", "9002", "abandoned", None),     // B: hung up while waiting behind A
    ("voice", "9002", "ended", Some("1003")), // C: 1002 (sales), held, transferred to 1003
    ("chat", "9001", "ended", Some("1002")),  // D: a chat with a transcript
    ("voice", "9002", "ended", Some("1003")), // E: a UJET call linked to end user cust-42
    ("chat", "9002", "ended", Some("1003")),  // F: a UJET chat escalated from the virtual agent
    ("voice", "9001", "queued", None),        // G: still waiting when b695fe1 stopped
];

/// A server started on the b695fe1 fixture of the backend under test, and what b695fe1 answered.
async fn start_on_b695fe1() -> (Server, Before) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/blackbox/fixtures");
    let db = TestDb::with_fixture(
        &dir.join("b695fe1.sqlite"),
        &dir.join("b695fe1.postgres.sql"),
    )
    .await;
    let answers = match db.backend {
        Backend::Sqlite => "b695fe1.sqlite.json",
        Backend::Postgres => "b695fe1.postgres.json",
    };
    let text = std::fs::read_to_string(dir.join(answers)).expect("fixture answers");
    let before: Before = serde_json::from_str(&text).expect("fixture answers JSON");
    (Server::start_on(db, &[]).await, before)
}

/// What b695fe1 answered (`GET .../interactions`, the ids of its `interaction.created` events,
/// `GET .../agents/{id}/state-log` per agent, UJET `GET /end_users?identifier=cust-42`).
#[derive(serde::Deserialize)]
struct Before {
    interactions: InteractionList,
    created: Vec<String>,
    state_logs: BTreeMap<String, StateLog>,
    end_user: Value,
}

#[derive(serde::Deserialize)]
struct InteractionList {
    interactions: Vec<Value>,
}

#[derive(serde::Deserialize)]
struct StateLog {
    entries: Vec<Value>,
}

impl Before {
    /// The interaction b695fe1 created `n`-th (from 1).
    fn nth(&self, n: usize) -> &Value {
        let id = &self.created[n - 1];
        self.interactions
            .interactions
            .iter()
            .find(|i| i["id"] == *id)
            .unwrap_or_else(|| panic!("{id} not in the answers"))
    }
}

/// Asserts that `after` shows every field of `before` with the same value (`skip` left out).
fn assert_kept(what: &str, before: &Value, after: &Value, skip: &[&str]) {
    let fields = before.as_object().expect("an object");
    for (field, was) in fields.iter().filter(|(f, _)| !skip.contains(&f.as_str())) {
        assert_eq!(&after[field], was, "{what}.{field} changed: {after}");
    }
}

#[tokio::test]
async fn upgrade_from_b695fe1_keeps_every_interaction_numbered_in_creation_order() {
    let (s, before) = start_on_b695fe1().await;
    assert_eq!(before.created.len(), HISTORY.len());

    let (status, list) = s.get("/_ccemu/tenants/demo/interactions").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], HISTORY.len(), "{list}");
    let listed = list["interactions"].as_array().expect("interactions");
    // Newest first: the three calls of the first millisecond by number, highest first.
    let ids: Vec<&str> = listed.iter().map(|i| i["id"].as_str().unwrap()).collect();
    let newest_first: Vec<&str> = before.created.iter().rev().map(String::as_str).collect();
    assert_eq!(ids, newest_first);

    for (n, (channel, queue, state, agent)) in HISTORY.iter().enumerate() {
        let n = n + 1;
        let was = before.nth(n);
        let id = was["id"].as_str().unwrap();
        let now = listed.iter().find(|i| i["id"] == id).expect("listed");
        assert_eq!(now["number"], n, "interaction {id}");
        assert_eq!(
            (
                &now["channel"],
                &now["queue_id"],
                &now["state"],
                &now["agent_id"]
            ),
            (&json!(channel), &json!(queue), &json!(state), &json!(agent)),
            "interaction {n} ({id})"
        );
        // Every field b695fe1 showed, participants, transfers and recordings included; the list
        // leaves transcripts out.
        assert_kept(&format!("interaction {n}"), was, now, &["messages"]);
        let one = s.interaction("demo", id).await;
        assert_eq!(one["number"], n, "{one}");
        assert_kept(&format!("interaction {n}"), was, &one, &[]);
    }

    // The first three calls share their creation millisecond: only the event order tells them
    // apart, and the numbers follow it.
    let first_ms = &before.nth(1)["created_at_ms"];
    assert!((2..=3).all(|n| before.nth(n)["created_at_ms"] == *first_ms));

    // What the history holds, spelled out (the comparison above already covers it).
    let c = s.interaction("demo", before.created[2].as_str()).await;
    assert_eq!(c["hold_ms"], 5_000);
    assert_eq!(c["transfers"][0]["status"], "completed");
    assert_eq!(c["transfers"][0]["from_agent_id"], "1002");
    assert_eq!(c["transfers"][0]["to_queue_id"], "9002");
    let legs: Vec<(&Value, &Value)> = c["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (&p["kind"], &p["agent_id"]))
        .collect();
    assert_eq!(
        legs,
        [
            (&json!("customer"), &Value::Null),
            (&json!("agent"), &json!("1002")),
            (&json!("agent"), &json!("1003")),
        ]
    );
    assert_eq!(c["recordings"].as_array().map(Vec::len), Some(2), "{c}");
    let d = s.interaction("demo", before.created[3].as_str()).await;
    let transcript: Vec<(&Value, &Value, &Value, &Value)> = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (&m["index"], &m["from_kind"], &m["text"], &m["visibility"]))
        .collect();
    assert_eq!(
        transcript,
        [
            (
                &json!(1),
                &json!("customer"),
                &json!("Hi, my order 42 is late"),
                &json!("all")
            ),
            (
                &json!(2),
                &json!("agent"),
                &json!("Let me check that for you"),
                &json!("all")
            ),
            (
                &json!(3),
                &json!("agent"),
                &json!("Carrier delay noted"),
                &json!("agents")
            ),
            (
                &json!(4),
                &json!("customer"),
                &json!("Thanks!"),
                &json!("all")
            ),
        ]
    );
    assert_eq!(d["messages"][1]["html"], "<p>Let me check that for you</p>");
    assert_eq!(d["messages"][3]["attachments"][0]["name"], "receipt.txt");
    assert_eq!(d["messages"][3]["attachments"][0]["content_base64"], "NDI=");
    let e = s.interaction("demo", before.created[4].as_str()).await;
    assert_eq!(e["contact_id"], "1", "{e}");
    assert_eq!(e["participants"][0]["contact_id"], "1", "{e}");
    let f = s.interaction("demo", before.created[5].as_str()).await;
    let texts: Vec<&Value> = f["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["text"])
        .collect();
    assert_eq!(
        texts,
        [
            "I need a human",
            "Carol here, how can I help?",
            "Where is order 42?"
        ]
    );
}

#[tokio::test]
async fn upgrade_from_b695fe1_keeps_state_logs_and_the_ujet_end_user_calls_and_chats() {
    let (s, before) = start_on_b695fe1().await;

    // Agent state logs: every period, oldest first, as b695fe1 listed them.
    let periods: Vec<usize> = before
        .state_logs
        .values()
        .map(|l| l.entries.len())
        .collect();
    assert_eq!(periods, [0, 10, 20, 0], "1001..1004 in the fixture");
    for (agent, log) in &before.state_logs {
        let (status, now) = s
            .get(&format!("/_ccemu/tenants/demo/agents/{agent}/state-log"))
            .await;
        assert_eq!(status, 200, "{now}");
        assert_eq!(now["total"], log.entries.len(), "{agent}: {now}");
        let entries = now["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), log.entries.len(), "{agent}: {now}");
        for (k, (was, is)) in log.entries.iter().zip(entries).enumerate() {
            assert_kept(&format!("{agent} state log {k}"), was, is, &[]);
            assert_eq!(is["agent_id"], agent.as_str(), "{is}");
        }
    }
    let (_, carol) = s.get("/_ccemu/tenants/demo/agents/1003/state-log").await;
    let reasons: Vec<&Value> = carol["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["from"]["state"] == "not_ready")
        .map(|e| &e["from"]["reason"])
        .collect();
    assert_eq!(reasons, [&json!("lunch")], "{carol}");

    // The end user, by identifier and by id.
    let by_identifier = get_url(
        &s,
        &s.url("/apps/api/v1/end_users?identifier=cust-42"),
        TOKEN,
    )
    .await;
    assert_eq!(by_identifier.status, 200, "{}", by_identifier.body);
    assert_eq!(by_identifier.body, before.end_user);
    let by_id = get_url(
        &s,
        &s.url(&format!(
            "/apps/api/v1/end_users?id={}",
            before.end_user["id"]
        )),
        TOKEN,
    )
    .await;
    assert_eq!((by_id.status, &by_id.body), (200, &before.end_user));

    // UJET ids are the interaction numbers now: the calls are 1, 2, 3, 5 and 7, the chats 4 and 6.
    let calls = manager(&s, "/calls?per=100&sort_column=id&sort_direction=ASC").await;
    assert_eq!(calls.status, 200, "{}", calls.body);
    assert_eq!(calls.total(), 5);
    let ids: Vec<i64> = calls
        .rows()
        .iter()
        .map(|c| {
            c["id"]
                .as_i64()
                .unwrap_or_else(|| panic!("not an integer id: {c}"))
        })
        .collect();
    assert_eq!(ids, [1, 2, 3, 5, 7]);
    let chats = manager(&s, "/chats?per=100&sort_column=id&sort_direction=ASC").await;
    assert_eq!(chats.status, 200, "{}", chats.body);
    let ids: Vec<&Value> = chats.rows().iter().map(|c| &c["id"]).collect();
    assert_eq!(ids, [&json!(4), &json!(6)]);
    let chat = get_url(&s, &s.url("/apps/api/v1/chats/6"), TOKEN).await;
    assert_eq!(chat.status, 200, "{}", chat.body);
    assert_eq!(chat.body["status"], "finished", "{}", chat.body);
    assert_eq!(
        chat.body["end_user"]["id"], before.end_user["id"],
        "{}",
        chat.body
    );
}

#[tokio::test]
async fn upgrade_from_b695fe1_serves_the_waiting_call_and_numbers_new_interactions_after_it() {
    let (s, before) = start_on_b695fe1().await;
    let waiting = before.created[6].as_str();
    let (status, queue) = s.get("/_ccemu/tenants/demo/queues/9001/waiting").await;
    assert_eq!((status, &queue["waiting"]), (200, &json!([waiting])));
    // b695fe1 left the clock manual; its agents as it left them.
    assert_eq!(s.agent_state("demo", "1002").await, "logged_out");
    assert_eq!(s.agent_state("demo", "1003").await, "available");

    let call = s.sim_contact("demo", "calls", "9002").await;
    assert_eq!(
        (&call["number"], &call["agent_id"]),
        (&json!(8), &json!("1003"))
    );
    let chat = s.sim_contact("demo", "chats", "9001").await;
    assert_eq!(
        (&chat["number"], &chat["state"]),
        (&json!(9), &json!("queued"))
    );
    // The call b695fe1 left waiting is ahead of the new chat.
    s.ready("demo", "1002").await;
    s.advance("demo", 2_000).await;
    let old = s.interaction("demo", waiting).await;
    assert_eq!(
        (&old["number"], &old["state"], &old["agent_id"]),
        (&json!(7), &json!("connected"), &json!("1002")),
        "{old}"
    );
    let new = manager(&s, "/calls/8").await;
    assert_eq!(new.status, 200, "{}", new.body);
    let row = if new.body.is_array() {
        &new.body[0]
    } else {
        &new.body
    };
    assert_eq!(row["id"], 8, "{row}");
    let (_, list) = s.get("/_ccemu/tenants/demo/interactions").await;
    assert_eq!(list["total"], 9, "{list}");
}
