//! Unit and property tests of the dialer, one per behaviour.

use super::*;
use crate::{AgentConfig, AgentId, Channel, ContactId, ContactSpec, Membership, QueueConfig};
use proptest::prelude::*;

const Q: QueueId = QueueId(1);
const C: CampaignId = CampaignId(1);
const C2: CampaignId = CampaignId(2);

fn agent() -> AgentConfig {
    AgentConfig {
        capacity: [1, 0, 0],
        memberships: vec![Membership {
            queue: Q,
            tier: 1,
            position: 0,
        }],
        ring_timeout_ms: 10_000,
        ..AgentConfig::default()
    }
}

/// An ACD with queue Q, agents 1..=`total`, of which 1..=`ready` are ready.
fn pool(ready: u32, total: u32) -> Acd {
    let mut acd = Acd::new(3);
    acd.upsert_queue(Q, QueueConfig::default(), 0);
    for a in 1..=total {
        acd.upsert_agent(AgentId(a), agent(), 0);
        if a <= ready {
            acd.agent_ready(AgentId(a), 0).unwrap();
        }
    }
    acd
}

fn config(mode: DialerMode) -> CampaignConfig {
    CampaignConfig {
        mode,
        queue: Q,
        max_concurrent: 100,
        max_attempts: 1,
        retry_after_ms: 60_000,
    }
}

fn targets(n: u64) -> Vec<TargetId> {
    (1..=n).map(TargetId).collect()
}

fn dialer_with(cfg: CampaignConfig, n: u64) -> Dialer {
    let mut d = Dialer::new();
    d.add_campaign(C, cfg, &targets(n)).unwrap();
    d
}

/// Target ids of the `Dial` commands, in order.
fn dials(cmds: &[DialCommand]) -> Vec<u64> {
    cmds.iter()
        .filter_map(|c| match c {
            DialCommand::Dial { target, .. } => Some(target.0),
            _ => None,
        })
        .collect()
}

/// An answered outbound call entering the pool's queue, as the caller does it.
fn enqueue_answered(acd: &mut Acd, id: u64, now_ms: i64) {
    acd.enqueue(
        ContactSpec {
            id: ContactId(id),
            queue: Q,
            channel: Channel::Voice,
            priority: 100,
            required_skills: vec![],
        },
        now_ms,
    )
    .unwrap();
}

/// Resolves `n` dials of campaign C one at a time through a one-agent pool (so the predictive
/// ratio must still be 1.0, or `max_concurrent` 1); the first `answered` are answered, the others not.
fn feed(d: &mut Dialer, n: usize, answered: usize) -> Vec<u64> {
    let one = pool(1, 1);
    let mut done = Vec::new();
    for i in 0..n {
        let t = dials(&d.pace(C, &one, 0).unwrap());
        assert_eq!(t.len(), 1, "one agent, ratio 1");
        let out = if i < answered {
            DialOutcome::Answered
        } else {
            DialOutcome::NoAnswer
        };
        d.dial_result(C, TargetId(t[0]), out, 0).unwrap();
        done.push(t[0]);
    }
    done
}

#[test]
fn progressive_keeps_one_dial_per_free_agent() {
    let acd = pool(3, 3);
    let mut d = dialer_with(config(DialerMode::Progressive), 10);
    assert_eq!(dials(&d.pace(C, &acd, 0).unwrap()), [1, 2, 3]);
    assert!(d.pace(C, &acd, 0).unwrap().is_empty(), "3 in flight");
    d.dial_result(C, TargetId(2), DialOutcome::NoAnswer, 5)
        .unwrap();
    assert_eq!(dials(&d.pace(C, &acd, 5).unwrap()), [4]);
    assert_eq!(d.stats(C).unwrap().in_flight, 3);
}

#[test]
fn ratio_two_with_three_agents_and_one_in_flight_dials_five() {
    let mut acd = pool(1, 3);
    let mut d = dialer_with(config(DialerMode::Ratio(2.0)), 20);
    assert_eq!(dials(&d.pace(C, &acd, 0).unwrap()), [1, 2]);
    d.dial_result(C, TargetId(1), DialOutcome::Busy, 1).unwrap();
    acd.agent_ready(AgentId(2), 2).unwrap();
    acd.agent_ready(AgentId(3), 2).unwrap();
    let cmds = d.pace(C, &acd, 2).unwrap();
    assert_eq!(dials(&cmds), [3, 4, 5, 6, 7]);
    assert_eq!(d.stats(C).unwrap().in_flight, 6);
}

