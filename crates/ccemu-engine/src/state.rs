//! The in-memory state of one contact center and the commands that change it.
//!
//! Methods here are synchronous: they check, mutate, and record what must be written and announced;
//! the owner task in [`crate::center`] commits and emits. Each command validates before it
//! mutates, so a refused command leaves the state untouched.

use crate::{EngineError, Result};
use ccemu_core::agent::{Agent, AgentState, AgentStateLog};
use ccemu_core::event::DomainEvent;
use ccemu_core::timer::TimerAction;
use ccemu_core::{DomainError, Entity};
use ccemu_store::{Changes, Document};
use std::collections::BTreeMap;

/// A command against one tenant's contact center.
#[derive(Debug, Clone)]
pub enum Op {
    /// Moves an agent to a state; a timed state (wrap-up or break with `until_ms`) arms a timer.
    SetAgentState {
        /// The agent.
        agent_id: String,
        /// The new state.
        state: AgentState,
    },
}

/// What a command produced.
#[derive(Debug, Clone)]
pub enum OpOutput {
    /// The agent after the command.
    Agent(Box<Agent>),
}

/// Counts for metrics.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Tenants.
    pub tenants: usize,
    /// Agents by state name.
    pub agents_by_state: BTreeMap<String, u64>,
    /// Interactions by state name.
    pub interactions_by_state: BTreeMap<String, u64>,
}

/// One tenant's working set.
#[derive(Debug, Default)]
pub(crate) struct State {
    agents: BTreeMap<String, Agent>,
}

impl State {
    /// Rebuilds the working set from stored documents; kinds the engine does not work with stay in
    /// the store only.
    pub fn from_documents(docs: Vec<Document>) -> Result<Self> {
        let mut state = Self::default();
        for doc in docs {
            if doc.kind == Agent::KIND {
                let agent: Agent =
                    serde_json::from_value(doc.data).map_err(|e| EngineError::Store(e.into()))?;
                state.agents.insert(agent.id.clone(), agent);
            }
        }
        Ok(state)
    }

    /// Adds this tenant's counts to `stats`.
    pub fn count(&self, stats: &mut Stats) {
        for agent in self.agents.values() {
            *stats
                .agents_by_state
                .entry(agent.state.name().to_owned())
                .or_default() += 1;
        }
    }

    pub fn apply(
        &mut self,
        op: Op,
        now: i64,
        changes: &mut Changes,
        events: &mut Vec<DomainEvent>,
        timers: &mut Vec<(i64, TimerAction)>,
    ) -> Result<OpOutput> {
        match op {
            Op::SetAgentState { agent_id, state } => {
                let until = state.until_ms();
                let agent = self.agent_mut(&agent_id)?;
                let log = agent.set_state(state, now)?;
                let agent = agent.clone();
                if let Some(due) = until {
                    timers.push((
                        due,
                        TimerAction::AgentStateEnds {
                            agent_id: agent_id.clone(),
                        },
                    ));
                }
                record_state_change(&agent, &log, changes, events)?;
                Ok(OpOutput::Agent(Box::new(agent)))
            }
        }
    }

    pub fn apply_timer(
        &mut self,
        action: &TimerAction,
        now: i64,
        changes: &mut Changes,
        events: &mut Vec<DomainEvent>,
    ) -> Result<()> {
        match action {
            TimerAction::AgentStateEnds { agent_id } => {
                let agent = self.agent_mut(agent_id)?;
                // A stale timer (the agent already left the timed state) does nothing.
                if let Some(log) = agent.end_timed_state(now) {
                    let agent = agent.clone();
                    record_state_change(&agent, &log, changes, events)?;
                }
                Ok(())
            }
        }
    }

    fn agent_mut(&mut self, id: &str) -> Result<&mut Agent> {
        self.agents.get_mut(id).ok_or_else(|| {
            EngineError::Domain(DomainError::NotFound {
                kind: "agent",
                id: id.to_owned(),
            })
        })
    }
}

fn record_state_change(
    agent: &Agent,
    log: &AgentStateLog,
    changes: &mut Changes,
    events: &mut Vec<DomainEvent>,
) -> Result<()> {
    changes.put(agent)?;
    changes.put(log)?;
    events.push(DomainEvent::AgentStateChanged {
        agent_id: agent.id.clone(),
        from: log.from.clone(),
        to: log.to.clone(),
    });
    Ok(())
}

/// The demo tenant's seeded records as documents.
pub fn demo_documents() -> Result<Vec<Document>> {
    ccemu_core::seed::demo_seed()
        .records()
        .into_iter()
        .map(|(kind, id, data)| {
            Ok(Document {
                kind: kind.to_owned(),
                id,
                data,
            })
        })
        .collect()
}
