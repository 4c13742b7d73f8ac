//! Agents (Udesk seats, UJET users, Genesys users, Cention agents, Sangoma agents) and their state
//! machine, the one that the ACD routes by and every surface reports.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::interaction::Channel;
use crate::skill::SkillLevel;
use crate::validate::{check_email, check_id, check_not_blank, invalid};
use crate::DomainError;

/// What an agent may do beyond handling contacts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Handles contacts.
    #[default]
    Agent,
    /// Handles contacts and watches others (Udesk `leader`, UJET "Manager").
    Supervisor,
    /// Configures the contact center.
    Admin,
}

/// How an agent's voice calls reach them (Udesk call mode).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallMode {
    /// A SIP phone or softphone on a bound extension.
    #[default]
    Voip,
    /// The agent's mobile number.
    Cellphone,
}

/// How many contacts of each media class an agent may hold at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    /// Voice calls: 0 (no voice) or 1.
    pub voice: u32,
    /// Chats, messaging and conversations together.
    pub chat: u32,
    /// Errands (email).
    pub errand: u32,
}

impl Default for Capacity {
    fn default() -> Self {
        // UJET's default max_chat_limit is 5; one call at a time is what a headset allows.
        Self {
            voice: 1,
            chat: 5,
            errand: 10,
        }
    }
}

impl Capacity {
    /// Most chats an agent may be given (TaskRouter's per-channel limit).
    pub const MAX_CHAT: u32 = 50;
    /// Most errands an agent may hold.
    pub const MAX_ERRAND: u32 = 100;

    /// The limit that applies to one channel.
    pub fn for_channel(&self, channel: Channel) -> u32 {
        match channel {
            Channel::Voice => self.voice,
            Channel::Chat | Channel::Messaging | Channel::Conversation => self.chat,
            Channel::Errand => self.errand,
        }
    }

    /// Checks every limit.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.voice > 1 {
            return Err(invalid("voice capacity", "an agent takes at most one call"));
        }
        if self.chat > Self::MAX_CHAT {
            return Err(invalid(
                "chat capacity",
                format!("at most {}", Self::MAX_CHAT),
            ));
        }
        if self.errand > Self::MAX_ERRAND {
            return Err(invalid(
                "errand capacity",
                format!("at most {}", Self::MAX_ERRAND),
            ));
        }
        Ok(())
    }
}

/// Where an agent stands for routing. Serialized as `{"state": "...", ...fields}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AgentState {
    /// Not in a session; never routed to.
    #[default]
    LoggedOut,
    /// Logged in and waiting for work.
    Available,
    /// Logged in but not taking contacts (Udesk `busy`, UJET "Unavailable").
    NotReady {
        /// Reason code chosen by the agent or set by the system (e.g. `missed_call`).
        #[serde(default)]
        reason: Option<String>,
    },
    /// On a break (Udesk `onBreak` + `SubState`, UJET "Break"/"Meal").
    OnBreak {
        /// Vendor sub-state number, 0 by default.
        #[serde(default)]
        sub_state: u32,
        /// End of a timed break, tenant epoch ms; `None` until the agent returns.
        #[serde(default)]
        until_ms: Option<i64>,
    },
    /// Picked by the ACD for a contact that has not been presented yet.
    Reserved,
    /// A contact is being presented (phone ringing, chat invite shown).
    Ringing,
    /// Handling at least one contact.
    OnContact,
    /// After-contact work.
    WrapUp {
        /// End of wrap-up, tenant epoch ms; `None` when the agent ends it manually.
        #[serde(default)]
        until_ms: Option<i64>,
    },
}