#[test]
fn ratio_rounds_the_dial_limit_down() {
    let acd = pool(3, 3);
    let mut d = dialer_with(config(DialerMode::Ratio(1.5)), 20);
    assert_eq!(d.pace(C, &acd, 0).unwrap().len(), 4, "floor(3 × 1.5)");
}

#[test]
fn concurrency_limit_caps_every_mode() {
    let acd = pool(10, 10);
    for mode in [
        DialerMode::Progressive,
        DialerMode::Ratio(5.0),
        DialerMode::Predictive {
            target_abandon_rate: 0.03,
        },
        DialerMode::Preview,
    ] {
        let mut d = dialer_with(
            CampaignConfig {
                max_concurrent: 4,
                ..config(mode)
            },
            100,
        );
        assert_eq!(d.pace(C, &acd, 0).unwrap().len(), 4, "{mode:?}");
        assert!(d.pace(C, &acd, 0).unwrap().is_empty(), "{mode:?}");
    }
}

#[test]
fn dials_are_capped_by_the_remaining_targets() {
    let acd = pool(5, 5);
    let mut d = dialer_with(config(DialerMode::Ratio(3.0)), 4);
    assert_eq!(dials(&d.pace(C, &acd, 0).unwrap()), [1, 2, 3, 4]);
    assert!(d.pace(C, &acd, 0).unwrap().is_empty());
}

#[test]
fn answered_calls_and_waiting_contacts_use_up_free_agents() {
    let mut acd = pool(2, 2);
    let mut d = dialer_with(config(DialerMode::Progressive), 10);
    assert_eq!(dials(&d.pace(C, &acd, 0).unwrap()), [1, 2]);
    d.dial_result(C, TargetId(1), DialOutcome::Answered, 10)
        .unwrap();
    enqueue_answered(&mut acd, 1, 10);
    // One agent rings for the answered call; the other still covers dial 2.
    assert!(d.pace(C, &acd, 10).unwrap().is_empty());
    d.dial_result(C, TargetId(2), DialOutcome::Answered, 20)
        .unwrap();
    enqueue_answered(&mut acd, 2, 20);
    // Both agents ring, and a third contact waits: nothing is free.
    enqueue_answered(&mut acd, 3, 20);
    assert!(d.pace(C, &acd, 20).unwrap().is_empty());
    assert_eq!(d.stats(C).unwrap().in_flight, 0);
}

#[test]
fn contacts_waiting_in_the_queue_hold_back_dials() {
    // Agent 2 serves only chats: `queue_stats` counts it as available while a voice contact
    // waits. The waiting contact is subtracted, so it does not look like a free agent.
    let mut acd = pool(1, 1);
    let mut chat_only = agent();
    chat_only.capacity = [0, 1, 0];
    acd.upsert_agent(AgentId(2), chat_only, 0);
    acd.agent_ready(AgentId(2), 0).unwrap();
    enqueue_answered(&mut acd, 1, 0);
    enqueue_answered(&mut acd, 2, 0);
    let stats = acd.queue_stats(Q, 0).unwrap();
    assert_eq!((stats.available, stats.waiting), (1, 1));
    let mut d = dialer_with(config(DialerMode::Ratio(3.0)), 10);
    assert!(d.pace(C, &acd, 0).unwrap().is_empty());
}

#[test]
fn an_agent_free_only_for_chats_is_not_free_for_calls() {
    // Agent 1 is on a call and still has a chat slot; agent 2 serves only chats. Neither can
    // take a voice call, so a voice campaign dials nothing, while one voice-free agent would
    // let ratio 3 place three dials.
    let mut acd = pool(0, 0);
    let mut blended = agent();
    blended.capacity = [1, 1, 0];
    acd.upsert_agent(AgentId(1), blended, 0);
    acd.agent_ready(AgentId(1), 0).unwrap();
    let mut chat_only = agent();
    chat_only.capacity = [0, 1, 0];
    acd.upsert_agent(AgentId(2), chat_only, 0);
    acd.agent_ready(AgentId(2), 0).unwrap();
    let mut d = dialer_with(config(DialerMode::Ratio(3.0)), 10);
    assert_eq!(dials(&d.pace(C, &acd, 0).unwrap()).len(), 3);
    enqueue_answered(&mut acd, 1, 0);
    let voice = acd.channel_stats(Q, Channel::Voice).unwrap();
    let chat = acd.channel_stats(Q, Channel::Chat).unwrap();
    assert_eq!((voice.available, voice.waiting), (0, 0));
    assert_eq!((chat.available, chat.waiting), (2, 0));
    let mut d = dialer_with(config(DialerMode::Ratio(3.0)), 10);
    assert!(d.pace(C, &acd, 0).unwrap().is_empty());
}

