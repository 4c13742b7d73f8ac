//! The typed history tables on the backend selected by `CCEMU_TEST_BACKEND` (CI runs both):
//! round trips, indexed pages, append-only transcripts, the upgrade of documents an earlier
//! release wrote, and every example query of `docs/data-model.md`.

use ccemu_core::agent::{AgentState, AgentStateLog};
use ccemu_core::interaction::{
    Channel, Direction, EndReason, EndedBy, Interaction, InteractionState, Message, MessageKind,
    ParticipantKind, Recording, Transfer, TransferStatus, Visibility,
};
use ccemu_core::{Contact, TenantId};
use ccemu_store::query::{ContactKey, InteractionFilter, InteractionOrder, StateLogFilter};
use ccemu_store::testing::{tenant, TestDb};
use ccemu_store::{Backend, Changes, Store};
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

const DAY: i64 = 86_400_000;
/// 2027-01-15T00:00:00Z.
const DAY_START: i64 = 1_800_000_000_000 - 1_800_000_000_000 % DAY;

async fn store() -> (TestDb, Store, TenantId) {
    let db = TestDb::new().await;
    let store = Store::connect(&db.url).await.expect("connect");
    let t = tenant("demo");
    store
        .insert_tenant(&t, &ccemu_core::clock::Clock::default())
        .await
        .unwrap();
    (db, store, t.id)
}

/// A voice call to `queue` created at `at`, answered by `agent` after `wait` ms (or abandoned).
fn call(number: u64, queue: &str, agent: Option<&str>, at: i64, wait: i64) -> Interaction {
    let mut i = Interaction::new(
        format!("call-{number}"),
        Channel::Voice,
        Direction::Inbound,
        at,
    );
    i.number = number;
    i.queue_id = Some(queue.into());
    i.from = "+14155550100".into();
    i.to = "+14155550199".into();
    i.add_participant(ParticipantKind::Customer, None, None, "+14155550100", at)
        .unwrap();
    i.set_state(InteractionState::Queued, at).unwrap();
    match agent {
        Some(agent) => {
            i.agent_id = Some(agent.into());
            i.set_state(InteractionState::Connected, at + wait).unwrap();
            i.end(EndedBy::Customer, EndReason::Normal, at + wait + 60_000)
                .unwrap();
        }
        None => {
            i.end(EndedBy::Customer, EndReason::Abandoned, at + wait)
                .unwrap();
        }
    }
    i
}

fn message(index: u32, text: &str, at: i64) -> Message {
    Message {
        id: format!("m{index}"),
        index: 0,
        kind: MessageKind::Text,
        from_participant_id: Some("1".into()),
        from_kind: ParticipantKind::Customer,
        text: text.into(),
        subject: None,
        html: None,
        visibility: Visibility::All,
        attachments: Vec::new(),
        sent_at_ms: at,
    }
}

/// A chat numbered `number` with the given lines, still open.
fn chat(number: u64, lines: &[&str], at: i64) -> Interaction {
    let mut i = Interaction::new(
        format!("chat-{number}"),
        Channel::Chat,
        Direction::Inbound,
        at,
    );
    i.number = number;
    i.queue_id = Some("9002".into());
    i.add_participant(ParticipantKind::Customer, None, None, "Ann", at)
        .unwrap();
    for (n, line) in lines.iter().enumerate() {
        i.add_message(message(n as u32 + 1, line, at + n as i64))
            .unwrap();
    }
    i
}

fn log(
    agent: &str,
    seq: u64,
    from: AgentState,
    to: AgentState,
    start: i64,
    end: i64,
) -> AgentStateLog {
    AgentStateLog {
        id: format!("{agent}-{seq}"),
        agent_id: agent.into(),
        from,
        to,
        start_ms: start,
        end_ms: end,
        duration_ms: end - start,
    }
}

async fn commit(store: &Store, t: &TenantId, f: impl FnOnce(&mut Changes)) {
    let mut changes = Changes::default();
    f(&mut changes);
    store.commit(t, &changes).await.unwrap();
}

