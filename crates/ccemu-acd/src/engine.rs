//! The engine: state, indexes, matching and timers. See the crate docs for the semantics.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU64;
use std::ops::Bound::{Excluded, Unbounded};

use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;

use crate::table::{AgentTable, ContactTable};
use crate::types::{
    AcdError, AgentConfig, AgentId, Channel, ChannelStats, ContactId, ContactSpec, Decision,
    Membership, QueueConfig, QueueId, QueueStats, SkillId, Strategy, TierRule,
};
use crate::vecmap::VecMap;

/// A timer's identity, unique, ordered by deadline then creation. The sequence is never 0, so
/// `Option<TKey>` is no larger than `TKey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct TKey {
    at: i64,
    seq: NonZeroU64,
}
/// An agent's place in a pool: (strategy value, id); the id breaks ties.
type AgentKey = (i64, AgentId);
/// A contact's place in a queue: (-priority, enqueue ms, sequence, id). Never changes while the
/// contact lives, so re-queueing puts it back exactly where it was.
type WaitKey = (i64, i64, u64, ContactId);
/// Homogeneous class of waiting contacts inside a queue: (channel, eligible tier level,
/// requirement signature). Every contact of a class has exactly the same eligible agents.
type ClassKey = (u8, u32, Sig);
/// Interned, normalized skill list (agent skills or contact requirements).
type Sig = u32;

/// Level of a contact whose queue has no tier rules: every tier is eligible.
const NO_TIER_LIMIT: u32 = u32::MAX;
/// A contact may overflow at most this many times (guards against overflow cycles).
const MAX_OVERFLOW_HOPS: u32 = 16;
/// Signature of the empty skill list.
const EMPTY_SIG: Sig = 0;

#[derive(Debug, Clone, Copy)]
enum Timer {
    Ring { contact: ContactId, agent: AgentId },
    Step { contact: ContactId },
    Delay { agent: AgentId },
    WrapEnd { agent: AgentId, channel: Channel },
    QueueTimeout { contact: ContactId },
    Tier { contact: ContactId },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Status {
    #[default]
    LoggedOut,
    Ready,
    NotReady,
}

/// One set an agent currently sits in; kept so that detaching removes exactly what was inserted.
#[derive(Debug, Clone, Copy)]
struct PoolEntry {
    queue: QueueId,
    ch: u8,
    tier: u32,
    sig: Sig,
    key: AgentKey,
}

/// One agent, in three cache lines of what a routing event reads and one of what it rarely
/// does. `repr(C)` keeps the declaration order and `align(64)` starts every record on a line,
/// so that a cold agent among 100k costs three misses, not the five or six of a record that
/// straddles lines (the `record_layout` test holds this). Line 1: availability and the
/// strategy key; line 2: talk time, counters and the connected contact; line 3: memberships
/// and offers; line 4: pool entries, wrap-up timers and the delays of a reject or no-answer.
#[derive(Debug, Default)]
#[repr(C, align(64))]
struct AgentState {
    status: Status,
    voice_blocks_others: bool,
    /// Whether `attached` is non-empty, kept here so that detaching an agent that sits in no
    /// pool (every busy agent) does not read the cold line.
    pooled: bool,
    sig: Sig,
    /// Slots in use per channel: reservations + connected + wrap-up.
    load: [u32; 3],
    capacity: [u32; 3],
    no_answers: u32,
    max_no_answer: u32,
    delay: Option<TKey>,
    idle_since: i64,
    talk_ms: i64,
    answered: u64,
    ring_timeout_ms: i64,
    /// Inline rather than behind a pointer, like `memberships`: one record, one block.
    connected: SmallVec<[Connection; 1]>,
    /// Inline rather than behind a pointer: every routing decision for the agent reads these.
    memberships: SmallVec<[Membership; 3]>,
    offered: SmallVec<[ContactId; 1]>,
    attached: Vec<PoolEntry>,
    wraps: Vec<TKey>,
    no_answer_delay_ms: i64,
    reject_delay_ms: i64,
}

impl AgentState {
    /// Takes the scalar part of a configuration: skills live on as the signature `sig` and
    /// memberships inline in the record, so the record holds no pointer to chase.
    fn configure(&mut self, config: &AgentConfig) {
        self.capacity = config.capacity;
        self.voice_blocks_others = config.voice_blocks_others;
        self.ring_timeout_ms = config.ring_timeout_ms;
        self.no_answer_delay_ms = config.no_answer_delay_ms;
        self.reject_delay_ms = config.reject_delay_ms;
        self.max_no_answer = config.max_no_answer;
    }
}

#[derive(Debug, Clone, Copy)]
struct Offer {
    agent: AgentId,
    timer: Option<TKey>,
}

#[derive(Debug)]
enum CState {
    Waiting,
    Ringing {
        offers: Vec<Offer>,
        step: Option<TKey>,
        interval: i64,
    },
}

/// A contact an agent accepted. Kept in the agent's record rather than with the waiting and
/// ringing contacts: completing it then reads only the agent, which the event touches anyway,
/// and the contact table holds only what routing still decides about.
#[derive(Debug, Clone, Copy)]
struct Connection {
    contact: ContactId,
    queue: QueueId,
    channel: Channel,
    since: i64,
}

#[derive(Debug)]
struct ContactState {
    queue: QueueId,
    channel: Channel,
    priority: i32,
    own_req: Vec<(SkillId, u8)>,
    req: Sig,
    enq_ms: i64,
    seq: u64,
    entered_ms: i64,
    level: u32,
    state: CState,
    queue_timer: Option<TKey>,
    tier_timer: Option<TKey>,
    timeout_pending: bool,
    hops: u32,
}

impl ContactState {
    fn wait_key(&self, id: ContactId) -> WaitKey {
        (-i64::from(self.priority), self.enq_ms, self.seq, id)
    }
    fn class(&self) -> ClassKey {
        (self.channel.index() as u8, self.level, self.req)
    }
}

#[derive(Debug, Default)]
struct QueueState {
    config: QueueConfig,
    classes: VecMap<ClassKey, BTreeSet<WaitKey>>,
    /// Signature of `config.required_skills`: the requirement of a contact that adds none.
    req_sig: Sig,
    waiting: usize,
    in_queue: usize,
    /// Available agents per channel, bucketed by (tier, skill signature), ordered by strategy key.
    pools: [VecMap<(u32, Sig), BTreeSet<AgentKey>>; 3],
    /// Last single offer of a rotating strategy: (tier, key).
    rotation: Option<(u32, AgentKey)>,
    offered: u64,
    answered: u64,
    abandoned: u64,
    timed_out: u64,
    /// Answered within `config.sl_threshold_ms` of waiting. A counter, not a record of every
    /// wait: at scale a per-wait histogram is a cache miss on every accept.
    answered_within_sl: u64,
    handled: u64,
    handle_ms: i64,
}

/// Why an agent's reservation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Release {
    /// Someone else accepted, the contact left, or the agent logged out: `OfferWithdrawn`.
    Withdrawn,
    /// Ring timeout: `OfferWithdrawn`, no-answer delay and count.
    NoAnswer,
    /// The agent rejected: reject delay, no decision.
    Rejected,
}