#[test]
fn unavailable_agents_stop_pacing() {
    let acd = pool(0, 3);
    let mut d = dialer_with(config(DialerMode::Ratio(5.0)), 10);
    assert!(d.pace(C, &acd, 0).unwrap().is_empty());
}

#[test]
fn preview_dials_only_after_an_agent_confirms() {
    let mut acd = pool(2, 2);
    let mut d = dialer_with(config(DialerMode::Preview), 5);
    let cmds = d.pace(C, &acd, 0).unwrap();
    assert_eq!(
        cmds,
        [
            DialCommand::Preview {
                campaign: C,
                target: TargetId(1)
            },
            DialCommand::Preview {
                campaign: C,
                target: TargetId(2)
            },
        ]
    );
    assert_eq!(d.stats(C).unwrap().in_flight, 0, "nothing dialled yet");
    assert_eq!(
        d.target_status(C, TargetId(1)).unwrap(),
        TargetStatus::Previewing
    );
    // The caller routes both previews through the ACD: each reserves an agent.
    enqueue_answered(&mut acd, 1, 0);
    enqueue_answered(&mut acd, 2, 0);
    assert!(d.pace(C, &acd, 0).unwrap().is_empty(), "no free agent");
    assert!(matches!(
        d.dial_result(C, TargetId(1), DialOutcome::Answered, 1),
        Err(DialerError::WrongStatus {
            status: TargetStatus::Previewing,
            ..
        })
    ));
    assert_eq!(
        d.preview_confirmed(C, TargetId(1)).unwrap(),
        DialCommand::Dial {
            campaign: C,
            target: TargetId(1),
            attempt: 1
        }
    );
    assert_eq!(d.stats(C).unwrap().in_flight, 1);
    d.preview_skipped(C, TargetId(2)).unwrap();
    assert_eq!(
        d.target_status(C, TargetId(2)).unwrap(),
        TargetStatus::Skipped
    );
    assert!(d.preview_confirmed(C, TargetId(2)).is_err());
    assert_eq!(d.stats(C).unwrap().skipped, 1);
}

#[test]
fn retries_wait_for_the_delay_and_stop_at_max_attempts() {
    let acd = pool(1, 1);
    let cfg = CampaignConfig {
        max_attempts: 3,
        retry_after_ms: 60_000,
        ..config(DialerMode::Progressive)
    };
    let mut d = dialer_with(cfg, 1);
    assert_eq!(d.pace(C, &acd, 0).unwrap().len(), 1);
    assert_eq!(
        d.dial_result(C, TargetId(1), DialOutcome::NoAnswer, 1_000)
            .unwrap(),
        TargetStatus::RetryScheduled { at_ms: 61_000 }
    );
    assert_eq!(d.next_deadline(), Some(61_000));
    assert!(d.pace(C, &acd, 60_999).unwrap().is_empty(), "too early");
    assert!(!d.exhausted(C).unwrap());
    assert_eq!(
        d.pace(C, &acd, 61_000).unwrap(),
        [DialCommand::Dial {
            campaign: C,
            target: TargetId(1),
            attempt: 2
        }]
    );
    assert_eq!(d.next_deadline(), None);
    assert_eq!(
        d.dial_result(C, TargetId(1), DialOutcome::Busy, 62_000)
            .unwrap(),
        TargetStatus::RetryScheduled { at_ms: 122_000 }
    );
    assert_eq!(
        dials(&d.pace(C, &acd, 122_000).unwrap()),
        [1],
        "third attempt"
    );
    assert_eq!(
        d.dial_result(C, TargetId(1), DialOutcome::NoAnswer, 123_000)
            .unwrap(),
        TargetStatus::NoAnswer
    );
    assert_eq!(d.next_deadline(), None);
    assert!(d.pace(C, &acd, 500_000).unwrap().is_empty());
    assert!(d.exhausted(C).unwrap());
    let s = d.stats(C).unwrap();
    assert_eq!((s.dialled, s.no_answer, s.busy), (3, 2, 1));
}