/// The history the example queries run against.
async fn history(store: &Store, t: &TenantId) {
    commit(store, t, |c| {
        c.put(&ccemu_core::Agent::new("1001", "Alice", 0)).unwrap();
        c.put(&ccemu_core::Agent::new("1002", "Bob", 0)).unwrap();
        c.put(&ccemu_core::Queue {
            id: "9001".into(),
            name: "Sales".into(),
            members: vec![
                ccemu_core::QueueMember {
                    agent_id: "1002".into(),
                    tier: 1,
                    position: 0,
                },
                ccemu_core::QueueMember {
                    agent_id: "1001".into(),
                    tier: 0,
                    position: 0,
                },
            ],
            ..serde_json::from_value(json!({"id": "9001", "name": "Sales"})).unwrap()
        })
        .unwrap();
        c.put(&call(1, "9001", Some("1001"), DAY_START + 1_000, 10_000))
            .unwrap();
        c.put(&call(2, "9001", Some("1001"), DAY_START + 5_000, 30_000))
            .unwrap();
        c.put(&call(3, "9002", Some("1002"), DAY_START + 9_000, 20_000))
            .unwrap();
        c.put(&call(4, "9002", None, DAY_START + 12_000, 7_000))
            .unwrap();
        // The next day: not in the day's counts.
        c.put(&call(5, "9001", Some("1002"), DAY_START + DAY + 1, 1_000))
            .unwrap();
        c.put(&chat(
            6,
            &["hello", "I need help", "thanks"],
            DAY_START + 20_000,
        ))
        .unwrap();
        c.put(&log(
            "1001",
            1,
            AgentState::LoggedOut,
            AgentState::Available,
            DAY_START,
            DAY_START + 1_000,
        ))
        .unwrap();
        c.put(&log(
            "1001",
            2,
            AgentState::Available,
            AgentState::NotReady {
                reason: Some("lunch".into()),
            },
            DAY_START + 1_000,
            DAY_START + 61_000,
        ))
        .unwrap();
        c.put(&log(
            "1001",
            3,
            AgentState::NotReady {
                reason: Some("lunch".into()),
            },
            AgentState::WrapUp {
                until_ms: Some(DAY_START + 200_000),
            },
            DAY_START + 61_000,
            DAY_START + 121_000,
        ))
        .unwrap();
    })
    .await;
}

#[tokio::test]
async fn an_interaction_round_trips_with_its_child_rows() {
    let (_db, store, t) = store().await;
    let mut i = call(7, "9001", Some("1001"), DAY_START, 2_000);
    i.custom_data = BTreeMap::from([("user_data".to_owned(), json!({"k": [1, 2]}))]);
    i.lang = Some("en".into());
    i.parent_id = Some("call-1".into());
    i.hold_ms = 1_500;
    i.queue_seq = 42;
    i.participants[0].address = Some("+14155550100".into());
    i.transfers.push(Transfer {
        id: "t1".into(),
        status: TransferStatus::Completed,
        from_agent_id: Some("1001".into()),
        to_agent_id: None,
        from_queue_id: Some("9001".into()),
        to_queue_id: Some("9002".into()),
        to_number: None,
        created_at_ms: DAY_START + 3_000,
    });
    i.recordings.push(Recording {
        id: "r1".into(),
        url: "/recordings/demo/call-7/r1.wav".into(),
        started_at_ms: DAY_START + 2_000,
        ended_at_ms: DAY_START + 62_000,
    });
    commit(&store, &t, |c| c.put(&i).unwrap()).await;
    assert_eq!(store.interaction(&t, &i.id).await.unwrap(), Some(i.clone()));
    assert_eq!(
        store.interaction_by_number(&t, 7).await.unwrap(),
        Some(i.clone())
    );
    assert_eq!(store.last_interaction_number(&t).await.unwrap(), 7);
    // Another tenant sees nothing of it.
    let other = tenant("other");
    store
        .insert_tenant(&other, &ccemu_core::clock::Clock::default())
        .await
        .unwrap();
    assert_eq!(store.interaction(&other.id, &i.id).await.unwrap(), None);
    assert_eq!(
        store.interaction_by_number(&other.id, 7).await.unwrap(),
        None
    );
}

/// A group of commands writes each table in multi-row statements across its interactions: every
/// child row must land with its own interaction and position, past a statement's row limit too.
#[tokio::test]
async fn many_interactions_written_together_each_keep_their_own_child_rows() {
    let (_db, store, t) = store().await;
    let mut all = Vec::new();
    for n in 1..=70u64 {
        let mut i = if n % 2 == 0 {
            let lines: Vec<String> = (0..n % 5 + 1).map(|k| format!("line {k} of {n}")).collect();
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            chat(n, &lines, DAY_START + n as i64)
        } else {
            call(n, "9001", Some("1001"), DAY_START + n as i64, 1_000)
        };
        if n % 6 == 0 {
            // An open chat takes a second participant.
            i.add_participant(
                ParticipantKind::Agent,
                Some("1001".into()),
                None,
                "Alice",
                DAY_START,
            )
            .unwrap();
        }
        if n % 7 == 0 {
            i.recordings.push(Recording {
                id: format!("r{n}"),
                url: format!("/recordings/demo/{}/r.wav", i.id),
                started_at_ms: DAY_START,
                ended_at_ms: DAY_START + 1,
            });
        }
        all.push(i);
    }
    commit(&store, &t, |c| {
        for i in &all {
            c.put(i).unwrap();
        }
    })
    .await;
    for i in &all {
        assert_eq!(
            store.interaction(&t, &i.id).await.unwrap().as_ref(),
            Some(i)
        );
    }
    assert_eq!(store.last_interaction_number(&t).await.unwrap(), 70);
    let (kept, counted) = totals(&store, &t, &[]).await;
    assert_eq!((kept, counted), (70, 70));
}

