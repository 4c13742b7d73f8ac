//! Agent sessions and the calls an agent places: login with its preconditions, the call mode, and
//! the outbound call an agent originates (Udesk `originatev2`, a UJET or WebSocket dial-out), with
//! hold, resume and the transfer of a call to an outside number.
//!
//! An originated call is a *direct* call: it belongs to its agent from the start and never enters
//! a queue, so the ACD does not know it. The ACD is told the agent is not ready for as long as the
//! call lasts (see [`State::sync_agent_availability`]), and the agent's leg ends without the ACD
//! (see [`State::release_agent`]). The steps, each with its event:
//!
//! 1. `interaction.created` + `interaction.ringing`: the agent's phone rings (interaction
//!    `ringing`, agent `ringing`); the simulated agent answers after `answer_delay_ms` with `auto`,
//!    or test code answers through `Op::Answer`.
//! 2. `interaction.answered` + `interaction.customer_ringing`: the agent is on the line
//!    (interaction `connected`, agent `on_contact`); the customer's phone rings for
//!    `dial_ring_time`, like a campaign dial of the preview mode.
//! 3. `interaction.customer_answered`, or `interaction.ended` with reason `no_answer`, `busy` or
//!    `invalid_number`: the outcome is the dialer's simulated callee (`dial_outcomes`,
//!    `dial_answer_rate`). An answered call talks for the simulated talk time and hangs up like an
//!    inbound call.

use super::{not_found, record, Effects, OpOutput, State, TransferTarget};
use crate::Result;
use ccemu_acd as acd;
use ccemu_core::agent::{AgentState, CallMode};
use ccemu_core::campaign::DialOutcome;
use ccemu_core::event::DomainEvent;
use ccemu_core::interaction::{
    Channel, Direction, EndReason, EndedBy, Interaction, InteractionState, ParticipantKind,
    ParticipantState, Transfer, TransferStatus,
};
use ccemu_core::timer::TimerAction;
use ccemu_core::DomainError;
use std::collections::BTreeMap;

/// The key under which [`Op::Originate`](super::Op::Originate) callers keep vendor data they
/// attach to the call (Udesk `user_data`), by convention of the surfaces that read it back.
pub const USER_DATA_KEY: &str = "user_data";

/// Whether an interaction is a direct call: an agent's own outbound call, outside every queue.
pub(crate) fn is_direct(i: &Interaction) -> bool {
    i.direction == Direction::Outbound && i.campaign_id.is_none() && i.queue_id.is_none()
}

/// A precondition of a call that the agent does not meet; the `field` names which one, so a
/// surface can answer its own code for each.
fn unmet(field: &'static str, reason: String) -> crate::EngineError {
    DomainError::Invalid { field, reason }.into()
}

/// Why a call ends whose callee did not pick up.
fn dial_end(outcome: DialOutcome) -> EndReason {
    match outcome {
        DialOutcome::Busy => EndReason::Busy,
        DialOutcome::Failed => EndReason::InvalidNumber,
        _ => EndReason::NoAnswer,
    }
}

/// The customer participant of a call.
pub(super) fn customer(i: &mut Interaction) -> Option<&mut ccemu_core::interaction::Participant> {
    i.participants
        .iter_mut()
        .find(|p| p.kind == ParticipantKind::Customer)
}

impl State {
    /// Whether the interaction is an open direct call.
    pub(super) fn is_direct_call(&self, interaction_id: &str) -> bool {
        self.active.get(interaction_id).is_some_and(is_direct)
    }

    /// Whether the agent is on (or ringing for) a direct call, which the ACD does not count.
    pub(super) fn on_direct_call(&self, agent_id: &str) -> bool {
        self.active
            .values()
            .any(|i| is_direct(i) && i.agent_id.as_deref() == Some(agent_id))
    }

    /// Nothing but the call itself changes the state of an agent on a direct call: logged out or
    /// not ready while its phone rings, the agent could neither answer nor be freed afterwards.
    pub(super) fn check_not_on_direct_call(&self, agent_id: &str) -> Result<()> {
        if self.on_direct_call(agent_id) {
            return Err(
                DomainError::Conflict(format!("agent {agent_id} is on its own call")).into(),
            );
        }
        Ok(())
    }

