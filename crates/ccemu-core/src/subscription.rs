//! Webhook subscriptions: where a tenant wants events delivered (Udesk subscriptions and callback
//! URL, UJET chat webhook, Sangoma webhooks and agent bots, Cention callbacks).

use serde::{Deserialize, Serialize};

use crate::validate::{check_id, invalid};
use crate::DomainError;

/// One callback target and the events it wants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Subscription id.
    pub id: String,
    /// Vendor surface that created it (`udesk`, `ujet`, ...); it decides the payload format.
    pub surface: String,
    /// Display name (Udesk `name`).
    #[serde(default)]
    pub name: String,
    /// Where deliveries are POSTed.
    pub callback_url: String,
    /// Vendor event names wanted; empty or `*` means all.
    #[serde(default)]
    pub events: Vec<String>,
    /// Signing secret, when the surface signs deliveries.
    #[serde(default)]
    pub secret: Option<String>,
    /// Disabled subscriptions are kept but get nothing.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Creation time, tenant epoch ms.
    #[serde(default)]
    pub created_at_ms: i64,
}
crate::entity!(Subscription, "subscription");

fn yes() -> bool {
    true
}

impl Subscription {
    /// The events of a subscription that wants none for now (an empty list means all).
    pub const NO_EVENTS: &'static str = "-";

    /// Checks the id, surface and that the URL is absolute http(s).
    pub fn validate(&self) -> Result<(), DomainError> {
        check_id("subscription id", &self.id)?;
        check_id("surface", &self.surface)?;
        let rest = self
            .callback_url
            .strip_prefix("https://")
            .or_else(|| self.callback_url.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(()),
            _ => Err(invalid("callback_url", "must be an absolute http(s) URL")),
        }
    }

    /// True when an event with this vendor name should be delivered here.
    pub fn wants(&self, event: &str) -> bool {
        self.enabled
            && (self.events.is_empty() || self.events.iter().any(|e| e == "*" || e == event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(events: &[&str]) -> Subscription {
        Subscription {
            id: "1".into(),
            surface: "udesk".into(),
            name: "sub1".into(),
            callback_url: "http://127.0.0.1:12345/hook".into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            secret: None,
            enabled: true,
            created_at_ms: 0,
        }
    }

    #[test]
    fn event_filter_and_disable() {
        let s = sub(&["agent_ringing"]);
        assert!(s.wants("agent_ringing"));
        assert!(!s.wants("agent_answer"));
        assert!(sub(&[]).wants("anything"));
        assert!(sub(&["*"]).wants("anything"));
        let mut off = sub(&[]);
        off.enabled = false;
        assert!(!off.wants("anything"));
    }

    #[test]
    fn callback_url_must_be_absolute_http() {
        assert!(sub(&[]).validate().is_ok());
        for bad in ["ftp://x", "http://", "/hook", "https:///x"] {
            let mut s = sub(&[]);
            s.callback_url = bad.into();
            assert!(s.validate().is_err(), "{bad}");
        }
    }
}
