//! UJET user statuses (`vendor-notes/ujet.md` §5 "User statuses") and how they map onto the
//! engine's agent states.
//!
//! The list is the doc's fixture. Statuses an agent picks (Available, Unavailable, Break,
//! Special Task, Meal and the custom Meal, id 5) map to available, not ready and breaks; the
//! system statuses (Missed Call, Wrap-up, In-call, In-chat, Offline) are set by what happens,
//! never by a request. A break's sub-state carries the status: 2–4 for Break, Special Task and
//! Meal (ids −2 to −4), the id itself for a custom status.

use ccemu_core::interaction::Channel;
use ccemu_core::{Agent, AgentState};
use serde_json::{json, Value};

/// One UJET user status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserStatus {
    /// UJET id: 0 Available, negative for the built-in ones, positive for custom ones.
    pub id: i64,
    /// Display name.
    pub name: &'static str,
    /// Colour name.
    pub color: &'static str,
    /// Workforce-management id.
    pub wfm_id: i64,
    /// Set by the system only; a request may neither move an agent to it nor from it.
    pub system: bool,
}

const fn status(
    id: i64,
    name: &'static str,
    color: &'static str,
    wfm_id: i64,
    system: bool,
) -> UserStatus {
    UserStatus {
        id,
        name,
        color,
        wfm_id,
        system,
    }
}

/// Every status of a tenant, in the doc's order.
pub static USER_STATUSES: &[UserStatus] = &[
    status(0, "Available", "green", 11, false),
    status(-1, "Unavailable", "red", 12, false),
    status(-2, "Break", "yellow", 29, false),
    status(-3, "Special Task", "pink", 30, false),
    status(-4, "Meal", "brown", 31, false),
    status(-5, "Missed Call", "blue_grey", 32, true),
    status(-6, "Wrap-up", "purple", 33, true),
    status(-7, "In-call", "light_blue", 34, true),
    status(-8, "In-chat", "indigo", 35, true),
    status(-10, "Offline", "grey", 36, true),
    status(5, "Meal", "green", 45, false),
];

/// The status with `id`.
pub fn by_id(id: i64) -> Option<&'static UserStatus> {
    USER_STATUSES.iter().find(|s| s.id == id)
}

/// The status named `name` (case-insensitive; the first of equal names, so "Meal" is −4).
pub fn by_name(name: &str) -> Option<&'static UserStatus> {
    USER_STATUSES
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
}

/// Id of the Offline status (a logged-out agent).
pub const OFFLINE: i64 = -10;

/// Reason code of the not-ready state the system sets after missed offers.
pub const MISSED_CALL: &str = "missed_call";

impl UserStatus {
    /// The status as UJET renders it: `{"id","wfm_id","name","color"}`.
    pub fn to_json(self) -> Value {
        json!({"id": self.id, "wfm_id": self.wfm_id, "name": self.name, "color": self.color})
    }

    /// The engine state an agent picking this status moves to; `None` for system statuses.
    pub fn state(&self) -> Option<AgentState> {
        if self.system {
            return None;
        }
        Some(match self.id {
            0 => AgentState::Available,
            -1 => AgentState::NotReady { reason: None },
            id => AgentState::OnBreak {
                sub_state: u32::try_from(if id < 0 { -id } else { id }).unwrap_or(0),
                until_ms: None,
            },
        })
    }
}

/// The status an agent shows: its state, and for a contact the channel it is on.
pub fn of(agent: &Agent, channel: Option<Channel>) -> &'static UserStatus {
    let id = match &agent.state {
        AgentState::LoggedOut => OFFLINE,
        AgentState::Available => 0,
        AgentState::NotReady { reason } if reason.as_deref() == Some(MISSED_CALL) => -5,
        AgentState::NotReady { .. } => -1,
        AgentState::OnBreak { sub_state, .. } => match *sub_state {
            2..=4 => -i64::from(*sub_state),
            n if by_id(i64::from(n)).is_some_and(|s| s.id > 0) => i64::from(n),
            _ => -2,
        },
        AgentState::WrapUp { .. } => -6,
        AgentState::Reserved | AgentState::Ringing | AgentState::OnContact => match channel {
            Some(Channel::Voice) | None => -7,
            Some(_) => -8,
        },
    };
    by_id(id).unwrap_or(&USER_STATUSES[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_selectable_status_round_trips_through_the_engine_state() {
        let mut agent = Agent::new("1", "A", 0);
        for s in USER_STATUSES.iter().filter(|s| !s.system) {
            agent.state = s.state().unwrap();
            assert_eq!(of(&agent, None), s, "{}", s.name);
        }
        assert!(USER_STATUSES
            .iter()
            .filter(|s| s.system)
            .all(|s| s.state().is_none()));
    }

    #[test]
    fn system_statuses_follow_what_happens() {
        let mut agent = Agent::new("1", "A", 0);
        assert_eq!(of(&agent, None).name, "Offline");
        agent.state = AgentState::OnContact;
        assert_eq!(of(&agent, Some(Channel::Voice)).name, "In-call");
        assert_eq!(of(&agent, Some(Channel::Chat)).name, "In-chat");
        agent.state = AgentState::NotReady {
            reason: Some(MISSED_CALL.into()),
        };
        assert_eq!(of(&agent, None).name, "Missed Call");
        assert_eq!(by_name("meal").map(|s| s.id), Some(-4));
    }
}
