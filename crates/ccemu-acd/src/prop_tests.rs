//! Property tests: random event sequences checked against a brute-force reference model.
//!
//! The reference (`Model`) follows the engine only through the public API: the calls the test
//! makes and the decisions the engine returns. From those it keeps, per agent, status, delay end,
//! load per channel, wrap-ups and the strategy counters, and per contact its place and owners.
//! Every decision is checked when it is applied (capacity, eligibility, queue order, strategy
//! key), and after every event the whole state is checked by an O(contacts × agents) scan
//! (work conservation, routing order of `waiting`). Nothing here uses the engine's indexes.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::{any, prop_assert, prop_oneof, proptest, Just, ProptestConfig};
use proptest::strategy::Strategy as Gen;

use crate::*;

const QUEUES: [QueueId; 2] = [QueueId(1), QueueId(2)];
const SKILL: SkillId = SkillId(7);

#[derive(Debug, Clone)]
struct World {
    queues: Vec<QueueConfig>,
    agents: Vec<AgentConfig>,
    seed: u64,
}

#[derive(Debug, Clone)]
enum Ev {
    Enqueue {
        queue: usize,
        chat: bool,
        priority: i32,
        skill: Option<u8>,
    },
    Abandon(usize),
    Ready(usize),
    NotReady(usize),
    Logout(usize),
    Accept(usize),
    Reject(usize),
    Complete(usize, i64),
    StaleAccept(usize, usize),
    Tick(i64),
}

const STRATEGIES: [Strategy; 9] = [
    Strategy::LongestIdle,
    Strategy::RoundRobin,
    Strategy::TopDown,
    Strategy::RingAll,
    Strategy::RingProgressively,
    Strategy::LeastTalkTime,
    Strategy::FewestCalls,
    Strategy::SequentialByOrder,
    Strategy::Random,
];

fn queue_cfg(index: usize) -> impl Gen<Value = QueueConfig> {
    (
        0..9usize,
        any::<bool>(),
        proptest::option::of(0u8..3),
        proptest::option::of(20i64..120),
        0usize..4,
    )
        .prop_map(move |(s, tiers, skill, timeout, max_len)| QueueConfig {
            strategy: STRATEGIES[s],
            max_length: max_len * 2,
            timeout_ms: timeout,
            overflow: (index == 0).then_some(QUEUES[1]),
            required_skills: skill.map(|p| vec![(SKILL, p)]).unwrap_or_default(),
            tier_rules: if tiers {
                vec![
                    TierRule {
                        after_ms: 15,
                        max_tier: 2,
                    },
                    TierRule {
                        after_ms: 40,
                        max_tier: 3,
                    },
                ]
            } else {
                Vec::new()
            },
            ..QueueConfig::default()
        })
}

fn agent_cfg() -> impl Gen<Value = AgentConfig> {
    (
        (
            0u32..2,
            0u32..3,
            any::<bool>(),
            proptest::option::of(0u8..4),
        ),
        proptest::collection::vec(proptest::option::of((1u32..4, 0u32..4)), 2),
        (
            5i64..30,
            prop_oneof![Just(0i64), 1i64..10],
            prop_oneof![Just(0i64), 1i64..10],
            0u32..3,
        ),
    )
        .prop_map(
            |((voice, chat, blocks, skill), ms, (ring, na, rj, max_na))| AgentConfig {
                capacity: [voice, chat, 0],
                voice_blocks_others: blocks,
                skills: skill.map(|p| vec![(SKILL, p)]).unwrap_or_default(),
                memberships: ms
                    .iter()
                    .enumerate()
                    .filter_map(|(i, m)| {
                        m.map(|(tier, position)| Membership {
                            queue: QUEUES[i],
                            tier,
                            position,
                        })
                    })
                    .collect(),
                ring_timeout_ms: ring,
                no_answer_delay_ms: na,
                reject_delay_ms: rj,
                max_no_answer: max_na,
            },
        )
}

