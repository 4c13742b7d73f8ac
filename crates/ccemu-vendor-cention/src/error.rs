//! Cention error shapes (`vendor-notes/cention.md` §2).
//!
//! Cention publishes no error body. Errors are JSON:API error documents
//! `{"errors":[{"status","title","detail"}]}` with the same HTTP status (the note's \[inferred\]
//! choice), except the Bot API registration failure, documented as an `error` object.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// JSON:API media type of error documents.
pub const JSON_API: &str = "application/vnd.api+json";

/// A Cention error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CentionError {
    /// 400: the request document is malformed.
    BadDocument(String),
    /// 401: bad or missing token or HMAC signature, or a credential of another workspace.
    Unauthorized(String),
    /// 403: the token lacks the right the endpoint needs.
    Forbidden(String),
    /// 404: unknown id, path or method.
    NotFound,
    /// 422: the document fails validation.
    Unprocessable(String),
    /// 400: Bot API registration failure, `{"error":{"message"}}`.
    BotRegistration(String),
    /// 501: a known Cention operation that ccemu does not emulate yet.
    NotImplemented(&'static str),
}

impl CentionError {
    /// The HTTP status (also the JSON:API `status` member).
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadDocument(_) | Self::BotRegistration(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
        }
    }

    /// The human-readable `detail` (or bot error `message`).
    pub fn detail(&self) -> String {
        match self {
            Self::BadDocument(detail)
            | Self::Unauthorized(detail)
            | Self::Forbidden(detail)
            | Self::Unprocessable(detail)
            | Self::BotRegistration(detail) => detail.clone(),
            Self::NotFound => "The requested resource does not exist".to_owned(),
            Self::NotImplemented(operation) => format!("{operation} is not emulated by ccemu yet"),
        }
    }
}

impl IntoResponse for CentionError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::BotRegistration(message) = self {
            return (status, Json(json!({"error": {"message": message}}))).into_response();
        }
        let error = json!({
            "status": status.as_str(),
            "title": status.canonical_reason().unwrap_or_default(),
            "detail": self.detail(),
        });
        let mut response = (status, Json(json!({"errors": [error]}))).into_response();
        let media_type = HeaderValue::from_static(JSON_API);
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, media_type);
        response
    }
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use serde_json::Value;

    use super::*;

    async fn render(error: CentionError) -> (StatusCode, String, Value) {
        let response = error.into_response();
        let status = response.status();
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (
            status,
            content_type,
            serde_json::from_slice(&bytes).unwrap(),
        )
    }

    #[tokio::test]
    async fn unauthorized_is_a_json_api_error_document() {
        let error = CentionError::Unauthorized("Invalid token".to_owned());
        let (status, content_type, body) = render(error).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(content_type, JSON_API);
        assert_eq!(
            body,
            json!({"errors": [{"status": "401", "title": "Unauthorized", "detail": "Invalid token"}]})
        );
    }

    #[tokio::test]
    async fn bot_registration_failure_is_an_error_object() {
        let error = CentionError::BotRegistration("webhook unreachable".to_owned());
        let (status, content_type, body) = render(error).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(content_type, "application/json");
        assert_eq!(body, json!({"error": {"message": "webhook unreachable"}}));
    }
}
