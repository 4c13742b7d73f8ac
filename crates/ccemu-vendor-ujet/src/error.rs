//! UJET error shapes (`vendor-notes/ujet.md` §2).
//!
//! The Apps API answers errors as `{"message"}`; the Manager API (and bad Basic auth on both
//! APIs) as `{"error":"<HTTP reason>","message","status"}`, which reporting clients rely on.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Which of the two UJET APIs an error belongs to; it decides the error shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Apps API (`/apps/api/v1`): `{"message"}`.
    Apps,
    /// Manager API (`/manager/api/v1`): `{"error","message","status"}`.
    Manager,
}

impl Api {
    /// The API of a full UJET path.
    pub fn for_path(path: &str) -> Self {
        if path.starts_with("/manager/api/v1") {
            Self::Manager
        } else {
            Self::Apps
        }
    }
}

/// A UJET error: HTTP status plus message, rendered in the shape of its API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UjetError {
    /// 400: validation error, e.g. `Invalid call type`.
    BadRequest(Api, String),
    /// 401: bad or missing Basic auth (same shape on both APIs, plus `WWW-Authenticate`).
    Unauthorized,
    /// 403: the credential may not use this API (e.g. a company secret on bulk users).
    Forbidden(Api, String),
    /// 404: unknown path, method or record.
    NotFound(Api),
    /// 422: well-formed but unacceptable request (Manager API).
    Unprocessable(Api, String),
    /// 429: the tenant's rate limit is switched on and used up; retry after so many seconds.
    TooManyRequests(Api, u64),
    /// 501: a known UJET operation that ccemu does not emulate yet.
    NotImplemented(Api, &'static str),
    /// 500: a real fault of ccemu (storage); the detail is logged, never returned.
    Internal(Api),
}

impl UjetError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(..) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(..) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unprocessable(..) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            Self::NotImplemented(..) => StatusCode::NOT_IMPLEMENTED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The API whose shape the error takes (bad auth always takes the Manager shape).
    fn api(&self) -> Api {
        match self {
            Self::Unauthorized => Api::Manager,
            Self::BadRequest(api, _)
            | Self::Forbidden(api, _)
            | Self::NotFound(api)
            | Self::Unprocessable(api, _)
            | Self::TooManyRequests(api, _)
            | Self::NotImplemented(api, _)
            | Self::Internal(api) => *api,
        }
    }

    /// The `message` text.
    pub fn message(&self) -> String {
        match self {
            Self::BadRequest(_, message)
            | Self::Forbidden(_, message)
            | Self::Unprocessable(_, message) => message.clone(),
            Self::Unauthorized => "Invalid credentials".to_owned(),
            Self::NotFound(Api::Apps) => "Not Found".to_owned(),
            Self::NotFound(Api::Manager) => "Resource not found".to_owned(),
            Self::TooManyRequests(..) => "Rate limit exceeded".to_owned(),
            Self::Internal(_) => "Internal Server Error".to_owned(),
            Self::NotImplemented(_, operation) => {
                format!("{operation} is not emulated by ccemu yet")
            }
        }
    }
}

impl IntoResponse for UjetError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match self.api() {
            Api::Apps => json!({"message": self.message()}),
            Api::Manager => json!({
                "error": status.canonical_reason().unwrap_or_default(),
                "message": self.message(),
                "status": status.as_u16(),
            }),
        };
        let mut response = (status, Json(body)).into_response();
        if let Self::TooManyRequests(_, secs) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        if self == Self::Unauthorized {
            let challenge = header::HeaderValue::from_static(r#"Basic realm="ujet""#);
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

impl UjetError {
    /// The UJET answer to an engine error, in the shape of `api`: the one place where domain
    /// errors become UJET statuses. Invalid and conflicting requests are 400 on the Apps API
    /// (UJET's only validation status there) and 422 on the Manager API.
    pub fn from_engine(api: Api, error: ccemu_engine::EngineError) -> Self {
        use ccemu_core::DomainError as D;
        use ccemu_engine::EngineError as E;
        match error {
            E::Domain(D::NotFound { .. }) | E::TenantNotFound => Self::NotFound(api),
            E::Domain(D::Invalid { reason, .. }) => Self::BadRequest(api, reason),
            E::Domain(
                e @ (D::AlreadyExists { .. }
                | D::IllegalTransition { .. }
                | D::Conflict(_)
                | D::InUse { .. }
                | D::LimitExceeded(_)),
            ) => match api {
                Api::Apps => Self::BadRequest(api, e.to_string()),
                Api::Manager => Self::Unprocessable(api, e.to_string()),
            },
            error => {
                tracing::error!(%error, "ujet request failed inside the engine");
                Self::Internal(api)
            }
        }
    }
}

impl UjetError {
    /// The error a failed job step reports: what the same change made through a request would
    /// have answered (see [`UjetError::from_engine`]).
    pub fn from_step(api: Api, error: &ccemu_core::StepError) -> Self {
        use ccemu_core::StepError as S;
        match error {
            S::NotFound { .. } => Self::NotFound(api),
            S::Invalid { reason, .. } => Self::BadRequest(api, reason.clone()),
            S::Refused { message } => match api {
                Api::Apps => Self::BadRequest(api, message.clone()),
                Api::Manager => Self::Unprocessable(api, message.clone()),
            },
            S::Failed => Self::Internal(api),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use serde_json::Value;

    use super::*;

    async fn render(error: UjetError) -> (StatusCode, header::HeaderMap, Value) {
        let (parts, body) = error.into_response().into_parts();
        let bytes = to_bytes(body, usize::MAX).await.unwrap();
        (
            parts.status,
            parts.headers,
            serde_json::from_slice(&bytes).unwrap(),
        )
    }

    #[tokio::test]
    async fn unauthorized_has_error_message_status_and_a_basic_challenge() {
        let (status, headers, body) = render(UjetError::Unauthorized).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers[header::WWW_AUTHENTICATE], r#"Basic realm="ujet""#);
        assert_eq!(
            body,
            json!({"error": "Unauthorized", "message": "Invalid credentials", "status": 401})
        );
    }

    #[tokio::test]
    async fn apps_validation_error_is_a_bare_message() {
        let error = UjetError::BadRequest(Api::Apps, "Invalid call type".to_owned());
        let (status, _, body) = render(error).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body, json!({"message": "Invalid call type"}));
    }

    #[test]
    fn api_follows_the_base_path() {
        assert_eq!(Api::for_path("/manager/api/v1/agents"), Api::Manager);
        assert_eq!(Api::for_path("/apps/api/v1/calls"), Api::Apps);
    }
}
