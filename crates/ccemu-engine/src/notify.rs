//! Turning domain events into HTTP notifications.
//!
//! Each vendor surface (and ccemu's own webhooks) brings a [`Notifier`] that says, for one event and
//! the tenant's subscriptions, what to send. The tenant's owner task asks every notifier just before
//! it commits a command, and the notifications go into the durable outbox in the same transaction as
//! the events they announce; the delivery worker ([`crate::delivery`]) sends them from there.
//!
//! Events name their subjects by id only; a notifier that needs more (numbers, state names, an
//! agent's extension) reads it through a [`View`] of the tenant as the command leaves it.

use crate::state::State;
use crate::{EngineError, OpOutput, Result};
use ccemu_core::agent::Agent;
use ccemu_core::event::EventRecord;
use ccemu_core::interaction::Interaction;
use ccemu_core::telephony::Extension;
use ccemu_core::{DomainError, Subscription, Tenant};
use ccemu_store::outbox::Notification;
use ccemu_store::Changes;
use std::borrow::Cow;
use std::sync::Arc;
use tokio::sync::Notify;

/// Says what to send when something happens in a tenant. Runs on the tenant's owner task, inside
/// the command, so it must be quick and must not block: build the requests, nothing more.
pub trait Notifier: Send + Sync + 'static {
    /// Appends to `out` the notifications `event` causes for `tenant`, given its `subscriptions`
    /// (every surface's; a notifier picks those of its own surface) and a `view` of the tenant
    /// as the command that emitted the event leaves it.
    fn notify(
        &self,
        tenant: &Tenant,
        subscriptions: &[Subscription],
        view: &View<'_>,
        event: &EventRecord,
        out: &mut Vec<Notification>,
    );

    /// Finishes one of its notifications just before each delivery attempt (the worker calls
    /// every notifier; each leaves other sources' alone): a surface whose receivers check a
    /// signature over the current time signs here, so a retry is signed afresh and the stored
    /// URL, which orders deliveries, stays the same. The default sends it as stored.
    fn prepare(&self, tenant: &Tenant, notification: &mut Notification) {
        let _ = (tenant, notification);
    }
}

/// A read-only look at a tenant at commit time: its state after the command, and the records the
/// command wrote. Borrowed from the owner task, so building one costs nothing.
///
/// Every event of a command sees the same view, the state after the whole command: a notifier
/// takes what changed from the event itself and only the surrounding facts (numbers, names,
/// devices) from here.
pub struct View<'a> {
    state: &'a State,
    written: &'a Changes,
}

impl<'a> View<'a> {
    pub(crate) fn new(state: &'a State, written: &'a Changes) -> Self {
        Self { state, written }
    }

    /// An agent of the tenant.
    pub fn agent(&self, id: &str) -> Option<&'a Agent> {
        self.state.agent(id)
    }

    /// An interaction, also one the command has just ended: ended interactions leave the working
    /// set, but their final record is among the command's writes.
    pub fn interaction(&self, id: &str) -> Option<Cow<'a, Interaction>> {
        if let Some(i) = self.state.interaction(id) {
            return Some(Cow::Borrowed(i));
        }
        // The last write of a record is its state at commit.
        self.written.interaction(id).map(Cow::Borrowed)
    }

    /// An extension, by number.
    pub fn extension(&self, id: &str) -> Option<&'a Extension> {
        self.state.extension(id)
    }

    /// The extensions bound to an agent, by number.
    pub fn extensions_of(&self, agent_id: &'a str) -> impl Iterator<Item = &'a Extension> + 'a {
        self.state.extensions_of(agent_id)
    }
}

/// The engine's notifiers and the bell that wakes its delivery worker; shared by every tenant.
pub(crate) struct Notifiers {
    notifiers: Vec<Arc<dyn Notifier>>,
    wake: Notify,
}

