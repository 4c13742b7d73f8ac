//! Custom contact lists: the engine numbers lists and entries and keeps every change checked.

use super::{not_found, Effects, OpOutput, State};
use crate::Result;
use ccemu_core::{ContactList, ContactListEntry};

/// What changes in an entry; `None` keeps the value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactListEntryPatch {
    /// Name.
    pub name: Option<String>,
    /// Phone number.
    pub phone_number: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Client's key.
    pub external_id: Option<String>,
}

/// One change to the tenant's contact lists.
#[derive(Debug, Clone)]
pub enum ContactListEdit {
    /// A new, empty list.
    Create {
        /// Name.
        name: String,
        /// Free text.
        description: String,
    },
    /// Renames or re-describes a list.
    Update {
        /// The list.
        list_id: String,
        /// New name.
        name: Option<String>,
        /// New description.
        description: Option<String>,
    },
    /// Deletes a list and its entries.
    Delete {
        /// The list.
        list_id: String,
    },
    /// Appends entries (ids and times are set by the engine), all or none.
    AddEntries {
        /// The list.
        list_id: String,
        /// The entries.
        entries: Vec<ContactListEntry>,
    },
    /// Changes one entry.
    UpdateEntry {
        /// The list.
        list_id: String,
        /// The entry.
        entry_id: u64,
        /// What changes.
        patch: ContactListEntryPatch,
    },
    /// Removes one entry.
    DeleteEntry {
        /// The list.
        list_id: String,
        /// The entry.
        entry_id: u64,
    },
}

impl State {
    /// Applies one contact-list change; answers the list after it (or `Deleted`).
    pub(super) fn edit_contact_list(
        &mut self,
        edit: ContactListEdit,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let mut list = match edit {
            ContactListEdit::Create { name, description } => ContactList {
                id: (self.last_contact_list_id + 1).to_string(),
                name,
                description,
                created_at_ms: now,
                ..ContactList::default()
            },
            ContactListEdit::Delete { list_id } => {
                if self.contact_lists.remove(&list_id).is_none() {
                    return Err(not_found("contact list", &list_id));
                }
                fx.changes.delete::<ContactList>(&list_id);
                return Ok(OpOutput::Deleted);
            }
            ContactListEdit::Update {
                list_id,
                name,
                description,
            } => {
                let mut list = self.contact_list(&list_id)?;
                if let Some(name) = name {
                    list.name = name;
                }
                if let Some(description) = description {
                    list.description = description;
                }
                list
            }
            ContactListEdit::AddEntries { list_id, entries } => {
                let mut list = self.contact_list(&list_id)?;
                for mut e in entries {
                    list.last_entry_id += 1;
                    e.id = list.last_entry_id;
                    e.created_at_ms = now;
                    e.updated_at_ms = now;
                    list.entries.push(e);
                }
                list
            }
            ContactListEdit::UpdateEntry {
                list_id,
                entry_id,
                patch,
            } => {
                let mut list = self.contact_list(&list_id)?;
                let e = list
                    .entries
                    .iter_mut()
                    .find(|e| e.id == entry_id)
                    .ok_or_else(|| not_found("contact list entry", &entry_id.to_string()))?;
                if let Some(v) = patch.name {
                    e.name = v;
                }
                if let Some(v) = patch.phone_number {
                    e.phone_number = v;
                }
                if let Some(v) = patch.email {
                    e.email = v;
                }
                if let Some(v) = patch.external_id {
                    e.external_id = Some(v);
                }
                e.updated_at_ms = now;
                list
            }
            ContactListEdit::DeleteEntry { list_id, entry_id } => {
                let mut list = self.contact_list(&list_id)?;
                let before = list.entries.len();
                list.entries.retain(|e| e.id != entry_id);
                if list.entries.len() == before {
                    return Err(not_found("contact list entry", &entry_id.to_string()));
                }
                list
            }
        };
        list.updated_at_ms = now;
        list.validate()?;
        if let Ok(n) = list.id.parse::<u64>() {
            self.last_contact_list_id = self.last_contact_list_id.max(n);
        }
        fx.changes.put(&list)?;
        self.contact_lists.insert(list.id.clone(), list.clone());
        Ok(OpOutput::ContactList(Box::new(list)))
    }

    fn contact_list(&self, id: &str) -> Result<ContactList> {
        self.contact_lists
            .get(id)
            .cloned()
            .ok_or_else(|| not_found("contact list", id))
    }
}