fn world() -> impl Gen<Value = World> {
    (
        queue_cfg(0),
        queue_cfg(1),
        proptest::collection::vec(agent_cfg(), 1..6),
        any::<u64>(),
    )
        .prop_map(|(q0, q1, agents, seed)| World {
            queues: vec![q0, q1],
            agents,
            seed,
        })
}

fn event() -> impl Gen<Value = Ev> {
    prop_oneof![
        4 => (0usize..2, any::<bool>(), 0i32..3, proptest::option::of(0u8..4))
            .prop_map(|(queue, chat, priority, skill)| Ev::Enqueue { queue, chat, priority, skill }),
        1 => any::<usize>().prop_map(Ev::Abandon),
        3 => any::<usize>().prop_map(Ev::Ready),
        1 => any::<usize>().prop_map(Ev::NotReady),
        1 => any::<usize>().prop_map(Ev::Logout),
        4 => any::<usize>().prop_map(Ev::Accept),
        1 => any::<usize>().prop_map(Ev::Reject),
        3 => (any::<usize>(), prop_oneof![Just(0i64), 1i64..15]).prop_map(|(i, w)| Ev::Complete(i, w)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(c, a)| Ev::StaleAccept(c, a)),
        3 => (1i64..25).prop_map(Ev::Tick),
    ]
}

// ---------------------------------------------------------------------------------------------
// Reference model
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    LoggedOut,
    Ready,
    NotReady,
}

#[derive(Debug)]
struct MAgent {
    id: AgentId,
    cfg: AgentConfig,
    status: St,
    delay_until: i64,
    reserved: [u32; 3],
    connected: [u32; 3],
    wraps: Vec<(i64, usize)>,
    idle_since: i64,
    answered: u64,
    talk: i64,
    no_answers: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum CSt {
    Waiting,
    Ringing,
    Connected(AgentId, i64),
    Leaving,
}

#[derive(Debug)]
struct MContact {
    queue: usize,
    ch: Channel,
    priority: i32,
    skill: Option<u8>,
    enq: i64,
    seq: u64,
    entered: i64,
    state: CSt,
    ringing: BTreeSet<AgentId>,
}

/// Whether silent timers due exactly now may or may not have fired yet (inside `advance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Exact,
    Ambiguous,
}

struct Model {
    world: World,
    now: i64,
    agents: Vec<MAgent>,
    contacts: BTreeMap<ContactId, MContact>,
    rotation: [Option<(u32, (i64, AgentId))>; 2],
    seq: u64,
    next_id: u64,
    expect_not_ready: Option<AgentId>,
}

fn level_at(rules: &[TierRule], wait: i64) -> u32 {
    if rules.is_empty() {
        return u32::MAX;
    }
    rules
        .iter()
        .filter(|r| r.after_ms <= wait)
        .map(|r| r.max_tier)
        .fold(1, u32::max)
}

impl Model {
    fn qcfg(&self, q: usize) -> &QueueConfig {
        &self.world.queues[q]
    }

    fn load(&self, a: &MAgent, mode: Mode) -> [u32; 3] {
        let mut l: [u32; 3] = std::array::from_fn(|i| a.reserved[i] + a.connected[i]);
        for &(end, ch) in &a.wraps {
            // Ambiguous: a wrap-up ending exactly now may still hold its slot.
            if end > self.now || (mode == Mode::Ambiguous && end == self.now) {
                l[ch] += 1;
            }
        }
        l
    }

    fn idle_since(&self, a: &MAgent) -> i64 {
        a.wraps
            .iter()
            .filter(|w| w.0 <= self.now)
            .map(|w| w.0)
            .fold(a.idle_since, i64::max)
    }

    /// Free for a new contact of `ch` (ignoring queues). `mode` Ambiguous is conservative.
    fn free_for(&self, a: &MAgent, ch: Channel, mode: Mode) -> bool {
        let l = self.load(a, mode);
        let delay_done = match mode {
            Mode::Exact => a.delay_until <= self.now,
            Mode::Ambiguous => a.delay_until < self.now,
        };
        a.status == St::Ready
            && delay_done
            && l[ch.index()] < a.cfg.capacity[ch.index()]
            && !(a.cfg.voice_blocks_others && ch != Channel::Voice && l[0] > 0)
    }