#[tokio::test]
async fn a_transcript_grows_by_inserts_and_keeps_its_order() {
    let (_db, store, t) = store().await;
    let mut i = chat(1, &["one"], DAY_START);
    commit(&store, &t, |c| c.put(&i).unwrap()).await;
    for n in 2..=5u32 {
        i.add_message(message(n, &format!("line {n}"), DAY_START + i64::from(n)))
            .unwrap();
        commit(&store, &t, |c| {
            // The engine keeps how much of the transcript is stored; a put copies the rest only.
            c.messages_stored.insert(i.id.clone(), n - 1);
            c.put(&i).unwrap();
            assert_eq!(c.interactions[0].messages.len(), 1, "only the new message");
        })
        .await;
    }
    let back = store.interaction(&t, &i.id).await.unwrap().unwrap();
    assert_eq!(back.messages, i.messages);
    assert_eq!(
        back.messages.iter().map(|m| m.index).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    // Pages leave the transcript out.
    let page = store
        .interactions(&t, &InteractionFilter::first(10))
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert!(page.items[0].messages.is_empty());
    assert_eq!(page.items[0].participants.len(), 1);
}

#[tokio::test]
async fn pages_filter_order_and_count() {
    let (_db, store, t) = store().await;
    history(&store, &t).await;
    let numbers = |items: &[Interaction]| items.iter().map(|i| i.number).collect::<Vec<_>>();
    let calls = InteractionFilter {
        channels: vec![Channel::Voice],
        order: InteractionOrder::NumberDesc,
        limit: 2,
        offset: 1,
        ..Default::default()
    };
    let page = store.interactions(&t, &calls).await.unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(numbers(&page.items), vec![4, 3]);
    let by_agent = InteractionFilter {
        agent_id: Some("1001".into()),
        limit: 10,
        ..Default::default()
    };
    let page = store.interactions(&t, &by_agent).await.unwrap();
    assert_eq!(numbers(&page.items), vec![1, 2]);
    let window = InteractionFilter {
        created_from_ms: Some(DAY_START + 5_000),
        created_to_ms: Some(DAY_START + 12_000),
        states: vec![InteractionState::Ended],
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        numbers(&store.interactions(&t, &window).await.unwrap().items),
        vec![2, 3]
    );
    let open = InteractionFilter {
        ended: Some(false),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        numbers(&store.interactions(&t, &open).await.unwrap().items),
        vec![6]
    );
    let open = store.open_interactions(&t).await.unwrap();
    assert_eq!(numbers(&open), vec![6]);
    assert_eq!(
        open[0].messages.len(),
        3,
        "start-up loads open interactions whole"
    );
}

#[tokio::test]
async fn new_interactions_are_counted_from_the_number_the_writer_knows_or_looks_up() {
    let (_db, store, t) = store().await;
    let total = |store: Store, t: TenantId| async move {
        let calls = InteractionFilter {
            channels: vec![Channel::Voice],
            limit: 1,
            ..Default::default()
        };
        store.interactions(&t, &calls).await.unwrap().total
    };
    // Known: nothing stored yet; then 2 stored, and call 2 comes back changed with call 3.
    commit(&store, &t, |c| {
        c.numbered_to = Some(0);
        c.interactions.push(call(1, "9001", None, DAY_START, 1_000));
        c.interactions.push(call(2, "9001", None, DAY_START, 2_000));
    })
    .await;
    assert_eq!(total(store.clone(), t.clone()).await, 2);
    commit(&store, &t, |c| {
        c.numbered_to = Some(2);
        c.interactions.push(call(2, "9001", None, DAY_START, 3_000));
        c.interactions.push(call(3, "9001", None, DAY_START, 1_000));
    })
    .await;
    assert_eq!(total(store.clone(), t.clone()).await, 3);
    // Unknown: looked up, with the same result.
    commit(&store, &t, |c| {
        c.interactions.push(call(3, "9001", None, DAY_START, 2_000));
        c.interactions.push(call(4, "9001", None, DAY_START, 1_000));
    })
    .await;
    assert_eq!(total(store.clone(), t.clone()).await, 4);
    // A wipe stores nothing before the new ones, whatever the writer knew.
    commit(&store, &t, |c| {
        c.wipe = true;
        c.numbered_to = Some(4);
        c.interactions.push(call(1, "9001", None, DAY_START, 1_000));
    })
    .await;
    assert_eq!(total(store.clone(), t.clone()).await, 1);
}

#[tokio::test]
async fn state_logs_page_by_agent_and_window_with_their_predecessors() {
    let (_db, store, t) = store().await;
    history(&store, &t).await;
    let filter = StateLogFilter {
        agent_id: Some("1001".into()),
        start_from_ms: Some(DAY_START + 1_000),
        limit: 10,
        ..Default::default()
    };
    let page = store.state_logs(&t, &filter).await.unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(
        page.items.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
        vec!["1001-2", "1001-3"]
    );
    assert_eq!(
        page.items[1].from,
        AgentState::NotReady {
            reason: Some("lunch".into())
        }
    );
    assert_eq!(
        page.items[1].to,
        AgentState::WrapUp {
            until_ms: Some(DAY_START + 200_000)
        }
    );
    let before = store.previous_states(&t, &page.items).await.unwrap();
    assert_eq!(
        before,
        vec![Some(AgentState::LoggedOut), Some(AgentState::Available)]
    );
    let nobody = StateLogFilter {
        agent_id: Some("1002".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.state_logs(&t, &nobody).await.unwrap().total, 0);
}

#[tokio::test]
async fn contacts_are_found_by_each_key() {
    let (_db, store, t) = store().await;
    let contact = Contact {
        id: "14".into(),
        identifier: Some("crm-1".into()),
        external_id: Some("ext-9".into()),
        name: "Ann".into(),
        email: "Ann@Example.com".into(),
        phone: "+14155550100".into(),
        attributes: BTreeMap::from([("tier".to_owned(), json!("gold"))]),
        created_at_ms: 1,
        updated_at_ms: 2,
    };
    commit(&store, &t, |c| c.put(&contact).unwrap()).await;
    for key in [
        ContactKey::Id("14".into()),
        ContactKey::Identifier("crm-1".into()),
        ContactKey::ExternalId("ext-9".into()),
        ContactKey::Phone("+14155550100".into()),
        ContactKey::Email("ann@example.COM".into()),
    ] {
        assert_eq!(
            store.contact(&t, &key).await.unwrap().as_ref(),
            Some(&contact),
            "{key:?}"
        );
    }
    assert_eq!(
        store
            .contact(&t, &ContactKey::Phone(String::new()))
            .await
            .unwrap(),
        None,
        "a blank phone matches nobody"
    );
    let page = store.contacts(&t, 0, 10).await.unwrap();
    assert_eq!((page.total, page.items.len()), (1, 1));
    // Several at once: those that exist, once each; another tenant's are not found.
    let ids: Vec<String> = ["14", "missing", "14"].map(String::from).to_vec();
    assert_eq!(
        store.contacts_by_id(&t, &ids).await.unwrap(),
        std::slice::from_ref(&contact)
    );
    let other = TenantId::parse("other").unwrap();
    assert!(store.contacts_by_id(&other, &ids).await.unwrap().is_empty());
    // The contact sequence resumes above the highest numeric id: numerically, not as text, and
    // ids that are not numbers (or too long for a BIGINT) do not count.
    assert_eq!(store.last_contact_id(&t).await.unwrap(), 14);
    commit(&store, &t, |c| {
        for id in ["9", "120", "abc", "12x", "1234567890123456789012"] {
            c.put(&Contact {
                id: id.into(),
                identifier: None,
                external_id: None,
                ..contact.clone()
            })
            .unwrap();
        }
    })
    .await;
    assert_eq!(store.last_contact_id(&t).await.unwrap(), 120);
    assert_eq!(store.last_contact_id(&other).await.unwrap(), 0);
}

#[tokio::test]
async fn interaction_numbers_are_read_for_many_ids_at_once() {
    let (_db, store, t) = store().await;
    commit(&store, &t, |c| {
        for n in 1..=150 {
            c.put(&call(n, "9001", None, n as i64, 0)).unwrap();
        }
    })
    .await;
    // More ids than one statement takes, some unknown.
    let ids: Vec<String> = (1..=160).rev().map(|n| format!("call-{n}")).collect();
    let mut found = store.interaction_numbers(&t, &ids).await.unwrap();
    found.sort_by_key(|(_, n)| *n);
    let expected: Vec<(String, u64)> = (1..=150).map(|n| (format!("call-{n}"), n)).collect();
    assert_eq!(found, expected);
}

#[tokio::test]
async fn deleting_a_tenant_removes_its_typed_rows() {
    let (_db, store, t) = store().await;
    history(&store, &t).await;
    assert!(store.count_rows(&t).await.unwrap() > 10);
    store.delete_tenant(&t).await.unwrap();
    assert_eq!(store.count_rows(&t).await.unwrap(), 0);
}

/// The SQL blocks of `docs/data-model.md`, by their `-- example:` name.
fn examples() -> BTreeMap<String, String> {
    let doc = include_str!("../../../docs/data-model.md");
    let mut out = BTreeMap::new();
    for block in doc.split("```sql\n").skip(1) {
        let sql = block.split("```").next().unwrap_or_default();
        let name = sql
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("-- example: "))
            .expect("every SQL block of the doc is a named example");
        out.insert(name.trim().to_owned(), sql.to_owned());
    }
    out
}

/// Runs one example with its placeholders filled in; each row as text cells.
async fn run(db: &TestDb, sql: &str, number: u64) -> Vec<Vec<String>> {
    let sql = sql
        .replace(":day_start_ms", &DAY_START.to_string())
        .replace(":day_end_ms", &(DAY_START + DAY).to_string())
        .replace(":number", &number.to_string());
    // Each backend through its own driver, as a user's client would reach it.
    macro_rules! text_rows {
        ($pool:ty) => {{
            let pool = <$pool>::connect(&db.url).await.unwrap();
            let rows = sqlx::query(&sql)
                .fetch_all(&pool)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            rows.iter()
                .map(|row| {
                    (0..row.len())
                        .map(|c| {
                            if let Ok(n) = row.try_get::<i64, _>(c) {
                                n.to_string()
                            } else if let Ok(x) = row.try_get::<f64, _>(c) {
                                format!("{x:.1}")
                            } else {
                                row.try_get::<String, _>(c).unwrap()
                            }
                        })
                        .collect()
                })
                .collect()
        }};
    }
    match db.backend {
        Backend::Sqlite => text_rows!(sqlx::SqlitePool),
        Backend::Postgres => text_rows!(sqlx::PgPool),
    }
}

#[tokio::test]
async fn every_example_query_of_the_data_model_doc_answers() {
    let (db, store, t) = store().await;
    history(&store, &t).await;
    let examples = examples();
    assert_eq!(examples.len(), 6, "{:?}", examples.keys());
    let rows = |v: &[&[&str]]| -> Vec<Vec<String>> {
        v.iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect()
    };
    assert_eq!(
        run(&db, &examples["calls_per_agent"], 0).await,
        rows(&[&["1001", "Alice", "2"], &["1002", "Bob", "1"]])
    );
    assert_eq!(
        run(&db, &examples["queue_members"], 0).await,
        rows(&[&["Sales", "0", "Alice"], &["Sales", "1", "Bob"]])
    );
    assert_eq!(
        run(&db, &examples["average_wait_per_queue"], 0).await,
        rows(&[&["9001", "3", "13.7"], &["9002", "1", "20.0"]])
    );
    assert_eq!(
        run(&db, &examples["chat_transcript"], 6).await,
        rows(&[
            &["1", "customer", "hello", &(DAY_START + 20_000).to_string()],
            &[
                "2",
                "customer",
                "I need help",
                &(DAY_START + 20_001).to_string()
            ],
            &["3", "customer", "thanks", &(DAY_START + 20_002).to_string()],
        ])
    );
    assert_eq!(
        run(&db, &examples["time_in_state"], 0).await,
        rows(&[
            &["1001", "available", "60"],
            &["1001", "logged_out", "1"],
            &["1001", "not_ready", "60"],
        ])
    );
    assert_eq!(
        run(&db, &examples["abandoned_calls"], 0).await,
        rows(&[&["4", "9002", "7"]])
    );
    drop(store);
}

#[tokio::test]
async fn history_documents_of_an_earlier_release_move_into_the_typed_tables() {
    let db = TestDb::new().await;
    let store = Store::connect(&db.url).await.unwrap();
    let t = tenant("demo");
    store
        .insert_tenant(&t, &ccemu_core::clock::Clock::default())
        .await
        .unwrap();
    // What an earlier release wrote: the records whole, as documents, interactions unnumbered.
    let mut early = call(0, "9001", Some("1001"), DAY_START + 9, 1_000);
    early.id = "b-early".into();
    let mut late = chat(0, &["hi", "bye"], DAY_START + 50);
    late.id = "a-late".into();
    let old_log = log(
        "1001",
        4,
        AgentState::Available,
        AgentState::OnContact,
        1,
        5,
    );
    let contact = Contact {
        id: "7".into(),
        identifier: Some("x".into()),
        external_id: None,
        name: "Bo".into(),
        email: String::new(),
        phone: String::new(),
        attributes: BTreeMap::new(),
        created_at_ms: 0,
        updated_at_ms: 0,
    };
    let docs = [
        (
            "interaction",
            "b-early",
            serde_json::to_value(&early).unwrap(),
        ),
        (
            "interaction",
            "a-late",
            serde_json::to_value(&late).unwrap(),
        ),
        (
            "agent_state_log",
            "1001-4",
            serde_json::to_value(&old_log).unwrap(),
        ),
        ("contact", "7", serde_json::to_value(&contact).unwrap()),
    ];
    macro_rules! insert_documents {
        ($pool:ty) => {{
            let pool = <$pool>::connect(&db.url).await.unwrap();
            for (kind, id, data) in docs {
                let mut data = data;
                if kind == "interaction" {
                    data.as_object_mut().unwrap().remove("number");
                }
                sqlx::query(
                    "INSERT INTO entities (tenant_id, kind, id, data) VALUES ($1, $2, $3, $4)",
                )
                .bind("demo")
                .bind(kind)
                .bind(id)
                .bind(data.to_string())
                .execute(&pool)
                .await
                .unwrap();
            }
        }};
    }
    match db.backend {
        Backend::Sqlite => insert_documents!(sqlx::SqlitePool),
        Backend::Postgres => insert_documents!(sqlx::PgPool),
    }
    store.close().await;
    // The next start moves them.
    let store = Store::connect(&db.url).await.unwrap();
    early.number = 1;
    late.number = 2;
    assert_eq!(
        store.interaction(&t.id, "b-early").await.unwrap(),
        Some(early)
    );
    assert_eq!(
        store.interaction_by_number(&t.id, 2).await.unwrap(),
        Some(late)
    );
    let logs = store
        .state_logs(
            &t.id,
            &StateLogFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(logs.items, vec![old_log]);
    assert_eq!(
        store
            .contact(&t.id, &ContactKey::Identifier("x".into()))
            .await
            .unwrap(),
        Some(contact)
    );
    assert!(
        store.documents(&t.id).await.unwrap().is_empty(),
        "no history document is left"
    );
    // A further start finds nothing to move and changes nothing.
    store.close().await;
    let store = Store::connect(&db.url).await.unwrap();
    assert_eq!(store.last_interaction_number(&t.id).await.unwrap(), 2);
}

#[tokio::test]
async fn pruning_keeps_the_newest_history_and_never_what_is_live() {
    use ccemu_core::event::{DomainEvent, EventRecord};
    use ccemu_store::outbox::{Attempt, DeliveryState, NextStep, Notification};
    let (_db, store, t) = store().await;
    history(&store, &t).await;
    commit(&store, &t, |c| {
        for seq in 1..=10 {
            c.events.push(EventRecord {
                seq,
                at_ms: seq,
                event: DomainEvent::TenantReset,
            });
        }
        for n in 0..4 {
            c.notifications.push(Notification {
                source: "ccemu".into(),
                event_seq: None,
                url: format!("http://127.0.0.1:9/{n}"),
                method: "POST".into(),
                headers: Vec::new(),
                body: "{}".into(),
            });
        }
    })
    .await;
    // Three of the four deliveries are done; the fourth is still pending.
    let all = store.list_deliveries(&t, None, 10).await.unwrap();
    let mut ids: Vec<i64> = all.iter().map(|d| d.id).collect();
    ids.sort();
    for id in &ids[..3] {
        let attempt = Attempt {
            attempt: 1,
            at_ms: 1,
            status: Some(200),
            error: None,
            duration_ms: 1,
        };
        assert!(store
            .record_attempt(*id, &attempt, NextStep::Delivered)
            .await
            .unwrap());
    }
    let limits = ccemu_core::Retention {
        ended_interactions: 2,
        agent_state_logs: 1,
        events: 4,
        finished_deliveries: 1,
    };
    let pruned = store.prune(&t, &limits).await.unwrap();
    assert_eq!(
        (
            pruned.ended_interactions,
            pruned.agent_state_logs,
            pruned.events,
            pruned.finished_deliveries
        ),
        (3, 2, 6, 2)
    );
    // The two newest ended calls stay, and the open chat, whatever its number.
    let left = store
        .interactions(&t, &InteractionFilter::first(10))
        .await
        .unwrap();
    assert_eq!(
        left.items.iter().map(|i| i.number).collect::<Vec<_>>(),
        vec![4, 5, 6]
    );
    assert!(store.interaction(&t, "call-1").await.unwrap().is_none());
    let logs = store
        .state_logs(
            &t,
            &StateLogFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        logs.items.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
        vec!["1001-3"]
    );
    let events = store.list_events(&t, 0, 100).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![7, 8, 9, 10]
    );
    let left = store.list_deliveries(&t, None, 10).await.unwrap();
    let states: Vec<DeliveryState> = left.iter().map(|d| d.state).collect();
    assert_eq!(states.len(), 2);
    assert!(
        states.contains(&DeliveryState::Pending),
        "a pending delivery is never pruned"
    );
    // A second pass finds nothing more to do.
    let again = store.prune(&t, &limits).await.unwrap();
    assert_eq!(again, ccemu_store::Pruned::default());
    // 0 keeps everything.
    let keep_all = ccemu_core::Retention {
        ended_interactions: 0,
        agent_state_logs: 0,
        events: 0,
        finished_deliveries: 0,
    };
    assert_eq!(
        store.prune(&t, &keep_all).await.unwrap(),
        ccemu_store::Pruned::default()
    );
}

#[tokio::test]
async fn the_directory_round_trips_with_its_child_rows() {
    use ccemu_core::queue::{OverflowTarget, QueueMember};
    use ccemu_core::{Agent, Queue, Skill, SkillLevel, Team};
    let (_db, store, t) = store().await;
    let mut alice = Agent::new("1001", "Alice", 5);
    alice.email = "alice@example.com".into();
    alice.team_ids = vec!["t2".into(), "t1".into()];
    alice.skills = vec![
        SkillLevel::new("fr", 4).unwrap(),
        SkillLevel::new("en", 2).unwrap(),
    ];
    alice.state = AgentState::OnBreak {
        sub_state: 3,
        until_ms: Some(77),
    };
    alice.enabled = false;
    alice.logout_after_contact = true;
    alice.default_caller_number = Some("+14155550100".into());
    alice.extra = BTreeMap::from([("location".to_owned(), json!({"city": "Oslo"}))]);
    let bob = Agent::new("1002", "Bob", 6);
    let mut queue = Queue {
        id: "9001".into(),
        name: "Sales".into(),
        channels: vec![Channel::Voice, Channel::Chat],
        strategy: ccemu_core::RoutingStrategy::TopDown,
        priority: 3,
        max_length: 10,
        timeout_secs: 30,
        overflow: Some(OverflowTarget::Queue {
            queue_id: "9002".into(),
        }),
        members: vec![
            QueueMember {
                agent_id: "1002".into(),
                tier: 1,
                position: 0,
            },
            QueueMember {
                agent_id: "1001".into(),
                tier: 0,
                position: 2,
            },
        ],
        required_skills: vec![SkillLevel::new("fr", 3).unwrap()],
        wrap_up_secs: Some(15),
        wait_music: Some("hold.wav".into()),
        parent_id: None,
        position: 1,
        created_at_ms: 1,
        updated_at_ms: 2,
        extra: BTreeMap::from([("menu_type".to_owned(), json!("ivr"))]),
    };
    let team = Team {
        id: "t1".into(),
        name: "Team one".into(),
        parent_id: Some("t0".into()),
        position: 2,
        created_at_ms: 4,
    };
    let skill = Skill {
        id: "fr".into(),
        name: "French".into(),
        description: "spoken".into(),
    };
    commit(&store, &t, |c| {
        c.put(&alice).unwrap();
        c.put(&bob).unwrap();
        c.put(&queue).unwrap();
        c.put(&team).unwrap();
        c.put(&skill).unwrap();
    })
    .await;
    assert_eq!(
        store.agents(&t).await.unwrap(),
        vec![alice.clone(), bob.clone()]
    );
    assert_eq!(store.teams(&t).await.unwrap(), vec![team]);
    assert_eq!(store.skills(&t).await.unwrap(), vec![skill]);
    let live = store.live_documents(&t).await.unwrap();
    let stored_queue = live
        .iter()
        .find(|d| d.kind == "queue")
        .expect("queue loaded");
    assert_eq!(
        stored_queue,
        &ccemu_store::Document::from_entity(&queue).unwrap()
    );
    // A change rewrites the child rows: fewer members, no skills.
    queue.members.truncate(1);
    queue.required_skills.clear();
    alice.team_ids.clear();
    commit(&store, &t, |c| {
        c.put(&queue).unwrap();
        c.put(&alice).unwrap();
    })
    .await;
    let live = store.live_documents(&t).await.unwrap();
    let stored_queue = live.iter().find(|d| d.kind == "queue").unwrap();
    assert_eq!(
        stored_queue,
        &ccemu_store::Document::from_entity(&queue).unwrap()
    );
    assert_eq!(store.agents(&t).await.unwrap()[0], alice);
    // Deletes take the child rows with them.
    let before = store.count_rows(&t).await.unwrap();
    commit(&store, &t, |c| {
        c.delete::<Queue>("9001");
        c.delete::<Agent>("1001");
    })
    .await;
    // The queue and its one member; the agent and its two skills.
    assert_eq!(before - store.count_rows(&t).await.unwrap(), 2 + 3);
    assert_eq!(store.agents(&t).await.unwrap(), vec![bob]);
}

#[tokio::test]
async fn every_page_in_every_order_is_its_slice_of_the_whole_list() {
    let (_db, store, t) = store().await;
    // Seven interactions, three of them created in the same millisecond (ties of time).
    commit(&store, &t, |c| {
        for (number, at) in [
            (1, 50),
            (2, 10),
            (3, 30),
            (4, 30),
            (5, 30),
            (6, 20),
            (7, 40),
        ] {
            let mut i = call(number, "9001", None, DAY_START + at, 1);
            i.updated_at_ms = DAY_START + 100 - at;
            c.put(&i).unwrap();
        }
    })
    .await;
    let orders = [
        InteractionOrder::NumberAsc,
        InteractionOrder::NumberDesc,
        InteractionOrder::CreatedAsc,
        InteractionOrder::CreatedDesc,
        InteractionOrder::UpdatedAsc,
        InteractionOrder::UpdatedDesc,
    ];
    for order in orders {
        let whole = InteractionFilter {
            order,
            limit: 100,
            ..Default::default()
        };
        let all: Vec<u64> = store
            .interactions(&t, &whole)
            .await
            .unwrap()
            .items
            .iter()
            .map(|i| i.number)
            .collect();
        assert_eq!(all.len(), 7);
        for limit in 1..=4u64 {
            for offset in 0..=8u64 {
                let page = InteractionFilter {
                    order,
                    offset,
                    limit,
                    ..Default::default()
                };
                let got = store.interactions(&t, &page).await.unwrap();
                let want: Vec<u64> = all
                    .iter()
                    .skip(offset as usize)
                    .take(limit as usize)
                    .copied()
                    .collect();
                let numbers: Vec<u64> = got.items.iter().map(|i| i.number).collect();
                assert_eq!(numbers, want, "{order:?} offset {offset} limit {limit}");
                assert_eq!(got.total, 7);
            }
        }
    }
    // Ties of time go by number ascending, also newest first.
    let newest = InteractionFilter {
        order: InteractionOrder::CreatedDesc,
        limit: 100,
        ..Default::default()
    };
    let numbers: Vec<u64> = store
        .interactions(&t, &newest)
        .await
        .unwrap()
        .items
        .iter()
        .map(|i| i.number)
        .collect();
    assert_eq!(numbers, vec![1, 7, 3, 4, 5, 6, 2]);
}

/// The total of a page of `channels` from the kept counts, and counted from the rows (a time
/// bound that every row meets forces the count).
async fn totals(store: &Store, t: &TenantId, channels: &[Channel]) -> (u64, u64) {
    let kept = InteractionFilter {
        channels: channels.to_vec(),
        limit: 1,
        ..InteractionFilter::default()
    };
    let counted = InteractionFilter {
        created_from_ms: Some(i64::MIN),
        ..kept.clone()
    };
    (
        store.interactions(t, &kept).await.unwrap().total,
        store.interactions(t, &counted).await.unwrap().total,
    )
}

#[tokio::test]
async fn kept_counts_by_channel_follow_every_write_delete_prune_and_reset() {
    let (_db, store, t) = store().await;
    let other = TenantId::parse("other").unwrap();
    store
        .insert_tenant(&tenant("other"), &Default::default())
        .await
        .unwrap();
    history(&store, &t).await;
    commit(&store, &other, |c| {
        c.put(&call(1, "9001", None, 1, 0)).unwrap()
    })
    .await;
    let check = |label: &'static str| {
        let store = store.clone();
        let t = t.clone();
        async move {
            for channels in [
                vec![],
                vec![Channel::Voice],
                vec![Channel::Chat],
                vec![Channel::Chat, Channel::Voice, Channel::Chat],
                vec![Channel::Errand],
            ] {
                let (kept, counted) = totals(&store, &t, &channels).await;
                assert_eq!(kept, counted, "{label}: {channels:?}");
            }
        }
    };
    check("history").await;
    let (all, _) = totals(&store, &t, &[]).await;
    assert!(all >= 4, "{all}");
    // Rewriting a stored interaction adds nothing; a new one adds one.
    let again = store.interaction(&t, "call-1").await.unwrap().unwrap();
    commit(&store, &t, |c| {
        c.put(&again).unwrap();
        c.put(&again).unwrap();
        c.put(&chat(99, &["hi"], 5)).unwrap();
    })
    .await;
    check("rewrite").await;
    assert_eq!(totals(&store, &t, &[]).await.0, all + 1);
    commit(&store, &t, |c| c.delete::<Interaction>("chat-99")).await;
    check("delete").await;
    let limits = ccemu_core::Retention {
        ended_interactions: 1,
        ..ccemu_core::Retention::default()
    };
    assert!(store.prune(&t, &limits).await.unwrap().ended_interactions > 0);
    check("prune").await;
    commit(&store, &t, |c| c.wipe = true).await;
    check("wipe").await;
    assert_eq!(totals(&store, &t, &[]).await, (0, 0));
    // The other tenant kept its own.
    assert_eq!(totals(&store, &other, &[Channel::Voice]).await, (1, 1));
}
