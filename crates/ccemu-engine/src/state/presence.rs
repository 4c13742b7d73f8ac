//! Logging agents out on request, including the agents busy on a contact, who leave once it
//! ends (UJET's force logout: "busy agents leave after their interaction").

use ccemu_core::{AgentState, InteractionState};

use super::{not_found, Effects, OpOutput, Result, State};

/// Reason code of the not-ready instant between a contact's end and a pending logout.
pub const LOGOUT_REASON: &str = "logout";

impl State {
    /// [`super::Op::LogoutAgent`]: out now, or marked to leave after its last contact.
    pub(super) fn logout_agent(
        &mut self,
        agent_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let agent = self
            .agents
            .get(agent_id)
            .ok_or_else(|| not_found("agent", agent_id))?;
        // An agent's own call counts while it still rings: the call alone may move its agent.
        let on_contact = agent.state == AgentState::OnContact
            || self.on_direct_call(agent_id)
            || self.active.values().any(|i| {
                i.agent_id.as_deref() == Some(agent_id)
                    && matches!(
                        i.state,
                        InteractionState::Connected | InteractionState::Held
                    )
            });
        if !agent.state.is_logged_in() {
            // Nothing to do; a pending logout from before is settled by the logout itself.
        } else if on_contact {
            let agent = self.agent_mut(agent_id)?;
            agent.logout_after_contact = true;
            agent.updated_at_ms = now;
            let agent = agent.clone();
            fx.changes.put(&agent)?;
        } else {
            self.set_agent_state(agent_id, AgentState::LoggedOut, now, fx)?;
        }
        let agent = self
            .agents
            .get(agent_id)
            .ok_or_else(|| not_found("agent", agent_id))?;
        Ok(OpOutput::Agent(Box::new(agent.clone())))
    }

    /// The last contact of an agent marked to leave has ended: it logs out instead of wrapping
    /// up. The state machine has no step from a contact straight to logged out (it refuses a
    /// logout mid-contact), so the agent passes through a zero-length not-ready period.
    pub(super) fn finish_pending_logout(
        &mut self,
        agent_id: &str,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        if !self
            .agents
            .get(agent_id)
            .is_some_and(|a| a.state.can_change_to(&AgentState::LoggedOut))
        {
            let reason = Some(LOGOUT_REASON.to_owned());
            self.set_agent_state(agent_id, AgentState::NotReady { reason }, now, fx)?;
        }
        self.set_agent_state(agent_id, AgentState::LoggedOut, now, fx)
    }
}