/// The routing engine. See the crate documentation for semantics and complexity.
#[derive(Debug)]
pub struct Acd {
    rng: u64,
    seq: u64,
    queues: HashMap<QueueId, QueueState>,
    agents: AgentTable<AgentState>,
    /// Waiting and ringing contacts. A connected contact is in its agent's record only.
    contacts: ContactTable<ContactState>,
    /// Queue → agents naming it in their memberships (whether or not the queue exists yet).
    members: HashMap<QueueId, BTreeSet<AgentId>>,
    timers: BTreeMap<TKey, Timer>,
    sigs: Vec<Vec<(SkillId, u8)>>,
    sig_ids: HashMap<Vec<(SkillId, u8)>, Sig>,
    dirty_contacts: Vec<ContactId>,
    dirty_agents: Vec<AgentId>,
    /// Agents whose availability may have grown in this event and that are not re-attached to
    /// their pools yet: `settle` attaches them, or offers to a lone one directly.
    fresh: Vec<AgentId>,
    scratch_req: Vec<(SkillId, u8)>,
    scratch_agents: Vec<AgentId>,
    offer_vecs: Vec<Vec<Offer>>,
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn level_at(rules: &[TierRule], wait: i64) -> u32 {
    if rules.is_empty() {
        return NO_TIER_LIMIT;
    }
    rules
        .iter()
        .filter(|r| r.after_ms <= wait)
        .map(|r| r.max_tier)
        .fold(1, u32::max)
}

fn next_widening(rules: &[TierRule], wait: i64, level: u32) -> Option<i64> {
    rules
        .iter()
        .filter(|r| r.after_ms > wait && r.max_tier > level)
        .map(|r| r.after_ms)
        .min()
}

fn can_take(agent: &AgentState, ch: Channel) -> bool {
    let i = ch.index();
    agent.load[i] < agent.capacity[i]
        && !(agent.voice_blocks_others && ch != Channel::Voice && agent.load[0] > 0)
}

/// Ready and not in a no-answer/reject delay: may take offers where it has capacity.
fn routable(agent: &AgentState) -> bool {
    agent.status == Status::Ready && agent.delay.is_none()
}

fn strategy_value(strategy: Strategy, agent: &AgentState, m: &Membership, ticket: i64) -> i64 {
    match strategy {
        Strategy::LongestIdle => agent.idle_since,
        Strategy::RoundRobin => 0,
        Strategy::TopDown
        | Strategy::RingAll
        | Strategy::RingProgressively
        | Strategy::SequentialByOrder => i64::from(m.position),
        Strategy::LeastTalkTime => agent.talk_ms,
        Strategy::FewestCalls => i64::try_from(agent.answered).unwrap_or(i64::MAX),
        Strategy::Random => ticket,
    }
}

fn min_opt<K: Ord + Copy>(a: Option<K>, b: K) -> Option<K> {
    Some(match a {
        Some(a) if a <= b => a,
        _ => b,
    })
}

/// Sorts by skill and keeps the highest proficiency of duplicates.
fn normalize(list: &mut Vec<(SkillId, u8)>) {
    list.sort_unstable();
    list.dedup_by(|later, earlier| {
        if later.0 == earlier.0 {
            earlier.1 = earlier.1.max(later.1);
            true
        } else {
            false
        }
    });
}

impl Default for Acd {
    fn default() -> Self {
        Acd::new(0)
    }
}

impl Acd {
    /// A new, empty engine; `seed` drives the `Random` strategy (same seed + same events = same
    /// decisions).
    pub fn new(seed: u64) -> Self {
        let mut sig_ids = HashMap::default();
        sig_ids.insert(Vec::new(), EMPTY_SIG);
        Acd {
            rng: seed,
            seq: 0,
            queues: HashMap::default(),
            agents: AgentTable::default(),
            contacts: ContactTable::default(),
            members: HashMap::default(),
            timers: BTreeMap::new(),
            sigs: vec![Vec::new()],
            sig_ids,
            dirty_contacts: Vec::new(),
            dirty_agents: Vec::new(),
            fresh: Vec::new(),
            scratch_req: Vec::new(),
            scratch_agents: Vec::new(),
            offer_vecs: Vec::new(),
        }
    }

    // ----------------------------------------------------------------------------------------
    // Configuration
    // ----------------------------------------------------------------------------------------

    /// Creates or replaces a queue. Waiting contacts are re-classified under the new
    /// requirements and tier rules; member agents are re-keyed under the new strategy.
    pub fn upsert_queue(&mut self, id: QueueId, config: QueueConfig, now_ms: i64) -> Vec<Decision> {
        let mut out = Vec::new();
        let members: Vec<AgentId> = self
            .members
            .get(&id)
            .map(|m| m.iter().copied().collect())
            .unwrap_or_default();
        for &a in &members {
            self.detach(a);
        }
        let mut config = config;
        normalize(&mut config.required_skills);
        let req_sig = self.intern_sorted(&config.required_skills);
        let q = self.queues.entry(id).or_default();
        q.config = config;
        q.req_sig = req_sig;
        q.rotation = None;
        let waiting: Vec<ContactId> = q
            .classes
            .values()
            .flat_map(|s| s.iter().map(|k| k.3))
            .collect();
        for c in waiting {
            self.remove_waiting(c);
            self.reclassify(c, now_ms);
            self.insert_waiting(c);
            self.dirty_contacts.push(c);
        }
        for &a in &members {
            self.refresh(a);
        }
        self.settle(now_ms, &mut out);
        out
    }

    /// Removes a queue; refused while contacts wait or ring in it. Agents keep the membership
    /// (it applies again if the queue is created again).
    pub fn remove_queue(&mut self, id: QueueId) -> Result<(), AcdError> {
        let q = self.queues.get(&id).ok_or(AcdError::UnknownQueue(id))?;
        if q.in_queue > 0 {
            return Err(AcdError::QueueNotEmpty(id));
        }
        let members: Vec<AgentId> = self
            .members
            .get(&id)
            .map(|m| m.iter().copied().collect())
            .unwrap_or_default();
        for &a in &members {
            self.detach(a);
        }
        self.queues.remove(&id);
        for &a in &members {
            self.attach(a);
        }
        Ok(())
    }

