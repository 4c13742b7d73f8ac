//! The directory of a contact center: agents, their extensions (devices) and queue memberships.
//!
//! Vendor-neutral: Udesk seats, UJET users, Genesys and Cention agents and Sangoma inboxes all
//! provision through these ops, so the rules about what may be created, bound and deleted live
//! here once. Every multi-record op checks all of its records before it changes any, so a refused
//! op leaves nothing behind.

use super::{not_found, Effects, OpOutput, State};
use crate::Result;
use ccemu_acd as acd;
use ccemu_core::agent::{Agent, AgentState};
use ccemu_core::event::DomainEvent;
use ccemu_core::queue::{check_queue_count, Queue, RoutingStrategy};
use ccemu_core::telephony::{Extension, ExtensionState};
use ccemu_core::DomainError;
use std::collections::{BTreeMap, BTreeSet};

/// Most extensions bound to one agent (Udesk: two, one usable at a time).
pub const MAX_EXTENSIONS_PER_AGENT: usize = 2;

/// An extension to create; the engine generates its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExtension {
    /// The extension number.
    pub id: String,
    /// Full dialable number (a surface's prefix + the extension).
    pub number: String,
    /// Agent to bind it to at once.
    pub agent_id: Option<String>,
}

/// Profile fields of an agent to change (kept in `ccemu-core`, where job steps store them).
pub use ccemu_core::agent::AgentPatch;

/// Settings of a queue to change; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueuePatch {
    /// Display name.
    pub name: Option<String>,
    /// Agent selection.
    pub strategy: Option<RoutingStrategy>,
    /// Seconds a contact may wait.
    pub timeout_secs: Option<u32>,
    /// Most contacts waiting at once.
    pub max_length: Option<u32>,
}

/// A surface's own caps on queues (Udesk: 100 queues per app, length at most 512).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Longest allowed `max_length`.
    pub max_length: u32,
    /// Most queues per tenant.
    pub max_queues: usize,
}

/// An agent as directory reads show it: the agent with its queues, extensions and the contacts
/// it handles now.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentView {
    /// The agent.
    pub agent: Agent,
    /// `(queue id, queue name)` of every queue it is a member of, by queue id.
    pub queues: Vec<(String, String)>,
    /// Extensions bound to it, by number.
    pub extensions: Vec<Extension>,
    /// The open interactions it is assigned to, by number (no transcripts: a directory read
    /// costs what the directory holds).
    pub contacts: Vec<AgentContact>,
}

/// An open interaction an agent is assigned to, as directory reads show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentContact {
    /// Interaction id.
    pub interaction_id: String,
    /// Its per-tenant number.
    pub number: u64,
    /// Voice, chat, ...
    pub channel: ccemu_core::interaction::Channel,
    /// Where it stands (offered, ringing, connected, held, ...).
    pub state: ccemu_core::interaction::InteractionState,
}

impl State {
    /// Every agent (or the one named) with its memberships and devices, by id.
    pub fn agent_views(&self, agent_id: Option<&str>) -> Result<Vec<AgentView>> {
        // One pass over the open interactions, not one per agent.
        let mut handled: BTreeMap<&str, Vec<AgentContact>> = BTreeMap::new();
        for i in self.active.values() {
            if let Some(a) = i.agent_id.as_deref() {
                handled.entry(a).or_default().push(AgentContact {
                    interaction_id: i.id.clone(),
                    number: i.number,
                    channel: i.channel,
                    state: i.state,
                });
            }
        }
        for contacts in handled.values_mut() {
            contacts.sort_by_key(|c| c.number);
        }
        let view = |agent: &Agent| AgentView {
            agent: agent.clone(),
            queues: self
                .queues
                .values()
                .filter(|q| q.member(&agent.id).is_some())
                .map(|q| (q.id.clone(), q.name.clone()))
                .collect(),
            extensions: self
                .extensions
                .values()
                .filter(|e| e.agent_id.as_deref() == Some(agent.id.as_str()))
                .cloned()
                .collect(),
            contacts: handled.get(agent.id.as_str()).cloned().unwrap_or_default(),
        };
        match agent_id {
            Some(id) => {
                let agent = self.agents.get(id).ok_or_else(|| not_found("agent", id))?;
                Ok(vec![view(agent)])
            }
            None => Ok(self.agents.values().map(view).collect()),
        }
    }

