//! Outbound campaigns: the tenant's [`Dialer`] paced against its ACD, the simulated far end of
//! each dial, and the campaign and contact records that let all of it survive a restart.
//!
//! The dialer decides how many calls to place and which contact comes next; the engine places
//! them (one outbound interaction per attempt, in state `created` while it rings), lets the
//! simulator decide the outcome after the ring time, reports it to the dialer, and enqueues an
//! answered call into the campaign's queue at [`ANSWERED_PRIORITY`] so that the ACD hands it to
//! an agent of the pool like any contact.
//!
//! The dialer's caller contract: [`State::pace`] runs at the end of every command, timer and ACD
//! deadline, after the ACD has applied what it did (a superset of "an agent of the pool became
//! available, a dial result came in, a retry fell due"), and the dialer's next deadline is one of
//! the tenant's deadlines ([`State::next_deadline`]).

use super::{acd_error, calls, not_found, Effects, Ids, OpOutput, State};
use crate::{EngineError, Result};
use ccemu_acd as acd;
use ccemu_acd::dialer::{
    self, CampaignConfig, CampaignId, DialCommand, Dialer, TargetId, TargetStatus,
};
use ccemu_core::campaign::{
    Campaign, CampaignContact, CampaignContactStatus, CampaignStatus, DialOutcome, DialerMode,
};
use ccemu_core::event::DomainEvent;
use ccemu_core::interaction::{
    Channel, Direction, EndReason, EndedBy, Interaction, InteractionState, ParticipantKind,
};
use ccemu_core::timer::TimerAction;
use ccemu_core::DomainError;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

mod contacts;
pub use contacts::CampaignContactPatch;

/// Priority of an answered outbound call in its pool's queue: ahead of inbound contacts, because
/// a callee who picked up and hears nobody hangs up.
pub const ANSWERED_PRIORITY: i32 = 1_000_000;

/// Most contacts on one campaign's list.
pub const MAX_CONTACTS: usize = 10_000;

/// Times at which a restart replays attempts into a fresh dialer; far before any tenant time, so
/// that no real redial is due during the replay (see [`State::restore_dialer`]).
const REPLAY_AT: i64 = i64::MIN / 4;
const REPLAY_IN_FLIGHT_AT: i64 = i64::MIN / 8;
const REPLAY_PREVIEW_AT: i64 = i64::MIN / 16;

/// A lifecycle command of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignAction {
    /// `draft` → `running`.
    Start,
    /// `running` → `paused`: no new dials; calls in flight finish.
    Pause,
    /// `paused` → `running`.
    Resume,
    /// → `stopped` for good: contacts not dialled yet are cancelled; calls in flight finish.
    Stop,
    /// Like `Stop`, and calls still ringing are hung up (their contacts are cancelled too);
    /// answered calls go on with their agents.
    ForceStop,
}

/// A campaign with its contacts and live counters, as the control plane shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignView {
    /// The campaign record.
    #[serde(flatten)]
    pub campaign: Campaign,
    /// Every contact reached a final status.
    pub exhausted: bool,
    /// Dials placed and not answered or failed yet.
    pub in_flight: usize,
    /// Ratio the dialer paces with now (1 for progressive; adaptive for predictive).
    pub current_ratio: f64,
    /// Dials placed, every attempt counted.
    pub dialled: u64,
    /// Contacts by status.
    pub counts: BTreeMap<String, usize>,
    /// The list, in dial order.
    pub contacts: Vec<CampaignContact>,
}

/// The campaigns of a tenant and the dialer that paces them.
#[derive(Default)]
pub(crate) struct Campaigns {
    runs: BTreeMap<String, Run>,
    dialer: Dialer,
    /// Dense dialer ids of campaigns and of contacts (by contact record id).
    ids: Ids,
    targets: Ids,
    /// Interaction of a live attempt (ringing, waiting for or talking to an agent) → contact id.
    dials: HashMap<String, String>,
}

struct Run {
    campaign: Campaign,
    /// In dial (list) order.
    contacts: Vec<CampaignContact>,
    index: HashMap<String, usize>,
}

impl Campaigns {
    /// Takes the stored records; [`State::restore_campaigns`] then rebuilds the dialer.
    pub(super) fn load(&mut self, campaigns: Vec<Campaign>, mut contacts: Vec<CampaignContact>) {
        for campaign in campaigns {
            let run = Run {
                campaign,
                contacts: Vec::new(),
                index: HashMap::new(),
            };
            self.runs.insert(run.campaign.id.clone(), run);
        }
        contacts.sort_by(|a, b| {
            (&a.campaign_id, list_position(&a.id)).cmp(&(&b.campaign_id, list_position(&b.id)))
        });
        for contact in contacts {
            if let Some(run) = self.runs.get_mut(&contact.campaign_id) {
                run.index.insert(contact.id.clone(), run.contacts.len());
                run.contacts.push(contact);
            }
        }
    }

    /// When the next redial falls due.
    pub(super) fn next_deadline(&self) -> Option<i64> {
        self.dialer.next_deadline()
    }

    fn campaign_id(&self, id: &str) -> Option<CampaignId> {
        self.ids.get(id).map(|n| CampaignId(n as u32))
    }

    /// The campaign and list position of a contact record.
    fn position(&self, contact_id: &str) -> Option<(String, usize)> {
        let (campaign_id, _) = contact_id.rsplit_once('.')?;
        let run = self.runs.get(campaign_id)?;
        Some((campaign_id.to_owned(), *run.index.get(contact_id)?))
    }
}

/// Contact record ids are `<campaign id>.<1-based list position>`.
fn list_position(id: &str) -> u64 {
    id.rsplit_once('.')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0)
}

fn dialer_error(e: dialer::DialerError) -> EngineError {
    EngineError::Domain(DomainError::Conflict(format!("dialer: {e}")))
}

fn status_name<T: Serialize>(status: T) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Whether the dialer is done with a contact.
fn settled(status: CampaignContactStatus) -> bool {
    !matches!(
        status,
        CampaignContactStatus::Upcoming
            | CampaignContactStatus::Previewing
            | CampaignContactStatus::Dialing
            | CampaignContactStatus::RedialScheduled
    )
}

