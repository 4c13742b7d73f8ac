//! Tenants (one contact center each) and the credentials of every vendor surface.

use serde::{Deserialize, Serialize};

/// Id of a tenant: `demo` for the seeded tenant, `t` + 12 hex digits for created ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(String);

impl TenantId {
    /// Id of the tenant that exists from the first start.
    pub const DEMO: &'static str = "demo";

    /// Accepts 1 to 64 characters of ASCII letters, digits, `-` and `_`.
    pub fn parse(raw: &str) -> Result<Self, crate::DomainError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(crate::DomainError::Invalid {
                field: "tenant id",
                reason: "1 to 64 characters of letters, digits, '-' and '_'".into(),
            })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One contact center, reachable through every vendor surface with its own credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Tenant id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Creation time, epoch milliseconds (wall clock, not the tenant clock).
    pub created_at_ms: i64,
    /// Credentials for each vendor surface.
    pub credentials: Credentials,
}

/// Credentials of one tenant for every vendor surface; field names are the control plane's wire names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// Udesk ccapi v2: account `Sid` + `AuthToken`, one app `AppId` + callback `Secret`.
    pub udesk: UdeskCredentials,
    /// UJET: Basic auth `subdomain:api_token` or legacy `company_key:company_secret`.
    pub ujet: UjetCredentials,
    /// Genesys GWS: `ContactCenterId` header; agents use Basic auth with this password.
    pub genesys: GenesysCredentials,
    /// Cention: `/s/{workspace}`, Bearer JWT, and the HMAC key pair of the Agent API.
    pub cention: CentionCredentials,
    /// Sangoma CX: OAuth client credentials and the tenant domain.
    pub sangoma: SangomaCredentials,
}

/// Udesk ccapi v2 credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UdeskCredentials {
    /// Account id (`Sid` query parameter).
    pub sid: String,
    /// Account token used in `Sign = SHA1(Sid + AuthToken + Timestamp)`.
    pub auth_token: String,
    /// Application id (`AppId`), the tenant key.
    pub app_id: String,
    /// Secret used to sign callbacks.
    pub app_secret: String,
}

/// UJET credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UjetCredentials {
    /// Subdomain, the Basic-auth username.
    pub subdomain: String,
    /// API token, the Basic-auth password.
    pub api_token: String,
    /// Legacy company key (username).
    pub company_key: String,
    /// Legacy company secret (password); also signs custom data JWTs.
    pub company_secret: String,
}

/// Genesys GWS credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesysCredentials {
    /// Value of the `ContactCenterId` header (a UUID).
    pub contact_center_id: String,
    /// Password accepted for every agent's Basic auth.
    pub agent_password: String,
}

/// Cention credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentionCredentials {
    /// Workspace name in `/s/{workspace}`.
    pub workspace: String,
    /// Bearer token accepted on the JWT APIs.
    pub jwt: String,
    /// Secret that signs the JWT.
    pub jwt_secret: String,
    /// Agent API HMAC access key id.
    pub access_key_id: String,
    /// Agent API HMAC access key secret.
    pub access_key_secret: String,
}

/// Sangoma CX credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SangomaCredentials {
    /// `tenant_domain` carried in request bodies, e.g. `acme.cx.sangoma.com`.
    pub tenant_domain: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_id_rejects_empty_slash_and_overlong() {
        assert!(TenantId::parse("").is_err());
        assert!(TenantId::parse("a/b").is_err());
        assert!(TenantId::parse(&"x".repeat(65)).is_err());
        assert_eq!(TenantId::parse("demo").unwrap().as_str(), "demo");
    }
}
