//! The engine's read API: history pages answered by the store's indexed queries, and the live
//! working set answered from memory. Vendor surfaces and the control plane read through these,
//! never through the store, so what a read costs is the page it returns.

use crate::center::Command;
use crate::{Engine, Result};
use ccemu_core::interaction::{Interaction, Message};
use ccemu_core::{AgentStateLog, Contact, TenantId};
pub use ccemu_store::query::{
    ContactKey, InteractionFilter, InteractionOrder, Page, ServiceLevel, StateLogFilter,
};

/// A small configuration kind kept whole as a document (settings, subscriptions, IVR menus, DNC
/// entries, jobs, ...), which may be read whole. History kinds (interactions, state logs,
/// contacts) and the directory (agents, queues, teams, skills) have their own reads instead.
pub trait ConfigRecord: ccemu_core::Entity {}

macro_rules! config_records {
    ($($ty:ty),* $(,)?) => { $(impl ConfigRecord for $ty {})* };
}
config_records!(
    ccemu_core::SurfaceSettings,
    ccemu_core::Subscription,
    ccemu_core::RelayNumber,
    ccemu_core::VoiceFile,
    ccemu_core::DefaultVoices,
    ccemu_core::IvrMenu,
    ccemu_core::ContactList,
    ccemu_core::DncEntry,
    ccemu_core::Job,
    ccemu_core::ApiCredential,
    ccemu_core::TenantRetention,
    crate::sim::SimSettings,
);

impl Engine {
    /// One interaction, open or ended, with its participants, transfers, recordings and transcript.
    pub async fn interaction(
        &self,
        id: &TenantId,
        interaction_id: &str,
    ) -> Result<Option<Interaction>> {
        self.center(id)?;
        Ok(self.inner.store.interaction(id, interaction_id).await?)
    }

    /// One interaction by its per-tenant number ([`Interaction::number`]).
    pub async fn interaction_by_number(
        &self,
        id: &TenantId,
        number: u64,
    ) -> Result<Option<Interaction>> {
        self.center(id)?;
        Ok(self.inner.store.interaction_by_number(id, number).await?)
    }

    /// A page of interactions, open and ended, that match `filter`; transcripts only with
    /// [`InteractionFilter::with_messages`] (else see [`Engine::messages`]).
    pub async fn interactions(
        &self,
        id: &TenantId,
        filter: &InteractionFilter,
    ) -> Result<Page<Interaction>> {
        self.center(id)?;
        Ok(self.inner.store.interactions(id, filter).await?)
    }

    /// The transcript of an interaction from `index` on (1-based; 0 or 1 is the whole transcript);
    /// `None` when the tenant has no such interaction.
    pub async fn messages(
        &self,
        id: &TenantId,
        interaction_id: &str,
        index: u32,
    ) -> Result<Option<Vec<Message>>> {
        Ok(self
            .interaction(id, interaction_id)
            .await?
            .map(|i| i.messages_from(index).to_vec()))
    }

    /// The interactions that have not ended, by id, from the live working set.
    pub async fn open_interactions(&self, id: &TenantId) -> Result<Vec<Interaction>> {
        self.center(id)?
            .call(|reply| Command::OpenInteractions { reply })
            .await
    }

    /// A page of finished agent state periods that match `filter`.
    pub async fn state_logs(
        &self,
        id: &TenantId,
        filter: &StateLogFilter,
    ) -> Result<Page<AgentStateLog>> {
        self.center(id)?;
        Ok(self.inner.store.state_logs(id, filter).await?)
    }

    /// Service-level counts of each `(queue, threshold_ms)` over the tenant's contacts so far.
    pub async fn service_levels(
        &self,
        id: &TenantId,
        queues: &[(String, i64)],
    ) -> Result<Vec<ServiceLevel>> {
        self.center(id)?;
        Ok(self.inner.store.service_levels(id, queues).await?)
    }

    /// For each log, the state its agent was in during the period before it (`None` for an
    /// agent's first period).
    pub async fn previous_states(
        &self,
        id: &TenantId,
        logs: &[AgentStateLog],
    ) -> Result<Vec<Option<ccemu_core::AgentState>>> {
        self.center(id)?;
        Ok(self.inner.store.previous_states(id, logs).await?)
    }

    /// The tenant's teams, by id (from memory).
    pub async fn teams(&self, id: &TenantId) -> Result<Vec<ccemu_core::Team>> {
        self.center(id)?
            .call(|reply| Command::Teams { reply })
            .await
    }

    /// The tenant's skills, by id (from memory).
    pub async fn skills(&self, id: &TenantId) -> Result<Vec<ccemu_core::Skill>> {
        self.center(id)?
            .call(|reply| Command::Skills { reply })
            .await
    }

    /// The contact (end user) a key names.
    pub async fn contact(&self, id: &TenantId, key: &ContactKey) -> Result<Option<Contact>> {
        self.center(id)?;
        Ok(self.inner.store.contact(id, key).await?)
    }

    /// The contacts with these ids (those the tenant has), by id: one read for a whole page.
    pub async fn contacts_by_id(&self, id: &TenantId, ids: &[String]) -> Result<Vec<Contact>> {
        self.center(id)?;
        Ok(self.inner.store.contacts_by_id(id, ids).await?)
    }

    /// The per-tenant numbers of the interactions with these ids (those the tenant has), as
    /// `(id, number)`: one read for a whole page.
    pub async fn interaction_numbers(
        &self,
        id: &TenantId,
        ids: &[String],
    ) -> Result<Vec<(String, u64)>> {
        self.center(id)?;
        Ok(self.inner.store.interaction_numbers(id, ids).await?)
    }

    /// A page of contacts, by id.
    pub async fn contacts(&self, id: &TenantId, offset: u64, limit: u64) -> Result<Page<Contact>> {
        self.center(id)?;
        Ok(self.inner.store.contacts(id, offset, limit).await?)
    }

    /// Every record of one configuration kind in a tenant, ordered by id.
    pub async fn records<E: ConfigRecord>(&self, id: &TenantId) -> Result<Vec<E>> {
        self.center(id)?;
        Ok(self.inner.store.list(id).await?)
    }

    /// One configuration record of a tenant by id, `None` if there is none.
    pub async fn record<E: ConfigRecord>(
        &self,
        id: &TenantId,
        record_id: &str,
    ) -> Result<Option<E>> {
        self.center(id)?;
        Ok(self.inner.store.get(id, record_id).await?)
    }
}
