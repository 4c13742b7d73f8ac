//! Outbound campaigns (Udesk auto-dial tasks, UJET outbound dialer) and the contacts they dial.

use serde::{Deserialize, Serialize};

use crate::validate::{check_id, check_not_blank, invalid};
use crate::DomainError;

/// Lowest dialling ratio (calls per available agent).
pub const MIN_RATIO: f64 = 1.0;
/// Highest dialling ratio.
pub const MAX_RATIO: f64 = 5.0;

/// How the dialer paces calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialerMode {
    /// The agent sees the contact first and starts the call.
    #[default]
    Preview,
    /// One call per available agent (Udesk "precision").
    Progressive,
    /// A fixed number of calls per available agent (`ratio`).
    Ratio,
    /// Calls paced from observed answer rates.
    Predictive,
    /// A recorded message, no agent (Udesk voice broadcast).
    VoiceBroadcast,
    /// A bot handles the answered call (Udesk robot).
    Robot,
}

/// Lifecycle of a campaign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Created, not started.
    #[default]
    Draft,
    /// Dialling.
    Running,
    /// Temporarily stopped; can resume.
    Paused,
    /// Stopped for good.
    Stopped,
    /// Every contact reached a final status.
    Completed,
}

impl CampaignStatus {
    /// Whether a campaign may move from `self` to `to`.
    pub fn can_change_to(self, to: CampaignStatus) -> bool {
        use CampaignStatus::*;
        matches!(
            (self, to),
            (Draft, Running | Stopped)
                | (Running, Paused | Stopped | Completed)
                | (Paused, Running | Stopped)
        )
    }
}

/// An outbound campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// Campaign id (Udesk `AdTaskId`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Pacing.
    #[serde(default)]
    pub mode: DialerMode,
    /// Calls per available agent in ratio mode, [`MIN_RATIO`]..=[`MAX_RATIO`].
    #[serde(default = "default_ratio")]
    pub ratio: f64,
    /// Most calls in progress at once.
    #[serde(default = "default_concurrency")]
    pub concurrency_limit: u32,
    /// Queue answered calls go to.
    #[serde(default)]
    pub queue_id: Option<String>,
    /// IVR answered calls go to instead.
    #[serde(default)]
    pub ivr_menu_id: Option<String>,
    /// Number dialled from.
    #[serde(default)]
    pub caller_number: Option<String>,
    /// Number shown to the callee.
    #[serde(default)]
    pub display_number: Option<String>,
    /// Dials per contact, the first one included (a no-answer or busy line is redialled).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Wait before a contact that did not answer or was busy is dialled again, ms.
    #[serde(default = "default_retry_after")]
    pub retry_after_ms: i64,
    /// Predictive mode: the highest share of answered calls that may wait in vain for an agent.
    #[serde(default = "default_abandon_rate")]
    pub target_abandon_rate: f64,
    /// Status.
    #[serde(default)]
    pub status: CampaignStatus,
    /// Creation time, tenant epoch ms.
    #[serde(default)]
    pub created_at_ms: i64,
    /// Last change, tenant epoch ms.
    #[serde(default)]
    pub updated_at_ms: i64,
}
crate::entity!(Campaign, "campaign");

fn default_ratio() -> f64 {
    MIN_RATIO
}

fn default_max_attempts() -> u32 {
    1
}

fn default_retry_after() -> i64 {
    60_000
}

fn default_abandon_rate() -> f64 {
    0.03
}

fn default_concurrency() -> u32 {
    10
}

impl Campaign {
    /// Most concurrent calls a campaign may ask for (Udesk `AdConCallLimit`).
    pub const MAX_CONCURRENCY: u32 = 100;
    /// Most dials per contact.
    pub const MAX_ATTEMPTS: u32 = 10;
    /// Longest wait before a redial: one day.
    pub const MAX_RETRY_AFTER_MS: i64 = 86_400_000;