    /// A direct call whose customer has not picked up yet cannot be held or transferred.
    pub(super) fn check_customer_on_line(&self, interaction_id: &str) -> Result<()> {
        let Some(i) = self.active.get(interaction_id).filter(|i| is_direct(i)) else {
            return Ok(());
        };
        let on_line = i
            .participants
            .iter()
            .any(|p| p.kind == ParticipantKind::Customer && p.state == ParticipantState::Connected);
        if on_line {
            Ok(())
        } else {
            Err(DomainError::Conflict(format!(
                "the customer of interaction {interaction_id} has not answered"
            ))
            .into())
        }
    }

    /// The agent's bound extensions, by number.
    fn extensions_of_agent(&self, agent_id: &str) -> Vec<&ccemu_core::telephony::Extension> {
        self.extensions
            .values()
            .filter(|e| e.agent_id.as_deref() == Some(agent_id))
            .collect()
    }

    /// Logs an agent in (or changes the state of one logged in) with the device checks a
    /// session needs: the agent must hold an extension. Queues named become the agent's (added,
    /// never removed); a contact number sets the call mode: one of the agent's extensions
    /// (by number or full number) is `voip`, anything else the mobile number of `cellphone`.
    pub(super) fn login_agent(
        &mut self,
        agent_id: &str,
        state: AgentState,
        queue_ids: &[String],
        number: Option<String>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let agent = self
            .agents
            .get(agent_id)
            .ok_or_else(|| not_found("agent", agent_id))?;
        if !agent.enabled {
            return Err(unmet(
                "enabled",
                format!("agent {agent_id} is disabled and cannot log in"),
            ));
        }
        if !matches!(
            state,
            AgentState::Available | AgentState::NotReady { .. } | AgentState::OnBreak { .. }
        ) {
            return Err(unmet("state", format!("cannot log in as {state}")));
        }
        if self.extensions_of_agent(agent_id).is_empty() {
            return Err(unmet(
                "extension",
                format!("agent {agent_id} has no extension"),
            ));
        }
        for id in queue_ids {
            if !self.queues.contains_key(id) {
                return Err(not_found("queue", id));
            }
        }
        // Logging in again in the state one is in changes nothing; anything else must be a
        // change the state machine allows, checked before the memberships change.
        let change = agent.state != state;
        if change && !agent.state.can_change_to(&state) {
            return Err(DomainError::IllegalTransition {
                kind: "agent",
                from: agent.state.to_string(),
                to: state.to_string(),
            }
            .into());
        }
        if let Some(number) = number.filter(|n| !n.trim().is_empty()) {
            let voip = self
                .extensions_of_agent(agent_id)
                .iter()
                .any(|e| e.id == number || e.number == number);
            let mode = if voip {
                CallMode::Voip
            } else {
                CallMode::Cellphone
            };
            self.set_call_mode(agent_id, mode, Some(number), now, fx)?;
        }
        if !queue_ids.is_empty() {
            self.change_members(queue_ids, &[agent_id.to_owned()], true, now, fx)?;
        }
        if change {
            self.set_agent_state(agent_id, state, now, fx)?;
        }
        let agent = self
            .agents
            .get(agent_id)
            .ok_or_else(|| not_found("agent", agent_id))?;
        Ok(OpOutput::Agent(Box::new(agent.clone())))
    }

