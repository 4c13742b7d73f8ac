//! The history seeder on the backend selected by `CCEMU_TEST_BACKEND`: numbers continue after
//! the stored ones, the mix and transcripts are what the report says, and agents' state
//! sequences move past the seeded periods.

use ccemu_bench::seed::{seed, SeedConfig};
use ccemu_core::agent::Agent;
use ccemu_core::interaction::{Channel, InteractionState};
use ccemu_store::query::{InteractionFilter, InteractionOrder, StateLogFilter};
use ccemu_store::testing::{tenant, TestDb};
use ccemu_store::{Changes, Store};

fn config(t: &ccemu_core::TenantId, interactions: u64) -> SeedConfig {
    SeedConfig {
        tenant: t.clone(),
        interactions,
        chat_every: 5,
        chat_messages: 20,
        abandon_every: 10,
        days: 3.0,
        batch: 7,
    }
}

#[tokio::test]
async fn seeds_numbered_ended_history_in_batches_and_continues_after_it() {
    let db = TestDb::new().await;
    let store = Store::connect(&db.url).await.unwrap();
    let t = tenant("demo");
    store
        .insert_tenant(&t, &ccemu_core::clock::Clock::default())
        .await
        .unwrap();
    let mut demo = Changes::default();
    for agent in ccemu_core::seed::demo_seed().agents {
        demo.put(&agent).unwrap();
    }
    store.commit(&t.id, &demo).await.unwrap();

    let first = seed(&store, &config(&t.id, 40)).await.unwrap();
    assert_eq!((first.first_number, first.last_number), (1, 40));
    assert_eq!((first.calls, first.chats), (32, 8));
    assert_eq!(first.messages, 8 * 20);
    assert!(first.abandoned > 0 && first.abandoned < first.calls);
    assert_eq!(first.state_logs, 4 * (first.calls - first.abandoned));
    assert!(first.from_ms < first.to_ms && first.to_ms < first.tenant_now_ms);

    let logs = store
        .state_logs(
            &t.id,
            &StateLogFilter {
                agent_id: Some("1001".into()),
                limit: 1000,
                ..StateLogFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(logs.total > 0);
    assert!(logs
        .items
        .windows(2)
        .all(|w| w[0].end_ms == w[1].start_ms && w[0].seq() + 1 == w[1].seq()));
    let second = seed(&store, &config(&t.id, 10)).await.unwrap();
    assert_eq!((second.first_number, second.last_number), (41, 50));
    assert_eq!(store.last_interaction_number(&t.id).await.unwrap(), 50);

    let all = InteractionFilter {
        order: InteractionOrder::NumberAsc,
        limit: 100,
        ..InteractionFilter::default()
    };
    let page = store.interactions(&t.id, &all).await.unwrap();
    assert_eq!(page.total, 50);
    assert!(page.items.iter().all(|i| i.state.is_terminal()));
    assert!(page
        .items
        .windows(2)
        .all(|w| w[0].created_at_ms <= w[1].created_at_ms || w[1].number == 41));
    let answered = page
        .items
        .iter()
        .find(|i| i.channel == Channel::Voice && i.state == InteractionState::Ended)
        .unwrap();
    assert_eq!(answered.participants.len(), 2);
    assert_eq!(answered.recordings.len(), 1);
    let chat = page
        .items
        .iter()
        .find(|i| i.channel == Channel::Chat)
        .unwrap();
    let whole = store.interaction(&t.id, &chat.id).await.unwrap().unwrap();
    assert_eq!(whole.messages.len(), 20);

    let agents = store.agents(&t.id).await.unwrap();
    let agent: &Agent = agents.iter().find(|a| a.id == "1001").unwrap();
    let last = store
        .state_logs(
            &t.id,
            &StateLogFilter {
                agent_id: Some("1001".into()),
                newest_first: true,
                limit: 1000,
                ..StateLogFilter::default()
            },
        )
        .await
        .unwrap();
    let max = last.items.iter().map(|l| l.seq()).max().unwrap();
    assert!(
        max > logs.items.last().unwrap().seq(),
        "the second seed added periods"
    );
    assert_eq!(
        agent.state_seq, max,
        "the agent's next state change gets a new id"
    );
}
