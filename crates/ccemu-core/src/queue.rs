//! Queues: where contacts wait for agents. Vendors call them queues (Udesk, Genesys endpoints),
//! menus (UJET), areas (Cention) or inboxes (Sangoma); the routing rules are the same.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::interaction::Channel;
use crate::skill::SkillLevel;
use crate::validate::{check_id, check_not_blank, invalid};
use crate::DomainError;

/// Queue length when none is given (Udesk's default).
pub const DEFAULT_MAX_LENGTH: u32 = 128;
/// Queue timeout in seconds when none is given (Udesk's default).
pub const DEFAULT_TIMEOUT_SECS: u32 = 60;

/// How a queue picks among eligible agents (the FreeSWITCH mod_callcenter list).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingStrategy {
    /// The agent idle the longest.
    #[default]
    LongestIdle,
    /// Rotate, remembering where the last offer went.
    RoundRobin,
    /// Always start from the top of the member list.
    TopDown,
    /// Offer to every eligible agent at once; the first to accept wins.
    RingAll,
    /// Like ring-all, adding one more agent at each ring interval.
    RingProgressively,
    /// The agent with the least talk time.
    LeastTalkTime,
    /// The agent who answered the fewest contacts.
    FewestCalls,
    /// By member order (tier, then position), rotating within the order.
    SequentialByOrder,
    /// Uniformly at random (seeded, so runs repeat).
    Random,
}

impl RoutingStrategy {
    /// Every strategy, in declaration order.
    pub const ALL: [RoutingStrategy; 9] = [
        Self::LongestIdle,
        Self::RoundRobin,
        Self::TopDown,
        Self::RingAll,
        Self::RingProgressively,
        Self::LeastTalkTime,
        Self::FewestCalls,
        Self::SequentialByOrder,
        Self::Random,
    ];

    /// Canonical snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::LongestIdle => "longest_idle",
            Self::RoundRobin => "round_robin",
            Self::TopDown => "top_down",
            Self::RingAll => "ring_all",
            Self::RingProgressively => "ring_progressively",
            Self::LeastTalkTime => "least_talk_time",
            Self::FewestCalls => "fewest_calls",
            Self::SequentialByOrder => "sequential_by_order",
            Self::Random => "random",
        }
    }
}

impl fmt::Display for RoutingStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RoutingStrategy {
    type Err = DomainError;

    /// Accepts the canonical names plus FreeSWITCH and Asterisk spellings, in any case and with
    /// `-` or `_`, because clients copy whichever their reference system uses.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let key = raw.trim().to_ascii_lowercase().replace('-', "_");
        let strategy = match key.as_str() {
            "longest_idle" | "longest_idle_agent" | "leastrecent" => Self::LongestIdle,
            "round_robin" | "rrmemory" => Self::RoundRobin,
            "top_down" | "linear" => Self::TopDown,
            "ring_all" | "ringall" => Self::RingAll,
            "ring_progressively" => Self::RingProgressively,
            "least_talk_time" | "agent_with_least_talk_time" => Self::LeastTalkTime,
            "fewest_calls" | "fewestcalls" | "agent_with_fewest_calls" => Self::FewestCalls,
            "sequential_by_order" | "sequentially_by_agent_order" | "rrordered" => {
                Self::SequentialByOrder
            }
            "random" | "wrandom" => Self::Random,
            _ => return Err(invalid("strategy", format!("unknown strategy {raw:?}"))),
        };
        Ok(strategy)
    }
}

/// Where a contact goes when the queue timeout passes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OverflowTarget {
    /// Another queue, keeping the original enqueue time.
    Queue {
        /// Target queue.
        queue_id: String,
    },
    /// An IVR menu.
    IvrMenu {
        /// Target menu.
        menu_id: String,
    },
    /// An external number.
    Number {
        /// Number to dial.
        number: String,
    },
    /// Voicemail.
    Voicemail,
    /// Hang up with reason `queue_timeout`.
    Disconnect,
}

/// An agent's membership in a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueMember {
    /// The agent.
    pub agent_id: String,
    /// Tier (FreeSWITCH level, Asterisk penalty): lower tiers are offered first.
    #[serde(default)]
    pub tier: u32,
    /// Order within the tier, for top-down and sequential strategies.
    #[serde(default)]
    pub position: u32,
}