#[test]
fn due_retries_go_before_fresh_targets() {
    let acd = pool(1, 1);
    let cfg = CampaignConfig {
        max_attempts: 2,
        retry_after_ms: 10,
        ..config(DialerMode::Progressive)
    };
    let mut d = dialer_with(cfg, 3);
    assert_eq!(dials(&d.pace(C, &acd, 0).unwrap()), [1]);
    d.dial_result(C, TargetId(1), DialOutcome::Busy, 0).unwrap();
    assert_eq!(dials(&d.pace(C, &acd, 5).unwrap()), [2], "retry not due");
    d.dial_result(C, TargetId(2), DialOutcome::Failed, 20)
        .unwrap();
    assert_eq!(dials(&d.pace(C, &acd, 20).unwrap()), [1]);
}

#[test]
fn a_due_retry_that_cannot_be_dialled_leaves_next_deadline() {
    let mut acd = pool(1, 1);
    let cfg = CampaignConfig {
        max_attempts: 2,
        retry_after_ms: 100,
        ..config(DialerMode::Progressive)
    };
    let mut d = dialer_with(cfg, 1);
    d.pace(C, &acd, 0).unwrap();
    d.dial_result(C, TargetId(1), DialOutcome::NoAnswer, 0)
        .unwrap();
    acd.agent_not_ready(AgentId(1), 50).unwrap();
    assert_eq!(d.next_deadline(), Some(100));
    assert!(d.pace_all(&acd, 100).is_empty(), "no free agent");
    assert_eq!(d.next_deadline(), None, "seen due: no busy loop");
    acd.agent_ready(AgentId(1), 200).unwrap();
    assert_eq!(dials(&d.pace(C, &acd, 200).unwrap()), [1]);
}

#[test]
fn failed_and_do_not_call_are_never_retried() {
    let acd = pool(2, 2);
    let cfg = CampaignConfig {
        max_attempts: 5,
        retry_after_ms: 0,
        ..config(DialerMode::Progressive)
    };
    let mut d = dialer_with(cfg, 2);
    d.pace(C, &acd, 0).unwrap();
    assert_eq!(
        d.dial_result(C, TargetId(1), DialOutcome::Failed, 1)
            .unwrap(),
        TargetStatus::Failed
    );
    assert_eq!(
        d.dial_result(C, TargetId(2), DialOutcome::DoNotCall, 1)
            .unwrap(),
        TargetStatus::DoNotCall
    );
    assert_eq!(d.next_deadline(), None);
    assert!(d.exhausted(C).unwrap());
}

#[test]
fn exhausted_exactly_when_every_target_is_final() {
    let acd = pool(2, 2);
    let mut d = dialer_with(config(DialerMode::Progressive), 2);
    assert!(!d.exhausted(C).unwrap());
    d.pace(C, &acd, 0).unwrap();
    assert!(!d.exhausted(C).unwrap(), "dials in flight");
    d.dial_result(C, TargetId(1), DialOutcome::Answered, 1)
        .unwrap();
    assert!(!d.exhausted(C).unwrap(), "one still in flight");
    d.dial_result(C, TargetId(2), DialOutcome::NoAnswer, 1)
        .unwrap();
    assert!(d.exhausted(C).unwrap());
    assert_eq!(d.stats(C).unwrap().remaining, 0);
    d.add_targets(C, &[TargetId(3)]).unwrap();
    assert!(!d.exhausted(C).unwrap(), "new target");
    d.add_campaign(C2, config(DialerMode::Progressive), &[])
        .unwrap();
    assert!(d.exhausted(C2).unwrap(), "an empty list is used up");
}

#[test]
fn duplicate_targets_and_campaigns_are_rejected() {
    let mut d = dialer_with(config(DialerMode::Progressive), 2);
    assert_eq!(
        d.add_targets(C, &[TargetId(9), TargetId(2)]),
        Err(DialerError::DuplicateTarget(TargetId(2)))
    );
    assert_eq!(d.stats(C).unwrap().targets, 2, "all or nothing");
    assert_eq!(
        d.add_targets(C, &[TargetId(9), TargetId(9)]),
        Err(DialerError::DuplicateTarget(TargetId(9)))
    );
    assert_eq!(
        d.add_campaign(C, config(DialerMode::Progressive), &[]),
        Err(DialerError::DuplicateCampaign(C))
    );
}

