//! Public value types of the routing engine: ids, configuration, decisions, errors, statistics.

use std::fmt;

/// Identifies an agent (a person or bot that takes contacts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentId(pub u32);

/// Identifies a contact (call, chat or errand) while the ACD knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContactId(pub u64);

/// Identifies a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueId(pub u32);

/// Identifies a skill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SkillId(pub u32);

/// Media channel of a contact; each has its own per-agent capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Channel {
    /// Voice call.
    #[default]
    Voice,
    /// Chat or messaging.
    Chat,
    /// Errand / email / task.
    Errand,
}

impl Channel {
    /// All channels, in index order.
    pub const ALL: [Channel; 3] = [Channel::Voice, Channel::Chat, Channel::Errand];

    /// Index into per-channel arrays such as [`AgentConfig::capacity`].
    pub const fn index(self) -> usize {
        match self {
            Channel::Voice => 0,
            Channel::Chat => 1,
            Channel::Errand => 2,
        }
    }
}

/// How a queue chooses among eligible available agents (the FreeSWITCH mod_callcenter list).
///
/// For every strategy the agent's tier in the queue is the first key: an agent of a lower tier
/// is always preferred to one of a higher tier. The strategy orders agents *within* a tier; ties
/// are broken by the smaller [`AgentId`]. See the crate docs for exact definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Strategy {
    /// Smallest `idle_since` (time of the agent's last routing activity) first.
    #[default]
    LongestIdle,
    /// Rotate by agent id, continuing after the agent who got this queue's last offer.
    RoundRobin,
    /// Smallest `(position, id)` first, always from the top.
    TopDown,
    /// Offer to every eligible available agent at once; the first accept wins.
    RingAll,
    /// Top-down order, adding one more ringing agent every ring interval while unanswered.
    RingProgressively,
    /// Smallest cumulative talk time first.
    LeastTalkTime,
    /// Fewest answered contacts first.
    FewestCalls,
    /// `(position, id)` order, continuing after the agent who got this queue's last offer.
    SequentialByOrder,
    /// A seeded pseudo-random choice (a ticket drawn each time the agent becomes available).
    Random,
}

/// After a contact has waited `after_ms` in the queue, agents of tiers up to `max_tier` may take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TierRule {
    /// Wait in the queue (ms) after which the rule applies.
    pub after_ms: i64,
    /// Highest tier eligible once the rule applies.
    pub max_tier: u32,
}

/// Service-level threshold of a queue unless configured: the industry's "80/20" answer time.
pub const DEFAULT_SL_THRESHOLD_MS: i64 = 20_000;

/// Configuration of one queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// How agents are chosen.
    pub strategy: Strategy,
    /// Maximum contacts in the queue (waiting or ringing); 0 = unlimited.
    pub max_length: usize,
    /// A contact still waiting this long (ms) after entering the queue leaves it.
    pub timeout_ms: Option<i64>,
    /// Where a timed-out contact goes (keeping priority and original enqueue time for ordering).
    pub overflow: Option<QueueId>,
    /// Skills (with minimum proficiency) every contact of this queue needs.
    pub required_skills: Vec<(SkillId, u8)>,
    /// Tier widening over time. Empty = all tiers eligible at once; otherwise tier 1 at first,
    /// and the maximum `max_tier` of all rules with `after_ms <= wait`.
    pub tier_rules: Vec<TierRule>,
    /// A contact accepted after waiting at most this long counts as answered within the service
    /// level ([`QueueStats::answered_within_sl`]). A change applies to later answers only.
    pub sl_threshold_ms: i64,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            strategy: Strategy::default(),
            max_length: 0,
            timeout_ms: None,
            overflow: None,
            required_skills: Vec::new(),
            tier_rules: Vec::new(),
            sl_threshold_ms: DEFAULT_SL_THRESHOLD_MS,
        }
    }
}

/// An agent's membership of one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Membership {
    /// The queue.
    pub queue: QueueId,
    /// Tier (level); 1 = first. Lower tiers are preferred and open first.
    pub tier: u32,
    /// Position within the tier (top-down, sequential, ring-progressively order).
    pub position: u32,
}

/// Configuration of one agent (routing profile).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentConfig {
    /// Concurrent contacts per channel, indexed by [`Channel::index`].
    pub capacity: [u32; 3],
    /// While the agent holds a voice contact (ringing, connected or in wrap-up), no chat or
    /// errand is offered. (One direction only: chats do not block a voice offer.)
    pub voice_blocks_others: bool,
    /// Skills with proficiency.
    pub skills: Vec<(SkillId, u8)>,
    /// Queues the agent serves.
    pub memberships: Vec<Membership>,
    /// How long an offer rings before it counts as not answered.
    pub ring_timeout_ms: i64,
    /// After a no-answer, the agent takes no new offers for this long.
    pub no_answer_delay_ms: i64,
    /// After a reject, the agent takes no new offers for this long.
    pub reject_delay_ms: i64,
    /// Consecutive no-answers that put the agent into not-ready; 0 = unlimited.
    pub max_no_answer: u32,
}

