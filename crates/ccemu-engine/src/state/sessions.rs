//! Sessions that start without a human: a virtual agent (bot) takes a chat first, or a messaging
//! session waits unrouted while the customer picks a menu; a hand-over then queues it for the ACD
//! like any inbound contact.
//!
//! Vendor-neutral: UJET chats start with a virtual agent and escalate to a human; other
//! surfaces' bot hand-overs (Chatwoot, Genesys bots) fit the same two commands.

use std::collections::BTreeMap;

use super::{acd_error, not_found, Effects, Op, OpOutput, State};
use crate::Result;
use ccemu_acd as acd;
use ccemu_core::event::DomainEvent;
use ccemu_core::interaction::{Channel, Direction, InteractionState, ParticipantKind};
use ccemu_core::DomainError;

impl State {
    /// Applies [`Op::StartSession`] and [`Op::HandToQueue`].
    pub(super) fn apply_session(
        &mut self,
        op: Op,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        match op {
            Op::StartSession {
                channel,
                direction,
                queue_id,
                from,
                to,
                bot,
                data,
            } => self.start_session(channel, direction, queue_id, from, to, bot, data, now, fx),
            Op::HandToQueue {
                interaction_id,
                queue_id,
            } => self.hand_to_queue(&interaction_id, queue_id, now, fx),
            _ => Err(DomainError::Invalid {
                field: "op",
                reason: "not a session command".into(),
            }
            .into()),
        }
    }

    /// After a restart, sessions no ACD queue holds (bot-held or unrouted) get their contact id
    /// back, so they can still end or be handed over.
    pub(super) fn restore_sessions(&mut self) {
        let ids: Vec<String> = self.active.keys().cloned().collect();
        for id in ids {
            self.contact_ids.get_or_insert(&id);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn start_session(
        &mut self,
        channel: Channel,
        direction: Direction,
        queue_id: Option<String>,
        from: String,
        to: String,
        bot: Option<String>,
        data: BTreeMap<String, serde_json::Value>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        if let Some(q) = &queue_id {
            let queue = self.queues.get(q).ok_or_else(|| not_found("queue", q))?;
            if !queue.serves(channel) {
                return Err(DomainError::Invalid {
                    field: "channel",
                    reason: format!("queue {q} does not take {channel:?} contacts"),
                }
                .into());
            }
        }
        let mut i = self.new_interaction(channel, direction, now);
        let id = i.id.clone();
        i.queue_id = queue_id.clone();
        i.from = from.clone();
        i.to = to;
        i.custom_data = data.into_iter().filter(|(_, v)| !v.is_null()).collect();
        i.add_participant(ParticipantKind::Customer, None, None, from, now)?;
        // The ACD knows the contact from the start, so ending it works like any other's.
        self.contact_ids.get_or_insert(&id);
        if let Some(name) = bot {
            let pid = i.add_participant(ParticipantKind::Bot, None, None, name, now)?;
            if let Some(p) = i.participant_mut(&pid) {
                p.connect(now);
            }
            i.set_state(InteractionState::Connected, now)?;
        }
        fx.events.push(DomainEvent::InteractionCreated {
            interaction_id: id.clone(),
            channel,
            direction,
            queue_id,
            agent_id: None,
        });
        fx.changes.put(&i)?;
        self.active.insert(id, i.clone());
        Ok(OpOutput::Interaction(Box::new(i)))
    }

    fn hand_to_queue(
        &mut self,
        interaction_id: &str,
        queue_id: Option<String>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let mut i = self
            .active
            .get(interaction_id)
            .cloned()
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        let with_bot = i.state == InteractionState::Connected && i.agent_id.is_none();
        if !(with_bot || i.state == InteractionState::Created) {
            return Err(DomainError::Conflict(format!(
                "interaction {interaction_id} is not with a bot or unrouted (it is {})",
                i.state
            ))
            .into());
        }
        let queue_id =
            queue_id
                .or_else(|| i.queue_id.clone())
                .ok_or_else(|| DomainError::Invalid {
                    field: "queue_id",
                    reason: "the interaction has no queue".into(),
                })?;
        let queue = self
            .queues
            .get(&queue_id)
            .ok_or_else(|| not_found("queue", &queue_id))?;
        if !queue.serves(i.channel) {
            return Err(DomainError::Invalid {
                field: "queue_id",
                reason: format!("queue {queue_id} does not take {:?} contacts", i.channel),
            }
            .into());
        }
        for p in i
            .participants
            .iter_mut()
            .filter(|p| p.kind == ParticipantKind::Bot)
        {
            p.leave(now);
        }
        let before = self.active.insert(interaction_id.to_owned(), i.clone());
        i.queue_id = Some(queue_id.clone());
        i.queue_seq = self.next_queue_seq();
        i.set_state(InteractionState::Queued, now)?;
        self.active.insert(interaction_id.to_owned(), i);
        let spec = self
            .contact_spec(interaction_id)
            .ok_or_else(|| not_found("queue", &queue_id))?;
        let decisions = match self.acd.enqueue(spec, now) {
            Ok(d) => d,
            Err(e) => {
                // Nothing was committed: put the session back as it was.
                if let Some(before) = before {
                    self.active.insert(interaction_id.to_owned(), before);
                }
                return Err(match e {
                    acd::AcdError::QueueFull(_) => {
                        DomainError::LimitExceeded(format!("queue {queue_id} is full")).into()
                    }
                    e => acd_error(e),
                });
            }
        };
        if let Some(i) = self.active.get(interaction_id) {
            fx.changes.put(i)?;
        }
        fx.events.push(DomainEvent::InteractionQueued {
            interaction_id: interaction_id.to_owned(),
            queue_id,
        });
        self.arm_patience(interaction_id, now, fx);
        self.apply_decisions(decisions, now, fx)?;
        self.interaction_output(interaction_id)
    }
}