    fn level(&self, c: &MContact, mode: Mode) -> u32 {
        let wait = self.now - c.entered;
        let wait = if mode == Mode::Ambiguous {
            wait - 1
        } else {
            wait
        };
        level_at(&self.qcfg(c.queue).tier_rules, wait)
    }

    /// Agent's tier if it may serve `c` by membership, tier level and skills.
    fn eligible(&self, a: &MAgent, c: &MContact, mode: Mode) -> Option<u32> {
        let m = a
            .cfg
            .memberships
            .iter()
            .find(|m| m.queue == QUEUES[c.queue])?;
        if m.tier > self.level(c, mode) {
            return None;
        }
        let prof = a
            .cfg
            .skills
            .iter()
            .filter(|s| s.0 == SKILL)
            .map(|s| s.1)
            .max();
        let need = [
            self.qcfg(c.queue).required_skills.first().map(|s| s.1),
            c.skill,
        ];
        for n in need.into_iter().flatten() {
            if prof.is_none_or(|p| p < n) {
                return None;
            }
        }
        Some(m.tier)
    }

    fn key(&self, a: &MAgent, q: usize) -> (i64, AgentId) {
        let pos = a
            .cfg
            .memberships
            .iter()
            .find(|m| m.queue == QUEUES[q])
            .map_or(0, |m| i64::from(m.position));
        let v = match self.qcfg(q).strategy {
            Strategy::LongestIdle => self.idle_since(a),
            Strategy::RoundRobin | Strategy::Random => 0,
            Strategy::TopDown
            | Strategy::RingAll
            | Strategy::RingProgressively
            | Strategy::SequentialByOrder => pos,
            Strategy::LeastTalkTime => a.talk,
            Strategy::FewestCalls => a.answered as i64,
        };
        (v, a.id)
    }

    fn wait_key(c: &MContact) -> (i64, i64, u64) {
        (-i64::from(c.priority), c.enq, c.seq)
    }

    fn agent_mut(&mut self, id: AgentId) -> &mut MAgent {
        &mut self.agents[id.0 as usize]
    }

    // --- applying one decision ---------------------------------------------------------------

    fn apply(&mut self, d: Decision, mode: Mode, in_tick: bool) -> Result<(), String> {
        if let Some(a) = self.expect_not_ready.take() {
            if d != (Decision::AgentNotReady { agent: a }) {
                return Err(format!("expected AgentNotReady({a:?}), got {d:?}"));
            }
            self.agent_mut(a).status = St::NotReady;
            return Ok(());
        }
        match d {
            Decision::Offer {
                contact,
                agent,
                ring_deadline_ms,
            } => self.apply_offer(contact, agent, ring_deadline_ms, mode),
            Decision::OfferWithdrawn { contact, agent } => {
                let c = self
                    .contacts
                    .get_mut(&contact)
                    .ok_or("withdrawn unknown contact")?;
                if !c.ringing.remove(&agent) {
                    return Err(format!(
                        "withdrawn {contact:?} from {agent:?} which was not ringing"
                    ));
                }
                let ch = c.ch.index();
                let now = self.now;
                let a = self.agent_mut(agent);
                a.reserved[ch] -= 1;
                if in_tick {
                    a.no_answers += 1;
                    if a.cfg.no_answer_delay_ms > 0 {
                        a.delay_until = now + a.cfg.no_answer_delay_ms;
                    }
                    if a.cfg.max_no_answer > 0
                        && a.no_answers >= a.cfg.max_no_answer
                        && a.status == St::Ready
                    {
                        self.expect_not_ready = Some(agent);
                    }
                }
                Ok(())
            }
            Decision::Requeued { contact } => {
                let c = self
                    .contacts
                    .get_mut(&contact)
                    .ok_or("requeued unknown contact")?;
                if c.state != CSt::Ringing || !c.ringing.is_empty() {
                    return Err(format!(
                        "requeued {contact:?} in state {:?} ringing {:?}",
                        c.state, c.ringing
                    ));
                }
                c.state = CSt::Waiting;
                Ok(())
            }
            Decision::AgentNotReady { agent } => {
                Err(format!("unexpected AgentNotReady({agent:?})"))
            }
            Decision::QueueTimeout {
                contact,
                overflow_to,
            } => {
                let now = self.now;
                let c = self
                    .contacts
                    .get(&contact)
                    .ok_or("timeout of unknown contact")?;
                let timeout = self
                    .qcfg(c.queue)
                    .timeout_ms
                    .ok_or("timeout without timeout_ms")?;
                if now < c.entered + timeout
                    || !c.ringing.is_empty()
                    || !matches!(c.state, CSt::Waiting | CSt::Ringing)
                {
                    return Err(format!(
                        "early/invalid timeout of {contact:?}: {c:?} at {now}"
                    ));
                }
                match overflow_to {
                    Some(q) => {
                        let c = self.contacts.get_mut(&contact).ok_or("?")?;
                        c.queue = QUEUES.iter().position(|&x| x == q).ok_or("bad overflow")?;
                        c.entered = now;
                        c.state = CSt::Waiting;
                    }
                    None => {
                        self.contacts.remove(&contact);
                    }
                }
                Ok(())
            }
        }
    }