/// The contact status for a dialer target status.
fn contact_status(status: TargetStatus) -> CampaignContactStatus {
    use CampaignContactStatus as C;
    match status {
        TargetStatus::Pending => C::Upcoming,
        TargetStatus::Previewing => C::Previewing,
        TargetStatus::Dialing { .. } => C::Dialing,
        TargetStatus::RetryScheduled { .. } => C::RedialScheduled,
        TargetStatus::Answered => C::Queued,
        TargetStatus::Abandoned => C::AbandonedByContact,
        TargetStatus::NoAnswer => C::NotPickedUp,
        TargetStatus::Busy => C::Busy,
        TargetStatus::Failed => C::CarrierError,
        TargetStatus::DoNotCall => C::DoNotCall,
        TargetStatus::Skipped => C::Skipped,
        TargetStatus::Cancelled => C::Cancelled,
    }
}

fn dialer_outcome(outcome: DialOutcome) -> dialer::DialOutcome {
    match outcome {
        DialOutcome::Answered => dialer::DialOutcome::Answered,
        DialOutcome::NoAnswer => dialer::DialOutcome::NoAnswer,
        DialOutcome::Busy => dialer::DialOutcome::Busy,
        DialOutcome::Failed => dialer::DialOutcome::Failed,
    }
}

impl State {
    /// Creates a campaign in `draft`; contacts get ids `<campaign id>.<n>` in list order.
    pub(super) fn create_campaign(
        &mut self,
        mut campaign: Campaign,
        contacts: Vec<CampaignContact>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        campaign.status = CampaignStatus::Draft;
        campaign.created_at_ms = now;
        campaign.updated_at_ms = now;
        campaign.validate()?;
        if self.campaigns.runs.contains_key(&campaign.id) {
            return Err(DomainError::AlreadyExists {
                kind: "campaign",
                id: campaign.id,
            }
            .into());
        }
        // Checked now so that a campaign that could never be dialled is refused at once.
        self.dialer_config(&campaign)?;
        if !(1..=MAX_CONTACTS).contains(&contacts.len()) {
            return Err(DomainError::Invalid {
                field: "numbers",
                reason: format!("1 to {MAX_CONTACTS} numbers"),
            }
            .into());
        }
        let mut list = Vec::with_capacity(contacts.len());
        for (n, mut c) in contacts.into_iter().enumerate() {
            c.id = format!("{}.{}", campaign.id, n + 1);
            c.campaign_id = campaign.id.clone();
            c.status = CampaignContactStatus::Upcoming;
            c.attempts = 0;
            c.interaction_id = None;
            c.retry_at_ms = None;
            c.created_at_ms = now;
            c.updated_at_ms = now;
            c.validate()?;
            list.push(c);
        }
        fx.changes.put(&campaign)?;
        for c in &list {
            fx.changes.put(c)?;
        }
        fx.events.push(DomainEvent::CampaignCreated {
            campaign_id: campaign.id.clone(),
            contacts: list.len(),
        });
        let id = campaign.id.clone();
        let index = list
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        self.campaigns.runs.insert(
            id.clone(),
            Run {
                campaign,
                contacts: list,
                index,
            },
        );
        Ok(OpOutput::Campaign(Box::new(self.campaign_view(&id)?)))
    }

    /// Starts, pauses, resumes or stops a campaign.
    pub(super) fn control_campaign(
        &mut self,
        id: &str,
        action: CampaignAction,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let run = self
            .campaigns
            .runs
            .get(id)
            .ok_or_else(|| not_found("campaign", id))?;
        let from = run.campaign.status;
        let to = match action {
            CampaignAction::Start | CampaignAction::Resume => CampaignStatus::Running,
            CampaignAction::Pause => CampaignStatus::Paused,
            CampaignAction::Stop | CampaignAction::ForceStop => CampaignStatus::Stopped,
        };
        let allowed = match action {
            CampaignAction::Start => from == CampaignStatus::Draft,
            CampaignAction::Resume => from == CampaignStatus::Paused,
            _ => from.can_change_to(to),
        };
        if !allowed {
            return Err(DomainError::IllegalTransition {
                kind: "campaign",
                from: status_name(from),
                to: status_name(to),
            }
            .into());
        }
        let was_exhausted = self.exhausted(id);
        let cid = CampaignId(self.campaigns.ids.get_or_insert(id) as u32);
        match action {
            CampaignAction::Start => {
                let config = self.dialer_config(&run.campaign)?;
                // A contact removed while the campaign was a draft is never dialled.
                let targets: Vec<TargetId> = run
                    .contacts
                    .iter()
                    .filter(|c| c.status == CampaignContactStatus::Upcoming)
                    .map(|c| TargetId(self.campaigns.targets.get_or_insert(&c.id)))
                    .collect();
                self.campaigns
                    .dialer
                    .add_campaign(cid, config, &targets)
                    .map_err(dialer_error)?;
            }
            CampaignAction::Pause => self.campaigns.dialer.pause(cid).map_err(dialer_error)?,
            CampaignAction::Resume => self.campaigns.dialer.resume(cid).map_err(dialer_error)?,
            CampaignAction::Stop | CampaignAction::ForceStop => {
                let known = self.campaigns.dialer.campaigns().any(|c| c == cid);
                let dialer = &mut self.campaigns.dialer;
                let commands = match (known, action) {
                    (false, _) => Vec::new(),
                    (true, CampaignAction::ForceStop) => {
                        dialer.force_stop(cid).map_err(dialer_error)?
                    }
                    (true, _) => dialer.stop(cid).map_err(dialer_error)?,
                };
                for command in commands {
                    let (DialCommand::WithdrawPreview { target, .. }
                    | DialCommand::Hangup { target, .. }) = command
                    else {
                        continue;
                    };
                    let contact = self.campaigns.targets.name(target.0).map(str::to_owned);
                    let Some((campaign_id, idx)) =
                        contact.and_then(|c| self.campaigns.position(&c))
                    else {
                        continue;
                    };
                    let interaction = self.campaigns.runs[&campaign_id].contacts[idx]
                        .interaction_id
                        .clone();
                    let Some(interaction_id) = interaction else {
                        continue;
                    };
                    if matches!(command, DialCommand::Hangup { .. }) {
                        self.cancel_dial(&campaign_id, idx, &interaction_id, now, fx)?;
                    } else {
                        self.end_preview(
                            &campaign_id,
                            idx,
                            &interaction_id,
                            CampaignContactStatus::Cancelled,
                            now,
                            fx,
                        )?;
                    }
                }
                let Campaigns {
                    runs,
                    dialer,
                    targets,
                    ..
                } = &mut self.campaigns;
                let run = runs.get_mut(id).ok_or_else(|| not_found("campaign", id))?;
                for c in &mut run.contacts {
                    let cancelled = match targets.get(&c.id) {
                        Some(t) if known => {
                            dialer.target_status(cid, TargetId(t)).ok()
                                == Some(TargetStatus::Cancelled)
                        }
                        _ => c.status == CampaignContactStatus::Upcoming,
                    };
                    if cancelled && !settled(c.status) {
                        c.status = CampaignContactStatus::Cancelled;
                        c.retry_at_ms = None;
                        c.updated_at_ms = now;
                        fx.changes.put(c)?;
                    }
                }
            }
        }
        self.set_campaign_status(id, to, now, fx)?;
        self.check_exhausted(id, was_exhausted, now, fx)?;
        Ok(OpOutput::Campaign(Box::new(self.campaign_view(id)?)))
    }

