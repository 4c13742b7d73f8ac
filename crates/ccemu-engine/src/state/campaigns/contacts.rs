//! Changes to the list of a campaign after it was created: contacts appended (dialled after the
//! ones already listed), changed before they are dialled, or removed.
//!
//! The dialer cannot take a target back, so a removed contact stays on its list with status
//! `skipped_and_closed` and is settled without a dial when its turn comes (like a listed number,
//! see [`State::pace`]).

use super::{dialer_error, not_found, settled, Effects, OpOutput, State, TargetId, MAX_CONTACTS};
use crate::Result;
use ccemu_core::campaign::{CampaignContact, CampaignContactStatus, CampaignStatus};
use ccemu_core::DomainError;

/// What a contact update changes; `None` keeps the value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignContactPatch {
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Number to dial.
    pub phone_number: Option<String>,
    /// Caller number for this contact.
    pub outbound_number: Option<String>,
    /// Client's key.
    pub external_id: Option<String>,
}

impl State {
    /// Appends contacts to a campaign that is not stopped or completed, all or none.
    pub(in crate::state) fn add_campaign_contacts(
        &mut self,
        campaign_id: &str,
        contacts: Vec<CampaignContact>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        self.append_campaign_contacts(campaign_id, contacts, now, fx)?;
        Ok(OpOutput::Campaign(Box::new(
            self.campaign_view(campaign_id)?,
        )))
    }

    /// [`State::add_campaign_contacts`] without the campaign's view, which costs the whole list:
    /// a job appends one contact per step.
    pub(in crate::state) fn append_campaign_contacts(
        &mut self,
        campaign_id: &str,
        contacts: Vec<CampaignContact>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let run = self
            .campaigns
            .runs
            .get(campaign_id)
            .ok_or_else(|| not_found("campaign", campaign_id))?;
        if matches!(
            run.campaign.status,
            CampaignStatus::Stopped | CampaignStatus::Completed
        ) {
            return Err(DomainError::Conflict(format!(
                "campaign {campaign_id} is no longer dialling"
            ))
            .into());
        }
        let total = run.contacts.len() + contacts.len();
        if contacts.is_empty() || total > MAX_CONTACTS {
            return Err(DomainError::Invalid {
                field: "contacts",
                reason: format!("1 to {MAX_CONTACTS} contacts per campaign"),
            }
            .into());
        }
        let first = run.contacts.len();
        let mut list = Vec::with_capacity(contacts.len());
        for (n, mut c) in contacts.into_iter().enumerate() {
            c.id = format!("{campaign_id}.{}", first + n + 1);
            c.campaign_id = campaign_id.to_owned();
            c.status = CampaignContactStatus::Upcoming;
            c.attempts = 0;
            c.interaction_id = None;
            c.retry_at_ms = None;
            c.created_at_ms = now;
            c.updated_at_ms = now;
            c.validate()?;
            list.push(c);
        }
        if let Some(cid) = self.campaigns.campaign_id(campaign_id) {
            if self.campaigns.dialer.campaigns().any(|c| c == cid) {
                let targets: Vec<TargetId> = list
                    .iter()
                    .map(|c| TargetId(self.campaigns.targets.get_or_insert(&c.id)))
                    .collect();
                self.campaigns
                    .dialer
                    .add_targets(cid, &targets)
                    .map_err(dialer_error)?;
            }
        }
        let run = self
            .campaigns
            .runs
            .get_mut(campaign_id)
            .ok_or_else(|| not_found("campaign", campaign_id))?;
        for c in list {
            fx.changes.put(&c)?;
            run.index.insert(c.id.clone(), run.contacts.len());
            run.contacts.push(c);
        }
        Ok(())
    }

    /// Changes a contact that has not been dialled yet.
    pub(in crate::state) fn update_campaign_contact(
        &mut self,
        campaign_id: &str,
        contact_id: &str,
        patch: CampaignContactPatch,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let c = self.upcoming_contact(campaign_id, contact_id)?;
        let mut next = c.clone();
        if let Some(v) = patch.name {
            next.name = v;
        }
        if let Some(v) = patch.email {
            next.email = v;
        }
        if let Some(v) = patch.phone_number {
            next.phone_number = v;
        }
        if let Some(v) = patch.outbound_number {
            next.outbound_number = Some(v);
        }
        if let Some(v) = patch.external_id {
            next.external_id = Some(v);
        }
        next.validate()?;
        next.updated_at_ms = now;
        fx.changes.put(&next)?;
        *self.upcoming_contact_mut(campaign_id, contact_id)? = next;
        Ok(OpOutput::Campaign(Box::new(
            self.campaign_view(campaign_id)?,
        )))
    }

    /// Removes a contact that has not been dialled yet (see the module docs).
    pub(in crate::state) fn remove_campaign_contact(
        &mut self,
        campaign_id: &str,
        contact_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        self.upcoming_contact(campaign_id, contact_id)?;
        let c = self.upcoming_contact_mut(campaign_id, contact_id)?;
        c.status = CampaignContactStatus::SkippedAndClosed;
        c.updated_at_ms = now;
        fx.changes.put(&*c)?;
        Ok(OpOutput::Deleted)
    }

    /// A contact of the campaign that the dialer has not touched; else `NotFound` or `Conflict`.
    fn upcoming_contact(&self, campaign_id: &str, contact_id: &str) -> Result<&CampaignContact> {
        let run = self
            .campaigns
            .runs
            .get(campaign_id)
            .ok_or_else(|| not_found("campaign", campaign_id))?;
        let c = run
            .index
            .get(contact_id)
            .map(|&i| &run.contacts[i])
            .filter(|c| c.status != CampaignContactStatus::SkippedAndClosed)
            .ok_or_else(|| not_found("campaign contact", contact_id))?;
        if c.status != CampaignContactStatus::Upcoming || settled(c.status) {
            return Err(DomainError::Conflict(format!(
                "contact {contact_id} has already been dialled"
            ))
            .into());
        }
        Ok(c)
    }

    fn upcoming_contact_mut(
        &mut self,
        campaign_id: &str,
        contact_id: &str,
    ) -> Result<&mut CampaignContact> {
        let run = self
            .campaigns
            .runs
            .get_mut(campaign_id)
            .ok_or_else(|| not_found("campaign", campaign_id))?;
        let i = *run
            .index
            .get(contact_id)
            .ok_or_else(|| not_found("campaign contact", contact_id))?;
        Ok(&mut run.contacts[i])
    }
}
