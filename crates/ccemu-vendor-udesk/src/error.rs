//! Udesk error table and envelopes (`vendor-notes/udesk.md` §2).
//!
//! Udesk documents 6-digit string codes but no HTTP statuses for errors; the statuses below are
//! the note's \[inferred\] mapping. The same code table renders in two envelopes: A
//! (`{"ErrCode","ErrDesc","Result":null}`, also used for the B endpoints, whose error shape is
//! unpublished) and C–E (`{"code","message"}`).

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ccemu_core::DomainError;
use ccemu_engine::EngineError;
use serde_json::json;

/// Which of the two error shapes an endpoint answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// Envelopes A and B: `{"ErrCode","ErrDesc","Result"}`.
    ErrCode,
    /// Envelopes C–E: `{"code","message"}`.
    Code,
}

impl Envelope {
    /// The envelope of a full Udesk path: C–E for `agent/hold`, `transfer/agent`, `cc_ad_task/*`.
    pub fn for_path(path: &str) -> Self {
        let api = path.strip_prefix("/ccapi/v2/").unwrap_or(path);
        if api == "agent/hold" || api == "transfer/agent" || api.starts_with("cc_ad_task/") {
            Self::Code
        } else {
            Self::ErrCode
        }
    }
}

/// One row of the Udesk code table, plus the emulator's own not-implemented and unknown-API cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UdeskError {
    /// `000001`, 400: a parameter is missing or invalid.
    InvalidParameter(Cow<'static, str>),
    /// `000001`, 401: bad `Sign`, expired `Timestamp` or unknown `Sid`.
    SignInvalid,
    /// `000003`, 500: internal error (details are logged, never returned).
    Internal,
    /// `000004`, 404: the record to delete does not exist.
    DataNotFound,
    /// `000004`, 404: no Udesk API at this path (or not with this method).
    UnknownApi,
    /// `100002`, 403: AppId unknown or disabled.
    AppForbidden,
    /// `100004`, 422: an AgentId or QueueId already exists.
    Duplicate(String),
    /// `100004`, 400: body missing or not JSON.
    BadJson,
    /// `100004`, 422: seat still bound to a queue or extension.
    AgentInUse,
    /// `100004`, 422: queue still has seats (the code and text are \[inferred\]).
    QueueInUse,
    /// `100015`, 422: extension already exists.
    ExtensionExists,
    /// `100016`, 422: extension bound to a seat.
    ExtensionBound,
    /// `100017`, 400: AppId missing.
    AppIdBlank,
    /// `100018`, 404: agent, queue or IVR file named in the body not found.
    RecordNotFound,
    /// `000003`, 501: a known Udesk operation that ccemu does not emulate yet.
    NotImplemented(&'static str),
}

impl UdeskError {
    /// The Udesk `ErrCode` / `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidParameter(_) | Self::SignInvalid => "000001",
            Self::Internal | Self::NotImplemented(_) => "000003",
            Self::DataNotFound | Self::UnknownApi => "000004",
            Self::AppForbidden => "100002",
            Self::Duplicate(_) | Self::BadJson | Self::AgentInUse | Self::QueueInUse => "100004",
            Self::ExtensionExists => "100015",
            Self::ExtensionBound => "100016",
            Self::AppIdBlank => "100017",
            Self::RecordNotFound => "100018",
        }
    }

    /// The HTTP status (the note's \[inferred\] mapping; 501 for not implemented).
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidParameter(_) | Self::BadJson | Self::AppIdBlank => StatusCode::BAD_REQUEST,
            Self::SignInvalid => StatusCode::UNAUTHORIZED,
            Self::AppForbidden => StatusCode::FORBIDDEN,
            Self::DataNotFound | Self::UnknownApi | Self::RecordNotFound => StatusCode::NOT_FOUND,
            Self::Duplicate(_)
            | Self::AgentInUse
            | Self::QueueInUse
            | Self::ExtensionExists
            | Self::ExtensionBound => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
        }
    }

    /// The `ErrDesc` / `message` text.
    pub fn desc(&self) -> Cow<'static, str> {
        match self {
            Self::InvalidParameter(desc) => desc.clone(),
            Self::SignInvalid => "Sign invalid".into(),
            Self::Internal => "System internal error".into(),
            Self::DataNotFound => "Data does not exist".into(),
            Self::UnknownApi => "API does not exist".into(),
            Self::AppForbidden => "AppId AppNotFound or forbidden".into(),
            Self::Duplicate(what) => format!("Duplicate entry {what}").into(),
            Self::BadJson => "unexpected end of JSON input".into(),
            Self::AgentInUse => "Agent has queue or voip, can't delete".into(),
            Self::QueueInUse => "Queue has agents, can't delete".into(),
            Self::ExtensionExists => "NumberIsExisted".into(),
            Self::ExtensionBound => "VoipBindAgent".into(),
            Self::AppIdBlank => "AppID Blank".into(),
            Self::RecordNotFound => "RecordNotFound".into(),
            Self::NotImplemented(operation) => {
                format!("{operation} is not emulated by ccemu yet").into()
            }
        }
    }

    /// Renders the error in the given envelope.
    pub fn into_response_in(self, envelope: Envelope) -> Response {
        let body = match envelope {
            Envelope::ErrCode => {
                json!({"ErrCode": self.code(), "ErrDesc": self.desc(), "Result": null})
            }
            Envelope::Code => json!({"code": self.code(), "message": self.desc()}),
        };
        (self.status(), Json(body)).into_response()
    }
}

