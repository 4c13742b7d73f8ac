//! Credentials issued at run time, beyond the fixed per-tenant ones in [`crate::tenant`]: Cention
//! access tokens with rights and agent access keys, and Sangoma OAuth access tokens with scopes.

use serde::{Deserialize, Serialize};

use crate::validate::check_id;
use crate::DomainError;

/// What kind of secret a credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A bearer token minted by an administrator (Cention access token, bot JWT).
    ApiToken,
    /// An OAuth 2.0 access token from the client-credentials grant (Sangoma).
    OAuthAccessToken,
    /// An HMAC key pair; `id` is the key id and `secret` signs (Cention Agent API).
    AccessKey,
}

/// A credential that grants some rights (scopes) to one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCredential {
    /// Id, safe to log; for access keys, the public key id.
    pub id: String,
    /// Kind.
    pub kind: CredentialKind,
    /// Vendor surface it belongs to (`cention`, `sangoma`, ...).
    pub surface: String,
    /// The secret: bearer token value or HMAC key. Never log it.
    pub secret: String,
    /// Display name (Cention "Key").
    #[serde(default)]
    pub name: String,
    /// Rights or OAuth scopes granted.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Agent the credential acts as, if any.
    #[serde(default)]
    pub agent_id: Option<String>,
    /// Creation time, tenant epoch ms.
    #[serde(default)]
    pub created_at_ms: i64,
    /// Expiry, tenant epoch ms; `None` never expires. Follows the tenant clock like every timer.
    #[serde(default)]
    pub expires_at_ms: Option<i64>,
    /// Revoked credentials stay for audit but authorise nothing.
    #[serde(default)]
    pub revoked: bool,
}
crate::entity!(ApiCredential, "api_credential");

impl ApiCredential {
    /// Checks the id, surface and that the secret is not empty.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_id("credential id", &self.id)?;
        check_id("surface", &self.surface)?;
        crate::validate::check_not_blank("secret", &self.secret)
    }

    /// True when neither revoked nor expired.
    pub fn is_active(&self, now_ms: i64) -> bool {
        !self.revoked && self.expires_at_ms.is_none_or(|e| now_ms < e)
    }

    /// True when the credential grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Seconds until expiry as OAuth `expires_in` reports it; `None` when it never expires.
    pub fn expires_in_secs(&self, now_ms: i64) -> Option<i64> {
        self.expires_at_ms.map(|e| ((e - now_ms) / 1000).max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> ApiCredential {
        ApiCredential {
            id: "tok1".into(),
            kind: CredentialKind::OAuthAccessToken,
            surface: "sangoma".into(),
            secret: "s3cret".into(),
            name: String::new(),
            scopes: vec!["cx.agent-calls".into()],
            agent_id: None,
            created_at_ms: 0,
            expires_at_ms: Some(10_000),
            revoked: false,
        }
    }

    #[test]
    fn expiry_and_revocation_end_activity() {
        let t = token();
        assert!(t.is_active(9_999));
        assert!(!t.is_active(10_000));
        let mut r = token();
        r.revoked = true;
        assert!(!r.is_active(0));
    }

    #[test]
    fn scopes_and_expires_in() {
        let t = token();
        assert!(t.has_scope("cx.agent-calls"));
        assert!(!t.has_scope("cx.queue-calls"));
        assert_eq!(t.expires_in_secs(2_500), Some(7));
        assert_eq!(t.expires_in_secs(20_000), Some(0));
    }

    #[test]
    fn empty_secret_is_invalid() {
        let mut t = token();
        assert!(t.validate().is_ok());
        t.secret = String::new();
        assert!(t.validate().is_err());
    }
}