    fn apply_offer(
        &mut self,
        contact: ContactId,
        agent: AgentId,
        deadline: i64,
        mode: Mode,
    ) -> Result<(), String> {
        let c = self
            .contacts
            .get(&contact)
            .ok_or("offer of unknown contact")?;
        let a = &self.agents[agent.0 as usize];
        let q = c.queue;
        let strategy = self.qcfg(q).strategy;
        let first = c.state == CSt::Waiting;
        if !matches!(c.state, CSt::Waiting | CSt::Ringing) || c.ringing.contains(&agent) {
            return Err(format!(
                "offer of {contact:?} in state {:?} to {agent:?}",
                c.state
            ));
        }
        if !first && !matches!(strategy, Strategy::RingAll | Strategy::RingProgressively) {
            return Err(format!("second owner for {contact:?} under {strategy:?}"));
        }
        // Capacity (reservations count) and eligibility, permissively for silent timers.
        if !self.free_for(a, c.ch, Mode::Exact) {
            return Err(format!(
                "{agent:?} over capacity or unavailable for {contact:?}: {a:?}"
            ));
        }
        let tier = self
            .eligible(a, c, Mode::Exact)
            .ok_or(format!("{agent:?} not eligible for {contact:?}"))?;
        if strategy != Strategy::RingProgressively && deadline != self.now + a.cfg.ring_timeout_ms {
            return Err(format!("ring deadline {deadline} for {agent:?}"));
        }
        // Queue order: no better waiting contact of the same queue this agent could take.
        let ck = Self::wait_key(c);
        for (id, o) in &self.contacts {
            if *id != contact
                && o.queue == q
                && o.state == CSt::Waiting
                && Self::wait_key(o) < ck
                && self.free_for(a, o.ch, Mode::Ambiguous)
                && self.eligible(a, o, Mode::Ambiguous).is_some()
            {
                return Err(format!(
                    "queue order: {contact:?} offered to {agent:?} while {id:?} waits"
                ));
            }
        }
        // Strategy key: compared with every agent that was surely available and eligible.
        let mut pool: Vec<(u32, (i64, AgentId))> = vec![(tier, self.key(a, q))];
        for b in &self.agents {
            if b.id != agent
                && !c.ringing.contains(&b.id)
                && self.free_for(b, c.ch, Mode::Ambiguous)
            {
                if let Some(t) = self.eligible(b, c, Mode::Ambiguous) {
                    pool.push((t, self.key(b, q)));
                }
            }
        }
        let _ = mode;
        let low = pool.iter().map(|p| p.0).min().unwrap_or(tier);
        if tier != low && strategy != Strategy::RingAll {
            return Err(format!(
                "{agent:?} of tier {tier} chosen over tier {low} for {contact:?}"
            ));
        }
        let in_tier: Vec<(i64, AgentId)> =
            pool.iter().filter(|p| p.0 == low).map(|p| p.1).collect();
        let expected = match strategy {
            Strategy::RingAll | Strategy::Random => None,
            Strategy::RoundRobin | Strategy::SequentialByOrder => {
                let after = self.rotation[q]
                    .filter(|r| r.0 == low)
                    .and_then(|r| in_tier.iter().filter(|k| **k > r.1).min().copied());
                after.or_else(|| in_tier.iter().min().copied())
            }
            _ => in_tier.iter().min().copied(),
        };
        if let Some(e) = expected {
            if e.1 != agent {
                return Err(format!("strategy {strategy:?}: {agent:?} chosen for {contact:?}, reference picks {e:?} of {pool:?}"));
            }
        }
        if first && matches!(strategy, Strategy::RoundRobin | Strategy::SequentialByOrder) {
            self.rotation[q] = Some((tier, self.key(a, q)));
        }
        let ch = c.ch.index();
        let now = self.now;
        let c = self.contacts.get_mut(&contact).ok_or("?")?;
        c.state = CSt::Ringing;
        c.ringing.insert(agent);
        let a = self.agent_mut(agent);
        a.reserved[ch] += 1;
        a.idle_since = now;
        Ok(())
    }

