//! Unit tests, one per behaviour.

use crate::*;

const Q: QueueId = QueueId(1);
const Q2: QueueId = QueueId(2);

fn queue(strategy: Strategy) -> QueueConfig {
    QueueConfig {
        strategy,
        ..QueueConfig::default()
    }
}

fn agent_in(q: QueueId, tier: u32, position: u32) -> AgentConfig {
    AgentConfig {
        capacity: [1, 0, 0],
        memberships: vec![Membership {
            queue: q,
            tier,
            position,
        }],
        ring_timeout_ms: 10_000,
        ..AgentConfig::default()
    }
}

fn voice(id: u64) -> ContactSpec {
    ContactSpec {
        id: ContactId(id),
        queue: Q,
        channel: Channel::Voice,
        priority: 0,
        required_skills: vec![],
    }
}

fn offer(contact: u64, agent: u32, deadline: i64) -> Decision {
    Decision::Offer {
        contact: ContactId(contact),
        agent: AgentId(agent),
        ring_deadline_ms: deadline,
    }
}

/// An engine with queue Q and `n` ready agents (ids 1..=n, position = id) made ready at t = id.
fn setup(strategy: Strategy, n: u32) -> Acd {
    let mut acd = Acd::new(7);
    acd.upsert_queue(Q, queue(strategy), 0);
    for a in 1..=n {
        acd.upsert_agent(AgentId(a), agent_in(Q, 1, a), 0);
        acd.agent_ready(AgentId(a), i64::from(a)).unwrap();
    }
    acd
}

fn offered_agent(ds: &[Decision]) -> Option<u32> {
    ds.iter().find_map(|d| match d {
        Decision::Offer { agent, .. } => Some(agent.0),
        _ => None,
    })
}

/// Offers, accepts and completes one contact at `t`; returns the agent.
fn serve(acd: &mut Acd, id: u64, t: i64) -> u32 {
    let ds = acd.enqueue(voice(id), t).unwrap();
    let a = offered_agent(&ds).expect("offered");
    acd.accept(ContactId(id), AgentId(a), t).unwrap();
    acd.complete(ContactId(id), AgentId(a), 0, t).unwrap();
    a
}

#[test]
fn longest_idle_offers_to_agent_idle_longest() {
    let mut acd = setup(Strategy::LongestIdle, 3);
    assert_eq!(serve(&mut acd, 1, 10), 1);
    assert_eq!(serve(&mut acd, 2, 11), 2);
    assert_eq!(serve(&mut acd, 3, 12), 3);
    assert_eq!(serve(&mut acd, 4, 13), 1);
}

#[test]
fn round_robin_rotates_after_last_offer() {
    let mut acd = Acd::new(1);
    acd.upsert_queue(Q, queue(Strategy::RoundRobin), 0);
    for a in [3, 1, 2] {
        let mut cfg = agent_in(Q, 1, 0);
        cfg.capacity = [0, 5, 0];
        acd.upsert_agent(AgentId(a), cfg, 0);
        acd.agent_ready(AgentId(a), 0).unwrap();
    }
    let chat = |id| ContactSpec {
        channel: Channel::Chat,
        ..voice(id)
    };
    let got: Vec<u32> = (1..=5)
        .map(|i| offered_agent(&acd.enqueue(chat(i), 1).unwrap()).unwrap())
        .collect();
    assert_eq!(got, [1, 2, 3, 1, 2]);
}

#[test]
fn top_down_always_starts_from_the_top() {
    let mut acd = setup(Strategy::TopDown, 3);
    for i in 1..=3 {
        assert_eq!(serve(&mut acd, i, 10 + i as i64), 1);
    }
}

#[test]
fn sequential_by_order_rotates_through_positions() {
    let mut acd = setup(Strategy::SequentialByOrder, 3);
    let got: Vec<u32> = (1..=4).map(|i| serve(&mut acd, i, 10)).collect();
    assert_eq!(got, [1, 2, 3, 1]);
}

#[test]
fn least_talk_time_prefers_least_cumulative_talk() {
    let mut acd = setup(Strategy::LeastTalkTime, 2);
    let ds = acd.enqueue(voice(1), 10).unwrap();
    assert_eq!(offered_agent(&ds), Some(1));
    acd.accept(ContactId(1), AgentId(1), 10).unwrap();
    acd.complete(ContactId(1), AgentId(1), 0, 500).unwrap();
    assert_eq!(serve(&mut acd, 2, 600), 2);
    assert_eq!(
        serve(&mut acd, 3, 700),
        2,
        "agent 2 talked 0 ms, agent 1 490 ms"
    );
}