    /// Creates or replaces a team (teams come from seeds and tenant fixtures; no vendor edits
    /// them).
    pub(super) fn put_team(
        &mut self,
        team: ccemu_core::Team,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        if team.id.trim().is_empty() {
            return Err(DomainError::Invalid {
                field: "id",
                reason: "must not be blank".into(),
            }
            .into());
        }
        if let Some(parent) = &team.parent_id {
            if parent == &team.id || !self.catalog.teams.contains_key(parent) {
                return Err(not_found("team", parent));
            }
        }
        fx.changes.put(&team)?;
        self.catalog.teams.insert(team.id.clone(), team.clone());
        Ok(OpOutput::Team(Box::new(team)))
    }

    /// Every queue (or the one named), by id.
    pub fn queue_list(&self, queue_id: Option<&str>) -> Result<Vec<Queue>> {
        match queue_id {
            Some(id) => {
                let q = self.queues.get(id).ok_or_else(|| not_found("queue", id))?;
                Ok(vec![q.clone()])
            }
            None => Ok(self.queues.values().cloned().collect()),
        }
    }

    /// Every extension, by number.
    pub fn extension_list(&self) -> Vec<Extension> {
        self.extensions.values().cloned().collect()
    }

    /// Creates agents, and extensions (bound to them or not), all or none.
    pub(super) fn create_agents(
        &mut self,
        agents: Vec<Agent>,
        extensions: Vec<NewExtension>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let mut ids = BTreeSet::new();
        for agent in &agents {
            agent.validate()?;
            if self.agents.contains_key(&agent.id) || !ids.insert(agent.id.as_str()) {
                return Err(DomainError::AlreadyExists {
                    kind: "agent",
                    id: agent.id.clone(),
                }
                .into());
            }
        }
        self.check_new_extensions(&extensions, &ids)?;
        let mut created = Vec::with_capacity(agents.len());
        for mut agent in agents {
            agent.state = AgentState::LoggedOut;
            agent.created_at_ms = now;
            agent.updated_at_ms = now;
            agent.state_since_ms = now;
            fx.changes.put(&agent)?;
            fx.events.push(DomainEvent::AgentCreated {
                agent_id: agent.id.clone(),
            });
            let id = agent.id.clone();
            created.push(agent.clone());
            self.agents.insert(id.clone(), agent);
            // A new agent is logged out in the ACD, so configuring it decides nothing.
            let decisions = self.sync_agent_config(&id, now);
            self.apply_decisions(decisions, now, fx)?;
        }
        let extensions = self.insert_extensions(extensions, fx)?;
        Ok(OpOutput::Provisioned {
            agents: created,
            extensions,
        })
    }

    /// Changes an agent's profile; its state and routing are left as they are.
    pub(super) fn update_agent(
        &mut self,
        agent_id: &str,
        patch: AgentPatch,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let mut agent = self
            .agents
            .get(agent_id)
            .ok_or_else(|| not_found("agent", agent_id))?
            .clone();
        let AgentPatch {
            work_id,
            name,
            email,
            phone,
            role,
            enabled,
            wrap_up_secs,
            extra,
        } = patch;
        if let Some(v) = work_id {
            agent.work_id = v;
        }
        if let Some(v) = name {
            agent.name = v;
        }
        if let Some(v) = email {
            agent.email = v;
        }
        if let Some(v) = phone {
            agent.phone = v;
        }
        if let Some(v) = role {
            agent.role = v;
        }
        if let Some(v) = enabled {
            agent.enabled = v;
        }
        if let Some(v) = wrap_up_secs {
            agent.wrap_up_secs = v;
        }
        for (key, value) in extra {
            if value.is_null() {
                agent.extra.remove(&key);
            } else {
                agent.extra.insert(key, value);
            }
        }
        agent.validate()?;
        agent.updated_at_ms = now;
        fx.changes.put(&agent)?;
        fx.events.push(DomainEvent::AgentUpdated {
            agent_id: agent_id.to_owned(),
        });
        self.agents.insert(agent_id.to_owned(), agent.clone());
        Ok(OpOutput::Agent(Box::new(agent)))
    }

