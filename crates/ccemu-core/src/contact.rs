//! End users (UJET end users, Sangoma/Chatwoot contacts, Genesys customers, Cention senders).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::validate::{check_email, check_id, invalid};
use crate::DomainError;

/// A customer known to the center.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// Contact id.
    pub id: String,
    /// Caller-chosen key (UJET `identifier`, Chatwoot `identifier`), unique within the tenant.
    #[serde(default)]
    pub identifier: Option<String>,
    /// Id in the client's CRM (UJET `out_contact_id`).
    #[serde(default)]
    pub external_id: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Email, `""` when unknown.
    #[serde(default)]
    pub email: String,
    /// Phone number, `""` when unknown.
    #[serde(default)]
    pub phone: String,
    /// Free-form attributes (Chatwoot `custom_attributes`).
    #[serde(default)]
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Creation time, tenant epoch ms.
    #[serde(default)]
    pub created_at_ms: i64,
    /// Last change, tenant epoch ms.
    #[serde(default)]
    pub updated_at_ms: i64,
}
crate::entity!(Contact, "contact");

impl Contact {
    /// Checks the id and email and that the contact can be reached or recognised somehow.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_id("contact id", &self.id)?;
        check_email("email", &self.email)?;
        let known = self.identifier.as_deref().is_some_and(|i| !i.is_empty())
            || !self.email.is_empty()
            || !self.phone.is_empty()
            || !self.name.is_empty();
        if known {
            Ok(())
        } else {
            Err(invalid(
                "contact",
                "needs an identifier, name, email or phone",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact() -> Contact {
        Contact {
            id: "14".into(),
            identifier: None,
            external_id: None,
            name: String::new(),
            email: String::new(),
            phone: String::new(),
            attributes: BTreeMap::new(),
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn anonymous_contact_is_rejected() {
        assert!(contact().validate().is_err());
        let mut c = contact();
        c.phone = "+199999999".into();
        assert!(c.validate().is_ok());
        c.email = "x".into();
        assert!(c.validate().is_err());
    }

    #[test]
    fn contact_round_trips() {
        let mut c = contact();
        c.identifier = Some("abc123".into());
        c.attributes
            .insert("tier".into(), serde_json::json!("gold"));
        let back: Contact = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