    /// Creates or reconfigures an agent. A new agent starts logged out; an existing one keeps its
    /// status, contacts and counters (a lowered capacity only stops new offers).
    pub fn upsert_agent(
        &mut self,
        id: AgentId,
        mut config: AgentConfig,
        now_ms: i64,
    ) -> Vec<Decision> {
        let mut out = Vec::new();
        normalize(&mut config.skills);
        let mut seen = BTreeSet::new();
        config.memberships.retain(|m| seen.insert(m.queue));
        let memberships: SmallVec<[Membership; 3]> = config.memberships.drain(..).collect();
        let sig = self.intern_sorted(&config.skills);
        self.detach(id);
        if let Some(old) = self.agents.get(&id) {
            for m in &old.memberships {
                if let Some(set) = self.members.get_mut(&m.queue) {
                    set.remove(&id);
                }
            }
        }
        for m in &memberships {
            self.members.entry(m.queue).or_default().insert(id);
        }
        match self.agents.get_mut(&id) {
            Some(agent) => {
                agent.configure(&config);
                agent.memberships = memberships;
                agent.sig = sig;
            }
            None => {
                // Logged out, no load, no contacts, no counters.
                let mut agent = AgentState {
                    sig,
                    memberships,
                    idle_since: now_ms,
                    ..AgentState::default()
                };
                agent.configure(&config);
                self.agents.insert(id, agent);
            }
        }
        self.refresh(id);
        self.settle(now_ms, &mut out);
        out
    }

    /// Removes an agent: outstanding offers are withdrawn (`OfferWithdrawn`, then `Requeued` if
    /// no other agent still rings), its connected contacts go with it, timers are cancelled.
    pub fn remove_agent(&mut self, id: AgentId, now_ms: i64) -> Result<Vec<Decision>, AcdError> {
        let mut out = Vec::new();
        self.logout_inner(id, now_ms, &mut out)?;
        let Some(agent) = self.agents.remove(&id) else {
            return Err(AcdError::UnknownAgent(id));
        };
        for k in agent.wraps {
            self.timers.remove(&k);
        }
        for m in &agent.memberships {
            if let Some(set) = self.members.get_mut(&m.queue) {
                set.remove(&id);
            }
        }
        self.dirty_agents.retain(|&a| a != id);
        self.fresh.retain(|&a| a != id);
        self.settle(now_ms, &mut out);
        Ok(out)
    }

    // ----------------------------------------------------------------------------------------
    // Agent status
    // ----------------------------------------------------------------------------------------

    /// The agent is available: it may immediately get offers. From not ready or logged out this
    /// resets `idle_since` to now and the consecutive no-answer count to 0; if already ready,
    /// nothing changes. A running no-answer/reject delay still applies.
    pub fn agent_ready(&mut self, id: AgentId, now_ms: i64) -> Result<Vec<Decision>, AcdError> {
        let mut out = Vec::new();
        let agent = self.agents.get_mut(&id).ok_or(AcdError::UnknownAgent(id))?;
        if agent.status == Status::Ready {
            return Ok(out);
        }
        self.detach(id);
        if let Some(agent) = self.agents.get_mut(&id) {
            agent.status = Status::Ready;
            agent.idle_since = now_ms;
            agent.no_answers = 0;
        }
        self.refresh(id);
        self.settle(now_ms, &mut out);
        Ok(out)
    }

    /// The agent keeps its contacts (and outstanding offers, which it may still accept) but takes
    /// no new ones.
    pub fn agent_not_ready(&mut self, id: AgentId, now_ms: i64) -> Result<Vec<Decision>, AcdError> {
        let _ = now_ms;
        let agent = self.agents.get_mut(&id).ok_or(AcdError::UnknownAgent(id))?;
        if agent.status != Status::LoggedOut {
            agent.status = Status::NotReady;
        }
        self.detach(id);
        Ok(Vec::new())
    }

    /// The agent logs out: outstanding offers are withdrawn (and their contacts re-queued), a
    /// running delay is cancelled. Connected contacts stay until `complete`.
    pub fn agent_logout(&mut self, id: AgentId, now_ms: i64) -> Result<Vec<Decision>, AcdError> {
        let mut out = Vec::new();
        self.logout_inner(id, now_ms, &mut out)?;
        self.settle(now_ms, &mut out);
        Ok(out)
    }

    fn logout_inner(
        &mut self,
        id: AgentId,
        now_ms: i64,
        out: &mut Vec<Decision>,
    ) -> Result<(), AcdError> {
        let agent = self.agents.get_mut(&id).ok_or(AcdError::UnknownAgent(id))?;
        agent.status = Status::LoggedOut;
        let delay = agent.delay.take();
        let offered = std::mem::take(&mut agent.offered);
        self.cancel(delay);
        self.detach(id);
        for &c in &offered {
            // Put the list back progressively so `release` finds the entry it removes.
            if let Some(agent) = self.agents.get_mut(&id) {
                agent.offered.push(c);
            }
            self.end_one_offer(c, id, Release::Withdrawn, now_ms, out);
        }
        Ok(())
    }

    // ----------------------------------------------------------------------------------------
    // Contacts
    // ----------------------------------------------------------------------------------------

    /// A contact enters a queue (and is offered at once if an eligible agent is available).
    pub fn enqueue(
        &mut self,
        contact: ContactSpec,
        now_ms: i64,
    ) -> Result<Vec<Decision>, AcdError> {
        let mut out = Vec::new();
        let q = self
            .queues
            .get(&contact.queue)
            .ok_or(AcdError::UnknownQueue(contact.queue))?;
        if self.contacts.knows(&contact.id) {
            return Err(AcdError::DuplicateContact(contact.id));
        }
        if q.config.max_length > 0 && q.in_queue >= q.config.max_length {
            return Err(AcdError::QueueFull(contact.queue));
        }
        self.seq += 1;
        let id = contact.id;
        self.contacts.insert(
            id,
            ContactState {
                queue: contact.queue,
                channel: contact.channel,
                priority: contact.priority,
                own_req: contact.required_skills,
                req: EMPTY_SIG,
                enq_ms: now_ms,
                seq: self.seq,
                entered_ms: now_ms,
                level: 1,
                state: CState::Waiting,
                queue_timer: None,
                tier_timer: None,
                timeout_pending: false,
                hops: 0,
            },
        );
        self.enter_queue(id, now_ms);
        self.settle(now_ms, &mut out);
        Ok(out)
    }

    /// Registers a contact (already in `contacts`, queue/entered set) as waiting in its queue.
    fn enter_queue(&mut self, id: ContactId, now_ms: i64) {
        let Some(cs) = self.contacts.get(&id) else {
            return;
        };
        let (qid, entered) = (cs.queue, cs.entered_ms);
        if let Some(q) = self.queues.get_mut(&qid) {
            q.in_queue += 1;
            q.offered += 1;
            let timeout = q.config.timeout_ms;
            self.reclassify(id, now_ms);
            if let Some(t) = timeout {
                let k = self.schedule(
                    entered.saturating_add(t),
                    Timer::QueueTimeout { contact: id },
                );
                if let Some(cs) = self.contacts.get_mut(&id) {
                    cs.queue_timer = Some(k);
                }
            }
        }
        self.insert_waiting(id);
        self.dirty_contacts.push(id);
    }