/// A queue of the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    /// Queue id (Udesk `QueueId`, UJET menu id, Cention area id, Sangoma inbox id).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Channels served; empty means every channel.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Agent selection.
    #[serde(default)]
    pub strategy: RoutingStrategy,
    /// Queue priority; an agent in several queues serves the higher one first.
    #[serde(default)]
    pub priority: i32,
    /// Most contacts that may wait at once.
    #[serde(default = "default_max_length")]
    pub max_length: u32,
    /// Seconds a contact may wait before overflowing; 0 waits forever.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u32,
    /// Where contacts go after the timeout; `None` disconnects them.
    #[serde(default)]
    pub overflow: Option<OverflowTarget>,
    /// Member agents.
    #[serde(default)]
    pub members: Vec<QueueMember>,
    /// Skills an agent needs on top of membership.
    #[serde(default)]
    pub required_skills: Vec<SkillLevel>,
    /// Wrap-up seconds that override the agent's own, if set.
    #[serde(default)]
    pub wrap_up_secs: Option<u32>,
    /// Music or prompt played while waiting (Udesk `WaitMusic`).
    #[serde(default)]
    pub wait_music: Option<String>,
    /// Parent node, for vendors that nest queues in a tree (UJET menus).
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Order among siblings.
    #[serde(default)]
    pub position: i32,
    /// Creation time, tenant epoch ms.
    #[serde(default)]
    pub created_at_ms: i64,
    /// Last change, tenant epoch ms.
    #[serde(default)]
    pub updated_at_ms: i64,
    /// Vendor-specific fields without a neutral meaning (UJET `menu_type`, Chatwoot widget colour).
    #[serde(default)]
    pub extra: BTreeMap<String, serde_json::Value>,
}
crate::entity!(Queue, "queue");

fn default_max_length() -> u32 {
    DEFAULT_MAX_LENGTH
}

fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_SECS
}

impl Queue {
    /// A queue with the default strategy, length and timeout, and no members.
    pub fn new(id: impl Into<String>, name: impl Into<String>, now_ms: i64) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            channels: Vec::new(),
            strategy: RoutingStrategy::default(),
            priority: 0,
            max_length: DEFAULT_MAX_LENGTH,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            overflow: None,
            members: Vec::new(),
            required_skills: Vec::new(),
            wrap_up_secs: None,
            wait_music: None,
            parent_id: None,
            position: 0,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            extra: BTreeMap::new(),
        }
    }

    /// Checks ids, name, length, members and that the queue does not overflow into itself.
    ///
    /// `max_length_cap` is the surface's own upper bound (Udesk: 512).
    pub fn validate(&self, max_length_cap: u32) -> Result<(), DomainError> {
        check_id("queue id", &self.id)?;
        check_not_blank("queue name", &self.name)?;
        check_max_length(self.max_length, max_length_cap)?;
        for member in &self.members {
            check_id("agent id", &member.agent_id)?;
        }
        let mut ids: Vec<&str> = self.members.iter().map(|m| m.agent_id.as_str()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid("members", "an agent is listed twice"));
        }
        if let Some(OverflowTarget::Queue { queue_id }) = &self.overflow {
            if queue_id == &self.id {
                return Err(invalid("overflow", "a queue cannot overflow into itself"));
            }
        }
        for skill in &self.required_skills {
            skill.validate()?;
        }
        Ok(())
    }

    /// True when the queue takes contacts of this channel.
    pub fn serves(&self, channel: Channel) -> bool {
        self.channels.is_empty() || self.channels.contains(&channel)
    }

    /// The membership of an agent.
    pub fn member(&self, agent_id: &str) -> Option<&QueueMember> {
        self.members.iter().find(|m| m.agent_id == agent_id)
    }

    /// Adds agents that are not members yet, at tier 0 after the current last position.
    ///
    /// Additive on purpose: Udesk's `queues/agents` never removes, and re-adding keeps the old tier.
    /// Returns how many were added.
    pub fn add_members<'a>(&mut self, agent_ids: impl IntoIterator<Item = &'a str>) -> usize {
        let mut added = 0;
        for agent_id in agent_ids {
            if self.member(agent_id).is_some() {
                continue;
            }
            let position = self
                .members
                .iter()
                .map(|m| m.position + 1)
                .max()
                .unwrap_or(0);
            self.members.push(QueueMember {
                agent_id: agent_id.to_owned(),
                tier: 0,
                position,
            });
            added += 1;
        }
        added
    }

    /// Removes an agent; returns whether it was a member.
    pub fn remove_member(&mut self, agent_id: &str) -> bool {
        let before = self.members.len();
        self.members.retain(|m| m.agent_id != agent_id);
        before != self.members.len()
    }

    /// Members sorted by tier, then position, then id: the order top-down strategies walk.
    pub fn ordered_members(&self) -> Vec<&QueueMember> {
        let mut members: Vec<&QueueMember> = self.members.iter().collect();
        members.sort_by(|a, b| {
            (a.tier, a.position, &a.agent_id).cmp(&(b.tier, b.position, &b.agent_id))
        });
        members
    }

    /// Refuses a new contact when `waiting` contacts already fill the queue.
    pub fn check_room(&self, waiting: usize) -> Result<(), DomainError> {
        if waiting < self.max_length as usize {
            Ok(())
        } else {
            Err(DomainError::LimitExceeded(format!(
                "queue {} is full ({} waiting)",
                self.id, self.max_length
            )))
        }
    }
}

