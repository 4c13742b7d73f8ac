//! End users (contacts) and what a surface attaches to an interaction: language, parent, end user,
//! custom data; and interactions that start later (scheduled callbacks, started by
//! `state/scheduled.rs` when their timer fires).
//!
//! Vendor-neutral: UJET end users and call/chat flags map here, and any surface with CRM-style
//! contacts or callbacks can reuse it. Contacts live in the store, not in the working set: before
//! a command that names one, the owner task reads it ([`Op::contact_keys`]) into a cache that
//! holds it until the group of ops committed with that command is written, so an upsert by
//! identifier is still decided by the single writer, an op sees what an earlier op of its group
//! wrote, and memory does not grow with the tenant's end users.

use std::collections::BTreeMap;

use super::{corrupt, not_found, Effects, Op, OpOutput, State};
use crate::Result;
use ccemu_core::event::DomainEvent;
use ccemu_core::interaction::{Channel, Direction, Interaction, InteractionState, ParticipantKind};
use ccemu_core::timer::TimerAction;
use ccemu_core::{Contact, DomainError};

/// What a surface attaches to an interaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotation {
    /// Language code.
    pub lang: Option<String>,
    /// Interaction this one follows from.
    pub parent_id: Option<String>,
    /// The end user (contact id); it must exist.
    pub contact_id: Option<String>,
    /// Attached data, merged key by key; a `null` value removes the key.
    pub custom_data: BTreeMap<String, serde_json::Value>,
}

/// The contacts the commands being applied name (one group of ops, see `Center::ops`), by id,
/// and the highest numeric id given.
#[derive(Debug, Default)]
pub(super) struct Contacts {
    by_id: BTreeMap<String, Contact>,
    last_id: u64,
}

impl Contacts {
    /// Takes a contact document (a seed): cached, and its id counted.
    pub fn load(&mut self, data: serde_json::Value) -> Result<()> {
        let c: Contact = serde_json::from_value(data).map_err(corrupt)?;
        self.cache(c);
        Ok(())
    }

    /// Holds a contact read from the store for the command being applied.
    pub fn cache(&mut self, c: Contact) {
        self.raise_last_id(&c.id);
        self.by_id.insert(c.id.clone(), c);
    }

    /// Forgets the cached contacts once their command is done.
    pub fn forget(&mut self) {
        self.by_id.clear();
    }

    /// Never gives an id at or below a numeric `id` already in use.
    pub fn raise_last_id(&mut self, id: &str) {
        if let Ok(n) = id.parse::<u64>() {
            self.last_id = self.last_id.max(n);
        }
    }

    fn by_identifier(&self, identifier: &str) -> Option<&Contact> {
        self.by_id
            .values()
            .find(|c| c.identifier.as_deref() == Some(identifier))
    }

    /// The next id: one more than the largest numeric id, so ids read as UJET's integers.
    fn next_id(&mut self) -> String {
        self.last_id += 1;
        self.last_id.to_string()
    }
}