impl Notifiers {
    pub fn new(notifiers: Vec<Arc<dyn Notifier>>) -> Self {
        Self {
            notifiers,
            wake: Notify::new(),
        }
    }

    /// Asks every notifier about every event pending in `changes`, with a view of `state`, and
    /// adds what they produce.
    pub fn collect(&self, tenant: &Tenant, state: &State, changes: &mut Changes, from: usize) {
        let subscriptions = state.subscriptions.as_slice();
        // Every target is a subscription: without one there is nothing to send, and the common
        // case (load tests, no webhooks) costs nothing per event.
        if subscriptions.is_empty() || self.notifiers.is_empty() {
            return;
        }
        let view = View::new(state, changes);
        let mut out = Vec::new();
        for event in changes.events.iter().skip(from) {
            for notifier in &self.notifiers {
                notifier.notify(tenant, subscriptions, &view, event, &mut out);
            }
        }
        changes.notifications.append(&mut out);
    }

    /// Lets every notifier finish a notification before an attempt ([`Notifier::prepare`]).
    pub fn prepare(&self, tenant: &Tenant, notification: &mut Notification) {
        for notifier in &self.notifiers {
            notifier.prepare(tenant, notification);
        }
    }

    /// Tells the worker that new notifications were committed.
    pub fn wake(&self) {
        // notify_one keeps a permit when the worker is busy, so a wake-up is never lost.
        self.wake.notify_one();
    }

    /// Resolves at the next [`Notifiers::wake`] (or at once if one is pending).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// A tenant's webhook subscriptions (every surface's), ordered by id, as its owner task keeps them.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions(Vec<Subscription>);

impl Subscriptions {
    /// Adds one stored subscription document.
    pub fn load(&mut self, data: serde_json::Value) -> Result<()> {
        let sub: Subscription =
            serde_json::from_value(data).map_err(|e| EngineError::Store(e.into()))?;
        self.insert(sub);
        Ok(())
    }

    /// All of them, ordered by id.
    pub fn as_slice(&self) -> &[Subscription] {
        &self.0
    }

    /// Creates or replaces a subscription (by id).
    pub fn put(&mut self, sub: Subscription, changes: &mut Changes) -> Result<OpOutput> {
        sub.validate()?;
        changes.put(&sub)?;
        self.insert(sub.clone());
        Ok(OpOutput::Subscription(Box::new(sub)))
    }

    /// Deletes a subscription.
    pub fn delete(&mut self, id: &str, changes: &mut Changes) -> Result<OpOutput> {
        let at = self
            .0
            .binary_search_by(|s| s.id.as_str().cmp(id))
            .map_err(|_| {
                EngineError::Domain(DomainError::NotFound {
                    kind: "subscription",
                    id: id.to_owned(),
                })
            })?;
        changes.delete::<Subscription>(id);
        self.0.remove(at);
        Ok(OpOutput::Deleted)
    }

    /// Creates subscriptions numbered within `numbering`'s surface, in order: each gets the next
    /// number, unless its name is taken by one of the numbered ones (or by an earlier one of the
    /// list); those are `None` in the answer, which follows the list.
    pub fn create_numbered(
        &mut self,
        numbering: &Numbering,
        subs: Vec<Subscription>,
        now: i64,
        changes: &mut Changes,
    ) -> Result<OpOutput> {
        let mut next = self.numbered(numbering).map(|(n, _)| n).max().unwrap_or(0) + 1;
        let mut created = Vec::with_capacity(subs.len());
        for mut sub in subs {
            if self.name_taken(numbering, &sub.name, None) {
                created.push(None);
                continue;
            }
            sub.id = numbering.id(next);
            sub.surface.clone_from(&numbering.surface);
            sub.created_at_ms = now;
            self.put(sub.clone(), changes)?;
            created.push(Some(sub));
            next += 1;
        }
        Ok(OpOutput::Subscriptions(created))
    }