impl AgentState {
    /// Stable snake_case name, as in the serialized `state` tag.
    pub fn name(&self) -> &'static str {
        match self {
            Self::LoggedOut => "logged_out",
            Self::Available => "available",
            Self::NotReady { .. } => "not_ready",
            Self::OnBreak { .. } => "on_break",
            Self::Reserved => "reserved",
            Self::Ringing => "ringing",
            Self::OnContact => "on_contact",
            Self::WrapUp { .. } => "wrap_up",
        }
    }

    /// True for every state except logged out.
    pub fn is_logged_in(&self) -> bool {
        !matches!(self, Self::LoggedOut)
    }

    /// True when the ACD may offer a new contact.
    pub fn is_routable(&self) -> bool {
        matches!(self, Self::Available)
    }

    /// End of a timed state (wrap-up, timed break).
    pub fn until_ms(&self) -> Option<i64> {
        match self {
            Self::WrapUp { until_ms } | Self::OnBreak { until_ms, .. } => *until_ms,
            _ => None,
        }
    }

    /// Whether the state machine allows moving from `self` to `to`.
    pub fn can_change_to(&self, to: &AgentState) -> bool {
        use AgentState::*;
        if self == to {
            // A no-op change would log a zero-length period and fire events for nothing.
            return false;
        }
        match (self, to) {
            (LoggedOut, Available | NotReady { .. } | OnBreak { .. }) => true,
            (LoggedOut, _) => false,
            // Force logout is allowed except mid-contact: UJET lets busy agents finish first.
            (OnContact, LoggedOut) => false,
            (_, LoggedOut) => true,
            (Available, NotReady { .. } | OnBreak { .. } | Reserved | Ringing | OnContact) => true,
            // Agent-initiated work (an outbound dial) does not need the agent to be available.
            (
                NotReady { .. } | OnBreak { .. },
                Available | NotReady { .. } | OnBreak { .. } | Ringing | OnContact,
            ) => true,
            // A reservation is presented, auto-answered, cancelled, or refused.
            (Reserved, Ringing | OnContact | Available | NotReady { .. }) => true,
            // Answer, no answer (back to available or, past the limit, not ready).
            (Ringing, OnContact | Available | NotReady { .. }) => true,
            (OnContact, WrapUp { .. } | Available | NotReady { .. } | OnBreak { .. }) => true,
            (WrapUp { .. }, Available | NotReady { .. } | OnBreak { .. } | OnContact) => true,
            _ => false,
        }
    }
}

impl fmt::Display for AgentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Vendor field holding the address the agent last logged in from (set by the simulator's
/// `login_ip`; UJET force logout matches `ip_addrs` against it).
pub const LAST_LOGIN_IP: &str = "last_login_ip";

/// Profile fields of an agent to change; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentPatch {
    /// Work number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_id: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Mobile number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Whether the agent may log in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Wrap-up seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_up_secs: Option<u32>,
    /// Vendor fields to set (a `null` value removes the field), e.g. the agent's
    /// [`LAST_LOGIN_IP`].
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// An agent of the tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// Agent id (Udesk `AgentId`, digits in the demo so every vendor can use it as a number).
    pub id: String,
    /// Employee or work number (Udesk `WorkId`, UJET `agent_number`).
    #[serde(default)]
    pub work_id: String,
    /// Login or user name (Cention `login_name`, Genesys `userName`, Sangoma `agent_name`).
    #[serde(default)]
    pub login_name: String,
    /// Display name.
    pub name: String,
    /// Given name, where a vendor keeps it apart.
    #[serde(default)]
    pub first_name: String,
    /// Family name, where a vendor keeps it apart.
    #[serde(default)]
    pub last_name: String,
    /// Email address, `""` when unknown (UJET identifies agents by it).
    #[serde(default)]
    pub email: String,
    /// Mobile number, `""` when unknown.
    #[serde(default)]
    pub phone: String,
    /// Role.
    #[serde(default)]
    pub role: Role,
    /// Disabled agents keep their history but cannot log in.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Teams the agent belongs to.
    #[serde(default)]
    pub team_ids: Vec<String>,
    /// Skills held.
    #[serde(default)]
    pub skills: Vec<SkillLevel>,
    /// Concurrent contacts per media class.
    #[serde(default)]
    pub capacity: Capacity,
    /// Wrap-up after each contact in seconds, 0 for none.
    #[serde(default)]
    pub wrap_up_secs: u32,
    /// How voice calls reach the agent.
    #[serde(default)]
    pub call_mode: CallMode,
    /// Caller number for the agent's outbound calls (Udesk per-agent default number).
    #[serde(default)]
    pub default_caller_number: Option<String>,
    /// Current state; change it only through [`Agent::set_state`].
    #[serde(default)]
    pub state: AgentState,
    /// When the current state began, tenant epoch ms.
    #[serde(default)]
    pub state_since_ms: i64,
    /// Number of state changes so far; makes state-log ids unique without a global counter.
    #[serde(default)]
    pub state_seq: u64,
    /// Last login, tenant epoch ms.
    #[serde(default)]
    pub last_login_ms: Option<i64>,
    /// Creation time, tenant epoch ms.
    #[serde(default)]
    pub created_at_ms: i64,
    /// Last change of any field, tenant epoch ms.
    #[serde(default)]
    pub updated_at_ms: i64,
    /// Vendor-specific fields that have no neutral meaning (UJET `location`, avatar URLs, ...).
    #[serde(default)]
    pub extra: BTreeMap<String, serde_json::Value>,
    /// A logout was asked while the agent handled a contact: it leaves when its last contact
    /// ends, skipping wrap-up (UJET force logout lets busy agents finish first).
    #[serde(default)]
    pub logout_after_contact: bool,
}
crate::entity!(Agent, "agent");