    /// Hangs up a dial still ringing (a force stop): the call fails, its contact is cancelled.
    fn cancel_dial(
        &mut self,
        campaign_id: &str,
        idx: usize,
        interaction_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let ringing = self
            .active
            .get(interaction_id)
            .is_some_and(|i| i.state == InteractionState::Created);
        if !ringing {
            return Ok(());
        }
        let event = self.end_dial(interaction_id, EndReason::Cancelled, now, fx)?;
        fx.events.push(event);
        let run = self
            .campaigns
            .runs
            .get_mut(campaign_id)
            .ok_or_else(|| not_found("campaign", campaign_id))?;
        let c = &mut run.contacts[idx];
        c.status = CampaignContactStatus::Cancelled;
        c.retry_at_ms = None;
        c.updated_at_ms = now;
        fx.changes.put(&*c)?;
        Ok(())
    }

    /// Changes the calls per available agent of a ratio campaign (Udesk `ads/task/update_ratio`);
    /// the dialer paces with it from its next decision on. A predictive campaign stores it only.
    pub(super) fn set_campaign_ratio(
        &mut self,
        id: &str,
        ratio: f64,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let known = self.campaigns.campaign_id(id);
        let run = self
            .campaigns
            .runs
            .get_mut(id)
            .ok_or_else(|| not_found("campaign", id))?;
        // A predictive campaign keeps the value (Udesk calls it the intensity) without pacing by
        // it: the predictive dialer paces by its abandon target.
        if !matches!(
            run.campaign.mode,
            DialerMode::Ratio | DialerMode::Predictive
        ) {
            return Err(DomainError::Invalid {
                field: "ratio",
                reason: format!("campaign {id} is paced neither by ratio nor predictively"),
            }
            .into());
        }
        let mode = dialer::DialerMode::Ratio(ratio)
            .validate()
            .map_err(dialer_error)?;
        let live = known.filter(|c| self.campaigns.dialer.campaigns().any(|k| k == *c));
        if let (Some(cid), DialerMode::Ratio) = (live, run.campaign.mode) {
            self.campaigns
                .dialer
                .set_mode(cid, mode)
                .map_err(dialer_error)?;
        }
        run.campaign.ratio = ratio;
        run.campaign.updated_at_ms = now;
        fx.changes.put(&run.campaign)?;
        fx.events.push(DomainEvent::ConfigChanged {
            record: <ccemu_core::Campaign as ccemu_core::Entity>::KIND.to_owned(),
            id: id.to_owned(),
            deleted: false,
        });
        Ok(OpOutput::Campaign(Box::new(self.campaign_view(id)?)))
    }

    fn set_campaign_status(
        &mut self,
        id: &str,
        to: CampaignStatus,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let run = self
            .campaigns
            .runs
            .get_mut(id)
            .ok_or_else(|| not_found("campaign", id))?;
        let from = run.campaign.status;
        run.campaign.set_status(to, now)?;
        fx.changes.put(&run.campaign)?;
        fx.events.push(DomainEvent::CampaignStatusChanged {
            campaign_id: id.to_owned(),
            from,
            to,
        });
        Ok(())
    }

    /// Whether every contact of the campaign is settled.
    fn exhausted(&self, id: &str) -> bool {
        let Some(run) = self.campaigns.runs.get(id) else {
            return false;
        };
        match self
            .campaigns
            .campaign_id(id)
            .and_then(|cid| self.campaigns.dialer.exhausted(cid).ok())
        {
            Some(exhausted) => exhausted,
            // Not in the dialer: a draft (nothing settled yet) or a campaign completed before a
            // restart.
            None => run.contacts.iter().all(|c| settled(c.status)),
        }
    }

    /// Announces that a campaign became exhausted; a running one is completed.
    fn check_exhausted(
        &mut self,
        id: &str,
        was_exhausted: bool,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        if was_exhausted || !self.exhausted(id) {
            return Ok(());
        }
        fx.events.push(DomainEvent::CampaignExhausted {
            campaign_id: id.to_owned(),
        });
        let running = self
            .campaigns
            .runs
            .get(id)
            .is_some_and(|r| r.campaign.status == CampaignStatus::Running);
        if running {
            self.set_campaign_status(id, CampaignStatus::Completed, now, fx)?;
        }
        Ok(())
    }

    /// The dialer's configuration of a campaign; refuses what the engine cannot dial.
    fn dialer_config(&self, c: &Campaign) -> Result<CampaignConfig> {
        let mode = match c.mode {
            DialerMode::Preview => dialer::DialerMode::Preview,
            DialerMode::Progressive => dialer::DialerMode::Progressive,
            DialerMode::Ratio => dialer::DialerMode::Ratio(c.ratio),
            DialerMode::Predictive => dialer::DialerMode::Predictive {
                target_abandon_rate: c.target_abandon_rate,
            },
            other => {
                return Err(DomainError::Invalid {
                    field: "mode",
                    reason: format!(
                        "{} campaigns are not dialled yet (preview, progressive, ratio, predictive are)",
                        status_name(other)
                    ),
                }
                .into())
            }
        };
        let queue_id = c.queue_id.as_deref().ok_or_else(|| DomainError::Invalid {
            field: "queue_id",
            reason: "a campaign needs a queue: its agents take the answered calls".into(),
        })?;
        let queue = self
            .queues
            .get(queue_id)
            .ok_or_else(|| not_found("queue", queue_id))?;
        if !queue.serves(Channel::Voice) {
            return Err(DomainError::Invalid {
                field: "queue_id",
                reason: format!("queue {queue_id} does not take voice calls"),
            }
            .into());
        }
        let qid = self
            .queue_ids
            .get(queue_id)
            .ok_or_else(|| not_found("queue", queue_id))?;
        CampaignConfig {
            mode,
            queue: acd::QueueId(qid as u32),
            max_concurrent: c.concurrency_limit,
            max_attempts: c.max_attempts,
            retry_after_ms: c.retry_after_ms,
        }
        .validate()
        .map_err(|e| {
            EngineError::Domain(DomainError::Invalid {
                field: "campaign",
                reason: e.to_string(),
            })
        })
    }