    /// Deletes an agent that is in no queue and on no contact. Its bound extensions block the
    /// delete unless `delete_extensions` says to delete them with it.
    pub(super) fn delete_agent(
        &mut self,
        agent_id: &str,
        delete_extensions: bool,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let agent = self
            .agents
            .get(agent_id)
            .ok_or_else(|| not_found("agent", agent_id))?;
        let in_use = |reason: String| DomainError::InUse {
            kind: "agent",
            id: agent_id.to_owned(),
            reason,
        };
        if let Some(q) = self.queues.values().find(|q| q.member(agent_id).is_some()) {
            return Err(in_use(format!("member of queue {}", q.id)).into());
        }
        let bound: Vec<String> = self
            .extensions
            .values()
            .filter(|e| e.agent_id.as_deref() == Some(agent_id))
            .map(|e| e.id.clone())
            .collect();
        if let (Some(first), false) = (bound.first(), delete_extensions) {
            return Err(in_use(format!("extension {first} is bound to it")).into());
        }
        if matches!(
            agent.state,
            AgentState::Reserved | AgentState::Ringing | AgentState::OnContact
        ) || self
            .active
            .values()
            .any(|i| i.agent_id.as_deref() == Some(agent_id))
        {
            return Err(in_use("handling a contact".into()).into());
        }
        if let Some(aid) = self.agent_ids.get(agent_id) {
            let decisions = self
                .acd
                .remove_agent(acd::AgentId(aid as u32), now)
                .unwrap_or_default();
            self.apply_decisions(decisions, now, fx)?;
        }
        for id in bound {
            self.extensions.remove(&id);
            fx.changes.delete::<Extension>(&id);
            fx.events
                .push(DomainEvent::ExtensionDeleted { extension_id: id });
        }
        self.agents.remove(agent_id);
        fx.changes.delete::<Agent>(agent_id);
        fx.events.push(DomainEvent::AgentDeleted {
            agent_id: agent_id.to_owned(),
        });
        Ok(OpOutput::Deleted)
    }

    /// Creates one extension.
    pub(super) fn create_extension(
        &mut self,
        extension: NewExtension,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        self.check_new_extensions(std::slice::from_ref(&extension), &BTreeSet::new())?;
        let mut created = self.insert_extensions(vec![extension], fx)?;
        let extension = created.pop().ok_or_else(|| not_found("extension", ""))?;
        Ok(OpOutput::Extension(Box::new(extension)))
    }

    /// Deletes an extension that no agent holds.
    pub(super) fn delete_extension(&mut self, id: &str, fx: &mut Effects<'_>) -> Result<OpOutput> {
        let extension = self
            .extensions
            .get(id)
            .ok_or_else(|| not_found("extension", id))?;
        extension.check_deletable()?;
        self.extensions.remove(id);
        fx.changes.delete::<Extension>(id);
        fx.events.push(DomainEvent::ExtensionDeleted {
            extension_id: id.to_owned(),
        });
        Ok(OpOutput::Deleted)
    }

    /// Binds extensions to an agent, at most [`MAX_EXTENSIONS_PER_AGENT`] in all.
    pub(super) fn bind_extensions(
        &mut self,
        agent_id: &str,
        extension_ids: &[String],
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        if !self.agents.contains_key(agent_id) {
            return Err(not_found("agent", agent_id));
        }
        let mut bound: BTreeSet<&str> = self
            .extensions
            .values()
            .filter(|e| e.agent_id.as_deref() == Some(agent_id))
            .map(|e| e.id.as_str())
            .collect();
        for id in extension_ids {
            let e = self
                .extensions
                .get(id)
                .ok_or_else(|| not_found("extension", id))?;
            // Checked on a copy: nothing changes until every extension can be bound.
            e.clone().bind(agent_id)?;
            bound.insert(e.id.as_str());
        }
        if bound.len() > MAX_EXTENSIONS_PER_AGENT {
            return Err(DomainError::LimitExceeded(format!(
                "an agent holds at most {MAX_EXTENSIONS_PER_AGENT} extensions"
            ))
            .into());
        }
        for id in extension_ids {
            self.set_binding(id, Some(agent_id), fx)?;
        }
        self.agent_output(agent_id)
    }

    /// Releases extensions an agent holds; one it does not hold is left alone.
    pub(super) fn unbind_extensions(
        &mut self,
        agent_id: &str,
        extension_ids: &[String],
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        if !self.agents.contains_key(agent_id) {
            return Err(not_found("agent", agent_id));
        }
        for id in extension_ids {
            if !self.extensions.contains_key(id) {
                return Err(not_found("extension", id));
            }
        }
        for id in extension_ids {
            if self.extensions[id].agent_id.as_deref() == Some(agent_id) {
                self.set_binding(id, None, fx)?;
            }
        }
        self.agent_output(agent_id)
    }