/// Accepts a maximum queue length of 1 to `cap`.
pub fn check_max_length(max_length: u32, cap: u32) -> Result<u32, DomainError> {
    if (1..=cap).contains(&max_length) {
        Ok(max_length)
    } else {
        Err(invalid("max_length", format!("must be 1 to {cap}")))
    }
}

/// Refuses another queue when the tenant already has `cap` (Udesk: 100 per app).
pub fn check_queue_count(existing: usize, cap: usize) -> Result<(), DomainError> {
    if existing < cap {
        Ok(())
    } else {
        Err(DomainError::LimitExceeded(format!(
            "at most {cap} queues per tenant"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_udesk() {
        let q: Queue = serde_json::from_str(r#"{"id":"9001","name":"Sales"}"#).unwrap();
        assert_eq!(q.max_length, 128);
        assert_eq!(q.timeout_secs, 60);
        assert_eq!(q.strategy, RoutingStrategy::LongestIdle);
        assert_eq!(q, Queue::new("9001", "Sales", 0));
    }

    #[test]
    fn max_length_is_checked_against_the_cap() {
        assert!(check_max_length(512, 512).is_ok());
        assert!(check_max_length(513, 512).is_err());
        assert!(check_max_length(0, 512).is_err());
        let mut q = Queue::new("9001", "Sales", 0);
        q.max_length = 600;
        assert!(q.validate(512).is_err());
        assert!(q.validate(1000).is_ok());
    }

    #[test]
    fn full_queue_rejects() {
        let mut q = Queue::new("9001", "Sales", 0);
        q.max_length = 2;
        assert!(q.check_room(1).is_ok());
        assert!(matches!(
            q.check_room(2),
            Err(DomainError::LimitExceeded(_))
        ));
    }

    #[test]
    fn queue_count_cap() {
        assert!(check_queue_count(99, 100).is_ok());
        assert!(check_queue_count(100, 100).is_err());
    }

    #[test]
    fn strategy_names_round_trip_and_aliases_parse() {
        for s in RoutingStrategy::ALL {
            assert_eq!(s.name().parse::<RoutingStrategy>().unwrap(), s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.name());
        }
        assert_eq!(
            "longest-idle-agent".parse(),
            Ok(RoutingStrategy::LongestIdle)
        );
        assert_eq!("ringall".parse(), Ok(RoutingStrategy::RingAll));
        assert_eq!("Linear".parse(), Ok(RoutingStrategy::TopDown));
        assert!("fastest".parse::<RoutingStrategy>().is_err());
    }

    #[test]
    fn add_members_is_additive_and_skips_duplicates() {
        let mut q = Queue::new("9001", "Sales", 0);
        assert_eq!(q.add_members(["1001", "1002"]), 2);
        q.members[0].tier = 3;
        assert_eq!(q.add_members(["1001", "1003"]), 1);
        assert_eq!(q.member("1001").unwrap().tier, 3);
        assert_eq!(q.member("1003").unwrap().position, 2);
        assert!(q.remove_member("1002"));
        assert!(!q.remove_member("1002"));
    }

    #[test]
    fn ordered_members_sort_by_tier_then_position() {
        let mut q = Queue::new("9001", "Sales", 0);
        q.add_members(["a", "b", "c"]);
        q.members[0].tier = 1;
        let order: Vec<&str> = q
            .ordered_members()
            .iter()
            .map(|m| m.agent_id.as_str())
            .collect();
        assert_eq!(order, ["b", "c", "a"]);
    }

    #[test]
    fn duplicate_member_and_self_overflow_are_invalid() {
        let mut q = Queue::new("9001", "Sales", 0);
        q.members.push(QueueMember {
            agent_id: "1".into(),
            tier: 0,
            position: 0,
        });
        q.members.push(QueueMember {
            agent_id: "1".into(),
            tier: 1,
            position: 1,
        });
        assert!(q.validate(512).is_err());
        let mut r = Queue::new("9001", "Sales", 0);
        r.overflow = Some(OverflowTarget::Queue {
            queue_id: "9001".into(),
        });
        assert!(r.validate(512).is_err());
    }

    #[test]
    fn channel_filter() {
        let mut q = Queue::new("9001", "Sales", 0);
        assert!(q.serves(Channel::Errand));
        q.channels = vec![Channel::Voice];
        assert!(!q.serves(Channel::Chat));
    }

    #[test]
    fn overflow_serializes_tagged() {
        let o = OverflowTarget::Queue {
            queue_id: "9002".into(),
        };
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(v, serde_json::json!({"type":"queue","queue_id":"9002"}));
        assert_eq!(serde_json::from_value::<OverflowTarget>(v).unwrap(), o);
    }
}