    /// Recomputes requirement signature, tier level and the tier timer of a contact that is not
    /// in a waiting set.
    fn reclassify(&mut self, id: ContactId, now_ms: i64) {
        let Some(cs) = self.contacts.get(&id) else {
            return;
        };
        let Some(q) = self.queues.get(&cs.queue) else {
            return;
        };
        let own_req = !cs.own_req.is_empty();
        self.scratch_req.clear();
        if own_req {
            self.scratch_req
                .extend_from_slice(&q.config.required_skills);
            self.scratch_req.extend_from_slice(&cs.own_req);
        }
        let queue_sig = q.req_sig;
        let wait = now_ms - cs.entered_ms;
        let level = level_at(&q.config.tier_rules, wait);
        let next = next_widening(&q.config.tier_rules, wait, level)
            .map(|a| cs.entered_ms.saturating_add(a));
        let old_timer = cs.tier_timer;
        let sig = if own_req {
            let mut req = std::mem::take(&mut self.scratch_req);
            normalize(&mut req);
            let sig = self.intern_sorted(&req);
            self.scratch_req = req;
            sig
        } else {
            queue_sig
        };
        self.cancel(old_timer);
        let timer = next.map(|at| self.schedule(at, Timer::Tier { contact: id }));
        if let Some(cs) = self.contacts.get_mut(&id) {
            cs.req = sig;
            cs.level = level;
            cs.tier_timer = timer;
        }
    }

    /// The contact hangs up while waiting or ringing; outstanding offers are withdrawn.
    /// O(log n) plus the number of agents ringing for it.
    pub fn abandon(&mut self, contact: ContactId, now_ms: i64) -> Result<Vec<Decision>, AcdError> {
        let mut out = Vec::new();
        let cs = self
            .contacts
            .get(&contact)
            .ok_or(AcdError::UnknownContact(contact))?;
        match &cs.state {
            CState::Waiting => self.remove_waiting(contact),
            CState::Ringing { .. } => {
                self.end_ringing(contact, Release::Withdrawn, now_ms, &mut out)
            }
        }
        if let Some(cs) = self.contacts.remove(&contact) {
            self.cancel(cs.queue_timer);
            self.cancel(cs.tier_timer);
            if let Some(q) = self.queues.get_mut(&cs.queue) {
                q.in_queue -= 1;
                q.abandoned += 1;
            }
        }
        self.dirty_contacts.retain(|&c| c != contact);
        self.settle(now_ms, &mut out);
        Ok(out)
    }

    /// The agent accepts an offer; every other agent ringing for the contact is withdrawn.
    pub fn accept(
        &mut self,
        contact: ContactId,
        agent: AgentId,
        now_ms: i64,
    ) -> Result<Vec<Decision>, AcdError> {
        let mut out = Vec::new();
        self.check_offered(contact, agent)?;
        let Some(cs) = self.contacts.get_mut(&contact) else {
            return Err(AcdError::UnknownContact(contact));
        };
        let (qid, entered, ch) = (cs.queue, cs.entered_ms, cs.channel);
        let timers = [cs.queue_timer, cs.tier_timer];
        let state = std::mem::replace(&mut cs.state, CState::Waiting);
        // From here the contact is the agent's: what is left to know moves to its record below.
        self.contacts.discard(&contact);
        for t in timers {
            self.cancel(t);
        }
        if let CState::Ringing {
            mut offers, step, ..
        } = state
        {
            self.cancel(step);
            for o in &offers {
                self.cancel(o.timer);
                if o.agent != agent {
                    self.release(o.agent, contact, ch, Release::Withdrawn, now_ms, &mut out);
                }
            }
            offers.clear();
            self.offer_vecs.push(offers);
        }
        if let Some(q) = self.queues.get_mut(&qid) {
            q.in_queue -= 1;
            q.answered += 1;
            if now_ms - entered <= q.config.sl_threshold_ms {
                q.answered_within_sl += 1;
            }
        }
        self.detach(agent);
        if let Some(a) = self.agents.get_mut(&agent) {
            if let Some(i) = a.offered.iter().position(|&c| c == contact) {
                a.offered.swap_remove(i);
            }
            a.connected.push(Connection {
                contact,
                queue: qid,
                channel: ch,
                since: now_ms,
            });
            a.answered += 1;
            a.no_answers = 0;
        }
        self.refresh(agent);
        self.settle(now_ms, &mut out);
        Ok(out)
    }

    /// The agent rejects an offer: it goes into its reject delay; when no other agent still rings
    /// for the contact, the contact is re-queued at its original position.
    pub fn reject(
        &mut self,
        contact: ContactId,
        agent: AgentId,
        now_ms: i64,
    ) -> Result<Vec<Decision>, AcdError> {
        let mut out = Vec::new();
        self.check_offered(contact, agent)?;
        self.end_one_offer(contact, agent, Release::Rejected, now_ms, &mut out);
        self.settle(now_ms, &mut out);
        Ok(out)
    }

    /// The contact ended. The agent's slot is freed now, or after `wrap_up_ms` if positive.
    pub fn complete(
        &mut self,
        contact: ContactId,
        agent: AgentId,
        wrap_up_ms: i64,
        now_ms: i64,
    ) -> Result<Vec<Decision>, AcdError> {
        let mut out = Vec::new();
        let a = self
            .agents
            .get_mut(&agent)
            .ok_or(AcdError::UnknownAgent(agent))?;
        let Some(i) = a.connected.iter().position(|c| c.contact == contact) else {
            return Err(AcdError::NotConnected { contact, agent });
        };
        let cs = a.connected.swap_remove(i);
        let talk = (now_ms - cs.since).max(0);
        if let Some(q) = self.queues.get_mut(&cs.queue) {
            q.handled += 1;
            q.handle_ms += talk + wrap_up_ms.max(0);
        }
        self.detach(agent);
        let wrap = (wrap_up_ms > 0).then(|| {
            self.schedule(
                now_ms.saturating_add(wrap_up_ms),
                Timer::WrapEnd {
                    agent,
                    channel: cs.channel,
                },
            )
        });
        if let Some(a) = self.agents.get_mut(&agent) {
            a.talk_ms += talk;
            match wrap {
                Some(k) => a.wraps.push(k),
                None => {
                    let i = cs.channel.index();
                    a.load[i] = a.load[i].saturating_sub(1);
                    a.idle_since = now_ms;
                }
            }
        }
        self.refresh(agent);
        self.settle(now_ms, &mut out);
        Ok(out)
    }

    fn check_offered(&self, contact: ContactId, agent: AgentId) -> Result<(), AcdError> {
        if !self.agents.contains_key(&agent) {
            return Err(AcdError::UnknownAgent(agent));
        }
        match self.contacts.get(&contact).map(|c| &c.state) {
            Some(CState::Ringing { offers, .. }) if offers.iter().any(|o| o.agent == agent) => {
                Ok(())
            }
            _ => Err(AcdError::NotOffered { contact, agent }),
        }
    }

    // ----------------------------------------------------------------------------------------
    // Timers
    // ----------------------------------------------------------------------------------------