#[test]
fn predictive_starts_at_one_and_raises_the_ratio_when_few_answer() {
    let mode = DialerMode::Predictive {
        target_abandon_rate: 0.05,
    };
    let mut d = dialer_with(config(mode), 100);
    assert_eq!(d.stats(C).unwrap().ratio, 1.0);
    feed(&mut d, PREDICTIVE_MIN_SAMPLES - 1, 5);
    assert_eq!(d.stats(C).unwrap().ratio, 1.0, "not enough outcomes yet");
    feed(&mut d, 1, 0);
    assert_eq!(d.stats(C).unwrap().ratio, 4.0, "5 answered of 20");
    assert_eq!(d.pace(C, &pool(2, 2), 0).unwrap().len(), 8, "2 agents × 4");

    let mut d = dialer_with(config(mode), 100);
    feed(&mut d, PREDICTIVE_MIN_SAMPLES, 16);
    assert_eq!(d.stats(C).unwrap().ratio, 1.25, "16 answered of 20");

    let mut d = dialer_with(config(mode), 100);
    feed(&mut d, PREDICTIVE_MIN_SAMPLES, 0);
    assert_eq!(d.stats(C).unwrap().ratio, MAX_RATIO, "nobody answers");
}

#[test]
fn predictive_lowers_the_ratio_when_abandons_exceed_the_target() {
    let mode = DialerMode::Predictive {
        target_abandon_rate: 0.2,
    };
    let mut d = dialer_with(config(mode), 100);
    let done = feed(&mut d, PREDICTIVE_MIN_SAMPLES, 5);
    assert_eq!(d.stats(C).unwrap().ratio, 4.0);
    d.abandoned(C, TargetId(done[0])).unwrap();
    assert_eq!(d.stats(C).unwrap().ratio, 4.0, "1 of 5 is the target");
    d.abandoned(C, TargetId(done[1])).unwrap();
    assert_eq!(d.stats(C).unwrap().ratio, 2.0, "2 of 5: 4 × 0.2 / 0.4");
    assert_eq!(d.stats(C).unwrap().abandoned, 2);
    assert_eq!(
        d.target_status(C, TargetId(done[1])).unwrap(),
        TargetStatus::Abandoned
    );
    assert!(matches!(
        d.abandoned(C, TargetId(done[10])),
        Err(DialerError::WrongStatus {
            status: TargetStatus::NoAnswer,
            ..
        })
    ));
    // The lowered ratio drives pacing: 3 free agents × 2.0.
    assert_eq!(d.pace(C, &pool(3, 3), 0).unwrap().len(), 6);

    let mut d = dialer_with(config(mode), 100);
    let done = feed(&mut d, PREDICTIVE_MIN_SAMPLES, 5);
    for t in &done[..5] {
        d.abandoned(C, TargetId(*t)).unwrap();
    }
    assert_eq!(d.stats(C).unwrap().ratio, 1.0, "clamped at 1.0");
}

#[test]
fn predictive_forgets_outcomes_older_than_the_window() {
    let mode = DialerMode::Predictive {
        target_abandon_rate: 0.05,
    };
    // One dial at a time, so that `feed` works whatever the ratio.
    let cfg = CampaignConfig {
        max_concurrent: 1,
        ..config(mode)
    };
    let mut d = dialer_with(cfg, 300);
    feed(&mut d, PREDICTIVE_WINDOW, 0);
    assert_eq!(d.stats(C).unwrap().ratio, MAX_RATIO);
    feed(&mut d, PREDICTIVE_WINDOW, PREDICTIVE_WINDOW / 2);
    assert_eq!(
        d.stats(C).unwrap().ratio,
        2.0,
        "only the last {PREDICTIVE_WINDOW} dials count"
    );
}