fn yes() -> bool {
    true
}

impl Agent {
    /// A logged-out, enabled agent with default capacity.
    pub fn new(id: impl Into<String>, name: impl Into<String>, now_ms: i64) -> Self {
        Self {
            id: id.into(),
            work_id: String::new(),
            login_name: String::new(),
            name: name.into(),
            first_name: String::new(),
            last_name: String::new(),
            email: String::new(),
            phone: String::new(),
            role: Role::Agent,
            enabled: true,
            team_ids: Vec::new(),
            skills: Vec::new(),
            capacity: Capacity::default(),
            wrap_up_secs: 0,
            call_mode: CallMode::Voip,
            default_caller_number: None,
            state: AgentState::LoggedOut,
            state_since_ms: now_ms,
            state_seq: 0,
            last_login_ms: None,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            extra: BTreeMap::new(),
            logout_after_contact: false,
        }
    }

    /// Checks ids, name, email, skills and capacity.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_id("agent id", &self.id)?;
        check_not_blank("agent name", &self.name)?;
        check_email("email", &self.email)?;
        for team_id in &self.team_ids {
            check_id("team id", team_id)?;
        }
        for skill in &self.skills {
            skill.validate()?;
        }
        self.capacity.validate()
    }

    /// Moves the agent to `to` and returns the log entry for the period that just ended.
    pub fn set_state(&mut self, to: AgentState, now_ms: i64) -> Result<AgentStateLog, DomainError> {
        if !self.state.can_change_to(&to) {
            return Err(DomainError::IllegalTransition {
                kind: "agent",
                from: self.state.to_string(),
                to: to.to_string(),
            });
        }
        if !self.state.is_logged_in() && !self.enabled {
            return Err(DomainError::Conflict(format!(
                "agent {} is disabled and cannot log in",
                self.id
            )));
        }
        if let Some(until) = to.until_ms() {
            if until < now_ms {
                return Err(invalid("until_ms", "a timed state cannot end in the past"));
            }
        }
        if !self.state.is_logged_in() {
            self.last_login_ms = Some(now_ms);
        }
        if to == AgentState::LoggedOut {
            // Whatever logged the agent out settles a pending logout.
            self.logout_after_contact = false;
        }
        self.state_seq += 1;
        // The clock never goes backwards, but a restored record could be ahead; never log negative time.
        let end_ms = now_ms.max(self.state_since_ms);
        let from = std::mem::replace(&mut self.state, to.clone());
        let log = AgentStateLog {
            id: format!("{}-{}", self.id, self.state_seq),
            agent_id: self.id.clone(),
            from,
            to,
            start_ms: self.state_since_ms,
            end_ms,
            duration_ms: end_ms - self.state_since_ms,
        };
        self.state_since_ms = end_ms;
        self.updated_at_ms = end_ms;
        Ok(log)
    }

    /// Ends a timed wrap-up or break that is due, making the agent available.
    ///
    /// Returns `None` when there is nothing to end: the timer is stale because the agent already
    /// left the timed state by hand, or a newer timed state has a later deadline.
    pub fn end_timed_state(&mut self, now_ms: i64) -> Option<AgentStateLog> {
        match self.state.until_ms() {
            Some(until) if until <= now_ms => self.set_state(AgentState::Available, now_ms).ok(),
            _ => None,
        }
    }

    /// Enters wrap-up for the agent's configured time, or becomes available when it is zero.
    pub fn finish_contact(&mut self, now_ms: i64) -> Result<AgentStateLog, DomainError> {
        let next = if self.wrap_up_secs == 0 {
            AgentState::Available
        } else {
            AgentState::WrapUp {
                until_ms: Some(now_ms.saturating_add(i64::from(self.wrap_up_secs) * 1000)),
            }
        };
        self.set_state(next, now_ms)
    }
}