    /// Earliest pending deadline: ring timeout, ring-progressively step, no-answer/reject delay
    /// end, wrap-up end, queue timeout or tier widening.
    pub fn next_deadline(&self) -> Option<i64> {
        self.timers.first_key_value().map(|(k, _)| k.at)
    }

    /// Fires every timer due at or before `now_ms`, in (deadline, creation) order. Each timer
    /// is handled *at its own deadline* (offers it causes ring from that instant), so the result
    /// does not depend on how often `advance` is called.
    pub fn advance(&mut self, now_ms: i64) -> Vec<Decision> {
        let mut out = Vec::new();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().at > now_ms {
                break;
            }
            let (key, timer) = entry.remove_entry();
            let t = key.at;
            self.fire(key, timer, t, &mut out);
            self.settle(t, &mut out);
        }
        out
    }

    fn fire(&mut self, key: TKey, timer: Timer, t: i64, out: &mut Vec<Decision>) {
        match timer {
            Timer::Ring { contact, agent } => {
                if let Some(CState::Ringing { offers, .. }) =
                    self.contacts.get_mut(&contact).map(|c| &mut c.state)
                {
                    if let Some(o) = offers.iter_mut().find(|o| o.agent == agent) {
                        o.timer = None;
                    }
                }
                self.end_one_offer(contact, agent, Release::NoAnswer, t, out);
            }
            Timer::Step { contact } => self.progress(contact, t, out),
            Timer::Delay { agent } => {
                if let Some(a) = self.agents.get_mut(&agent) {
                    if a.delay == Some(key) {
                        a.delay = None;
                        self.refresh(agent);
                    }
                }
            }
            Timer::WrapEnd { agent, channel } => {
                self.detach(agent);
                if let Some(a) = self.agents.get_mut(&agent) {
                    a.wraps.retain(|k| *k != key);
                    let i = channel.index();
                    a.load[i] = a.load[i].saturating_sub(1);
                    a.idle_since = t;
                }
                self.refresh(agent);
            }
            Timer::QueueTimeout { contact } => {
                let Some(cs) = self.contacts.get_mut(&contact) else {
                    return;
                };
                cs.queue_timer = None;
                match cs.state {
                    CState::Waiting => {
                        self.remove_waiting(contact);
                        self.time_out(contact, t, out);
                    }
                    CState::Ringing { .. } => cs.timeout_pending = true,
                }
            }
            Timer::Tier { contact } => {
                let Some(cs) = self.contacts.get_mut(&contact) else {
                    return;
                };
                cs.tier_timer = None;
                let waiting = matches!(cs.state, CState::Waiting);
                if waiting {
                    self.remove_waiting(contact);
                }
                self.reclassify(contact, t);
                if waiting {
                    self.insert_waiting(contact);
                    self.dirty_contacts.push(contact);
                }
            }
        }
    }

    /// Ring-progressively step: add the next agent, or end the ring group if there is none.
    fn progress(&mut self, contact: ContactId, t: i64, out: &mut Vec<Decision>) {
        let Some(cs) = self.contacts.get(&contact) else {
            return;
        };
        let CState::Ringing {
            offers, interval, ..
        } = &cs.state
        else {
            return;
        };
        let interval = *interval;
        let next = self.best_agent_for(contact, offers);
        match next {
            Some((agent, _, _)) => {
                let deadline = t + interval;
                self.reserve(agent, contact, t);
                let step = self.schedule(deadline, Timer::Step { contact });
                if let Some(CState::Ringing {
                    offers, step: s, ..
                }) = self.contacts.get_mut(&contact).map(|c| &mut c.state)
                {
                    offers.push(Offer { agent, timer: None });
                    *s = Some(step);
                }
                out.push(Decision::Offer {
                    contact,
                    agent,
                    ring_deadline_ms: deadline,
                });
            }
            None => {
                if let Some(CState::Ringing { step, .. }) =
                    self.contacts.get_mut(&contact).map(|c| &mut c.state)
                {
                    *step = None;
                }
                self.end_ringing(contact, Release::NoAnswer, t, out);
                self.requeue(contact, t, out);
            }
        }
    }

    fn schedule(&mut self, at: i64, timer: Timer) -> TKey {
        self.seq += 1;
        let k = TKey {
            at,
            seq: NonZeroU64::new(self.seq).unwrap_or(NonZeroU64::MIN),
        };
        self.timers.insert(k, timer);
        k
    }