#[test]
fn invalid_ratios_and_rates_are_rejected() {
    let mut d = Dialer::new();
    for r in [0.5, 5.5, 0.99, f64::NAN, f64::INFINITY, -1.0] {
        let err = d
            .add_campaign(C, config(DialerMode::Ratio(r)), &[])
            .unwrap_err();
        assert!(matches!(err, DialerError::InvalidRatio(_)), "{r}");
    }
    for r in [1.0, 2.5, 5.0] {
        assert!(DialerMode::Ratio(r).validate().is_ok(), "{r}");
    }
    for a in [-0.1, 1.5, f64::NAN] {
        let mode = DialerMode::Predictive {
            target_abandon_rate: a,
        };
        assert!(matches!(
            mode.validate(),
            Err(DialerError::InvalidAbandonRate(_))
        ));
    }
    d.add_campaign(C, config(DialerMode::Ratio(2.0)), &[])
        .unwrap();
    assert!(matches!(
        d.set_mode(C, DialerMode::Ratio(5.5)),
        Err(DialerError::InvalidRatio(_))
    ));
    assert_eq!(
        d.config(C).unwrap().mode,
        DialerMode::Ratio(2.0),
        "unchanged"
    );
    for bad in [
        CampaignConfig {
            max_concurrent: 0,
            ..config(DialerMode::Progressive)
        },
        CampaignConfig {
            max_attempts: 0,
            ..config(DialerMode::Progressive)
        },
        CampaignConfig {
            retry_after_ms: -1,
            ..config(DialerMode::Progressive)
        },
    ] {
        assert!(matches!(
            d.add_campaign(C2, bad, &[]),
            Err(DialerError::InvalidConfig(_))
        ));
    }
}

#[test]
fn paused_campaigns_dial_nothing_until_resumed() {
    let acd = pool(2, 2);
    let mut d = dialer_with(config(DialerMode::Progressive), 5);
    d.pause(C).unwrap();
    assert!(d.pace(C, &acd, 0).unwrap().is_empty());
    assert_eq!(d.stats(C).unwrap().state, CampaignState::Paused);
    d.resume(C).unwrap();
    assert_eq!(d.pace(C, &acd, 0).unwrap().len(), 2);
}

#[test]
fn stop_cancels_what_is_left_and_withdraws_previews() {
    let acd = pool(2, 2);
    let cfg = CampaignConfig {
        max_attempts: 3,
        ..config(DialerMode::Preview)
    };
    let mut d = dialer_with(cfg, 5);
    d.pace(C, &acd, 0).unwrap();
    d.preview_confirmed(C, TargetId(1)).unwrap();
    let cmds = d.stop(C).unwrap();
    assert_eq!(
        cmds,
        [DialCommand::WithdrawPreview {
            campaign: C,
            target: TargetId(2)
        }]
    );
    assert!(!d.exhausted(C).unwrap(), "dial 1 still in flight");
    assert_eq!(
        d.dial_result(C, TargetId(1), DialOutcome::NoAnswer, 10)
            .unwrap(),
        TargetStatus::NoAnswer,
        "no retry after stop"
    );
    assert!(d.exhausted(C).unwrap());
    assert_eq!(
        d.target_status(C, TargetId(5)).unwrap(),
        TargetStatus::Cancelled
    );
    assert_eq!(d.resume(C), Err(DialerError::CampaignStopped(C)));
    assert!(d.pace(C, &acd, 20).unwrap().is_empty());
}

#[test]
fn force_stop_hangs_up_dials_in_flight() {
    let acd = pool(2, 2);
    let mut d = dialer_with(config(DialerMode::Progressive), 5);
    d.pace(C, &acd, 0).unwrap();
    let cmds = d.force_stop(C).unwrap();
    assert_eq!(
        cmds,
        [
            DialCommand::Hangup {
                campaign: C,
                target: TargetId(1)
            },
            DialCommand::Hangup {
                campaign: C,
                target: TargetId(2)
            },
        ]
    );
    assert!(d.exhausted(C).unwrap());
    assert_eq!(d.stats(C).unwrap().in_flight, 0);
    assert!(d
        .dial_result(C, TargetId(1), DialOutcome::Answered, 1)
        .is_err());
}

#[test]
fn campaigns_sharing_a_pool_split_its_agents() {
    let acd = pool(3, 3);
    let mut d = Dialer::new();
    d.add_campaign(C, config(DialerMode::Ratio(2.0)), &targets(2))
        .unwrap();
    d.add_campaign(C2, config(DialerMode::Progressive), &targets(10))
        .unwrap();
    assert_eq!(d.pace(C, &acd, 0).unwrap().len(), 2, "all its targets");
    // Two dials at ratio 2 claim one agent; two are left for the progressive campaign.
    assert_eq!(d.pace(C2, &acd, 0).unwrap().len(), 2);
    let cmds = d.pace_all(&acd, 0);
    assert!(cmds.is_empty(), "{cmds:?}");
}