    /// Creates a queue within the surface's limits.
    pub(super) fn create_queue(
        &mut self,
        mut queue: Queue,
        limits: QueueLimits,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        queue.validate(limits.max_length)?;
        if self.queues.contains_key(&queue.id) {
            return Err(DomainError::AlreadyExists {
                kind: "queue",
                id: queue.id,
            }
            .into());
        }
        check_queue_count(self.queues.len(), limits.max_queues)?;
        for m in &queue.members {
            if !self.agents.contains_key(&m.agent_id) {
                return Err(not_found("agent", &m.agent_id));
            }
        }
        queue.created_at_ms = now;
        queue.updated_at_ms = now;
        fx.changes.put(&queue)?;
        fx.events.push(DomainEvent::QueueCreated {
            queue_id: queue.id.clone(),
        });
        let id = queue.id.clone();
        let members: Vec<String> = queue.members.iter().map(|m| m.agent_id.clone()).collect();
        self.queues.insert(id.clone(), queue);
        let mut decisions = self.sync_queue(&id, now);
        for agent_id in &members {
            decisions.extend(self.sync_agent_config(agent_id, now));
        }
        self.apply_decisions(decisions, now, fx)?;
        self.queue_output(&id)
    }

    /// Changes a queue's settings; the ACD applies them to the contacts already waiting.
    pub(super) fn update_queue(
        &mut self,
        queue_id: &str,
        patch: QueuePatch,
        limits: QueueLimits,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let mut queue = self
            .queues
            .get(queue_id)
            .ok_or_else(|| not_found("queue", queue_id))?
            .clone();
        let QueuePatch {
            name,
            strategy,
            timeout_secs,
            max_length,
        } = patch;
        if let Some(v) = name {
            queue.name = v;
        }
        if let Some(v) = strategy {
            queue.strategy = v;
        }
        if let Some(v) = timeout_secs {
            queue.timeout_secs = v;
        }
        if let Some(v) = max_length {
            queue.max_length = v;
        }
        queue.validate(limits.max_length)?;
        queue.updated_at_ms = now;
        self.put_queue(queue, now, fx)
    }

    /// Deletes a queue that has no members and no contact waiting.
    pub(super) fn delete_queue(
        &mut self,
        queue_id: &str,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let queue = self
            .queues
            .get(queue_id)
            .ok_or_else(|| not_found("queue", queue_id))?;
        let in_use = |reason: String| DomainError::InUse {
            kind: "queue",
            id: queue_id.to_owned(),
            reason,
        };
        if let Some(m) = queue.members.first() {
            return Err(in_use(format!("agent {} is a member", m.agent_id)).into());
        }
        if let Some(qid) = self.queue_ids.get(queue_id) {
            self.acd
                .remove_queue(acd::QueueId(qid as u32))
                .map_err(|_| in_use("contacts are waiting in it".into()))?;
        }
        self.queues.remove(queue_id);
        fx.changes.delete::<Queue>(queue_id);
        fx.events.push(DomainEvent::QueueDeleted {
            queue_id: queue_id.to_owned(),
        });
        Ok(OpOutput::Deleted)
    }

    /// Makes every agent a member of every queue named (additive), or removes them; all or none.
    pub(super) fn change_members(
        &mut self,
        queue_ids: &[String],
        agent_ids: &[String],
        add: bool,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        for id in queue_ids {
            if !self.queues.contains_key(id) {
                return Err(not_found("queue", id));
            }
        }
        for id in agent_ids {
            if !self.agents.contains_key(id) {
                return Err(not_found("agent", id));
            }
        }
        let mut changed_agents = BTreeSet::new();
        for queue_id in queue_ids {
            let mut queue = self.queues[queue_id].clone();
            let mut changed = false;
            for agent_id in agent_ids {
                let did = if add {
                    queue.add_members([agent_id.as_str()]) > 0
                } else {
                    queue.remove_member(agent_id)
                };
                if did {
                    changed = true;
                    changed_agents.insert(agent_id.clone());
                }
            }
            if changed {
                queue.updated_at_ms = now;
                fx.changes.put(&queue)?;
                fx.events.push(DomainEvent::QueueUpdated {
                    queue_id: queue_id.clone(),
                });
                self.queues.insert(queue_id.clone(), queue);
            }
        }
        // Memberships are part of the agent's routing profile: the ACD re-learns each one.
        let mut decisions = Vec::new();
        for agent_id in &changed_agents {
            decisions.extend(self.sync_agent_config(agent_id, now));
        }
        self.apply_decisions(decisions, now, fx)?;
        let queues = queue_ids
            .iter()
            .filter_map(|id| self.queues.get(id).cloned())
            .collect();
        Ok(OpOutput::Queues(queues))
    }