/// A contact entering a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSpec {
    /// Contact id (unique among contacts the ACD currently knows).
    pub id: ContactId,
    /// Queue to enter.
    pub queue: QueueId,
    /// Channel (decides which capacity it uses).
    pub channel: Channel,
    /// Higher is routed first.
    pub priority: i32,
    /// Skills needed in addition to the queue's.
    pub required_skills: Vec<(SkillId, u8)>,
}

/// What the ACD decided; the caller applies these in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The agent is reserved and rings for this contact until `ring_deadline_ms`.
    Offer {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
        /// When the ring times out (ring-progressively: may be extended silently, see crate docs).
        ring_deadline_ms: i64,
    },
    /// An outstanding offer ended without being accepted by this agent (another agent accepted,
    /// the ring timed out, the contact left, or the agent logged out).
    OfferWithdrawn {
        /// The contact.
        contact: ContactId,
        /// The agent whose offer ended.
        agent: AgentId,
    },
    /// The contact is waiting again, at its original position.
    Requeued {
        /// The contact.
        contact: ContactId,
    },
    /// The agent reached its consecutive no-answer limit and is now not ready.
    AgentNotReady {
        /// The agent.
        agent: AgentId,
    },
    /// The contact left its queue after the queue timeout.
    QueueTimeout {
        /// The contact.
        contact: ContactId,
        /// The queue it now waits in, if it overflowed; `None` = it left the ACD.
        overflow_to: Option<QueueId>,
    },
}

/// Errors of the routing engine (caller mistakes; the engine state is unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AcdError {
    /// No such queue.
    UnknownQueue(QueueId),
    /// No such agent.
    UnknownAgent(AgentId),
    /// No such contact waits or rings.
    UnknownContact(ContactId),
    /// The queue is at `max_length`.
    QueueFull(QueueId),
    /// A contact with this id already waits or rings.
    DuplicateContact(ContactId),
    /// `accept` or `reject` of a contact that is not (or no longer) offered to this agent.
    NotOffered {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
    },
    /// `complete` for a contact this agent does not hold.
    NotConnected {
        /// The contact.
        contact: ContactId,
        /// The agent.
        agent: AgentId,
    },
    /// `remove_queue` while contacts wait or ring in it.
    QueueNotEmpty(QueueId),
}

impl fmt::Display for AcdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcdError::UnknownQueue(q) => write!(f, "unknown queue {}", q.0),
            AcdError::UnknownAgent(a) => write!(f, "unknown agent {}", a.0),
            AcdError::UnknownContact(c) => write!(f, "unknown contact {}", c.0),
            AcdError::QueueFull(q) => write!(f, "queue {} is full", q.0),
            AcdError::DuplicateContact(c) => write!(f, "contact {} already exists", c.0),
            AcdError::NotOffered { contact, agent } => {
                write!(
                    f,
                    "contact {} is not offered to agent {}",
                    contact.0, agent.0
                )
            }
            AcdError::NotConnected { contact, agent } => {
                write!(
                    f,
                    "contact {} is not connected to agent {}",
                    contact.0, agent.0
                )
            }
            AcdError::QueueNotEmpty(q) => write!(f, "queue {} still has contacts", q.0),
        }
    }
}

impl std::error::Error for AcdError {}

/// Statistics of one queue, as vendor APIs expose them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QueueStats {
    /// Member agents logged in (ready or not ready).
    pub logged_in: u32,
    /// Member agents that could take a new contact of some channel now.
    pub available: u32,
    /// Contacts waiting (not ringing).
    pub waiting: u32,
    /// Wait of the oldest waiting contact.
    pub longest_wait_ms: i64,
    /// Estimated wait for a new contact (see crate docs).
    pub estimated_wait_ms: i64,
    /// Contacts that entered the queue (including overflow arrivals).
    pub offered: u64,
    /// Contacts accepted by an agent.
    pub answered: u64,
    /// Contacts accepted within the queue's service-level threshold.
    pub answered_within_sl: u64,
    /// Contacts abandoned while in the queue.
    pub abandoned: u64,
    /// `answered_within_sl / (answered + abandoned)`; 1.0 when both are 0.
    pub service_level: f64,
    /// `abandoned / (answered + abandoned)`; 0.0 when both are 0.
    pub abandon_rate: f64,
}

/// Routing load of one queue for one channel: what an outbound dialer paces against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChannelStats {
    /// Member agents that could take a new contact of this channel now.
    pub available: u32,
    /// Contacts of this channel waiting (not ringing) in the queue.
    pub waiting: u32,
}
