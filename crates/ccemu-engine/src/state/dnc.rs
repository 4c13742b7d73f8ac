//! The tenant's do-not-call list: entries keyed by the normalised number, which the dialer and
//! agent-placed calls consult before any number rings.
//!
//! An expired entry stays stored (a later add of the number updates it) but blocks nothing.

use super::{not_found, Effects, OpOutput, State};
use crate::Result;
use ccemu_core::dnc::{normalize_phone, DncEntry};

impl State {
    /// Adds a number, or updates the expiry of one already listed (`created` says which).
    pub(super) fn put_dnc_entry(
        &mut self,
        phone_number: &str,
        expires_at_ms: Option<i64>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let mut entry = DncEntry::new(phone_number, expires_at_ms, now)?;
        let created = match self.dnc.get(&entry.id) {
            Some(old) => {
                entry.created_at_ms = old.created_at_ms;
                entry.phone_number.clone_from(&old.phone_number);
                false
            }
            None => true,
        };
        fx.changes.put(&entry)?;
        self.dnc.insert(entry.id.clone(), entry.clone());
        Ok(OpOutput::DncEntry {
            entry: Box::new(entry),
            created,
        })
    }

    /// Takes a number off the list; a number not listed is `NotFound`.
    pub(super) fn remove_dnc_entry(
        &mut self,
        phone_number: &str,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let id = normalize_phone(phone_number)?;
        if self.dnc.remove(&id).is_none() {
            return Err(not_found("dnc entry", &id));
        }
        fx.changes.delete::<DncEntry>(&id);
        Ok(OpOutput::Deleted)
    }

    /// Whether a number is on the list and the entry has not lapsed at `now`.
    pub(super) fn dnc_listed(&self, number: &str, now: i64) -> bool {
        normalize_phone(number)
            .ok()
            .and_then(|id| self.dnc.get(&id))
            .is_some_and(|e| e.is_active(now))
    }
}