    /// One campaign as the control plane shows it.
    pub(super) fn campaign_view(&self, id: &str) -> Result<CampaignView> {
        let run = self
            .campaigns
            .runs
            .get(id)
            .ok_or_else(|| not_found("campaign", id))?;
        let stats = self
            .campaigns
            .campaign_id(id)
            .and_then(|cid| self.campaigns.dialer.stats(cid).ok());
        let current_ratio = stats.map_or(
            match run.campaign.mode {
                DialerMode::Ratio => run.campaign.ratio,
                _ => 1.0,
            },
            |s| s.ratio,
        );
        let mut counts = BTreeMap::new();
        for c in &run.contacts {
            *counts.entry(status_name(c.status)).or_default() += 1;
        }
        Ok(CampaignView {
            campaign: run.campaign.clone(),
            exhausted: self.exhausted(id),
            in_flight: run
                .contacts
                .iter()
                .filter(|c| c.status == CampaignContactStatus::Dialing)
                .count(),
            current_ratio,
            dialled: run.contacts.iter().map(|c| u64::from(c.attempts)).sum(),
            counts,
            contacts: run.contacts.clone(),
        })
    }

    /// Every campaign (`None`) or one, by id.
    pub fn campaign_views(&self, id: Option<&str>) -> Result<Vec<CampaignView>> {
        match id {
            Some(id) => Ok(vec![self.campaign_view(id)?]),
            None => self
                .campaigns
                .runs
                .keys()
                .map(|id| self.campaign_view(id))
                .collect(),
        }
    }

    /// Places the dials the dialer asks for now.
    pub(super) fn pace(&mut self, now: i64, fx: &mut Effects<'_>) -> Result<()> {
        if self.campaigns.runs.is_empty() {
            return Ok(());
        }
        // A contact on the do-not-call list frees its slot at once, so pacing goes again.
        loop {
            let mut blocked = false;
            for command in self.campaigns.dialer.pace_all(&self.acd, now) {
                match command {
                    DialCommand::Dial {
                        campaign,
                        target,
                        attempt,
                    } => {
                        if self.skip_listed(campaign, target, false, now, fx)? {
                            blocked = true;
                        } else {
                            self.place_dial(campaign, target, attempt, now, fx)?;
                        }
                    }
                    DialCommand::Preview { campaign, target } => {
                        if self.skip_listed(campaign, target, true, now, fx)? {
                            blocked = true;
                        } else {
                            self.place_preview(target, now, fx)?;
                        }
                    }
                    // Only a stop withdraws previews or hangs up, never pacing.
                    DialCommand::WithdrawPreview { .. } | DialCommand::Hangup { .. } => {}
                }
            }
            if !blocked {
                return Ok(());
            }
        }
    }