#[test]
fn fewest_calls_prefers_fewest_answered() {
    let mut acd = setup(Strategy::FewestCalls, 2);
    assert_eq!(serve(&mut acd, 1, 10), 1);
    assert_eq!(serve(&mut acd, 2, 11), 2);
    assert_eq!(serve(&mut acd, 3, 12), 1);
}

#[test]
fn random_is_seeded_and_repeatable() {
    let run = |seed| {
        let mut acd = Acd::new(seed);
        acd.upsert_queue(Q, queue(Strategy::Random), 0);
        for a in 1..=8 {
            acd.upsert_agent(AgentId(a), agent_in(Q, 1, 0), 0);
            acd.agent_ready(AgentId(a), 0).unwrap();
        }
        (1..=20).map(|i| serve(&mut acd, i, 1)).collect::<Vec<_>>()
    };
    assert_eq!(run(5), run(5));
    let picks = run(5);
    assert!(
        picks
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 3,
        "{picks:?}"
    );
}

#[test]
fn ring_all_offers_every_eligible_agent_and_first_accept_wins() {
    let mut acd = setup(Strategy::RingAll, 3);
    let ds = acd.enqueue(voice(1), 10).unwrap();
    assert_eq!(
        ds,
        vec![
            offer(1, 1, 10_010),
            offer(1, 2, 10_010),
            offer(1, 3, 10_010)
        ]
    );
    let ds = acd.accept(ContactId(1), AgentId(2), 20).unwrap();
    assert_eq!(
        ds,
        vec![
            Decision::OfferWithdrawn {
                contact: ContactId(1),
                agent: AgentId(1)
            },
            Decision::OfferWithdrawn {
                contact: ContactId(1),
                agent: AgentId(3)
            },
        ]
    );
    assert_eq!(
        acd.accept(ContactId(1), AgentId(3), 21),
        Err(AcdError::NotOffered {
            contact: ContactId(1),
            agent: AgentId(3)
        })
    );
}

#[test]
fn ring_progressively_adds_one_agent_per_interval() {
    let mut acd = setup(Strategy::RingProgressively, 3);
    assert_eq!(acd.enqueue(voice(1), 0).unwrap(), vec![offer(1, 1, 10_000)]);
    assert_eq!(acd.next_deadline(), Some(10_000));
    assert_eq!(acd.advance(10_000), vec![offer(1, 2, 20_000)]);
    assert_eq!(acd.advance(20_000), vec![offer(1, 3, 30_000)]);
    let ds = acd.advance(30_000);
    // All three were "not answered" (delay 0): withdrawn, re-queued, and the ring starts anew.
    assert_eq!(ds.len(), 5, "{ds:?}");
    assert_eq!(
        ds[3],
        Decision::Requeued {
            contact: ContactId(1)
        }
    );
    assert_eq!(ds[4], offer(1, 1, 40_000));
}

#[test]
fn ring_progressively_accept_withdraws_the_rest() {
    let mut acd = setup(Strategy::RingProgressively, 2);
    acd.enqueue(voice(1), 0).unwrap();
    acd.advance(10_000);
    let ds = acd.accept(ContactId(1), AgentId(1), 10_001).unwrap();
    assert_eq!(
        ds,
        vec![Decision::OfferWithdrawn {
            contact: ContactId(1),
            agent: AgentId(2)
        }]
    );
    assert_eq!(acd.next_deadline(), None);
}

#[test]
fn priority_then_age_orders_the_queue() {
    let mut acd = setup(Strategy::LongestIdle, 0);
    acd.enqueue(voice(1), 1).unwrap();
    acd.enqueue(voice(2), 2).unwrap();
    acd.enqueue(
        ContactSpec {
            priority: 5,
            ..voice(3)
        },
        3,
    )
    .unwrap();
    assert_eq!(
        acd.waiting(Q).unwrap(),
        [ContactId(3), ContactId(1), ContactId(2)]
    );
    acd.upsert_agent(AgentId(1), agent_in(Q, 1, 0), 4);
    assert_eq!(
        acd.agent_ready(AgentId(1), 4).unwrap(),
        vec![offer(3, 1, 10_004)]
    );
}

