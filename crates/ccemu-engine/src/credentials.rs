//! Fresh random credentials for new tenants.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ccemu_core::tenant::*;
use hmac::{Hmac, Mac};
use rand::RngCore;

/// `n` random bytes as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A random RFC 4122 version-4 UUID, as Udesk AppIds and Genesys contact-center ids are.
pub fn random_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A new tenant id: `t` + 12 hex digits.
pub fn new_tenant_id() -> TenantId {
    // Always valid: letters and digits only.
    TenantId::parse(&format!("t{}", random_hex(6))).unwrap_or_else(|_| unreachable!())
}

/// An HS256 JWT naming the workspace, so Cention clients that decode their token find sane claims.
pub fn cention_jwt(workspace: &str, secret: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({ "iss": "ccemu", "sub": workspace, "space": workspace });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Fresh credentials for every vendor surface of the tenant `id`.
pub fn generate(id: &str) -> Credentials {
    let jwt_secret = random_hex(32);
    Credentials {
        udesk: UdeskCredentials {
            sid: format!("AC{}", random_hex(8)),
            auth_token: random_hex(16),
            app_id: random_uuid(),
            app_secret: random_hex(16),
        },
        ujet: UjetCredentials {
            subdomain: id.to_owned(),
            api_token: random_hex(20),
            company_key: random_hex(16),
            company_secret: random_hex(32),
        },
        genesys: GenesysCredentials {
            contact_center_id: random_uuid(),
            agent_password: random_hex(8),
        },
        cention: CentionCredentials {
            workspace: id.to_owned(),
            jwt: cention_jwt(id, &jwt_secret),
            jwt_secret,
            access_key_id: random_hex(10),
            access_key_secret: random_hex(20),
        },
        sangoma: SangomaCredentials {
            tenant_domain: format!("{id}.cx.sangoma.com"),
            client_id: random_hex(16),
            client_secret: random_hex(24),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_credentials_differ_between_tenants() {
        let (a, b) = (generate("ta"), generate("tb"));
        assert_ne!(a.udesk.auth_token, b.udesk.auth_token);
        assert_ne!(a.ujet.api_token, b.ujet.api_token);
        assert_ne!(a.genesys.contact_center_id, b.genesys.contact_center_id);
        assert_eq!(a.ujet.subdomain, "ta");
        assert_eq!(a.cention.workspace, "ta");
        assert_eq!(a.udesk.app_id.len(), 36);
    }

    #[test]
    fn cention_jwt_has_three_parts_and_a_verifiable_signature() {
        let token = cention_jwt("acme", "secret");
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        assert!(mac.verify_slice(&sig).is_ok());
    }
}