    /// Checks id, name, ratio, concurrency and the redial settings.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_id("campaign id", &self.id)?;
        check_not_blank("campaign name", &self.name)?;
        check_ratio(self.ratio)?;
        if !(1..=Self::MAX_CONCURRENCY).contains(&self.concurrency_limit) {
            return Err(invalid(
                "concurrency_limit",
                format!("must be 1 to {}", Self::MAX_CONCURRENCY),
            ));
        }
        if !(1..=Self::MAX_ATTEMPTS).contains(&self.max_attempts) {
            return Err(invalid(
                "max_attempts",
                format!("must be 1 to {}", Self::MAX_ATTEMPTS),
            ));
        }
        if !(0..=Self::MAX_RETRY_AFTER_MS).contains(&self.retry_after_ms) {
            return Err(invalid(
                "retry_after_ms",
                format!("must be 0 to {}", Self::MAX_RETRY_AFTER_MS),
            ));
        }
        if !(0.0..=1.0).contains(&self.target_abandon_rate) {
            return Err(invalid("target_abandon_rate", "must be 0 to 1"));
        }
        Ok(())
    }

    /// Moves to `to` if the lifecycle allows it.
    pub fn set_status(&mut self, to: CampaignStatus, now_ms: i64) -> Result<(), DomainError> {
        if !self.status.can_change_to(to) {
            return Err(DomainError::IllegalTransition {
                kind: "campaign",
                from: format!("{:?}", self.status).to_lowercase(),
                to: format!("{to:?}").to_lowercase(),
            });
        }
        self.status = to;
        self.updated_at_ms = now_ms;
        Ok(())
    }
}

/// Accepts a dialling ratio within [`MIN_RATIO`]..=[`MAX_RATIO`].
pub fn check_ratio(ratio: f64) -> Result<f64, DomainError> {
    if (MIN_RATIO..=MAX_RATIO).contains(&ratio) {
        Ok(ratio)
    } else {
        Err(invalid(
            "ratio",
            format!("must be {MIN_RATIO} to {MAX_RATIO}"),
        ))
    }
}

/// Where a campaign contact stands (UJET's list, snake_case).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignContactStatus {
    /// Not dialled yet.
    #[default]
    Upcoming,
    /// Shown to an agent (preview), who calls or skips it.
    Previewing,
    /// Being dialled.
    Dialing,
    /// Answered, waiting for an agent.
    Queued,
    /// Talking to an agent.
    Connected,
    /// Done.
    Finished,
    /// Transferred, call in progress.
    Transferred,
    /// Transferred, call done.
    TransferredAndFinished,
    /// Rang out.
    NotPickedUp,
    /// Never reached the contact.
    NotReachedToContact,
    /// The contact hung up while waiting.
    AbandonedByContact,
    /// Skipped by the agent.
    Skipped,
    /// Skipped and removed from the campaign.
    SkippedAndClosed,
    /// Bad number.
    InvalidNumber,
    /// The carrier failed.
    CarrierError,
    /// The dialer gave up (no agent in time).
    AbandonedByDialer,
    /// A voicemail answered and was hung up on.
    VoicemailHungUp,
    /// Other dialer failure.
    DialerGeneralError,
    /// Will be dialled again later.
    RedialScheduled,
    /// On the do-not-call list.
    DoNotCall,
    /// The caller number is unusable.
    InvalidOutboundNumber,
    /// The number is blocked.
    BlockedPhoneNumber,
    /// The line was busy on the last allowed attempt.
    Busy,
    /// The campaign stopped before the contact was done.
    Cancelled,
}

impl CampaignContactStatus {
    /// True when the dialer will not touch the contact again.
    pub fn is_final(self) -> bool {
        use CampaignContactStatus::*;
        !matches!(
            self,
            Upcoming | Previewing | Dialing | Queued | Connected | Transferred | RedialScheduled
        )
    }
}

/// What became of one outbound dial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialOutcome {
    /// The callee picked up.
    Answered,
    /// It rang out.
    NoAnswer,
    /// The line was busy.
    Busy,
    /// Invalid number or carrier error.
    Failed,
}