impl UdeskError {
    /// A delete whose own target does not exist answers `000004 Data does not exist`; other
    /// records named in its body stay `100018`.
    pub fn deleting(self) -> Self {
        match self {
            Self::RecordNotFound => Self::DataNotFound,
            other => other,
        }
    }
}

/// The one mapping of engine and domain errors onto the Udesk code table.
impl From<EngineError> for UdeskError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Domain(e) => e.into(),
            EngineError::TenantNotFound => Self::AppForbidden,
            error @ (EngineError::Store(_)
            | EngineError::Unavailable
            | EngineError::TenantExists) => {
                tracing::error!(%error, "udesk request failed inside the engine");
                Self::Internal
            }
        }
    }
}

impl From<DomainError> for UdeskError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::AlreadyExists {
                kind: "extension", ..
            } => Self::ExtensionExists,
            DomainError::AlreadyExists { kind, id } => {
                let key = match kind {
                    "queue" => "QueueId",
                    "voice file" => "FileName",
                    "campaign" => "AdTaskId",
                    ccemu_engine::SUBSCRIPTION_NAME => "name",
                    _ => "AgentId",
                };
                Self::Duplicate(format!("{id} for {key}"))
            }
            DomainError::NotFound { .. } => Self::RecordNotFound,
            DomainError::InUse {
                kind: "extension", ..
            } => Self::ExtensionBound,
            DomainError::InUse { kind: "queue", .. } => Self::QueueInUse,
            DomainError::InUse { .. } => Self::AgentInUse,
            error @ (DomainError::Invalid { .. }
            | DomainError::IllegalTransition { .. }
            | DomainError::Conflict(_)
            | DomainError::LimitExceeded(_)) => {
                tracing::debug!(%error, "udesk request refused by the domain");
                Self::InvalidParameter(crate::dto::PARAMS_INVALID.into())
            }
        }
    }
}

impl IntoResponse for UdeskError {
    /// Renders envelope A; endpoints using C–E call [`UdeskError::into_response_in`].
    fn into_response(self) -> Response {
        self.into_response_in(Envelope::ErrCode)
    }
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use serde_json::Value;

    use super::*;

    async fn render(error: UdeskError, envelope: Envelope) -> (StatusCode, Value) {
        let response = error.into_response_in(envelope);
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn sign_invalid_is_000001_with_http_401() {
        let (status, body) = render(UdeskError::SignInvalid, Envelope::ErrCode).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            json!({"ErrCode": "000001", "ErrDesc": "Sign invalid", "Result": null})
        );
    }

    #[tokio::test]
    async fn bad_json_renders_100004_in_the_code_envelope() {
        let (status, body) = render(UdeskError::BadJson, Envelope::Code).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"code": "100004", "message": "unexpected end of JSON input"})
        );
    }

    #[test]
    fn code_envelope_is_used_by_hold_transfer_and_ad_task_callbacks_only() {
        for path in [
            "/ccapi/v2/agent/hold",
            "/ccapi/v2/transfer/agent",
            "/ccapi/v2/cc_ad_task/numbers",
        ] {
            assert_eq!(Envelope::for_path(path), Envelope::Code, "{path}");
        }
        for path in [
            "/ccapi/v2/agent/login",
            "/ccapi/v2/ads/task/stop",
            "/ccapi/v2",
        ] {
            assert_eq!(Envelope::for_path(path), Envelope::ErrCode, "{path}");
        }
    }
}