    fn apply_all(&mut self, ds: &[Decision], in_tick: bool) -> Result<(), String> {
        let mode = if in_tick {
            Mode::Ambiguous
        } else {
            Mode::Exact
        };
        for &d in ds {
            self.apply(d, mode, in_tick)?;
        }
        if let Some(a) = self.expect_not_ready {
            return Err(format!("missing AgentNotReady({a:?})"));
        }
        Ok(())
    }

    /// Whole-state checks after an event (all timers due by now have fired).
    fn check(&self, acd: &Acd) -> Result<(), String> {
        for (id, c) in &self.contacts {
            if c.state == CSt::Ringing && c.ringing.is_empty() {
                return Err(format!("{id:?} ringing for nobody"));
            }
            if c.state == CSt::Leaving {
                return Err(format!("{id:?} left but still known"));
            }
            if c.state != CSt::Waiting {
                continue;
            }
            for a in &self.agents {
                if self.free_for(a, c.ch, Mode::Exact) && self.eligible(a, c, Mode::Exact).is_some()
                {
                    return Err(format!(
                        "not work-conserving: {id:?} waits while {:?} is free: {a:?}",
                        a.id
                    ));
                }
            }
        }
        for (qi, &q) in QUEUES.iter().enumerate() {
            let mut expected: Vec<(i64, i64, u64, ContactId)> = self
                .contacts
                .iter()
                .filter(|(_, c)| c.queue == qi && c.state == CSt::Waiting)
                .map(|(id, c)| {
                    let k = Self::wait_key(c);
                    (k.0, k.1, k.2, *id)
                })
                .collect();
            expected.sort();
            let expected: Vec<ContactId> = expected.into_iter().map(|k| k.3).collect();
            let got = acd.waiting(q).map_err(|e| e.to_string())?;
            if got != expected {
                return Err(format!("waiting({q:?}) = {got:?}, reference {expected:?}"));
            }
        }
        for a in &self.agents {
            let l = self.load(a, Mode::Exact);
            for i in 0..3 {
                if l[i] > a.cfg.capacity[i] {
                    return Err(format!("{:?} over capacity: {l:?}", a.id));
                }
            }
        }
        Ok(())
    }
}