/// One finished period of an agent's state (Udesk `AgentStateLog`, UJET agent activity log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStateLog {
    /// `{agent_id}-{sequence}`.
    pub id: String,
    /// The agent.
    pub agent_id: String,
    /// The state the period was spent in.
    pub from: AgentState,
    /// The state that followed.
    pub to: AgentState,
    /// Start of the period, tenant epoch ms.
    pub start_ms: i64,
    /// End of the period, tenant epoch ms.
    pub end_ms: i64,
    /// `end_ms - start_ms`.
    pub duration_ms: i64,
}
crate::entity!(AgentStateLog, "agent_state_log");

impl AgentStateLog {
    /// The agent's state-change number that ended this period (the id's suffix; 0 if it has none).
    pub fn seq(&self) -> u64 {
        self.id
            .rsplit_once('-')
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent() -> Agent {
        Agent::new("1001", "Alice", 1_000)
    }

    fn not_ready() -> AgentState {
        AgentState::NotReady { reason: None }
    }

    fn at(state: AgentState) -> Agent {
        let mut a = agent();
        a.state = state;
        a
    }

    #[test]
    fn login_answer_wrap_up_and_back_is_legal() {
        let mut a = agent();
        a.set_state(AgentState::Available, 2_000).unwrap();
        a.set_state(AgentState::Reserved, 3_000).unwrap();
        a.set_state(AgentState::Ringing, 3_100).unwrap();
        a.set_state(AgentState::OnContact, 5_000).unwrap();
        let log = a
            .set_state(
                AgentState::WrapUp {
                    until_ms: Some(75_000),
                },
                65_000,
            )
            .unwrap();
        assert_eq!(log.from, AgentState::OnContact);
        assert_eq!(
            (log.start_ms, log.end_ms, log.duration_ms),
            (5_000, 65_000, 60_000)
        );
        assert_eq!(log.id, "1001-5");
        assert_eq!(a.state_since_ms, 65_000);
        let log = a.set_state(AgentState::Available, 70_000).unwrap();
        assert_eq!((log.id.as_str(), log.duration_ms), ("1001-6", 5_000));
    }

    #[test]
    fn ringing_agent_cannot_go_to_wrap_up_directly() {
        let mut a = at(AgentState::Ringing);
        let err = a
            .set_state(AgentState::WrapUp { until_ms: None }, 2_000)
            .unwrap_err();
        assert_eq!(
            err,
            DomainError::IllegalTransition {
                kind: "agent",
                from: "ringing".into(),
                to: "wrap_up".into()
            }
        );
        assert_eq!(a.state, AgentState::Ringing);
        assert_eq!(a.state_seq, 0);
    }

    #[test]
    fn logged_out_agent_cannot_be_offered_or_put_on_contact() {
        for to in [
            AgentState::Reserved,
            AgentState::Ringing,
            AgentState::OnContact,
        ] {
            assert!(agent().set_state(to, 2_000).is_err());
        }
    }

    #[test]
    fn agent_on_contact_cannot_be_logged_out_or_offered() {
        assert!(at(AgentState::OnContact)
            .set_state(AgentState::LoggedOut, 2_000)
            .is_err());
        assert!(at(AgentState::OnContact)
            .set_state(AgentState::Ringing, 2_000)
            .is_err());
        assert!(at(AgentState::Ringing)
            .set_state(AgentState::LoggedOut, 2_000)
            .is_ok());
    }

    #[test]
    fn not_ready_agent_cannot_be_reserved_by_the_acd() {
        assert!(at(not_ready())
            .set_state(AgentState::Reserved, 2_000)
            .is_err());
        assert!(at(not_ready())
            .set_state(AgentState::OnContact, 2_000)
            .is_ok());
    }

    #[test]
    fn same_state_is_rejected_but_new_reason_or_sub_state_is_a_change() {
        assert!(at(AgentState::Available)
            .set_state(AgentState::Available, 2_000)
            .is_err());
        let mut a = at(not_ready());
        a.set_state(
            AgentState::NotReady {
                reason: Some("lunch".into()),
            },
            2_000,
        )
        .unwrap();
        a.set_state(
            AgentState::OnBreak {
                sub_state: 1,
                until_ms: None,
            },
            3_000,
        )
        .unwrap();
        a.set_state(
            AgentState::OnBreak {
                sub_state: 2,
                until_ms: None,
            },
            4_000,
        )
        .unwrap();
        assert_eq!(a.state_seq, 3);
    }

    #[test]
    fn disabled_agent_cannot_log_in() {
        let mut a = agent();
        a.enabled = false;
        assert!(matches!(
            a.set_state(AgentState::Available, 2_000),
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn login_records_last_login() {
        let mut a = agent();
        a.set_state(AgentState::Available, 7_000).unwrap();
        assert_eq!(a.last_login_ms, Some(7_000));
    }

    #[test]
    fn timed_state_ending_in_the_past_is_rejected() {
        let mut a = at(AgentState::OnContact);
        assert!(a
            .set_state(
                AgentState::WrapUp {
                    until_ms: Some(1_500)
                },
                2_000
            )
            .is_err());
    }

    #[test]
    fn wrap_up_ends_when_due_and_not_before() {
        let mut a = at(AgentState::OnContact);
        a.wrap_up_secs = 15;
        a.finish_contact(10_000).unwrap();
        assert_eq!(
            a.state,
            AgentState::WrapUp {
                until_ms: Some(25_000)
            }
        );
        assert!(a.end_timed_state(24_999).is_none());
        let log = a.end_timed_state(25_000).unwrap();
        assert_eq!(log.to, AgentState::Available);
        assert_eq!(log.duration_ms, 15_000);
        assert_eq!(a.state, AgentState::Available);
    }

    #[test]
    fn stale_timer_after_manual_return_does_nothing() {
        let mut a = at(AgentState::WrapUp {
            until_ms: Some(5_000),
        });
        a.set_state(not_ready(), 3_000).unwrap();
        assert!(a.end_timed_state(5_000).is_none());
        assert_eq!(a.state, not_ready());
    }

    #[test]
    fn timed_break_ends_but_open_break_does_not() {
        let mut a = at(AgentState::OnBreak {
            sub_state: 2,
            until_ms: Some(4_000),
        });
        assert!(a.end_timed_state(4_000).is_some());
        let mut b = at(AgentState::OnBreak {
            sub_state: 2,
            until_ms: None,
        });
        assert!(b.end_timed_state(i64::MAX).is_none());
    }

    #[test]
    fn zero_wrap_up_makes_agent_available_at_once() {
        let mut a = at(AgentState::OnContact);
        a.finish_contact(2_000).unwrap();
        assert_eq!(a.state, AgentState::Available);
    }

    #[test]
    fn capacity_follows_channel_and_rejects_two_calls() {
        let c = Capacity::default();
        assert_eq!(c.for_channel(Channel::Messaging), c.chat);
        assert_eq!(c.for_channel(Channel::Errand), c.errand);
        let bad = Capacity { voice: 2, ..c };
        assert!(bad.validate().is_err());
        let mut a = agent();
        a.capacity = Capacity { chat: 51, ..c };
        assert!(a.validate().is_err());
    }

    #[test]
    fn validation_rejects_bad_email_and_blank_name() {
        let mut a = agent();
        a.email = "nope".into();
        assert!(a.validate().is_err());
        let mut b = agent();
        b.name = " ".into();
        assert!(b.validate().is_err());
        assert!(agent().validate().is_ok());
    }

    #[test]
    fn state_serializes_with_tag_and_round_trips() {
        let s = AgentState::OnBreak {
            sub_state: 3,
            until_ms: Some(9),
        };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"state":"on_break","sub_state":3,"until_ms":9})
        );
        assert_eq!(serde_json::from_value::<AgentState>(v).unwrap(), s);
        let mut a = agent();
        a.state = not_ready();
        let back: Agent = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn minimal_agent_json_gets_defaults() {
        let a: Agent = serde_json::from_str(r#"{"id":"7","name":"X"}"#).unwrap();
        assert!(a.enabled);
        assert_eq!(a.state, AgentState::LoggedOut);
        assert_eq!(a.capacity, Capacity::default());
    }
}