impl Op {
    /// The stored contacts this op reads, to be cached before it is applied.
    pub(crate) fn contact_keys(&self) -> Vec<ccemu_store::query::ContactKey> {
        use ccemu_store::query::ContactKey;
        match self {
            Op::UpsertContact { identifier, .. } => {
                vec![ContactKey::Identifier(identifier.trim().to_owned())]
            }
            Op::AnnotateInteraction { note, .. } | Op::ScheduleInteraction { note, .. } => note
                .contact_id
                .iter()
                .map(|id| ContactKey::Id(id.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl State {
    /// Whether the contact a key names is held already: read for an earlier op of the group,
    /// or written by one (then newer than the store's copy).
    pub(crate) fn has_contact(&self, key: &ccemu_store::query::ContactKey) -> bool {
        use ccemu_store::query::ContactKey;
        match key {
            ContactKey::Id(id) => self.contacts.by_id.contains_key(id),
            ContactKey::Identifier(identifier) => self.contacts.by_identifier(identifier).is_some(),
            ContactKey::ExternalId(_) | ContactKey::Phone(_) | ContactKey::Email(_) => false,
        }
    }

    /// Holds contacts read for the command about to be applied.
    pub(crate) fn cache_contacts(&mut self, contacts: impl IntoIterator<Item = Contact>) {
        for c in contacts {
            self.contacts.cache(c);
        }
    }

    /// Forgets the contacts of the command just applied.
    pub(crate) fn forget_contacts(&mut self) {
        self.contacts.forget();
    }

    /// Counts the highest numeric contact id in the store, so new ids come after it.
    pub(crate) fn raise_contact_id(&mut self, last: u64) {
        self.contacts.raise_last_id(&last.to_string());
    }
}

fn set(field: &mut String, value: Option<String>) {
    if let Some(v) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        *field = v;
    }
}

impl State {
    pub(super) fn apply_contacts(
        &mut self,
        op: Op,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        match op {
            Op::AnnotateInteraction {
                interaction_id,
                note,
            } => self.annotate(&interaction_id, note, now, fx),
            Op::ScheduleInteraction {
                channel,
                queue_id,
                customer,
                scheduled_at_ms,
                note,
            } => self.schedule(channel, queue_id, customer, scheduled_at_ms, note, now, fx),
            Op::UpsertContact {
                identifier,
                name,
                email,
                phone,
                external_id,
            } => self.upsert_contact(identifier, name, email, phone, external_id, now, fx),
            _ => unreachable!("apply_contacts only receives its own ops"),
        }
    }

    fn check_note(&self, note: &Annotation) -> Result<()> {
        if let Some(id) = &note.contact_id {
            if !self.contacts.by_id.contains_key(id) {
                return Err(not_found("contact", id));
            }
        }
        Ok(())
    }

    fn annotate(
        &mut self,
        interaction_id: &str,
        note: Annotation,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        self.check_note(&note)?;
        let i = self
            .active
            .get_mut(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        note_into(i, note);
        i.updated_at_ms = now;
        let i = i.clone();
        fx.changes.put(&i)?;
        fx.events.push(DomainEvent::InteractionUpdated {
            interaction_id: i.id.clone(),
        });
        Ok(OpOutput::Interaction(Box::new(i)))
    }

    #[allow(clippy::too_many_arguments)]
    fn schedule(
        &mut self,
        channel: Channel,
        queue_id: Option<String>,
        customer: String,
        scheduled_at_ms: i64,
        note: Annotation,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        self.check_note(&note)?;
        if let Some(q) = &queue_id {
            if !self.queues.contains_key(q) {
                return Err(not_found("queue", q));
            }
        }
        if scheduled_at_ms <= now {
            return Err(DomainError::Invalid {
                field: "scheduled_at",
                reason: "must be in the future".into(),
            }
            .into());
        }
        let mut i = self.new_interaction(channel, Direction::Outbound, now);
        let id = i.id.clone();
        i.queue_id = queue_id.clone();
        i.to = customer.clone();
        i.scheduled_at_ms = Some(scheduled_at_ms);
        i.add_participant(ParticipantKind::Customer, None, None, customer, now)?;
        note_into(&mut i, note);
        i.set_state(InteractionState::Scheduled, now)?;
        fx.changes.put(&i)?;
        // Persisted with this command, so the callback starts even after a restart.
        fx.timers.push((
            scheduled_at_ms,
            TimerAction::StartScheduled {
                interaction_id: id.clone(),
            },
        ));
        fx.events.push(DomainEvent::InteractionCreated {
            interaction_id: id.clone(),
            channel,
            direction: Direction::Outbound,
            queue_id,
            agent_id: None,
        });
        self.active.insert(id, i.clone());
        Ok(OpOutput::Interaction(Box::new(i)))
    }

    #[allow(clippy::too_many_arguments)]
    fn upsert_contact(
        &mut self,
        identifier: String,
        name: Option<String>,
        email: Option<String>,
        phone: Option<String>,
        external_id: Option<String>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let identifier = identifier.trim().to_owned();
        if identifier.is_empty() {
            return Err(DomainError::Invalid {
                field: "identifier",
                reason: "must not be blank".into(),
            }
            .into());
        }
        let existing = self.contacts.by_identifier(&identifier).cloned();
        let created = existing.is_none();
        let mut c = existing.unwrap_or_else(|| Contact {
            id: self.contacts.next_id(),
            identifier: Some(identifier),
            external_id: None,
            name: String::new(),
            email: String::new(),
            phone: String::new(),
            attributes: BTreeMap::new(),
            created_at_ms: now,
            updated_at_ms: now,
        });
        set(&mut c.name, name);
        set(&mut c.email, email);
        if c.phone.is_empty() {
            set(&mut c.phone, phone);
        }
        if let Some(x) = external_id.filter(|x| !x.trim().is_empty()) {
            c.external_id = Some(x);
        }
        c.updated_at_ms = now;
        c.validate()?;
        fx.changes.put(&c)?;
        fx.events.push(if created {
            DomainEvent::ContactCreated {
                contact_id: c.id.clone(),
            }
        } else {
            DomainEvent::ContactUpdated {
                contact_id: c.id.clone(),
            }
        });
        self.contacts.by_id.insert(c.id.clone(), c.clone());
        Ok(OpOutput::Contact(Box::new(c)))
    }
}

fn note_into(i: &mut Interaction, note: Annotation) {
    if note.lang.is_some() {
        i.lang = note.lang;
    }
    if note.parent_id.is_some() {
        i.parent_id = note.parent_id;
    }
    if let Some(contact) = note.contact_id {
        for p in &mut i.participants {
            if p.kind == ParticipantKind::Customer {
                p.contact_id = Some(contact.clone());
            }
        }
        i.contact_id = Some(contact);
    }
    for (k, v) in note.custom_data {
        if v.is_null() {
            i.custom_data.remove(&k);
        } else {
            i.custom_data.insert(k, v);
        }
    }
}