#[test]
fn errors_name_the_unknown_thing() {
    let acd = pool(1, 1);
    let mut d = dialer_with(config(DialerMode::Progressive), 1);
    assert_eq!(d.pace(C2, &acd, 0), Err(DialerError::UnknownCampaign(C2)));
    assert_eq!(
        d.dial_result(C, TargetId(7), DialOutcome::Busy, 0),
        Err(DialerError::UnknownTarget(TargetId(7)))
    );
    assert_eq!(
        d.dial_result(C, TargetId(1), DialOutcome::Busy, 0),
        Err(DialerError::WrongStatus {
            target: TargetId(1),
            status: TargetStatus::Pending
        })
    );
    d.add_campaign(
        C2,
        CampaignConfig {
            queue: QueueId(99),
            ..config(DialerMode::Progressive)
        },
        &targets(1),
    )
    .unwrap();
    assert_eq!(
        d.pace(C2, &acd, 0),
        Err(DialerError::Acd(AcdError::UnknownQueue(QueueId(99))))
    );
    assert_eq!(d.pace_all(&acd, 0).len(), 1, "campaign 1 still paces");
}

// ------------------------------------------------------------------------------------------------
// Property: pacing never exceeds min(max_concurrent, the mode's limit), and is work-conserving
// ------------------------------------------------------------------------------------------------

const AGENTS: u32 = 6;
const TARGETS: u64 = 40;

#[derive(Debug, Clone)]
enum Op {
    Ready(u32),
    NotReady(u32),
    Pace(usize),
    Result {
        campaign: usize,
        pick: usize,
        outcome: u8,
    },
    Abandon {
        campaign: usize,
        pick: usize,
    },
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (1..=AGENTS).prop_map(Op::Ready),
        1 => (1..=AGENTS).prop_map(Op::NotReady),
        3 => (0..2usize).prop_map(Op::Pace),
        4 => (0..2usize, any::<usize>(), 0..5u8).prop_map(|(campaign, pick, outcome)| {
            Op::Result {
                campaign,
                pick,
                outcome,
            }
        }),
        1 => (0..2usize, any::<usize>()).prop_map(|(campaign, pick)| Op::Abandon { campaign, pick }),
        1 => (0..20_000i64).prop_map(Op::Advance),
    ]
}

fn mode() -> impl Strategy<Value = DialerMode> {
    prop_oneof![
        Just(DialerMode::Progressive),
        (1.0..=5.0f64).prop_map(DialerMode::Ratio),
        (0.0..=0.3f64).prop_map(|t| DialerMode::Predictive {
            target_abandon_rate: t
        }),
    ]
}

fn campaign_config() -> impl Strategy<Value = CampaignConfig> {
    (mode(), 1..12u32, 1..4u32, 0..10_000i64).prop_map(
        |(mode, max_concurrent, max_attempts, retry_after_ms)| CampaignConfig {
            mode,
            queue: Q,
            max_concurrent,
            max_attempts,
            retry_after_ms,
        },
    )
}

fn check_campaign(d: &Dialer, id: CampaignId) -> Result<(), TestCaseError> {
    let s = d.stats(id).unwrap();
    let cfg = d.config(id).unwrap();
    prop_assert!(s.in_flight <= cfg.max_concurrent as usize);
    prop_assert!((MIN_RATIO..=MAX_RATIO).contains(&s.ratio));
    let statuses: Vec<TargetStatus> = (1..=TARGETS)
        .map(|t| d.target_status(id, TargetId(t)).unwrap())
        .collect();
    let not_final = statuses.iter().filter(|s| !s.is_final()).count();
    prop_assert_eq!(s.remaining, not_final);
    prop_assert_eq!(d.exhausted(id).unwrap(), not_final == 0);
    let dialing = statuses
        .iter()
        .filter(|s| matches!(s, TargetStatus::Dialing { .. }))
        .count();
    prop_assert_eq!(s.in_flight, dialing);
    Ok(())
}