    /// A contact whose number is on the do-not-call list ends `do_not_call` without being dialled
    /// (nor shown to an agent), and a removed contact is settled the same way keeping its status;
    /// returns whether the contact was skipped.
    fn skip_listed(
        &mut self,
        campaign: CampaignId,
        target: TargetId,
        preview: bool,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<bool> {
        let Some(contact_id) = self.campaigns.targets.name(target.0).map(str::to_owned) else {
            return Ok(false);
        };
        let Some((campaign_id, idx)) = self.campaigns.position(&contact_id) else {
            return Ok(false);
        };
        let c = &self.campaigns.runs[&campaign_id].contacts[idx];
        let removed = c.status == CampaignContactStatus::SkippedAndClosed;
        if !removed && !self.dnc_listed(&c.phone_number, now) {
            return Ok(false);
        }
        let was_exhausted = self.exhausted(&campaign_id);
        if preview {
            // The dialer has no "withdraw one preview": confirm it, then report the block.
            self.campaigns
                .dialer
                .preview_confirmed(campaign, target)
                .map_err(dialer_error)?;
        }
        self.campaigns
            .dialer
            .dial_result(campaign, target, dialer::DialOutcome::DoNotCall, now)
            .map_err(dialer_error)?;
        let run = self
            .campaigns
            .runs
            .get_mut(&campaign_id)
            .ok_or_else(|| not_found("campaign", &campaign_id))?;
        let c = &mut run.contacts[idx];
        if !removed {
            c.status = CampaignContactStatus::DoNotCall;
        }
        c.retry_at_ms = None;
        c.updated_at_ms = now;
        fx.changes.put(&*c)?;
        self.check_exhausted(&campaign_id, was_exhausted, now, fx)?;
        Ok(true)
    }

    /// The interaction of a new attempt at a contact: outbound voice, in the campaign's queue.
    fn attempt_interaction(
        &mut self,
        campaign_id: &str,
        idx: usize,
        now: i64,
    ) -> Result<Interaction> {
        let mut i = self.new_interaction(Channel::Voice, Direction::Outbound, now);
        let run = &self.campaigns.runs[campaign_id];
        let c = &run.contacts[idx];
        i.campaign_id = Some(campaign_id.to_owned());
        i.queue_id = run.campaign.queue_id.clone();
        i.to = c.phone_number.clone();
        i.from = c
            .outbound_number
            .clone()
            .or_else(|| run.campaign.caller_number.clone())
            .unwrap_or_default();
        i.add_participant(
            ParticipantKind::Customer,
            None,
            None,
            c.phone_number.clone(),
            now,
        )?;
        Ok(i)
    }

    /// The simulated callee answers or not once the ring time of this attempt has passed.
    pub(super) fn arm_dial_result(
        &self,
        contact_id: &str,
        attempt: u32,
        interaction_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) {
        let ring_ms = self
            .sim
            .dial_ring_time
            .sample(self.sim.seed, &format!("ring:{contact_id}:{attempt}"));
        fx.timers.push((
            now.saturating_add(ring_ms),
            TimerAction::SimDialResult {
                interaction_id: interaction_id.to_owned(),
            },
        ));
    }

    /// Preview mode: the contact is routed to an agent of the pool as a contact of its queue;
    /// the agent's answer is the confirmation that places the call.
    fn place_preview(&mut self, target: TargetId, now: i64, fx: &mut Effects<'_>) -> Result<()> {
        let Some(contact_id) = self.campaigns.targets.name(target.0).map(str::to_owned) else {
            return Ok(());
        };
        let Some((campaign_id, idx)) = self.campaigns.position(&contact_id) else {
            return Ok(());
        };
        let mut i = self.attempt_interaction(&campaign_id, idx, now)?;
        let interaction_id = i.id.clone();
        i.queue_seq = self.next_queue_seq();
        i.set_state(InteractionState::Queued, now)?;
        self.active.insert(interaction_id.clone(), i);
        let spec = self
            .contact_spec(&interaction_id)
            .ok_or_else(|| not_found("interaction", &interaction_id))?;
        let decisions = match self.acd.enqueue(spec, now) {
            Ok(d) => d,
            Err(acd::AcdError::QueueFull(_)) => {
                // No room to show it: the preview is skipped rather than lost.
                self.active.remove(&interaction_id);
                if let Some(cid) = self.campaigns.campaign_id(&campaign_id) {
                    self.campaigns
                        .dialer
                        .preview_skipped(cid, target)
                        .map_err(dialer_error)?;
                }
                let run = self
                    .campaigns
                    .runs
                    .get_mut(&campaign_id)
                    .ok_or_else(|| not_found("campaign", &campaign_id))?;
                let c = &mut run.contacts[idx];
                c.status = CampaignContactStatus::Skipped;
                c.updated_at_ms = now;
                fx.changes.put(&*c)?;
                // It was unsettled a moment ago, so the campaign was not exhausted then.
                return self.check_exhausted(&campaign_id, false, now, fx);
            }
            Err(e) => return Err(acd_error(e)),
        };
        let i = &self.active[&interaction_id];
        fx.changes.put(i)?;
        let run = self
            .campaigns
            .runs
            .get_mut(&campaign_id)
            .ok_or_else(|| not_found("campaign", &campaign_id))?;
        let c = &mut run.contacts[idx];
        c.status = CampaignContactStatus::Previewing;
        c.interaction_id = Some(interaction_id.clone());
        c.retry_at_ms = None;
        c.updated_at_ms = now;
        fx.changes.put(&*c)?;
        fx.events.push(DomainEvent::InteractionCreated {
            interaction_id: interaction_id.clone(),
            channel: Channel::Voice,
            direction: Direction::Outbound,
            queue_id: i.queue_id.clone(),
            agent_id: None,
        });
        fx.events.push(DomainEvent::CampaignPreviewing {
            campaign_id,
            contact_id: contact_id.clone(),
            interaction_id: interaction_id.clone(),
            phone_number: c.phone_number.clone(),
        });
        fx.events.push(DomainEvent::InteractionQueued {
            interaction_id: interaction_id.clone(),
            queue_id: i.queue_id.clone().unwrap_or_default(),
        });
        self.campaigns.dials.insert(interaction_id, contact_id);
        self.apply_decisions(decisions, now, fx)
    }

    /// Whether an interaction is a campaign attempt nobody may hang up or transfer yet: a preview
    /// not yet decided, or a call whose callee has not answered.
    pub(super) fn attempt_pending(&self, interaction_id: &str) -> bool {
        self.campaigns
            .dials
            .get(interaction_id)
            .and_then(|contact_id| {
                let (campaign_id, idx) = self.campaigns.position(contact_id)?;
                Some(self.campaigns.runs[&campaign_id].contacts[idx].status)
            })
            .is_some_and(|s| {
                matches!(
                    s,
                    CampaignContactStatus::Previewing | CampaignContactStatus::Dialing
                )
            })
    }

    /// The agent skips the preview of a contact (or, with `withdrawn`, the campaign stopped):
    /// nobody is called and the agent is free again.
    pub(super) fn skip_preview(
        &mut self,
        campaign_id: &str,
        contact_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let run = self
            .campaigns
            .runs
            .get(campaign_id)
            .ok_or_else(|| not_found("campaign", campaign_id))?;
        let idx = *run
            .index
            .get(contact_id)
            .ok_or_else(|| not_found("campaign contact", contact_id))?;
        let c = &run.contacts[idx];
        let (Some(interaction_id), CampaignContactStatus::Previewing) =
            (c.interaction_id.clone(), c.status)
        else {
            return Err(DomainError::Conflict(format!(
                "contact {contact_id} is not being previewed"
            ))
            .into());
        };
        let was_exhausted = self.exhausted(campaign_id);
        let (Some(cid), Some(tid)) = (
            self.campaigns.campaign_id(campaign_id),
            self.campaigns.targets.get(contact_id).map(TargetId),
        ) else {
            return Err(not_found("campaign contact", contact_id));
        };
        self.campaigns
            .dialer
            .preview_skipped(cid, tid)
            .map_err(dialer_error)?;
        self.end_preview(
            campaign_id,
            idx,
            &interaction_id,
            CampaignContactStatus::Skipped,
            now,
            fx,
        )?;
        self.check_exhausted(campaign_id, was_exhausted, now, fx)?;
        Ok(OpOutput::Campaign(Box::new(
            self.campaign_view(campaign_id)?,
        )))
    }

    /// Takes a preview out of the ACD and ends its interaction without a call.
    fn end_preview(
        &mut self,
        campaign_id: &str,
        idx: usize,
        interaction_id: &str,
        status: CampaignContactStatus,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let cid = self.contact_id(interaction_id)?;
        let decisions = self.acd.abandon(cid, now).map_err(acd_error)?;
        let mut i = self
            .active
            .remove(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        i.end(EndedBy::Agent, EndReason::Skipped, now)?;
        fx.changes.put(&i)?;
        self.campaigns.dials.remove(interaction_id);
        let run = self
            .campaigns
            .runs
            .get_mut(campaign_id)
            .ok_or_else(|| not_found("campaign", campaign_id))?;
        let c = &mut run.contacts[idx];
        c.status = status;
        c.updated_at_ms = now;
        fx.changes.put(&*c)?;
        fx.events.push(DomainEvent::CampaignPreviewSkipped {
            campaign_id: campaign_id.to_owned(),
            contact_id: c.id.clone(),
            interaction_id: interaction_id.to_owned(),
        });
        fx.events.push(DomainEvent::InteractionFailed {
            interaction_id: interaction_id.to_owned(),
            reason: EndReason::Skipped,
        });
        self.apply_decisions(decisions, now, fx)
    }

    /// Calls a contact: a new outbound interaction rings (state `created`, not in any queue yet)
    /// until the simulated callee's outcome is known.
    fn place_dial(
        &mut self,
        campaign: CampaignId,
        target: TargetId,
        attempt: u32,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let Some(contact_id) = self.campaigns.targets.name(target.0).map(str::to_owned) else {
            return Ok(());
        };
        let Some((campaign_id, idx)) = self.campaigns.position(&contact_id) else {
            return Ok(());
        };
        debug_assert_eq!(
            self.campaigns.campaign_id(&campaign_id),
            Some(campaign),
            "a contact id names its campaign"
        );
        let mut ring = self.attempt_interaction(&campaign_id, idx, now)?;
        ring.priority = ANSWERED_PRIORITY;
        let interaction_id = ring.id.clone();
        let run = self
            .campaigns
            .runs
            .get_mut(&campaign_id)
            .ok_or_else(|| not_found("campaign", &campaign_id))?;
        let c = &mut run.contacts[idx];
        c.status = CampaignContactStatus::Dialing;
        c.attempts = attempt;
        c.interaction_id = Some(interaction_id.clone());
        c.retry_at_ms = None;
        c.updated_at_ms = now;
        fx.changes.put(&*c)?;
        fx.changes.put(&ring)?;
        fx.events.push(DomainEvent::InteractionCreated {
            interaction_id: interaction_id.clone(),
            channel: Channel::Voice,
            direction: Direction::Outbound,
            queue_id: ring.queue_id.clone(),
            agent_id: None,
        });
        fx.events.push(DomainEvent::CampaignDialing {
            campaign_id,
            contact_id: contact_id.clone(),
            interaction_id: interaction_id.clone(),
            phone_number: c.phone_number.clone(),
            attempt,
        });
        self.arm_dial_result(&contact_id, attempt, &interaction_id, now, fx);
        self.campaigns
            .dials
            .insert(interaction_id.clone(), contact_id);
        self.active.insert(interaction_id, ring);
        Ok(())
    }

    /// The simulated callee's outcome: an answered call enters the pool's queue, anything else
    /// ends the attempt; the dialer hears of it either way.
    pub(super) fn dial_result(
        &mut self,
        interaction_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let Some(contact_id) = self.campaigns.dials.get(interaction_id).cloned() else {
            return Ok(());
        };
        // A dial rings in `created`, or `connected` to the agent who confirmed its preview.
        let agent = match self.active.get(interaction_id) {
            Some(i) if i.state == InteractionState::Created => None,
            Some(i) if i.state == InteractionState::Connected => i.agent_id.clone(),
            _ => return Ok(()),
        };
        let Some((campaign_id, idx)) = self.campaigns.position(&contact_id) else {
            return Ok(());
        };
        if self.campaigns.runs[&campaign_id].contacts[idx].status != CampaignContactStatus::Dialing
        {
            return Ok(());
        }
        let (number, attempt) = {
            let c = &self.campaigns.runs[&campaign_id].contacts[idx];
            (c.phone_number.clone(), c.attempts)
        };
        let (Some(cid), Some(tid)) = (
            self.campaigns.campaign_id(&campaign_id),
            self.campaigns.targets.get(&contact_id).map(TargetId),
        ) else {
            return Ok(());
        };
        let outcome = self
            .sim
            .dial_outcome(&number, &format!("dial:{contact_id}:{attempt}"));
        let was_exhausted = self.exhausted(&campaign_id);
        let target = match self
            .campaigns
            .dialer
            .dial_result(cid, tid, dialer_outcome(outcome), now)
        {
            Ok(target) => target,
            Err(error) => {
                // A result the dialer does not expect must not wedge the tenant's clock.
                tracing::warn!(interaction.id = %interaction_id, %error, "dial result ignored");
                return Ok(());
            }
        };
        let mut status = contact_status(target);
        let mut decisions = Vec::new();
        let mut after = Vec::new();
        if outcome == DialOutcome::Answered {
            // The callee is on the line: with the agent who confirmed its preview, or waiting
            // on it for an agent.
            let i = self
                .active
                .get_mut(interaction_id)
                .ok_or_else(|| not_found("interaction", interaction_id))?;
            if let Some(p) = calls::customer(i) {
                p.connect(now);
            }
            i.updated_at_ms = now;
        }
        match (outcome, &agent) {
            (DialOutcome::Answered, Some(agent_id)) => {
                status = CampaignContactStatus::Connected;
                fx.changes.put(&self.active[interaction_id])?;
                self.arm_talk_time(interaction_id, agent_id, now, fx);
            }
            (DialOutcome::Answered, None) => {
                let queue_seq = self.next_queue_seq();
                let i = self
                    .active
                    .get_mut(interaction_id)
                    .ok_or_else(|| not_found("interaction", interaction_id))?;
                i.queue_seq = queue_seq;
                i.set_state(InteractionState::Queued, now)?;
                let spec = self
                    .contact_spec(interaction_id)
                    .ok_or_else(|| not_found("interaction", interaction_id))?;
                match self.acd.enqueue(spec, now) {
                    Ok(d) => {
                        decisions = d;
                        let i = &self.active[interaction_id];
                        fx.changes.put(i)?;
                        after.push(DomainEvent::InteractionQueued {
                            interaction_id: interaction_id.to_owned(),
                            queue_id: i.queue_id.clone().unwrap_or_default(),
                        });
                        self.arm_patience(interaction_id, now, fx);
                    }
                    Err(acd::AcdError::QueueFull(_)) => {
                        // Nobody can take the call: the dialer drops it.
                        let _ = self.campaigns.dialer.abandoned(cid, tid);
                        status = CampaignContactStatus::AbandonedByDialer;
                        after.push(self.end_dial(interaction_id, EndReason::QueueFull, now, fx)?);
                    }
                    Err(e) => return Err(acd_error(e)),
                }
            }
            _ => {}
        }
        let run = self
            .campaigns
            .runs
            .get_mut(&campaign_id)
            .ok_or_else(|| not_found("campaign", &campaign_id))?;
        let c = &mut run.contacts[idx];
        c.status = status;
        c.retry_at_ms = match target {
            TargetStatus::RetryScheduled { at_ms } => Some(at_ms),
            _ => None,
        };
        c.updated_at_ms = now;
        fx.changes.put(&*c)?;
        fx.events.push(DomainEvent::CampaignDialResult {
            campaign_id: campaign_id.clone(),
            contact_id,
            interaction_id: interaction_id.to_owned(),
            outcome,
            status,
        });
        fx.events.extend(after);
        if outcome != DialOutcome::Answered {
            let reason = match outcome {
                DialOutcome::Busy => EndReason::Busy,
                DialOutcome::Failed => EndReason::InvalidNumber,
                _ => EndReason::NoAnswer,
            };
            let ended = self.end_dial(interaction_id, reason, now, fx)?;
            fx.events.push(ended);
            if let Some(agent_id) = agent {
                let cid = self.contact_id(interaction_id)?;
                decisions.extend(self.end_agent_leg(&agent_id, cid, now, fx)?);
            }
        }
        self.apply_decisions(decisions, now, fx)?;
        self.check_exhausted(&campaign_id, was_exhausted, now, fx)
    }

    /// Ends an attempt that reached nobody; returns the event to announce it: `failed`, or
    /// `ended` when an agent was on the line (a confirmed preview).
    fn end_dial(
        &mut self,
        interaction_id: &str,
        reason: EndReason,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<DomainEvent> {
        let mut i = self
            .active
            .remove(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        let state = i.end(EndedBy::System, reason, now)?;
        fx.changes.put(&i)?;
        self.campaigns.dials.remove(interaction_id);
        let interaction_id = interaction_id.to_owned();
        Ok(if state == InteractionState::Ended {
            DomainEvent::InteractionEnded {
                interaction_id,
                ended_by: EndedBy::System,
                reason,
            }
        } else {
            DomainEvent::InteractionFailed {
                interaction_id,
                reason,
            }
        })
    }

    /// An agent answered a campaign interaction: an answered outbound call, or a preview, which
    /// places the call. Returns whether the talk time waits for the callee (a preview).
    pub(super) fn campaign_call_connected(
        &mut self,
        interaction_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<bool> {
        let Some(contact_id) = self.campaigns.dials.get(interaction_id).cloned() else {
            return Ok(false);
        };
        let Some((campaign_id, idx)) = self.campaigns.position(&contact_id) else {
            return Ok(false);
        };
        if self.campaigns.runs[&campaign_id].contacts[idx].status
            != CampaignContactStatus::Previewing
        {
            self.set_dial_contact(interaction_id, CampaignContactStatus::Connected, now, fx)?;
            return Ok(false);
        }
        let (Some(cid), Some(tid)) = (
            self.campaigns.campaign_id(&campaign_id),
            self.campaigns.targets.get(&contact_id).map(TargetId),
        ) else {
            return Ok(false);
        };
        let DialCommand::Dial { attempt, .. } = self
            .campaigns
            .dialer
            .preview_confirmed(cid, tid)
            .map_err(dialer_error)?
        else {
            return Ok(false);
        };
        let run = self
            .campaigns
            .runs
            .get_mut(&campaign_id)
            .ok_or_else(|| not_found("campaign", &campaign_id))?;
        let c = &mut run.contacts[idx];
        c.status = CampaignContactStatus::Dialing;
        c.attempts = attempt;
        c.updated_at_ms = now;
        fx.changes.put(&*c)?;
        fx.events.push(DomainEvent::CampaignDialing {
            campaign_id,
            contact_id: contact_id.clone(),
            interaction_id: interaction_id.to_owned(),
            phone_number: c.phone_number.clone(),
            attempt,
        });
        self.arm_dial_result(&contact_id, attempt, interaction_id, now, fx);
        Ok(true)
    }

    /// An answered outbound call ended: after talking to an agent (`Finished`), or while it was
    /// still waiting for one, which the dialer counts as an abandon.
    pub(super) fn campaign_call_ended(
        &mut self,
        interaction_id: &str,
        status: CampaignContactStatus,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let Some(contact_id) = self.campaigns.dials.get(interaction_id).cloned() else {
            return Ok(());
        };
        let Some((campaign_id, idx)) = self.campaigns.position(&contact_id) else {
            return Ok(());
        };
        // A caller who talked to an agent, was transferred and hung up while waiting again was
        // still served.
        let status = if self.campaigns.runs[&campaign_id].contacts[idx].status
            == CampaignContactStatus::Connected
        {
            CampaignContactStatus::Finished
        } else {
            status
        };
        if status != CampaignContactStatus::Finished {
            if let (Some(cid), Some(tid)) = (
                self.campaigns.campaign_id(&campaign_id),
                self.campaigns.targets.get(&contact_id),
            ) {
                // After a restart the dialer no longer holds answered contacts; only the
                // predictive abandon rate misses this one then.
                let _ = self.campaigns.dialer.abandoned(cid, TargetId(tid));
            }
        }
        self.set_dial_contact(interaction_id, status, now, fx)?;
        self.campaigns.dials.remove(interaction_id);
        Ok(())
    }

    fn set_dial_contact(
        &mut self,
        interaction_id: &str,
        status: CampaignContactStatus,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let Some(contact_id) = self.campaigns.dials.get(interaction_id) else {
            return Ok(());
        };
        let Some((campaign_id, idx)) = self.campaigns.position(contact_id) else {
            return Ok(());
        };
        if let Some(run) = self.campaigns.runs.get_mut(&campaign_id) {
            let c = &mut run.contacts[idx];
            c.status = status;
            c.updated_at_ms = now;
            fx.changes.put(&*c)?;
        }
        Ok(())
    }

    /// After a restart: finds the live attempts again and rebuilds the dialer.
    pub(super) fn restore_campaigns(&mut self) -> Result<()> {
        for run in self.campaigns.runs.values() {
            for c in &run.contacts {
                let live = c
                    .interaction_id
                    .as_ref()
                    .filter(|iid| self.active.contains_key(*iid));
                if let Some(iid) = live {
                    self.campaigns.dials.insert(iid.clone(), c.id.clone());
                }
            }
        }
        let ids: Vec<String> = self.campaigns.runs.keys().cloned().collect();
        for id in ids {
            self.restore_dialer(&id)?;
        }
        Ok(())
    }

    /// Rebuilds one campaign in the dialer from its stored contacts.
    ///
    /// The dialer has no way to be told a target's attempts or a redial time, so they are
    /// replayed: the campaign is added with the contacts that still need it, those that were
    /// dialled before are dialled again against a scratch ACD whose free agents admit exactly the
    /// dials wanted, and reported as not answered with a time that makes the redial fall due when
    /// it did before the restart. Calls in flight are dialled next and left in flight (their
    /// results come from the stored ring timers), then previews are shown again in preview mode
    /// (their interactions are back in the ACD already). Settled contacts are left out.
    fn restore_dialer(&mut self, id: &str) -> Result<()> {
        let run = &self.campaigns.runs[id];
        if matches!(
            run.campaign.status,
            CampaignStatus::Draft | CampaignStatus::Completed
        ) {
            return Ok(());
        }
        let config = match self.dialer_config(&run.campaign) {
            Ok(config) => config,
            Err(error) => {
                tracing::warn!(campaign.id = %id, %error, "campaign not restored");
                return Ok(());
            }
        };
        let status = run.campaign.status;
        // (target, dials to replay, when the last replayed one's redial falls due)
        let mut replay: Vec<(TargetId, u32, i64)> = Vec::new();
        let mut first_in_flight = Vec::new();
        let mut first_previews = Vec::new();
        let mut pending = Vec::new();
        let (mut in_flight, mut previewing) = (0, 0);
        for c in &run.contacts {
            let tid = TargetId(self.campaigns.targets.get_or_insert(&c.id));
            let live = c
                .interaction_id
                .as_ref()
                .is_some_and(|iid| self.campaigns.dials.contains_key(iid));
            match c.status {
                CampaignContactStatus::RedialScheduled => {
                    replay.push((tid, c.attempts, c.retry_at_ms.unwrap_or(0)))
                }
                CampaignContactStatus::Dialing if live => {
                    in_flight += 1;
                    if c.attempts > 1 {
                        replay.push((tid, c.attempts - 1, REPLAY_IN_FLIGHT_AT));
                    } else {
                        first_in_flight.push(tid);
                    }
                }
                CampaignContactStatus::Previewing if live => {
                    previewing += 1;
                    if c.attempts > 0 {
                        replay.push((tid, c.attempts, REPLAY_PREVIEW_AT));
                    } else {
                        first_previews.push(tid);
                    }
                }
                CampaignContactStatus::Upcoming
                | CampaignContactStatus::Previewing
                | CampaignContactStatus::Dialing => pending.push(tid),
                _ => {}
            }
        }
        let order: Vec<TargetId> = replay
            .iter()
            .map(|r| r.0)
            .chain(first_in_flight)
            .chain(first_previews)
            .chain(pending)
            .collect();
        let cid = CampaignId(self.campaigns.ids.get_or_insert(id) as u32);
        let replaying = CampaignConfig {
            mode: dialer::DialerMode::Progressive,
            ..config
        };
        self.campaigns
            .dialer
            .add_campaign(cid, replaying, &order)
            .map_err(dialer_error)?;
        let needed: HashMap<TargetId, (u32, i64)> =
            replay.iter().map(|&(t, n, due)| (t, (n, due))).collect();
        let (mut undialled, mut again) = (replay.len(), 0usize);
        while undialled + again > 0 {
            let scratch = self.scratch_acd(config.queue, undialled + again, cid);
            let commands = self
                .campaigns
                .dialer
                .pace(cid, &scratch, REPLAY_AT)
                .map_err(dialer_error)?;
            if commands.is_empty() {
                break;
            }
            for command in commands {
                let DialCommand::Dial {
                    target, attempt, ..
                } = command
                else {
                    continue;
                };
                let Some(&(n, due)) = needed.get(&target) else {
                    continue;
                };
                if attempt == 1 {
                    undialled -= 1;
                } else {
                    again -= 1;
                }
                let due = if attempt < n {
                    again += 1;
                    REPLAY_AT
                } else {
                    due
                };
                self.campaigns
                    .dialer
                    .dial_result(
                        cid,
                        target,
                        dialer::DialOutcome::NoAnswer,
                        due.saturating_sub(config.retry_after_ms),
                    )
                    .map_err(dialer_error)?;
            }
        }
        if in_flight > 0 {
            let scratch = self.scratch_acd(config.queue, in_flight, cid);
            let placed = self
                .campaigns
                .dialer
                .pace(cid, &scratch, REPLAY_IN_FLIGHT_AT)
                .map_err(dialer_error)?;
            if placed.len() != in_flight {
                tracing::warn!(campaign.id = %id, expected = in_flight, placed = placed.len(), "calls in flight not all restored");
            }
        }
        if previewing > 0 {
            self.campaigns
                .dialer
                .set_mode(cid, dialer::DialerMode::Preview)
                .map_err(dialer_error)?;
            let scratch = self.scratch_acd(config.queue, previewing, cid);
            let shown = self
                .campaigns
                .dialer
                .pace(cid, &scratch, REPLAY_PREVIEW_AT)
                .map_err(dialer_error)?;
            if shown.len() != previewing {
                tracing::warn!(campaign.id = %id, expected = previewing, shown = shown.len(), "previews not all restored");
            }
        }
        let d = &mut self.campaigns.dialer;
        d.set_mode(cid, config.mode).map_err(dialer_error)?;
        match status {
            CampaignStatus::Paused => d.pause(cid).map_err(dialer_error)?,
            CampaignStatus::Stopped => {
                d.stop(cid).map_err(dialer_error)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// An ACD with just enough free agents in `queue` that pacing `campaign` (progressive)
    /// starts exactly `free` dials, whatever the other campaigns of the pool claim.
    fn scratch_acd(&self, queue: acd::QueueId, free: usize, campaign: CampaignId) -> acd::Acd {
        let d = &self.campaigns.dialer;
        // The dialer's own claim formula: each call in flight claims 1 / ratio of an agent.
        let claimed: f64 = d
            .campaigns()
            .filter(|&c| c != campaign)
            .filter(|&c| d.config(c).is_ok_and(|cfg| cfg.queue == queue))
            .filter_map(|c| d.stats(c).ok())
            .map(|s| s.in_flight as f64 / s.ratio)
            .sum();
        // Pacing floors `free agents - claimed` with a 1e-9 tolerance.
        let extra = if claimed - claimed.floor() <= 1e-9 {
            claimed.floor()
        } else {
            claimed.ceil()
        } as usize;
        let mut scratch = acd::Acd::new(0);
        scratch.upsert_queue(queue, acd::QueueConfig::default(), 0);
        for n in 0..free + extra {
            let agent = acd::AgentId(n as u32);
            let config = acd::AgentConfig {
                capacity: [1, 1, 1],
                memberships: vec![acd::Membership {
                    queue,
                    tier: 1,
                    position: 0,
                }],
                ring_timeout_ms: 1,
                ..acd::AgentConfig::default()
            };
            scratch.upsert_agent(agent, config, 0);
            let _ = scratch.agent_ready(agent, 0);
        }
        scratch
    }
}
