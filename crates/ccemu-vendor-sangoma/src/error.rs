//! Sangoma error shapes (`vendor-notes/sangoma.md` §2).
//!
//! The token endpoint answers RFC 6749 §5.2 errors (`{"error":"<code>"}`); the CX API answers
//! Chatwoot-style `{"error":"<text>"}` or, for validation, `{"message","attributes"}`. Both are
//! the note's \[inferred\] choices: Sangoma publishes no error body.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Which Sangoma API an error belongs to; it decides the not-implemented shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// OAuth 2.0 token endpoint (`/oauth/token`): RFC 6749 errors.
    OAuth,
    /// CX API (`/cx/api/v1`): Chatwoot-style errors.
    Cx,
}

impl Api {
    /// The API of a full Sangoma path.
    pub fn for_path(path: &str) -> Self {
        if path.starts_with("/oauth") {
            Self::OAuth
        } else {
            Self::Cx
        }
    }
}

/// A Sangoma error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SangomaError {
    /// Token, 401 `invalid_client` with `WWW-Authenticate: Basic`: unknown client or bad secret.
    InvalidClient,
    /// Token, 400 `invalid_request`: malformed token request.
    InvalidRequest,
    /// Token, 400 `unsupported_grant_type`: anything but `client_credentials`.
    UnsupportedGrantType,
    /// Token, 400 `invalid_scope`: no scope or an unknown one.
    InvalidScope,
    /// CX, 401: missing, bad or expired Bearer token.
    Unauthorized,
    /// CX, 403 `insufficient_scope`: the token lacks the endpoint's scope.
    InsufficientScope,
    /// 404: unknown inbox, contact, conversation, path or method.
    NotFound,
    /// CX, 422 `{"error"}`: a required parameter is missing.
    MissingParameter(String),
    /// CX, 422 `{"message","attributes"}`: validation failed on the named fields.
    Invalid {
        /// Full validation messages.
        message: String,
        /// Names of the invalid fields.
        attributes: Vec<String>,
    },
    /// 501: a known Sangoma operation that ccemu does not emulate yet.
    NotImplemented(Api, &'static str),
}

impl SangomaError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidRequest | Self::UnsupportedGrantType | Self::InvalidScope => {
                StatusCode::BAD_REQUEST
            }
            Self::InvalidClient | Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MissingParameter(_) | Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotImplemented(..) => StatusCode::NOT_IMPLEMENTED,
        }
    }
}

impl IntoResponse for SangomaError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            Self::InvalidClient => json!({"error": "invalid_client"}),
            Self::InvalidRequest => json!({"error": "invalid_request"}),
            Self::UnsupportedGrantType => json!({"error": "unsupported_grant_type"}),
            Self::InvalidScope => json!({"error": "invalid_scope"}),
            Self::Unauthorized => json!({"error": "You are not authorized to do this action"}),
            Self::InsufficientScope => json!({"error": "insufficient_scope"}),
            Self::NotFound => json!({"error": "Resource could not be found"}),
            Self::MissingParameter(message) => json!({"error": message}),
            Self::Invalid {
                message,
                attributes,
            } => json!({"message": message, "attributes": attributes}),
            Self::NotImplemented(Api::OAuth, operation) => json!({
                "error": "server_error",
                "error_description": format!("{operation} is not emulated by ccemu yet"),
            }),
            Self::NotImplemented(Api::Cx, operation) => {
                json!({"error": format!("{operation} is not emulated by ccemu yet")})
            }
        };
        let mut response = (status, Json(body)).into_response();
        if self == Self::InvalidClient {
            let challenge = HeaderValue::from_static("Basic");
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use serde_json::Value;

    use super::*;

    async fn render(error: SangomaError) -> (StatusCode, header::HeaderMap, Value) {
        let (parts, body) = error.into_response().into_parts();
        let bytes = to_bytes(body, usize::MAX).await.unwrap();
        (
            parts.status,
            parts.headers,
            serde_json::from_slice(&bytes).unwrap(),
        )
    }

    #[tokio::test]
    async fn invalid_client_is_401_with_a_basic_challenge() {
        let (status, headers, body) = render(SangomaError::InvalidClient).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Basic");
        assert_eq!(body, json!({"error": "invalid_client"}));
    }

    #[tokio::test]
    async fn validation_names_the_invalid_attributes() {
        let error = SangomaError::Invalid {
            message: "Inbox must exist".to_owned(),
            attributes: vec!["inbox".to_owned()],
        };
        let (status, _, body) = render(error).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body,
            json!({"message": "Inbox must exist", "attributes": ["inbox"]})
        );
    }
}