fn run(world: World, events: Vec<Ev>) -> Result<(), String> {
    let mut acd = Acd::new(world.seed);
    let mut m = Model {
        world: world.clone(),
        now: 0,
        agents: Vec::new(),
        contacts: BTreeMap::new(),
        rotation: [None, None],
        seq: 0,
        next_id: 1,
        expect_not_ready: None,
    };
    for (i, q) in world.queues.iter().enumerate() {
        let ds = acd.upsert_queue(QUEUES[i], q.clone(), 0);
        m.apply_all(&ds, false)?;
    }
    for (i, cfg) in world.agents.iter().enumerate() {
        let id = AgentId(i as u32);
        m.agents.push(MAgent {
            id,
            cfg: cfg.clone(),
            status: St::LoggedOut,
            delay_until: i64::MIN,
            reserved: [0; 3],
            connected: [0; 3],
            wraps: Vec::new(),
            idle_since: 0,
            answered: 0,
            talk: 0,
            no_answers: 0,
        });
        let ds = acd.upsert_agent(id, cfg.clone(), 0);
        m.apply_all(&ds, false)?;
    }
    let n_agents = m.agents.len();
    for ev in events {
        let now = m.now;
        match ev {
            Ev::Enqueue {
                queue,
                chat,
                priority,
                skill,
            } => {
                let id = ContactId(m.next_id);
                m.next_id += 1;
                let spec = ContactSpec {
                    id,
                    queue: QUEUES[queue],
                    channel: if chat { Channel::Chat } else { Channel::Voice },
                    priority,
                    required_skills: skill.map(|p| vec![(SKILL, p)]).unwrap_or_default(),
                };
                let in_queue = m
                    .contacts
                    .values()
                    .filter(|c| c.queue == queue && matches!(c.state, CSt::Waiting | CSt::Ringing))
                    .count();
                let max = m.qcfg(queue).max_length;
                match acd.enqueue(spec.clone(), now) {
                    Err(AcdError::QueueFull(_)) if max > 0 && in_queue >= max => continue,
                    Err(e) => return Err(format!("enqueue failed: {e}")),
                    Ok(ds) => {
                        if max > 0 && in_queue >= max {
                            return Err("enqueue beyond max_length".into());
                        }
                        m.seq += 1;
                        m.contacts.insert(
                            id,
                            MContact {
                                queue,
                                ch: spec.channel,
                                priority,
                                skill,
                                enq: now,
                                seq: m.seq,
                                entered: now,
                                state: CSt::Waiting,
                                ringing: BTreeSet::new(),
                            },
                        );
                        m.apply_all(&ds, false)?;
                    }
                }
            }
            Ev::Abandon(k) => {
                let ids: Vec<ContactId> = m
                    .contacts
                    .iter()
                    .filter(|c| matches!(c.1.state, CSt::Waiting | CSt::Ringing))
                    .map(|c| *c.0)
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                let id = ids[k % ids.len()];
                let ds = acd.abandon(id, now).map_err(|e| format!("abandon: {e}"))?;
                if let Some(c) = m.contacts.get_mut(&id) {
                    c.state = CSt::Leaving;
                }
                m.apply_all(&ds, false)?;
                let c = m.contacts.remove(&id).ok_or("abandoned contact vanished")?;
                if !c.ringing.is_empty() {
                    return Err(format!("abandon left offers {:?}", c.ringing));
                }
            }
            Ev::Ready(k) => {
                let a = &mut m.agents[k % n_agents];
                if a.status != St::Ready {
                    a.status = St::Ready;
                    a.idle_since = now;
                    a.no_answers = 0;
                }
                let id = a.id;
                let ds = acd.agent_ready(id, now).map_err(|e| e.to_string())?;
                m.apply_all(&ds, false)?;
            }
            Ev::NotReady(k) => {
                let a = &mut m.agents[k % n_agents];
                if a.status != St::LoggedOut {
                    a.status = St::NotReady;
                }
                let id = a.id;
                let ds = acd.agent_not_ready(id, now).map_err(|e| e.to_string())?;
                m.apply_all(&ds, false)?;
            }
            Ev::Logout(k) => {
                let a = &mut m.agents[k % n_agents];
                a.status = St::LoggedOut;
                a.delay_until = i64::MIN;
                let id = a.id;
                let ds = acd.agent_logout(id, now).map_err(|e| e.to_string())?;
                m.apply_all(&ds, false)?;
            }
            Ev::Accept(k) | Ev::Reject(k) => {
                let pairs: Vec<(ContactId, AgentId)> = m
                    .contacts
                    .iter()
                    .filter(|c| c.1.state == CSt::Ringing)
                    .flat_map(|(id, c)| c.ringing.iter().map(move |a| (*id, *a)))
                    .collect();
                if pairs.is_empty() {
                    continue;
                }
                let (c, a) = pairs[k % pairs.len()];
                let ch = m.contacts[&c].ch.index();
                if matches!(ev, Ev::Accept(_)) {
                    let mc = m.contacts.get_mut(&c).ok_or("?")?;
                    mc.state = CSt::Connected(a, now);
                    mc.ringing.remove(&a);
                    let ag = m.agent_mut(a);
                    ag.reserved[ch] -= 1;
                    ag.connected[ch] += 1;
                    ag.answered += 1;
                    ag.no_answers = 0;
                    let ds = acd.accept(c, a, now).map_err(|e| format!("accept: {e}"))?;
                    m.apply_all(&ds, false)?;
                    if !m.contacts[&c].ringing.is_empty() {
                        return Err("accept left other offers".into());
                    }
                } else {
                    m.contacts.get_mut(&c).ok_or("?")?.ringing.remove(&a);
                    let ag = m.agent_mut(a);
                    ag.reserved[ch] -= 1;
                    if ag.cfg.reject_delay_ms > 0 {
                        ag.delay_until = now + ag.cfg.reject_delay_ms;
                    }
                    let ds = acd.reject(c, a, now).map_err(|e| format!("reject: {e}"))?;
                    m.apply_all(&ds, false)?;
                }
            }
            Ev::Complete(k, wrap) => {
                let owned: Vec<(ContactId, AgentId, i64)> = m
                    .contacts
                    .iter()
                    .filter_map(|(id, c)| match c.state {
                        CSt::Connected(a, s) => Some((*id, a, s)),
                        _ => None,
                    })
                    .collect();
                if owned.is_empty() {
                    continue;
                }
                let (c, a, since) = owned[k % owned.len()];
                let ch = m.contacts[&c].ch.index();
                m.contacts.remove(&c);
                let ag = m.agent_mut(a);
                ag.connected[ch] -= 1;
                ag.talk += now - since;
                if wrap > 0 {
                    ag.wraps.push((now + wrap, ch));
                } else {
                    ag.idle_since = now;
                }
                let ds = acd
                    .complete(c, a, wrap, now)
                    .map_err(|e| format!("complete: {e}"))?;
                m.apply_all(&ds, false)?;
            }
            Ev::StaleAccept(k, j) => {
                let ids: Vec<ContactId> = m.contacts.keys().copied().collect();
                if ids.is_empty() {
                    continue;
                }
                let c = ids[k % ids.len()];
                let a = AgentId((j % n_agents) as u32);
                if m.contacts[&c].ringing.contains(&a) {
                    continue;
                }
                match acd.accept(c, a, now) {
                    Err(AcdError::NotOffered { .. }) => {}
                    other => return Err(format!("second owner: accept({c:?}, {a:?}) = {other:?}")),
                }
            }
            Ev::Tick(dt) => {
                let target = now + dt;
                while let Some(d) = acd.next_deadline() {
                    if d > target {
                        break;
                    }
                    if d < m.now {
                        return Err(format!("deadline {d} in the past ({})", m.now));
                    }
                    m.now = d;
                    let ds = acd.advance(d);
                    m.apply_all(&ds, true)?;
                    m.check(&acd)?;
                }
                m.now = target;
                let ds = acd.advance(target);
                if !ds.is_empty() {
                    return Err(format!("advance past all deadlines decided {ds:?}"));
                }
            }
        }
        m.check(&acd)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn routing_matches_reference_on_random_events(w in world(), evs in proptest::collection::vec(event(), 1..80)) {
        if let Err(e) = run(w, evs) {
            prop_assert!(false, "{}", e);
        }
    }
}