#[test]
fn ring_timeout_requeues_at_original_position() {
    let mut acd = setup(Strategy::LongestIdle, 0);
    let mut cfg = agent_in(Q, 1, 0);
    cfg.no_answer_delay_ms = 5_000;
    acd.upsert_agent(AgentId(1), cfg, 0);
    acd.agent_ready(AgentId(1), 0).unwrap();
    acd.enqueue(voice(1), 1).unwrap();
    acd.enqueue(voice(2), 2).unwrap();
    acd.enqueue(voice(3), 3).unwrap();
    assert_eq!(acd.waiting(Q).unwrap(), [ContactId(2), ContactId(3)]);
    let ds = acd.advance(10_001);
    assert_eq!(
        ds,
        vec![
            Decision::OfferWithdrawn {
                contact: ContactId(1),
                agent: AgentId(1)
            },
            Decision::Requeued {
                contact: ContactId(1)
            }
        ]
    );
    assert_eq!(
        acd.waiting(Q).unwrap(),
        [ContactId(1), ContactId(2), ContactId(3)]
    );
    assert_eq!(acd.next_deadline(), Some(15_001), "no-answer delay");
    assert_eq!(acd.advance(15_001), vec![offer(1, 1, 25_001)]);
}

#[test]
fn capacity_counts_reservations() {
    let mut acd = setup(Strategy::LongestIdle, 1);
    assert_eq!(offered_agent(&acd.enqueue(voice(1), 10).unwrap()), Some(1));
    assert_eq!(
        acd.enqueue(voice(2), 11).unwrap(),
        vec![],
        "ringing agent is full"
    );
    assert_eq!(acd.queue_stats(Q, 11).unwrap().available, 0);
}

#[test]
fn chat_capacity_takes_several_contacts() {
    let mut acd = setup(Strategy::LongestIdle, 0);
    let mut cfg = agent_in(Q, 1, 0);
    cfg.capacity = [1, 2, 0];
    acd.upsert_agent(AgentId(1), cfg, 0);
    acd.agent_ready(AgentId(1), 0).unwrap();
    let chat = |id| ContactSpec {
        channel: Channel::Chat,
        ..voice(id)
    };
    assert!(offered_agent(&acd.enqueue(chat(1), 1).unwrap()).is_some());
    assert!(offered_agent(&acd.enqueue(chat(2), 1).unwrap()).is_some());
    assert!(offered_agent(&acd.enqueue(chat(3), 1).unwrap()).is_none());
    assert!(
        offered_agent(&acd.enqueue(voice(4), 1).unwrap()).is_some(),
        "chats do not block voice"
    );
}

#[test]
fn voice_blocks_other_channels_when_configured() {
    let mut acd = setup(Strategy::LongestIdle, 0);
    let mut cfg = agent_in(Q, 1, 0);
    cfg.capacity = [1, 2, 0];
    cfg.voice_blocks_others = true;
    acd.upsert_agent(AgentId(1), cfg, 0);
    acd.agent_ready(AgentId(1), 0).unwrap();
    acd.enqueue(voice(1), 1).unwrap();
    let chat = ContactSpec {
        channel: Channel::Chat,
        ..voice(2)
    };
    assert_eq!(acd.enqueue(chat, 2).unwrap(), vec![]);
    acd.accept(ContactId(1), AgentId(1), 3).unwrap();
    assert_eq!(
        acd.complete(ContactId(1), AgentId(1), 0, 4).unwrap(),
        vec![offer(2, 1, 10_004)]
    );
}

#[test]
fn reject_applies_reject_delay_and_requeues() {
    let mut acd = setup(Strategy::LongestIdle, 0);
    let mut cfg = agent_in(Q, 1, 0);
    cfg.reject_delay_ms = 300;
    acd.upsert_agent(AgentId(1), cfg, 0);
    acd.agent_ready(AgentId(1), 0).unwrap();
    acd.enqueue(voice(1), 1).unwrap();
    assert_eq!(
        acd.reject(ContactId(1), AgentId(1), 2).unwrap(),
        vec![Decision::Requeued {
            contact: ContactId(1)
        }]
    );
    assert_eq!(acd.next_deadline(), Some(302));
    assert_eq!(acd.advance(302), vec![offer(1, 1, 10_302)]);
}