    /// Changes the numbered subscription `number`; a new name must not be another's.
    pub fn update_numbered(
        &mut self,
        numbering: &Numbering,
        number: u64,
        patch: SubscriptionPatch,
        changes: &mut Changes,
    ) -> Result<OpOutput> {
        let id = numbering.id(number);
        let mut sub = self
            .numbered(numbering)
            .find(|(n, _)| *n == number)
            .map(|(_, s)| s.clone())
            .ok_or_else(|| {
                EngineError::Domain(DomainError::NotFound {
                    kind: "subscription",
                    id: id.clone(),
                })
            })?;
        if let Some(name) = &patch.name {
            if self.name_taken(numbering, name, Some(number)) {
                return Err(DomainError::AlreadyExists {
                    kind: SUBSCRIPTION_NAME,
                    id: name.clone(),
                }
                .into());
            }
        }
        patch.apply(&mut sub);
        self.put(sub, changes)
    }

    /// Changes subscription `template.id`, creating it from `template` (created now) if missing.
    pub fn edit(
        &mut self,
        template: Subscription,
        patch: SubscriptionPatch,
        now: i64,
        changes: &mut Changes,
    ) -> Result<OpOutput> {
        let mut sub = match self.0.binary_search_by(|s| s.id.cmp(&template.id)) {
            Ok(at) => self.0[at].clone(),
            Err(_) => Subscription {
                created_at_ms: now,
                ..template
            },
        };
        patch.apply(&mut sub);
        self.put(sub, changes)
    }

    /// The numbered subscriptions of `numbering`'s surface, with their numbers.
    fn numbered<'a>(
        &'a self,
        numbering: &'a Numbering,
    ) -> impl Iterator<Item = (u64, &'a Subscription)> + 'a {
        self.0
            .iter()
            .filter_map(|s| numbering.number(s).map(|n| (n, s)))
    }

    fn name_taken(&self, numbering: &Numbering, name: &str, except: Option<u64>) -> bool {
        self.numbered(numbering)
            .any(|(n, s)| Some(n) != except && s.name == name)
    }

    fn insert(&mut self, sub: Subscription) {
        match self.0.binary_search_by(|s| s.id.cmp(&sub.id)) {
            Ok(at) => self.0[at] = sub,
            Err(at) => self.0.insert(at, sub),
        }
    }
}

/// The `kind` of the [`DomainError::AlreadyExists`] a numbered subscription's taken name causes.
pub const SUBSCRIPTION_NAME: &str = "subscription name";

/// How a surface numbers its subscriptions (Udesk's named ones): ids `<prefix><n>`, `n` one more
/// than the highest of the surface's, and names unique among them. The engine allocates the
/// number inside the command, so two creates never get the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Numbering {
    /// The surface whose subscriptions are numbered.
    pub surface: String,
    /// What goes before the number in the record id.
    pub prefix: String,
}

impl Numbering {
    /// The record id of number `n`.
    pub fn id(&self, n: u64) -> String {
        format!("{}{n}", self.prefix)
    }

    /// The number of one of this surface's numbered subscriptions, `None` for any other.
    pub fn number(&self, sub: &Subscription) -> Option<u64> {
        if sub.surface != self.surface {
            return None;
        }
        sub.id.strip_prefix(&self.prefix)?.parse().ok()
    }
}

/// What changes in a subscription; `None` keeps the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionPatch {
    /// New name.
    pub name: Option<String>,
    /// New callback URL.
    pub callback_url: Option<String>,
    /// New events, or events added to those wanted.
    pub events: Option<EventsEdit>,
    /// New signing secret (`Some(None)` removes it).
    pub secret: Option<Option<String>>,
    /// Enabled or not.
    pub enabled: Option<bool>,
}

/// A change of the events a subscription wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventsEdit {
    /// These, in this order.
    Replace(Vec<String>),
    /// These as well, appended when not there yet; a subscription left with none wants
    /// [`Subscription::NO_EVENTS`] (an empty list would mean all).
    Add(Vec<String>),
}