/// One number a campaign dials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignContact {
    /// Contact id.
    pub id: String,
    /// The campaign.
    pub campaign_id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Email.
    #[serde(default)]
    pub email: String,
    /// Number to dial.
    pub phone_number: String,
    /// Caller number for this contact, overriding the campaign's.
    #[serde(default)]
    pub outbound_number: Option<String>,
    /// Client's key (UJET `external_unique_id` / `unique_id`).
    #[serde(default)]
    pub external_id: Option<String>,
    /// Dial order; higher first, `None` after every prioritised contact.
    #[serde(default)]
    pub priority: Option<i32>,
    /// Status.
    #[serde(default)]
    pub status: CampaignContactStatus,
    /// Attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// Interaction of the last attempt.
    #[serde(default)]
    pub interaction_id: Option<String>,
    /// When a scheduled redial falls due, tenant epoch ms.
    #[serde(default)]
    pub retry_at_ms: Option<i64>,
    /// Creation time, tenant epoch ms.
    #[serde(default)]
    pub created_at_ms: i64,
    /// Last change, tenant epoch ms.
    #[serde(default)]
    pub updated_at_ms: i64,
}
crate::entity!(CampaignContact, "campaign_contact");

impl CampaignContact {
    /// Checks ids and that there is a number to dial.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_id("contact id", &self.id)?;
        check_id("campaign id", &self.campaign_id)?;
        crate::dnc::normalize_phone(&self.phone_number).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign() -> Campaign {
        serde_json::from_str(r#"{"id":"240","name":"Renewals"}"#).unwrap()
    }

    #[test]
    fn ratio_must_be_between_one_and_five() {
        assert!(check_ratio(1.0).is_ok());
        assert!(check_ratio(5.0).is_ok());
        assert!(check_ratio(0.9).is_err());
        assert!(check_ratio(5.1).is_err());
        assert!(check_ratio(f64::NAN).is_err());
        let mut c = campaign();
        c.ratio = 7.0;
        assert!(c.validate().is_err());
    }

    #[test]
    fn concurrency_limit_is_bounded() {
        let mut c = campaign();
        assert!(c.validate().is_ok());
        c.concurrency_limit = 101;
        assert!(c.validate().is_err());
        c.concurrency_limit = 0;
        assert!(c.validate().is_err());
    }

    #[test]
    fn redial_settings_default_for_older_records_and_are_bounded() {
        let mut c = campaign();
        assert_eq!((c.max_attempts, c.retry_after_ms), (1, 60_000));
        assert!(c.validate().is_ok());
        c.max_attempts = Campaign::MAX_ATTEMPTS + 1;
        assert!(c.validate().is_err());
        c.max_attempts = 3;
        c.retry_after_ms = -1;
        assert!(c.validate().is_err());
        c.retry_after_ms = 0;
        c.target_abandon_rate = 1.5;
        assert!(c.validate().is_err());
    }

    #[test]
    fn campaign_lifecycle() {
        let mut c = campaign();
        assert!(c.set_status(CampaignStatus::Paused, 1).is_err());
        c.set_status(CampaignStatus::Running, 1).unwrap();
        c.set_status(CampaignStatus::Paused, 2).unwrap();
        c.set_status(CampaignStatus::Running, 3).unwrap();
        c.set_status(CampaignStatus::Stopped, 4).unwrap();
        assert!(matches!(
            c.set_status(CampaignStatus::Running, 5),
            Err(DomainError::IllegalTransition {
                kind: "campaign",
                ..
            })
        ));
        assert_eq!(c.updated_at_ms, 4);
    }

    #[test]
    fn contact_status_finality_and_wire_names() {
        assert!(!CampaignContactStatus::RedialScheduled.is_final());
        assert!(CampaignContactStatus::DoNotCall.is_final());
        assert_eq!(
            serde_json::to_value(CampaignContactStatus::TransferredAndFinished).unwrap(),
            "transferred_and_finished"
        );
    }

    #[test]
    fn campaign_contact_needs_a_dialable_number() {
        let mut c = CampaignContact {
            id: "16312".into(),
            campaign_id: "240".into(),
            name: String::new(),
            email: String::new(),
            phone_number: "+1 111-111-1111".into(),
            outbound_number: None,
            external_id: Some("UID_1".into()),
            priority: None,
            status: CampaignContactStatus::Upcoming,
            attempts: 0,
            interaction_id: None,
            retry_at_ms: None,
            created_at_ms: 0,
            updated_at_ms: 0,
        };
        assert!(c.validate().is_ok());
        c.phone_number = "call me".into();
        assert!(c.validate().is_err());
    }
}