#[test]
fn max_no_answer_sets_agent_not_ready() {
    let mut acd = setup(Strategy::LongestIdle, 0);
    let mut cfg = agent_in(Q, 1, 0);
    cfg.max_no_answer = 2;
    acd.upsert_agent(AgentId(1), cfg, 0);
    acd.agent_ready(AgentId(1), 0).unwrap();
    acd.enqueue(voice(1), 0).unwrap();
    let ds = acd.advance(10_000);
    assert_eq!(
        ds.last(),
        Some(&offer(1, 1, 20_000)),
        "first no-answer, delay 0: rings again"
    );
    let ds = acd.advance(20_000);
    assert_eq!(
        ds,
        vec![
            Decision::OfferWithdrawn {
                contact: ContactId(1),
                agent: AgentId(1)
            },
            Decision::AgentNotReady { agent: AgentId(1) },
            Decision::Requeued {
                contact: ContactId(1)
            },
        ]
    );
    assert_eq!(
        acd.agent_ready(AgentId(1), 20_001).unwrap(),
        vec![offer(1, 1, 30_001)]
    );
}

#[test]
fn wrap_up_holds_the_slot_until_it_ends() {
    let mut acd = setup(Strategy::LongestIdle, 1);
    acd.enqueue(voice(1), 0).unwrap();
    acd.accept(ContactId(1), AgentId(1), 1).unwrap();
    acd.enqueue(voice(2), 2).unwrap();
    assert_eq!(
        acd.complete(ContactId(1), AgentId(1), 100, 50).unwrap(),
        vec![]
    );
    assert_eq!(acd.next_deadline(), Some(150));
    assert_eq!(acd.advance(149), vec![]);
    assert_eq!(acd.advance(150), vec![offer(2, 1, 10_150)]);
}

#[test]
fn queue_timeout_overflows_keeping_priority_and_age() {
    let mut acd = Acd::new(0);
    acd.upsert_queue(
        Q,
        QueueConfig {
            timeout_ms: Some(1_000),
            overflow: Some(Q2),
            ..queue(Strategy::LongestIdle)
        },
        0,
    );
    acd.upsert_queue(Q2, queue(Strategy::LongestIdle), 0);
    acd.enqueue(
        ContactSpec {
            queue: Q2,
            ..voice(9)
        },
        500,
    )
    .unwrap();
    acd.enqueue(voice(1), 0).unwrap();
    assert_eq!(
        acd.advance(1_000),
        vec![Decision::QueueTimeout {
            contact: ContactId(1),
            overflow_to: Some(Q2)
        }]
    );
    assert_eq!(
        acd.waiting(Q2).unwrap(),
        [ContactId(1), ContactId(9)],
        "original enqueue time kept"
    );
}

#[test]
fn queue_timeout_without_overflow_leaves() {
    let mut acd = Acd::new(0);
    acd.upsert_queue(
        Q,
        QueueConfig {
            timeout_ms: Some(1_000),
            ..queue(Strategy::LongestIdle)
        },
        0,
    );
    acd.enqueue(voice(1), 0).unwrap();
    assert_eq!(
        acd.advance(5_000),
        vec![Decision::QueueTimeout {
            contact: ContactId(1),
            overflow_to: None
        }]
    );
    assert_eq!(
        acd.abandon(ContactId(1), 5_001),
        Err(AcdError::UnknownContact(ContactId(1)))
    );
}

#[test]
fn tier_rules_widen_eligibility_on_a_timer() {
    let mut acd = Acd::new(0);
    let rules = vec![TierRule {
        after_ms: 30_000,
        max_tier: 2,
    }];
    acd.upsert_queue(
        Q,
        QueueConfig {
            tier_rules: rules,
            ..queue(Strategy::LongestIdle)
        },
        0,
    );
    acd.upsert_agent(AgentId(2), agent_in(Q, 2, 0), 0);
    acd.agent_ready(AgentId(2), 0).unwrap();
    assert_eq!(acd.enqueue(voice(1), 100).unwrap(), vec![]);
    assert_eq!(acd.next_deadline(), Some(30_100));
    assert_eq!(acd.advance(30_100), vec![offer(1, 2, 40_100)]);
}