impl SubscriptionPatch {
    fn apply(self, sub: &mut Subscription) {
        if let Some(name) = self.name {
            sub.name = name;
        }
        if let Some(url) = self.callback_url {
            sub.callback_url = url;
        }
        match self.events {
            Some(EventsEdit::Replace(events)) => sub.events = events,
            Some(EventsEdit::Add(names)) => {
                sub.events.retain(|e| e != Subscription::NO_EVENTS);
                for name in names {
                    if !sub.events.contains(&name) {
                        sub.events.push(name);
                    }
                }
                if sub.events.is_empty() {
                    sub.events.push(Subscription::NO_EVENTS.to_owned());
                }
            }
            None => {}
        }
        if let Some(secret) = self.secret {
            sub.secret = secret;
        }
        if let Some(enabled) = self.enabled {
            sub.enabled = enabled;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(id: &str) -> Subscription {
        Subscription {
            id: id.into(),
            surface: "ccemu".into(),
            name: String::new(),
            callback_url: "http://127.0.0.1:9/hook".into(),
            events: vec!["*".into()],
            secret: None,
            enabled: true,
            created_at_ms: 0,
        }
    }

    #[test]
    fn the_view_finds_an_interaction_the_command_ended_as_last_written() {
        use ccemu_core::interaction::{Channel, Direction};
        let state = State::default();
        let mut first = Interaction::new("c1", Channel::Voice, Direction::Inbound, 0);
        first.from = "13800138000".into();
        let mut last = first.clone();
        last.agent_id = Some("1001".into());
        let mut changes = Changes::default();
        changes.put(&first).unwrap();
        changes.put(&sub("s1")).unwrap();
        changes.put(&last).unwrap();
        let view = View::new(&state, &changes);
        let found = view.interaction("c1").expect("found among the writes");
        // Borrowed from the command's writes: no copy of a transcript per event.
        assert!(matches!(found, Cow::Borrowed(_)));
        assert_eq!(found.agent_id.as_deref(), Some("1001"));
        assert_eq!(found.from, "13800138000");
        // A record of another kind with that id, or nothing written, is not an interaction.
        assert!(view.interaction("s1").is_none());
        assert!(view.interaction("c2").is_none());
        assert!(view.agent("1001").is_none());
        assert!(view.extension("8001").is_none());
        assert_eq!(view.extensions_of("1001").count(), 0);
    }

    #[test]
    fn put_replaces_by_id_and_delete_of_unknown_is_not_found() {
        let mut subs = Subscriptions::default();
        let mut changes = Changes::default();
        subs.put(sub("b"), &mut changes).unwrap();
        subs.put(sub("a"), &mut changes).unwrap();
        let mut b2 = sub("b");
        b2.events = vec!["clock.changed".into()];
        subs.put(b2.clone(), &mut changes).unwrap();
        assert_eq!(subs.as_slice(), &[sub("a"), b2][..]);
        assert_eq!(changes.puts.len(), 3);

        subs.delete("a", &mut changes).unwrap();
        assert_eq!(changes.deletes, vec![("subscription".into(), "a".into())]);
        assert!(matches!(
            subs.delete("a", &mut changes),
            Err(EngineError::Domain(DomainError::NotFound { .. }))
        ));
        let mut bad = sub("c");
        bad.callback_url = "ftp://x".into();
        assert!(subs.put(bad, &mut changes).is_err());
        assert_eq!(subs.as_slice().len(), 1);
    }

    fn udesk() -> Numbering {
        Numbering {
            surface: "udesk".into(),
            prefix: "udesk-".into(),
        }
    }

    fn named(name: &str) -> Subscription {
        Subscription {
            name: name.into(),
            ..sub("")
        }
    }

    fn created(out: OpOutput) -> Vec<Option<(String, String)>> {
        let OpOutput::Subscriptions(subs) = out else {
            panic!("subscriptions expected");
        };
        subs.into_iter()
            .map(|s| s.map(|s| (s.id, s.name)))
            .collect()
    }

    #[test]
    fn numbered_creates_continue_after_the_highest_of_the_surface_and_skip_taken_names() {
        let mut subs = Subscriptions::default();
        let mut changes = Changes::default();
        // Another surface's record that looks numbered does not count, nor does its name.
        let mut other = sub("udesk-9");
        other.name = "a".into();
        subs.put(other, &mut changes).unwrap();
        let out = subs
            .create_numbered(
                &udesk(),
                vec![named("a"), named("b"), named("a")],
                5,
                &mut changes,
            )
            .unwrap();
        assert_eq!(
            created(out),
            [
                Some(("udesk-1".into(), "a".into())),
                Some(("udesk-2".into(), "b".into())),
                None
            ]
        );
        let out = subs
            .create_numbered(&udesk(), vec![named("b"), named("c")], 6, &mut changes)
            .unwrap();
        assert_eq!(created(out), [None, Some(("udesk-3".into(), "c".into()))]);
        let c = &subs.as_slice()[2];
        assert_eq!((c.surface.as_str(), c.created_at_ms), ("udesk", 6));
    }

    #[test]
    fn numbered_updates_refuse_unknown_numbers_and_taken_names() {
        let mut subs = Subscriptions::default();
        let mut changes = Changes::default();
        subs.create_numbered(&udesk(), vec![named("a"), named("b")], 0, &mut changes)
            .unwrap();
        let rename = |name: &str| SubscriptionPatch {
            name: Some(name.into()),
            ..SubscriptionPatch::default()
        };
        assert!(matches!(
            subs.update_numbered(&udesk(), 9, rename("x"), &mut changes),
            Err(EngineError::Domain(DomainError::NotFound { .. }))
        ));
        assert!(matches!(
            subs.update_numbered(&udesk(), 1, rename("b"), &mut changes),
            Err(EngineError::Domain(DomainError::AlreadyExists {
                kind: SUBSCRIPTION_NAME,
                ..
            }))
        ));
        // Its own name is not taken by itself.
        subs.update_numbered(&udesk(), 1, rename("a"), &mut changes)
            .unwrap();
        subs.update_numbered(&udesk(), 1, rename("z"), &mut changes)
            .unwrap();
        assert_eq!(subs.as_slice()[0].name, "z");
    }

    #[test]
    fn edit_creates_from_the_template_then_adds_events_around_the_placeholder() {
        let mut subs = Subscriptions::default();
        let mut changes = Changes::default();
        let mut template = sub("app");
        template.events = vec![Subscription::NO_EVENTS.into()];
        let add = |names: &[&str]| SubscriptionPatch {
            events: Some(EventsEdit::Add(names.iter().map(|n| (*n).into()).collect())),
            ..SubscriptionPatch::default()
        };
        subs.edit(template.clone(), add(&[]), 7, &mut changes)
            .unwrap();
        assert_eq!(subs.as_slice()[0].events, [Subscription::NO_EVENTS]);
        assert_eq!(subs.as_slice()[0].created_at_ms, 7);
        subs.edit(
            template.clone(),
            add(&["end", "begin", "end"]),
            8,
            &mut changes,
        )
        .unwrap();
        assert_eq!(subs.as_slice()[0].events, ["end", "begin"]);
        assert_eq!(subs.as_slice()[0].created_at_ms, 7, "kept, not re-created");
        let patch = SubscriptionPatch {
            events: Some(EventsEdit::Replace(vec!["x".into()])),
            secret: Some(Some("s".into())),
            enabled: Some(false),
            ..SubscriptionPatch::default()
        };
        subs.edit(template, patch, 9, &mut changes).unwrap();
        let got = &subs.as_slice()[0];
        assert_eq!(
            (got.events.clone(), got.secret.as_deref(), got.enabled),
            (vec!["x".to_owned()], Some("s"), false)
        );
    }
}