fn run(cfgs: [CampaignConfig; 2], ops: Vec<Op>) -> Result<(), TestCaseError> {
    let ids = [C, C2];
    let mut acd = pool(AGENTS / 2, AGENTS);
    let mut d = Dialer::new();
    for (id, cfg) in ids.iter().zip(cfgs) {
        d.add_campaign(*id, cfg, &targets(TARGETS)).unwrap();
    }
    let mut now = 0i64;
    let mut next_contact = 1u64;
    let mut answered: [Vec<TargetId>; 2] = [Vec::new(), Vec::new()];
    for op in ops {
        match op {
            Op::Ready(a) => {
                acd.agent_ready(AgentId(a), now).unwrap();
            }
            Op::NotReady(a) => {
                acd.agent_not_ready(AgentId(a), now).unwrap();
            }
            Op::Advance(ms) => {
                now += ms;
                acd.advance(now);
            }
            Op::Result {
                campaign,
                pick,
                outcome,
            } => {
                let id = ids[campaign];
                let flying: Vec<TargetId> = (1..=TARGETS)
                    .map(TargetId)
                    .filter(|&t| {
                        matches!(
                            d.target_status(id, t).unwrap(),
                            TargetStatus::Dialing { .. }
                        )
                    })
                    .collect();
                if flying.is_empty() {
                    continue;
                }
                let t = flying[pick % flying.len()];
                let outcome = [
                    DialOutcome::Answered,
                    DialOutcome::NoAnswer,
                    DialOutcome::Busy,
                    DialOutcome::Failed,
                    DialOutcome::DoNotCall,
                ][usize::from(outcome)];
                d.dial_result(id, t, outcome, now).unwrap();
                if outcome == DialOutcome::Answered {
                    answered[campaign].push(t);
                    enqueue_answered(&mut acd, next_contact, now);
                    next_contact += 1;
                }
            }
            Op::Abandon { campaign, pick } => {
                let list = &mut answered[campaign];
                if !list.is_empty() {
                    let t = list.swap_remove(pick % list.len());
                    d.abandoned(ids[campaign], t).unwrap();
                }
            }
            Op::Pace(k) => {
                let id = ids[k];
                let other = ids[1 - k];
                let before = d.stats(id).unwrap();
                let dialable = (1..=TARGETS)
                    .filter(|&t| match d.target_status(id, TargetId(t)).unwrap() {
                        TargetStatus::Pending => true,
                        TargetStatus::RetryScheduled { at_ms } => at_ms <= now,
                        _ => false,
                    })
                    .count();
                let qs = acd.queue_stats(Q, now).unwrap();
                let o = d.stats(other).unwrap();
                let claimed = o.in_flight as f64 / o.ratio;
                let free = f64::from(qs.available.saturating_sub(qs.waiting)) - claimed;
                let cmds = d.pace(id, &acd, now).unwrap();
                let after = d.stats(id).unwrap();
                prop_assert_eq!(after.in_flight, before.in_flight + cmds.len());
                let cap = d.config(id).unwrap().max_concurrent as usize;
                let mode_limit = if free <= 0.0 {
                    0
                } else {
                    (free * before.ratio + 1e-9).floor() as usize
                };
                let limit = cap.min(mode_limit);
                if !cmds.is_empty() {
                    prop_assert!(
                        after.in_flight <= limit,
                        "in flight {} > min({cap}, {mode_limit})",
                        after.in_flight
                    );
                    let total = after.in_flight as f64 / after.ratio + claimed;
                    prop_assert!(
                        total <= free + claimed + 1e-6,
                        "pool over-committed: {}",
                        total
                    );
                }
                // Work conservation: below the limit only when nothing is left to dial.
                prop_assert_eq!(
                    after.in_flight,
                    before.in_flight.max(limit.min(before.in_flight + dialable))
                );
                // Dials are taken from the due retries and pending targets only.
                for c in &cmds {
                    let ours = matches!(c, DialCommand::Dial { campaign, .. } if *campaign == id);
                    prop_assert!(ours, "unexpected command {:?}", c);
                }
            }
        }
        for id in ids {
            check_campaign(&d, id)?;
        }
        if let Some(at) = d.next_deadline() {
            let scheduled = ids.iter().any(|&c| {
                (1..=TARGETS).any(|t| {
                    d.target_status(c, TargetId(t)).unwrap()
                        == TargetStatus::RetryScheduled { at_ms: at }
                })
            });
            prop_assert!(scheduled, "deadline {} has no retry", at);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn in_flight_never_exceeds_the_concurrency_or_mode_limit(
        c1 in campaign_config(),
        c2 in campaign_config(),
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        run([c1, c2], ops)?;
    }
}