    /// Sets how an agent's calls reach them. `cellphone` rings the agent's mobile number (the one
    /// given replaces it); `voip` rings a bound extension, and a number given must be one of them.
    pub(super) fn set_call_mode(
        &mut self,
        agent_id: &str,
        mode: CallMode,
        number: Option<String>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let number = number
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        let extensions = self.extensions_of_agent(agent_id);
        let agent = self
            .agents
            .get(agent_id)
            .ok_or_else(|| not_found("agent", agent_id))?;
        let reached_on = match mode {
            CallMode::Voip => {
                let extension = match &number {
                    Some(n) => extensions.iter().find(|e| &e.id == n || &e.number == n),
                    None => extensions.first(),
                };
                let Some(extension) = extension else {
                    return Err(unmet(
                        "extension",
                        format!("agent {agent_id} holds no such extension"),
                    ));
                };
                extension.id.clone()
            }
            CallMode::Cellphone => {
                let phone = number.clone().unwrap_or_else(|| agent.phone.clone());
                if phone.is_empty() {
                    return Err(unmet(
                        "number",
                        format!("agent {agent_id} has no mobile number"),
                    ));
                }
                phone
            }
        };
        let agent = self.agent_mut(agent_id)?;
        let from = agent.call_mode;
        let phone_changed = mode == CallMode::Cellphone && agent.phone != reached_on;
        if from != mode || phone_changed {
            agent.call_mode = mode;
            if mode == CallMode::Cellphone {
                agent.phone = reached_on.clone();
            }
            agent.updated_at_ms = now;
            let agent = agent.clone();
            fx.changes.put(&agent)?;
            fx.events.push(DomainEvent::AgentCallModeChanged {
                agent_id: agent_id.to_owned(),
                from,
                to: mode,
                number: Some(reached_on),
            });
        }
        let agent = self
            .agents
            .get(agent_id)
            .ok_or_else(|| not_found("agent", agent_id))?;
        Ok(OpOutput::Agent(Box::new(agent.clone())))
    }

    /// An agent calls `to`: the agent's phone rings first (see the module doc). The caller number
    /// is `from` if given, else the agent's default, else the tenant's default relay number, else
    /// its first one.
    pub(super) fn originate(
        &mut self,
        agent_id: &str,
        to: String,
        from: Option<String>,
        custom_data: BTreeMap<String, serde_json::Value>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let to = to.trim().to_owned();
        if to.is_empty() {
            return Err(unmet("to", "the number to call is blank".into()));
        }
        if self.dnc_listed(&to, now) {
            return Err(unmet("to", format!("{to} is on the do-not-call list")));
        }
        let agent = self
            .agents
            .get(agent_id)
            .ok_or_else(|| not_found("agent", agent_id))?;
        if !agent.state.is_logged_in() {
            return Err(unmet(
                "agent_state",
                format!("agent {agent_id} is not logged in"),
            ));
        }
        if self.extensions_of_agent(agent_id).is_empty() {
            return Err(unmet(
                "extension",
                format!("agent {agent_id} has no extension"),
            ));
        }
        if agent.call_mode == CallMode::Cellphone && agent.phone.is_empty() {
            return Err(unmet(
                "call_mode",
                format!("agent {agent_id} is in cellphone mode without a number"),
            ));
        }
        if !agent.state.can_change_to(&AgentState::Ringing)
            || agent.state == AgentState::OnContact
            || self.on_direct_call(agent_id)
        {
            return Err(DomainError::Conflict(format!(
                "agent {agent_id} is busy ({})",
                agent.state
            ))
            .into());
        }
        let numbers: Vec<ccemu_core::RelayNumber> = self.telephony.numbers().cloned().collect();
        let caller = ccemu_core::telephony::pick_caller_number(
            from.as_deref().map(str::trim),
            agent.default_caller_number.as_deref(),
            &numbers,
        )
        .map(str::to_owned)
        .ok_or_else(|| unmet("from", "the tenant has no caller number".into()))?;
        let mut i = self.new_interaction(Channel::Voice, Direction::Outbound, now);
        let id = i.id.clone();
        i.agent_id = Some(agent_id.to_owned());
        i.from = caller;
        i.to = to.clone();
        i.custom_data = custom_data;
        i.add_participant(ParticipantKind::Customer, None, None, to.clone(), now)?;
        if let Some(p) = customer(&mut i) {
            p.address = Some(to);
        }
        i.set_state(InteractionState::Ringing, now)?;
        fx.changes.put(&i)?;
        fx.events.push(DomainEvent::InteractionCreated {
            interaction_id: id.clone(),
            channel: Channel::Voice,
            direction: Direction::Outbound,
            queue_id: None,
            agent_id: Some(agent_id.to_owned()),
        });
        fx.events.push(DomainEvent::InteractionRinging {
            interaction_id: id.clone(),
            agent_id: agent_id.to_owned(),
        });
        self.active.insert(id.clone(), i);
        // The ACD does not see this call: it must not offer the agent anything meanwhile.
        let aid = acd::AgentId(self.agent_ids.get_or_insert(agent_id) as u32);
        let _ = self.acd.agent_not_ready(aid, now);
        let agent = self.agent_mut(agent_id)?;
        let log = agent.set_state(AgentState::Ringing, now)?;
        let agent = agent.clone();
        super::record_state_change(&agent, &log, fx)?;
        if self.sim.auto {
            fx.timers.push((
                now.saturating_add(self.sim.answer_delay_ms),
                TimerAction::SimAnswer {
                    interaction_id: id.clone(),
                    agent_id: agent_id.to_owned(),
                },
            ));
        }
        self.interaction_output(&id)
    }

