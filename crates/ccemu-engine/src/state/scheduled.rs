//! Scheduled interactions (callbacks) coming due: the timer armed by `Op::ScheduleInteraction`
//! fires at `scheduled_at` on the tenant clock and the interaction enters its queue, where the ACD
//! routes it like an inbound contact (`scheduled` -> `queued` -> offered, ringing, connected ...).
//!
//! A callback whose queue is gone (or takes no such contacts, or is full) cannot be served: it
//! fails with `interaction.ended` rather than waiting forever in `scheduled`. A timer whose
//! interaction is no longer scheduled (called off, already started) lapses.

use super::{acd_channel, acd_error, Effects, State};
use crate::Result;
use ccemu_acd as acd;
use ccemu_core::event::DomainEvent;
use ccemu_core::interaction::{EndReason, EndedBy, Interaction, InteractionState};

impl State {
    /// Starts a scheduled interaction that fell due: it is queued and routed, or it fails.
    pub(super) fn start_scheduled(
        &mut self,
        interaction_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let Some(i) = self
            .active
            .get(interaction_id)
            .filter(|i| i.state == InteractionState::Scheduled)
        else {
            return Ok(());
        };
        let channel = i.channel;
        let served = i
            .queue_id
            .as_deref()
            .and_then(|q| self.queues.get(q))
            .is_some_and(|q| q.serves(channel));
        let Some(queue_id) = i.queue_id.clone().filter(|_| served) else {
            return self.fail_scheduled(interaction_id, EndReason::Error, now, fx);
        };
        let spec = acd::ContactSpec {
            id: acd::ContactId(self.contact_ids.get_or_insert(interaction_id)),
            queue: acd::QueueId(self.queue_ids.get_or_insert(&queue_id) as u32),
            channel: acd_channel(channel),
            priority: i.priority,
            required_skills: Vec::new(),
        };
        let decisions = match self.acd.enqueue(spec, now) {
            Ok(d) => d,
            Err(acd::AcdError::QueueFull(_)) => {
                return self.fail_scheduled(interaction_id, EndReason::QueueFull, now, fx)
            }
            Err(e) => return Err(acd_error(e)),
        };
        let queue_seq = self.next_queue_seq();
        let i = self
            .active
            .get_mut(interaction_id)
            .ok_or_else(|| super::not_found("interaction", interaction_id))?;
        i.queue_seq = queue_seq;
        i.set_state(InteractionState::Queued, now)?;
        fx.changes.put(&*i)?;
        fx.events.push(DomainEvent::InteractionQueued {
            interaction_id: interaction_id.to_owned(),
            queue_id,
        });
        // No patience timer: the customer of a callback is not on the line while it waits.
        self.apply_decisions(decisions, now, fx)
    }

    /// Calls off a callback before it starts (`Op::Hangup` on it): it ends, and its timer lapses.
    pub(super) fn call_off_scheduled(
        &mut self,
        interaction_id: &str,
        by: EndedBy,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<Interaction> {
        let mut i = self
            .active
            .remove(interaction_id)
            .ok_or_else(|| super::not_found("interaction", interaction_id))?;
        if let Err(e) = i.end(by, EndReason::Cancelled, now) {
            self.active.insert(interaction_id.to_owned(), i);
            return Err(e.into());
        }
        fx.changes.put(&i)?;
        fx.events.push(DomainEvent::InteractionEnded {
            interaction_id: interaction_id.to_owned(),
            ended_by: by,
            reason: EndReason::Cancelled,
        });
        Ok(i)
    }

    /// A due callback that no queue can take ends as failed, by the system.
    fn fail_scheduled(
        &mut self,
        interaction_id: &str,
        reason: EndReason,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let Some(mut i) = self.active.remove(interaction_id) else {
            return Ok(());
        };
        if let Err(e) = i.set_state(InteractionState::Failed, now) {
            self.active.insert(interaction_id.to_owned(), i);
            return Err(e.into());
        }
        i.ended_by = Some(EndedBy::System);
        i.end_reason = Some(reason);
        for p in &mut i.participants {
            p.leave(now);
        }
        fx.changes.put(&i)?;
        fx.events.push(DomainEvent::InteractionEnded {
            interaction_id: interaction_id.to_owned(),
            ended_by: EndedBy::System,
            reason,
        });
        Ok(())
    }
}