#[test]
fn lower_tier_is_preferred() {
    let mut acd = Acd::new(0);
    acd.upsert_queue(Q, queue(Strategy::LongestIdle), 0);
    acd.upsert_agent(AgentId(1), agent_in(Q, 2, 0), 0);
    acd.agent_ready(AgentId(1), 0).unwrap();
    acd.upsert_agent(AgentId(2), agent_in(Q, 1, 0), 0);
    acd.agent_ready(AgentId(2), 5).unwrap();
    assert_eq!(offered_agent(&acd.enqueue(voice(1), 10).unwrap()), Some(2));
}

#[test]
fn skills_need_minimum_proficiency() {
    let mut acd = Acd::new(0);
    let s = SkillId(3);
    acd.upsert_queue(
        Q,
        QueueConfig {
            required_skills: vec![(s, 2)],
            ..queue(Strategy::LongestIdle)
        },
        0,
    );
    for (a, prof) in [(1, 1u8), (2, 3)] {
        acd.upsert_agent(
            AgentId(a),
            AgentConfig {
                skills: vec![(s, prof)],
                ..agent_in(Q, 1, 0)
            },
            0,
        );
        acd.agent_ready(AgentId(a), 0).unwrap();
    }
    assert_eq!(offered_agent(&acd.enqueue(voice(1), 1).unwrap()), Some(2));
    let hard = ContactSpec {
        required_skills: vec![(s, 4)],
        ..voice(2)
    };
    assert_eq!(acd.enqueue(hard, 2).unwrap(), vec![]);
}

#[test]
fn abandon_withdraws_outstanding_offers() {
    let mut acd = setup(Strategy::RingAll, 2);
    acd.enqueue(voice(1), 0).unwrap();
    acd.enqueue(voice(2), 1).unwrap();
    let ds = acd.abandon(ContactId(1), 2).unwrap();
    assert_eq!(
        ds[..2],
        [
            Decision::OfferWithdrawn {
                contact: ContactId(1),
                agent: AgentId(1)
            },
            Decision::OfferWithdrawn {
                contact: ContactId(1),
                agent: AgentId(2)
            },
        ]
    );
    assert_eq!(ds[2..], [offer(2, 1, 10_002), offer(2, 2, 10_002)]);
    assert_eq!(acd.queue_stats(Q, 2).unwrap().abandoned, 1);
}

#[test]
fn not_ready_keeps_contacts_and_takes_no_new() {
    let mut acd = setup(Strategy::LongestIdle, 1);
    acd.enqueue(voice(1), 0).unwrap();
    acd.agent_not_ready(AgentId(1), 1).unwrap();
    acd.accept(ContactId(1), AgentId(1), 2).unwrap();
    acd.enqueue(voice(2), 3).unwrap();
    assert_eq!(
        acd.complete(ContactId(1), AgentId(1), 0, 4).unwrap(),
        vec![]
    );
    assert_eq!(
        acd.agent_ready(AgentId(1), 5).unwrap(),
        vec![offer(2, 1, 10_005)]
    );
}

#[test]
fn logout_withdraws_offers_and_requeues() {
    let mut acd = setup(Strategy::LongestIdle, 1);
    acd.enqueue(voice(1), 0).unwrap();
    assert_eq!(
        acd.agent_logout(AgentId(1), 1).unwrap(),
        vec![
            Decision::OfferWithdrawn {
                contact: ContactId(1),
                agent: AgentId(1)
            },
            Decision::Requeued {
                contact: ContactId(1)
            }
        ]
    );
    assert_eq!(acd.next_deadline(), None);
}

#[test]
fn errors_are_typed() {
    let mut acd = Acd::new(0);
    assert_eq!(acd.enqueue(voice(1), 0), Err(AcdError::UnknownQueue(Q)));
    acd.upsert_queue(
        Q,
        QueueConfig {
            max_length: 1,
            ..queue(Strategy::LongestIdle)
        },
        0,
    );
    acd.enqueue(voice(1), 0).unwrap();
    assert_eq!(
        acd.enqueue(voice(1), 0),
        Err(AcdError::DuplicateContact(ContactId(1)))
    );
    assert_eq!(acd.enqueue(voice(2), 0), Err(AcdError::QueueFull(Q)));
    assert_eq!(acd.remove_queue(Q), Err(AcdError::QueueNotEmpty(Q)));
    assert_eq!(
        acd.agent_ready(AgentId(9), 0),
        Err(AcdError::UnknownAgent(AgentId(9)))
    );
    acd.abandon(ContactId(1), 1).unwrap();
    assert_eq!(acd.remove_queue(Q), Ok(()));
}