    fn put_queue(&mut self, queue: Queue, now: i64, fx: &mut Effects<'_>) -> Result<OpOutput> {
        fx.changes.put(&queue)?;
        fx.events.push(DomainEvent::QueueUpdated {
            queue_id: queue.id.clone(),
        });
        let id = queue.id.clone();
        self.queues.insert(id.clone(), queue);
        let decisions = self.sync_queue(&id, now);
        self.apply_decisions(decisions, now, fx)?;
        self.queue_output(&id)
    }

    fn queue_output(&self, id: &str) -> Result<OpOutput> {
        let q = self.queues.get(id).ok_or_else(|| not_found("queue", id))?;
        Ok(OpOutput::Queue(Box::new(q.clone())))
    }

    fn agent_output(&self, id: &str) -> Result<OpOutput> {
        let a = self.agents.get(id).ok_or_else(|| not_found("agent", id))?;
        Ok(OpOutput::Agent(Box::new(a.clone())))
    }

    /// Refuses new extensions that are malformed, already exist, repeat, or name an agent that
    /// neither exists nor is in `new_agents`.
    fn check_new_extensions(
        &self,
        extensions: &[NewExtension],
        new_agents: &BTreeSet<&str>,
    ) -> Result<()> {
        let mut ids = BTreeSet::new();
        let mut per_agent = std::collections::BTreeMap::<&str, usize>::new();
        for e in extensions {
            probe(e).validate()?;
            if self.extensions.contains_key(&e.id) || !ids.insert(e.id.as_str()) {
                return Err(DomainError::AlreadyExists {
                    kind: "extension",
                    id: e.id.clone(),
                }
                .into());
            }
            if let Some(agent_id) = e.agent_id.as_deref() {
                if !self.agents.contains_key(agent_id) && !new_agents.contains(agent_id) {
                    return Err(not_found("agent", agent_id));
                }
                let held = self
                    .extensions
                    .values()
                    .filter(|x| x.agent_id.as_deref() == Some(agent_id))
                    .count();
                let n = per_agent.entry(agent_id).or_insert(held);
                *n += 1;
                if *n > MAX_EXTENSIONS_PER_AGENT {
                    return Err(DomainError::LimitExceeded(format!(
                        "an agent holds at most {MAX_EXTENSIONS_PER_AGENT} extensions"
                    ))
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Stores checked new extensions with generated passwords.
    fn insert_extensions(
        &mut self,
        extensions: Vec<NewExtension>,
        fx: &mut Effects<'_>,
    ) -> Result<Vec<Extension>> {
        let mut created = Vec::with_capacity(extensions.len());
        for new in extensions {
            let extension = Extension {
                password: crate::credentials::random_hex(8),
                ..probe(&new)
            };
            fx.changes.put(&extension)?;
            fx.events.push(DomainEvent::ExtensionCreated {
                extension_id: extension.id.clone(),
            });
            if extension.agent_id.is_some() {
                fx.events.push(DomainEvent::ExtensionUpdated {
                    extension_id: extension.id.clone(),
                    agent_id: extension.agent_id.clone(),
                });
            }
            self.extensions
                .insert(extension.id.clone(), extension.clone());
            created.push(extension);
        }
        Ok(created)
    }

    fn set_binding(
        &mut self,
        id: &str,
        agent_id: Option<&str>,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let e = self
            .extensions
            .get_mut(id)
            .ok_or_else(|| not_found("extension", id))?;
        if e.agent_id.as_deref() == agent_id {
            return Ok(());
        }
        match agent_id {
            Some(agent_id) => e.bind(agent_id)?,
            None => {
                e.unbind();
            }
        }
        fx.changes.put(&*e)?;
        fx.events.push(DomainEvent::ExtensionUpdated {
            extension_id: id.to_owned(),
            agent_id: e.agent_id.clone(),
        });
        Ok(())
    }
}

/// The extension a [`NewExtension`] becomes, before it has a password.
fn probe(new: &NewExtension) -> Extension {
    Extension {
        id: new.id.clone(),
        password: String::new(),
        number: new.number.clone(),
        agent_id: new.agent_id.clone(),
        state: ExtensionState::Offline,
    }
}