    /// The agent answers its own call: the agent is on the line and the customer's phone rings.
    pub(super) fn answer_direct(
        &mut self,
        interaction_id: &str,
        agent_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let name = self
            .agents
            .get(agent_id)
            .map(|a| a.name.clone())
            .ok_or_else(|| not_found("agent", agent_id))?;
        let i = self
            .active
            .get_mut(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        let agent_ready = self
            .agents
            .get(agent_id)
            .is_some_and(|a| a.state.can_change_to(&AgentState::OnContact));
        if i.state != InteractionState::Ringing
            || i.agent_id.as_deref() != Some(agent_id)
            || !agent_ready
        {
            return Err(DomainError::Conflict(format!(
                "interaction {interaction_id} is not ringing for agent {agent_id}"
            ))
            .into());
        }
        i.set_state(InteractionState::Connected, now)?;
        let pid = i.add_participant(
            ParticipantKind::Agent,
            Some(agent_id.to_owned()),
            None,
            name,
            now,
        )?;
        if let Some(p) = i.participant_mut(&pid) {
            p.connect(now);
        }
        if let Some(p) = customer(i) {
            p.state = ParticipantState::Ringing;
        }
        let number = i.to.clone();
        let i = i.clone();
        fx.changes.put(&i)?;
        fx.events.push(DomainEvent::InteractionAnswered {
            interaction_id: interaction_id.to_owned(),
            agent_id: Some(agent_id.to_owned()),
        });
        fx.events.push(DomainEvent::CustomerRinging {
            interaction_id: interaction_id.to_owned(),
            number,
        });
        let agent = self.agent_mut(agent_id)?;
        let log = agent.set_state(AgentState::OnContact, now)?;
        let agent = agent.clone();
        super::record_state_change(&agent, &log, fx)?;
        // The customer's phone rings like a dialled campaign contact's, one attempt per call.
        self.arm_dial_result(interaction_id, 1, interaction_id, now, fx);
        Ok(())
    }

    /// The simulated customer of a direct call picks up or not, as the dialer's callees do.
    pub(super) fn direct_dial_result(
        &mut self,
        interaction_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        if let Some((transfer_id, number)) = self.number_ringing(interaction_id) {
            return self.transfer_result(interaction_id, &transfer_id, &number, now, fx);
        }
        let Some(i) = self.active.get_mut(interaction_id) else {
            return Ok(());
        };
        let ringing = i.state == InteractionState::Connected
            && i.participants.iter().any(|p| {
                p.kind == ParticipantKind::Customer && p.state == ParticipantState::Ringing
            });
        if !ringing {
            // The agent hung up (or the call moved on) while the customer's phone rang.
            return Ok(());
        }
        let outcome = self
            .sim
            .dial_outcome(&i.to, &format!("dial:{interaction_id}:1"));
        let agent_id = i.agent_id.clone();
        if outcome == DialOutcome::Answered {
            if let Some(p) = customer(i) {
                p.connect(now);
            }
            i.updated_at_ms = now;
            let number = i.to.clone();
            let i = i.clone();
            fx.changes.put(&i)?;
            fx.events.push(DomainEvent::CustomerAnswered {
                interaction_id: interaction_id.to_owned(),
                number,
            });
            if let Some(agent_id) = agent_id {
                self.arm_talk_time(interaction_id, &agent_id, now, fx);
            }
            return Ok(());
        }
        self.end_direct(interaction_id, EndedBy::System, dial_end(outcome), now, fx)?;
        Ok(())
    }

    /// Someone hangs up a direct call (or the agent refuses it while it rings).
    pub(super) fn hangup_direct(
        &mut self,
        interaction_id: &str,
        by: EndedBy,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<Interaction> {
        self.end_direct(interaction_id, by, EndReason::Normal, now, fx)
    }

    fn end_direct(
        &mut self,
        interaction_id: &str,
        by: EndedBy,
        reason: EndReason,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<Interaction> {
        let mut i = self
            .active
            .remove(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        // The agent still on the line, if any: after a transfer out nobody of ours is.
        let agent = i.agent_id.clone();
        let leg = super::leg_start(&i);
        if let Err(e) = i.end(by, reason, now) {
            self.active.insert(interaction_id.to_owned(), i);
            return Err(e.into());
        }
        // A number still ringing for a transfer never took the call.
        super::settle_transfer(&mut i, false, now, fx)?;
        if let Some(start) = leg {
            record(&mut i, fx.tenant, start, now);
        }
        fx.changes.put(&i)?;
        let id = interaction_id.to_owned();
        fx.events.push(match i.state {
            InteractionState::Abandoned => DomainEvent::InteractionAbandoned {
                interaction_id: id,
                queue_id: None,
            },
            InteractionState::Failed => DomainEvent::InteractionFailed {
                interaction_id: id,
                reason: i.end_reason.unwrap_or(reason),
            },
            _ => DomainEvent::InteractionEnded {
                interaction_id: id,
                ended_by: by,
                reason,
            },
        });
        // An answered campaign call handed to a number ends here too.
        self.campaign_call_ended(
            interaction_id,
            ccemu_core::CampaignContactStatus::Finished,
            now,
            fx,
        )?;
        if let Some(agent_id) = agent {
            // An agent who never answered has nothing to wrap up (and leaves now if asked to).
            let (ringing, leaving) = self.agents.get(&agent_id).map_or((false, false), |a| {
                (a.state == AgentState::Ringing, a.logout_after_contact)
            });
            let decisions = if ringing && leaving {
                self.finish_pending_logout(&agent_id, now, fx)?;
                Vec::new()
            } else if ringing {
                self.set_agent_state(&agent_id, AgentState::Available, now, fx)?;
                Vec::new()
            } else {
                self.release_agent(&agent_id, now, fx)?
            };
            self.apply_decisions(decisions, now, fx)?;
        }
        Ok(i)
    }

    /// Hands a connected (or held) call to an outside number: the agent's leg ends and the agent
    /// wraps up; the number rings for `dial_ring_time` and picks up or not like a dialled callee
    /// (`dial_outcomes`, `dial_answer_rate`): the transfer is completed and the customer talks to
    /// it for the talk time, or it failed and the call ends.
    pub(super) fn transfer_to_number(
        &mut self,
        interaction_id: &str,
        number: String,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let number = number.trim().to_owned();
        if number.is_empty() {
            return Err(unmet(
                "to_number",
                "the number to transfer to is blank".into(),
            ));
        }
        self.check_customer_on_line(interaction_id)?;
        if self.attempt_pending(interaction_id) {
            return Err(DomainError::Conflict(format!(
                "interaction {interaction_id} is a campaign attempt still being dialled"
            ))
            .into());
        }
        let direct = self.is_direct_call(interaction_id);
        let mut i = self
            .active
            .get(interaction_id)
            .cloned()
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        let transfer = Transfer {
            id: uuid::Uuid::new_v4().to_string(),
            status: TransferStatus::Transferring,
            from_agent_id: None,
            to_agent_id: None,
            from_queue_id: None,
            to_queue_id: None,
            to_number: Some(number),
            created_at_ms: now,
        };
        let transfer_id = transfer.id.clone();
        // Refuses anything but a connected or held call, before any change.
        i.start_transfer(transfer)?;
        let agent_id = i.agent_id.clone().ok_or_else(|| {
            DomainError::Conflict(format!("interaction {interaction_id} has no agent"))
        })?;
        let cid = if direct {
            None
        } else {
            Some(self.contact_id(interaction_id)?)
        };
        if i.state == InteractionState::Held {
            i.set_state(InteractionState::Connected, now)?;
            fx.events.push(DomainEvent::InteractionResumed {
                interaction_id: interaction_id.to_owned(),
            });
        }
        if let Some(t) = i.transfers.last() {
            fx.events.push(super::transferred(interaction_id, t));
        }
        if let Some(start) = super::leg_start(&i) {
            record(&mut i, fx.tenant, start, now);
        }
        if let Some(p) = i.agent_participant_mut(&agent_id) {
            p.leave(now);
            p.left_reason = Some(EndReason::TransferredOut);
        }
        i.agent_id = None;
        fx.changes.put(&i)?;
        self.active.insert(interaction_id.to_owned(), i);
        let decisions = match cid {
            Some(cid) => self.end_agent_leg(&agent_id, cid, now, fx)?,
            None => self.release_agent(&agent_id, now, fx)?,
        };
        self.apply_decisions(decisions, now, fx)?;
        // The number rings like a dialled callee; the customer waits on the line meanwhile.
        self.arm_dial_result(&transfer_id, 1, interaction_id, now, fx);
        self.interaction_output(interaction_id)
    }

    /// The number a call is being handed to, while it rings: the transfer's id and number.
    fn number_ringing(&self, interaction_id: &str) -> Option<(String, String)> {
        let i = self.active.get(interaction_id)?;
        let t = i.transfers.last()?;
        match (&t.status, &t.to_number) {
            (TransferStatus::Transferring, Some(number)) => Some((t.id.clone(), number.clone())),
            _ => None,
        }
    }

    /// Whether the call was handed to an outside number (ringing or talking): no agent of ours
    /// is on it and the ACD has forgotten it.
    pub(super) fn is_transferred_out(&self, interaction_id: &str) -> bool {
        self.active.get(interaction_id).is_some_and(|i| {
            i.agent_id.is_none()
                && i.transfers
                    .last()
                    .is_some_and(|t| t.to_number.is_some() && t.status != TransferStatus::Failed)
        })
    }

    /// The simulated outside party picks up (the transfer is completed and talks for the talk
    /// time) or not (it failed and the call ends), as the dialer's callees do.
    fn transfer_result(
        &mut self,
        interaction_id: &str,
        transfer_id: &str,
        number: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let outcome = self
            .sim
            .dial_outcome(number, &format!("dial:{transfer_id}:1"));
        let answered = outcome == DialOutcome::Answered;
        let i = self
            .active
            .get_mut(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        i.finish_transfer(transfer_id, answered, now)?;
        if let Some(t) = i.transfers.last() {
            fx.events.push(super::transferred(interaction_id, t));
        }
        let i = i.clone();
        fx.changes.put(&i)?;
        if !answered {
            self.end_direct(interaction_id, EndedBy::System, dial_end(outcome), now, fx)?;
            return Ok(());
        }
        if self.sim.auto {
            // The talk time of the one who took over; the agent's own timer is stale now.
            let talk = self.sim.talk_time.sample(
                self.sim.seed,
                &format!("talk:{interaction_id}:{transfer_id}"),
            );
            fx.timers.push((
                now.saturating_add(talk),
                TimerAction::SimHangup {
                    interaction_id: interaction_id.to_owned(),
                    agent_id: None,
                },
            ));
        }
        Ok(())
    }

    /// The transfers [`State::transfer`] leaves to this module: any call to a number; a direct
    /// call to a queue is refused, since the ACD never knew it.
    pub(super) fn transfer_call(
        &mut self,
        interaction_id: &str,
        target: TransferTarget,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        match target {
            TransferTarget::Number(number) => {
                self.transfer_to_number(interaction_id, number, now, fx)
            }
            TransferTarget::Queue(_) => Err(DomainError::Conflict(format!(
                "interaction {interaction_id} is an agent's own call and cannot be queued"
            ))
            .into()),
        }
    }
}