#[test]
fn queue_stats_service_level_and_abandon_rate() {
    let mut acd = setup(Strategy::LongestIdle, 1);
    let sl = QueueConfig {
        sl_threshold_ms: 20,
        ..queue(Strategy::LongestIdle)
    };
    acd.upsert_queue(Q, sl, 0);
    acd.enqueue(voice(1), 0).unwrap();
    acd.accept(ContactId(1), AgentId(1), 5).unwrap();
    acd.enqueue(voice(2), 10).unwrap();
    acd.enqueue(voice(3), 10).unwrap();
    acd.complete(ContactId(1), AgentId(1), 0, 105).unwrap();
    acd.accept(ContactId(2), AgentId(1), 125).unwrap();
    acd.abandon(ContactId(3), 130).unwrap();
    let s = acd.queue_stats(Q, 130).unwrap();
    assert_eq!(
        (s.offered, s.answered, s.answered_within_sl, s.abandoned),
        (3, 2, 1, 1)
    );
    assert!((s.service_level - 1.0 / 3.0).abs() < 1e-9);
    assert!((s.abandon_rate - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!((s.logged_in, s.available, s.waiting), (1, 0, 0));
}

#[test]
fn same_events_same_decisions() {
    let run = || {
        let mut acd = setup(Strategy::RingAll, 4);
        let mut all = Vec::new();
        for i in 1..=6 {
            all.extend(acd.enqueue(voice(i), i as i64).unwrap());
        }
        all.extend(acd.advance(100_000));
        all
    };
    assert_eq!(run(), run());
}

#[test]
fn a_connected_contact_is_its_agents() {
    // An accepted contact leaves the engine's contact index for its agent's record: calls that
    // name it without that agent see an unknown contact, and its id may be routed again.
    let mut acd = setup(Strategy::LongestIdle, 2);
    let (c, a1, a2) = (ContactId(1), AgentId(1), AgentId(2));
    assert_eq!(offered_agent(&acd.enqueue(voice(1), 10).unwrap()), Some(1));
    acd.accept(c, a1, 11).unwrap();
    assert_eq!(acd.abandon(c, 12), Err(AcdError::UnknownContact(c)));
    assert_eq!(
        acd.accept(c, a2, 12),
        Err(AcdError::NotOffered {
            contact: c,
            agent: a2
        })
    );
    assert_eq!(
        acd.complete(c, a2, 0, 12),
        Err(AcdError::NotConnected {
            contact: c,
            agent: a2
        })
    );
    assert_eq!(
        acd.complete(ContactId(9), a1, 0, 12),
        Err(AcdError::NotConnected {
            contact: ContactId(9),
            agent: a1
        })
    );
    // A transfer to the queue with the first leg still up: a second routing of the same id,
    // unique while it rings, that ends on its own.
    assert_eq!(offered_agent(&acd.enqueue(voice(1), 13).unwrap()), Some(2));
    assert_eq!(
        acd.enqueue(voice(1), 14),
        Err(AcdError::DuplicateContact(c))
    );
    acd.accept(c, a2, 15).unwrap();
    acd.complete(c, a1, 0, 41).unwrap();
    assert_eq!(
        acd.complete(c, a1, 0, 42),
        Err(AcdError::NotConnected {
            contact: c,
            agent: a1
        })
    );
    // Agent 1 is free again and takes the next contact while agent 2 still talks.
    assert_eq!(offered_agent(&acd.enqueue(voice(2), 43).unwrap()), Some(1));
    acd.complete(c, a2, 0, 44).unwrap();
    // Talk time counts from the accept (30 ms on agent 1): least-talk-time prefers agent 2.
    let mut lt = setup(Strategy::LeastTalkTime, 2);
    lt.enqueue(voice(1), 10).unwrap();
    lt.accept(c, a1, 11).unwrap();
    lt.complete(c, a1, 0, 41).unwrap();
    assert_eq!(offered_agent(&lt.enqueue(voice(2), 50).unwrap()), Some(2));
    // A removed agent takes its connected contact with it.
    acd.accept(ContactId(2), a1, 61).unwrap();
    acd.remove_agent(a1, 62).unwrap();
    assert_eq!(
        acd.complete(ContactId(2), a1, 0, 63),
        Err(AcdError::UnknownAgent(a1))
    );
    assert_eq!(offered_agent(&acd.enqueue(voice(2), 64).unwrap()), Some(2));
}