    fn cancel(&mut self, key: Option<TKey>) {
        if let Some(k) = key {
            self.timers.remove(&k);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Offers
    // ----------------------------------------------------------------------------------------

    /// Ends one agent's offer of a ringing contact; re-queues the contact if nobody rings anymore.
    fn end_one_offer(
        &mut self,
        contact: ContactId,
        agent: AgentId,
        why: Release,
        now: i64,
        out: &mut Vec<Decision>,
    ) {
        let Some(cs) = self.contacts.get_mut(&contact) else {
            return;
        };
        let ch = cs.channel;
        let CState::Ringing { offers, step, .. } = &mut cs.state else {
            return;
        };
        let Some(i) = offers.iter().position(|o| o.agent == agent) else {
            return;
        };
        let o = offers.remove(i);
        let empty = offers.is_empty();
        let step = if empty { step.take() } else { None };
        self.cancel(o.timer);
        self.cancel(step);
        self.release(agent, contact, ch, why, now, out);
        if empty {
            self.requeue(contact, now, out);
        }
    }

    /// Ends every offer of a ringing contact (the contact is left in `Waiting` state but not in
    /// any waiting set: the caller re-queues or removes it).
    fn end_ringing(&mut self, contact: ContactId, why: Release, now: i64, out: &mut Vec<Decision>) {
        let Some(cs) = self.contacts.get_mut(&contact) else {
            return;
        };
        let ch = cs.channel;
        let CState::Ringing {
            mut offers, step, ..
        } = std::mem::replace(&mut cs.state, CState::Waiting)
        else {
            return;
        };
        self.cancel(step);
        for o in &offers {
            self.cancel(o.timer);
            self.release(o.agent, contact, ch, why, now, out);
        }
        offers.clear();
        self.offer_vecs.push(offers);
    }

    /// Frees an agent's reservation for `contact`, applying delays and the no-answer limit.
    fn release(
        &mut self,
        agent: AgentId,
        contact: ContactId,
        ch: Channel,
        why: Release,
        now: i64,
        out: &mut Vec<Decision>,
    ) {
        if why != Release::Rejected {
            out.push(Decision::OfferWithdrawn { contact, agent });
        }
        self.detach(agent);
        let Some(a) = self.agents.get_mut(&agent) else {
            return;
        };
        if let Some(i) = a.offered.iter().position(|&c| c == contact) {
            a.offered.swap_remove(i);
        }
        let i = ch.index();
        a.load[i] = a.load[i].saturating_sub(1);
        let delay = match why {
            Release::Withdrawn => 0,
            Release::Rejected => a.reject_delay_ms,
            Release::NoAnswer => {
                a.no_answers += 1;
                if a.max_no_answer > 0
                    && a.no_answers >= a.max_no_answer
                    && a.status == Status::Ready
                {
                    a.status = Status::NotReady;
                    out.push(Decision::AgentNotReady { agent });
                }
                a.no_answer_delay_ms
            }
        };
        if delay > 0 && a.status != Status::LoggedOut {
            let old = a.delay.take();
            self.cancel(old);
            let k = self.schedule(now.saturating_add(delay), Timer::Delay { agent });
            if let Some(a) = self.agents.get_mut(&agent) {
                a.delay = Some(k);
            }
        }
        self.refresh(agent);
    }

    /// A contact whose offers all ended goes back to its original place (or times out if its
    /// queue timeout passed while it rang).
    fn requeue(&mut self, contact: ContactId, now: i64, out: &mut Vec<Decision>) {
        let Some(cs) = self.contacts.get_mut(&contact) else {
            return;
        };
        if let CState::Ringing { mut offers, .. } =
            std::mem::replace(&mut cs.state, CState::Waiting)
        {
            offers.clear();
            self.offer_vecs.push(offers);
        }
        let Some(cs) = self.contacts.get_mut(&contact) else {
            return;
        };
        if std::mem::take(&mut cs.timeout_pending) {
            self.time_out(contact, now, out);
            return;
        }
        self.insert_waiting(contact);
        out.push(Decision::Requeued { contact });
        self.dirty_contacts.push(contact);
    }

    /// Queue timeout of a contact not in any waiting set: overflow or leave.
    fn time_out(&mut self, contact: ContactId, now: i64, out: &mut Vec<Decision>) {
        let Some(cs) = self.contacts.get_mut(&contact) else {
            return;
        };
        let tier = cs.tier_timer.take();
        let (qid, hops) = (cs.queue, cs.hops);
        self.cancel(tier);
        let mut target = None;
        if let Some(q) = self.queues.get_mut(&qid) {
            q.in_queue -= 1;
            q.timed_out += 1;
            target = q.config.overflow;
        }
        let target = target.filter(|t| {
            hops < MAX_OVERFLOW_HOPS
                && self
                    .queues
                    .get(t)
                    .is_some_and(|q| q.config.max_length == 0 || q.in_queue < q.config.max_length)
        });
        out.push(Decision::QueueTimeout {
            contact,
            overflow_to: target,
        });
        match target {
            Some(t) => {
                if let Some(cs) = self.contacts.get_mut(&contact) {
                    cs.queue = t;
                    cs.entered_ms = now;
                    cs.hops += 1;
                }
                self.enter_queue(contact, now);
            }
            None => {
                if let Some(cs) = self.contacts.remove(&contact) {
                    self.cancel(cs.queue_timer);
                }
            }
        }
    }

    /// Reserves `agent` for `contact` (one slot of the contact's channel).
    fn reserve(&mut self, agent: AgentId, contact: ContactId, now: i64) {
        let Some(ch) = self.contacts.get(&contact).map(|c| c.channel) else {
            return;
        };
        self.detach(agent);
        if let Some(a) = self.agents.get_mut(&agent) {
            a.load[ch.index()] += 1;
            a.idle_since = now;
            a.offered.push(contact);
        }
        self.attach(agent);
    }

    /// Offers a waiting contact: to `agent` (chosen at `(tier, key)`), or for ring-all to every
    /// eligible available agent whose own best contact is this one.
    fn offer(
        &mut self,
        contact: ContactId,
        agent: AgentId,
        tier: u32,
        key: AgentKey,
        now: i64,
        out: &mut Vec<Decision>,
    ) {
        let Some(cs) = self.contacts.get(&contact) else {
            return;
        };
        let Some(q) = self.queues.get(&cs.queue) else {
            return;
        };
        let strategy = q.config.strategy;
        let qid = cs.queue;
        let mut group = std::mem::take(&mut self.scratch_agents);
        group.clear();
        if strategy == Strategy::RingAll {
            // The chosen agent may not be in the pools (see `settle`).
            group.push(agent);
            let ch = cs.channel.index();
            for (&(_, sig), set) in q.pools[ch].range((0, 0), (cs.level, Sig::MAX)) {
                if !set.is_empty() && self.satisfies(sig, cs.req) {
                    group.extend(set.iter().map(|k| k.1));
                }
            }
            group.sort_unstable();
            group.dedup();
            group.retain(|&a| a == agent || self.best_contact(a).map(|b| b.3) == Some(contact));
        } else {
            group.push(agent);
        }
        self.remove_waiting(contact);
        let mut offers = self.offer_vecs.pop().unwrap_or_default();
        let mut step = None;
        let mut interval = 0;
        for &a in &group {
            let ring = self.agents.get(&a).map_or(0, |x| x.ring_timeout_ms);
            self.reserve(a, contact, now);
            let deadline = now.saturating_add(ring);
            if strategy == Strategy::RingProgressively {
                interval = ring;
                step = Some(self.schedule(deadline, Timer::Step { contact }));
                offers.push(Offer {
                    agent: a,
                    timer: None,
                });
            } else {
                let k = self.schedule(deadline, Timer::Ring { contact, agent: a });
                offers.push(Offer {
                    agent: a,
                    timer: Some(k),
                });
            }
            out.push(Decision::Offer {
                contact,
                agent: a,
                ring_deadline_ms: deadline,
            });
        }
        self.scratch_agents = group;
        if let Some(cs) = self.contacts.get_mut(&contact) {
            cs.state = CState::Ringing {
                offers,
                step,
                interval,
            };
        }
        if matches!(strategy, Strategy::RoundRobin | Strategy::SequentialByOrder) {
            if let Some(q) = self.queues.get_mut(&qid) {
                q.rotation = Some((tier, key));
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // Matching
    // ----------------------------------------------------------------------------------------

    /// Marks an agent whose availability may have grown; `settle` re-attaches and matches it.
    fn refresh(&mut self, id: AgentId) {
        self.fresh.push(id);
    }

    /// Matches everything that changed in this event until no eligible pair is left.
    fn settle(&mut self, now: i64, out: &mut Vec<Decision>) {
        if self.fresh.len() == 1 && self.dirty_contacts.is_empty() && self.dirty_agents.is_empty() {
            // Work conservation held before this event and only this agent changed, so no other
            // available agent is eligible for any waiting contact: the agent's best contact is
            // the stable pair, and it can be offered without first entering (and leaving) the
            // pools. This is the common "agent freed" event.
            let a = self.fresh[0];
            self.fresh.clear();
            match self.best_for_unattached(a) {
                // The reservation re-attaches the agent where it has capacity left; matching it
                // once more uses that capacity.
                Some((c, tier, key)) => {
                    self.offer(c, a, tier, key, now, out);
                    self.dirty_agents.push(a);
                }
                None => {
                    self.attach(a);
                    return;
                }
            }
        }
        for i in 0..self.fresh.len() {
            let a = self.fresh[i];
            self.attach(a);
            self.dirty_agents.push(a);
        }
        self.fresh.clear();
        loop {
            if self.dirty_contacts.is_empty() && self.dirty_agents.is_empty() {
                return;
            }
            let contacts = std::mem::take(&mut self.dirty_contacts);
            for &c in &contacts {
                self.match_contact(c, now, out);
            }
            let mut agents = std::mem::take(&mut self.dirty_agents);
            for &a in &agents {
                self.match_agent(a, now, out);
            }
            // Matching never frees agents or re-queues contacts, so nothing was marked meanwhile;
            // keep the buffers for reuse.
            let mut contacts = contacts;
            contacts.clear();
            agents.clear();
            if self.dirty_contacts.is_empty() {
                self.dirty_contacts = contacts;
            }
            if self.dirty_agents.is_empty() {
                self.dirty_agents = agents;
            }
        }
    }

    fn match_contact(&mut self, contact: ContactId, now: i64, out: &mut Vec<Decision>) {
        while self
            .contacts
            .get(&contact)
            .is_some_and(|c| matches!(c.state, CState::Waiting))
        {
            match self.stable_pair(contact, None) {
                Some((c, a, tier, key)) => self.offer(c, a, tier, key, now, out),
                None => break,
            }
        }
    }

    fn match_agent(&mut self, agent: AgentId, now: i64, out: &mut Vec<Decision>) {
        while let Some(best) = self.best_contact(agent) {
            match self.stable_pair(best.3, Some(agent)) {
                Some((c, a, tier, key)) => self.offer(c, a, tier, key, now, out),
                None => break,
            }
        }
    }

    /// From a waiting contact, alternates "best agent for the contact" and "best contact for the
    /// agent" until both agree. The contact key strictly improves at each change, so this ends;
    /// in practice after one or two rounds. Several agents or contacts that became eligible in
    /// the same event are thereby paired exactly as the strategy and queue order demand.
    /// `best_of` is an agent already known to have `start` as its best contact.
    fn stable_pair(
        &self,
        start: ContactId,
        mut best_of: Option<AgentId>,
    ) -> Option<(ContactId, AgentId, u32, AgentKey)> {
        let mut c = start;
        loop {
            let (a, tier, key) = self.best_agent_for(c, &[])?;
            if best_of == Some(a) {
                return Some((c, a, tier, key));
            }
            let best = self.best_contact(a)?;
            if best.3 == c {
                return Some((c, a, tier, key));
            }
            c = best.3;
            best_of = Some(a);
        }
    }

    /// Best available eligible agent for a contact: lowest tier first, then the strategy key,
    /// skipping `exclude`. Visits one head (or range head) per (tier, skill signature) bucket of
    /// the lowest tier that has a candidate.
    fn best_agent_for(
        &self,
        contact: ContactId,
        exclude: &[Offer],
    ) -> Option<(AgentId, u32, AgentKey)> {
        let cs = self.contacts.get(&contact)?;
        let q = self.queues.get(&cs.queue)?;
        let rotating = matches!(
            q.config.strategy,
            Strategy::RoundRobin | Strategy::SequentialByOrder
        );
        let ok = |k: &&AgentKey| !exclude.iter().any(|o| o.agent == k.1);
        let mut cur_tier = None;
        let mut after: Option<AgentKey> = None;
        let mut first: Option<AgentKey> = None;
        for (&(tier, sig), set) in q.pools[cs.channel.index()].range((0, 0), (cs.level, Sig::MAX)) {
            if cur_tier != Some(tier) {
                if first.is_some() {
                    break;
                }
                cur_tier = Some(tier);
            }
            if set.is_empty() || !self.satisfies(sig, cs.req) {
                continue;
            }
            if let Some(&k) = set.iter().find(ok) {
                first = min_opt(first, k);
            }
            if rotating {
                if let Some((pt, pk)) = q.rotation {
                    if pt == tier {
                        if let Some(&k) = set.range((Excluded(pk), Unbounded)).find(ok) {
                            after = min_opt(after, k);
                        }
                    }
                }
            }
        }
        let key = after.or(first)?;
        Some((key.1, cur_tier?, key))
    }

    /// Best waiting contact for an agent over all its (queue, channel) pools: the smallest
    /// (−priority, enqueue time, sequence) among the heads of the eligible classes.
    fn best_contact(&self, agent: AgentId) -> Option<WaitKey> {
        let a = self.agents.get(&agent)?;
        // An agent in no pool (every busy agent after its offer) has nothing to look at; the
        // flag is on the hot line, the pool entries on the cold one.
        if !a.pooled {
            return None;
        }
        let slots = a.attached.iter().map(|e| (e.queue, e.ch, e.tier));
        self.best_head(a.sig, slots).map(|(head, _)| head)
    }

    /// Best waiting contact for a routable agent that is not in its pools, with the agent's tier
    /// and strategy key in that contact's queue (what `offer` records for rotating strategies).
    fn best_for_unattached(&self, id: AgentId) -> Option<(ContactId, u32, AgentKey)> {
        let a = self.agents.get(&id)?;
        if !routable(a) {
            return None;
        }
        let slots = a.memberships.iter().flat_map(|m| {
            Channel::ALL
                .into_iter()
                .filter(|&ch| can_take(a, ch))
                .map(|ch| (m.queue, ch.index() as u8, m.tier))
        });
        let (head, tier) = self.best_head(a.sig, slots)?;
        let queue = self.contacts.get(&head.3)?.queue;
        let m = a.memberships.iter().find(|m| m.queue == queue)?;
        let strategy = self.queues.get(&queue)?.config.strategy;
        // A random ticket only orders pools; the key of a lone candidate is never compared.
        Some((head.3, tier, (strategy_value(strategy, a, m, 0), id)))
    }

    /// Smallest head of the classes a (queue, channel, tier) slot may take, with that tier.
    fn best_head(
        &self,
        sig: Sig,
        slots: impl Iterator<Item = (QueueId, u8, u32)>,
    ) -> Option<(WaitKey, u32)> {
        let mut best: Option<(WaitKey, u32)> = None;
        for (queue, ch, tier) in slots {
            let Some(q) = self.queues.get(&queue) else {
                continue;
            };
            for (&(_, _, req), set) in q.classes.range((ch, tier, 0), (ch, u32::MAX, Sig::MAX)) {
                if let Some(&head) = set.first() {
                    if best.is_none_or(|b| head < b.0) && self.satisfies(sig, req) {
                        best = Some((head, tier));
                    }
                }
            }
        }
        best
    }

    // ----------------------------------------------------------------------------------------
    // Indexes
    // ----------------------------------------------------------------------------------------

    fn insert_waiting(&mut self, contact: ContactId) {
        let Some(cs) = self.contacts.get(&contact) else {
            return;
        };
        let Some(q) = self.queues.get_mut(&cs.queue) else {
            return;
        };
        q.classes
            .get_or_default(cs.class())
            .insert(cs.wait_key(contact));
        q.waiting += 1;
    }

    fn remove_waiting(&mut self, contact: ContactId) {
        let Some(cs) = self.contacts.get(&contact) else {
            return;
        };
        let Some(q) = self.queues.get_mut(&cs.queue) else {
            return;
        };
        let class = cs.class();
        if let Some(set) = q.classes.get_mut(&class) {
            if set.remove(&cs.wait_key(contact)) {
                q.waiting -= 1;
            }
            if set.is_empty() {
                q.classes.remove(&class);
            }
        }
    }

    /// Inserts the agent into every pool it qualifies for (ready, no delay, free capacity).
    fn attach(&mut self, id: AgentId) {
        let Some(agent) = self.agents.get_mut(&id) else {
            return;
        };
        if !routable(agent)
            || agent.pooled
            || !Channel::ALL.into_iter().any(|ch| can_take(agent, ch))
        {
            return;
        }
        let mut ticket = None;
        for m in &agent.memberships {
            let Some(q) = self.queues.get_mut(&m.queue) else {
                continue;
            };
            let strategy = q.config.strategy;
            let t = if strategy == Strategy::Random {
                *ticket.get_or_insert_with(|| (splitmix(&mut self.rng) >> 1) as i64)
            } else {
                0
            };
            let key = (strategy_value(strategy, agent, m, t), id);
            for ch in Channel::ALL {
                if can_take(agent, ch) {
                    q.pools[ch.index()]
                        .get_or_default((m.tier, agent.sig))
                        .insert(key);
                    agent.attached.push(PoolEntry {
                        queue: m.queue,
                        ch: ch.index() as u8,
                        tier: m.tier,
                        sig: agent.sig,
                        key,
                    });
                }
            }
        }
        agent.pooled = !agent.attached.is_empty();
    }

    /// Removes the agent from every pool it is in.
    fn detach(&mut self, id: AgentId) {
        let Some(agent) = self.agents.get_mut(&id) else {
            return;
        };
        if !agent.pooled {
            return;
        }
        agent.pooled = false;
        for e in agent.attached.drain(..) {
            if let Some(set) = self
                .queues
                .get_mut(&e.queue)
                .and_then(|q| q.pools[usize::from(e.ch)].get_mut(&(e.tier, e.sig)))
            {
                set.remove(&e.key);
            }
        }
    }

    fn intern_sorted(&mut self, list: &[(SkillId, u8)]) -> Sig {
        if let Some(&s) = self.sig_ids.get(list) {
            return s;
        }
        let s = self.sigs.len() as Sig;
        self.sigs.push(list.to_vec());
        self.sig_ids.insert(list.to_vec(), s);
        s
    }

    fn satisfies(&self, have: Sig, need: Sig) -> bool {
        if need == EMPTY_SIG {
            return true;
        }
        let have = &self.sigs[have as usize];
        self.sigs[need as usize].iter().all(|&(s, p)| {
            have.binary_search_by_key(&s, |x| x.0)
                .is_ok_and(|i| have[i].1 >= p)
        })
    }

    // ----------------------------------------------------------------------------------------
    // Queries
    // ----------------------------------------------------------------------------------------

    /// Statistics of one queue; the service level uses the queue's `sl_threshold_ms`.
    /// O(member agents + waiting contacts); not on the routing path.
    pub fn queue_stats(&self, queue: QueueId, now_ms: i64) -> Result<QueueStats, AcdError> {
        let q = self
            .queues
            .get(&queue)
            .ok_or(AcdError::UnknownQueue(queue))?;
        let (mut logged_in, mut available) = (0u32, 0u32);
        for a in self.members.get(&queue).into_iter().flatten() {
            if let Some(agent) = self.agents.get(a) {
                if agent.status != Status::LoggedOut {
                    logged_in += 1;
                }
                if agent.attached.iter().any(|e| e.queue == queue) {
                    available += 1;
                }
            }
        }
        // Time in this queue (an overflowed contact's clock restarts), so not the routing key.
        let oldest = q
            .classes
            .values()
            .flatten()
            .filter_map(|k| self.contacts.get(&k.3).map(|c| c.entered_ms))
            .min();
        let longest = oldest.map_or(0, |t| (now_ms - t).max(0));
        let within = q.answered_within_sl;
        let done = q.answered + q.abandoned;
        let ewt = if q.waiting == 0 && available > 0 {
            0
        } else if q.handled > 0 {
            let aht = q.handle_ms / q.handled as i64;
            aht * (q.waiting as i64 + 1) / i64::from(logged_in.max(1))
        } else {
            longest
        };
        Ok(QueueStats {
            logged_in,
            available,
            waiting: q.waiting as u32,
            longest_wait_ms: longest,
            estimated_wait_ms: ewt,
            offered: q.offered,
            answered: q.answered,
            answered_within_sl: within,
            abandoned: q.abandoned,
            service_level: if done == 0 {
                1.0
            } else {
                within as f64 / done as f64
            },
            abandon_rate: if done == 0 {
                0.0
            } else {
                q.abandoned as f64 / done as f64
            },
        })
    }

    /// Available member agents and waiting contacts of one channel of a queue (a blended agent
    /// free only for chats does not count for voice). O(member agents + classes).
    pub fn channel_stats(
        &self,
        queue: QueueId,
        channel: Channel,
    ) -> Result<ChannelStats, AcdError> {
        let q = self
            .queues
            .get(&queue)
            .ok_or(AcdError::UnknownQueue(queue))?;
        let ch = channel.index() as u8;
        let available = self
            .members
            .get(&queue)
            .into_iter()
            .flatten()
            .filter_map(|a| self.agents.get(a))
            .filter(|a| a.attached.iter().any(|e| e.queue == queue && e.ch == ch))
            .count();
        let waiting: usize = q
            .classes
            .range((ch, 0, 0), (ch, u32::MAX, Sig::MAX))
            .map(|(_, set)| set.len())
            .sum();
        Ok(ChannelStats {
            available: available as u32,
            waiting: waiting as u32,
        })
    }

    /// Waiting (not ringing) contacts of a queue in routing order: priority, then age.
    pub fn waiting(&self, queue: QueueId) -> Result<Vec<ContactId>, AcdError> {
        let q = self
            .queues
            .get(&queue)
            .ok_or(AcdError::UnknownQueue(queue))?;
        let mut keys: Vec<WaitKey> = q.classes.values().flat_map(|s| s.iter().copied()).collect();
        keys.sort_unstable();
        Ok(keys.into_iter().map(|k| k.3).collect())
    }
}
#[cfg(test)]
mod layout_tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    #[test]
    fn record_layout() {
        // What a routing event reads of a cold agent fits in the first three cache lines.
        assert_eq!(align_of::<AgentState>(), 64);
        let hot_end = offset_of!(AgentState, offered) + size_of::<SmallVec<[ContactId; 1]>>();
        assert!(hot_end <= 192, "hot fields end at byte {hot_end}");
        assert!(offset_of!(AgentState, attached) >= 192);
        assert_eq!(size_of::<AgentState>(), 256);
    }
}
