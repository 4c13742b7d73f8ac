//! GWS return values (`vendor-notes/genesys.md` §2): every failure is
//! `{"statusCode":N,"statusMessage":"..."}` and nothing else. The HTTP statuses are the note's
//! \[inferred\] mapping.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The resource operation that failed, for return values 12–17.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceAction {
    /// 12: unable to retrieve resource.
    Retrieve,
    /// 13: unable to create resource.
    Create,
    /// 14: unable to delete resource.
    Delete,
    /// 15: unable to update resource.
    Update,
    /// 16: unable to assign resource.
    Assign,
    /// 17: unable to unassign resource.
    Unassign,
}

/// One GWS failure return value, plus the emulator's not-implemented case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenesysError {
    /// 1, 400: a required parameter is missing.
    MissingParameter(String),
    /// 2, 400: a parameter is not valid for the current state (e.g. an operation outside the
    /// chat's capabilities).
    InvalidForState(String),
    /// 3, 403: operation forbidden.
    OperationForbidden(String),
    /// 4, 500: internal error (details are logged, never returned).
    Internal,
    /// 5, 403: the user lacks permission.
    PermissionDenied,
    /// 6, 404: resource not found (also unknown paths and unrouted methods).
    NotFound,
    /// 8, 403: a password change is demanded.
    PasswordChangeDemanded,
    /// 10, 400: input validation error (out of range).
    OutOfRange(String),
    /// 11, 400: tried to change a read-only property.
    ReadOnlyProperty(String),
    /// 12–17, 500: unable to retrieve / create / delete / update / assign / unassign.
    ResourceFailure(ResourceAction),
    /// 18, 409: resource already exists.
    AlreadyExists(String),
    /// 19, 409: resource already in use.
    InUse(String),
    /// 20, 401: user not authenticated.
    NotAuthenticated,
    /// 3, 501: a known GWS operation that ccemu does not emulate yet.
    NotImplemented(&'static str),
}

impl GenesysError {
    /// The GWS `statusCode`.
    pub fn status_code(&self) -> u8 {
        match self {
            Self::MissingParameter(_) => 1,
            Self::InvalidForState(_) => 2,
            Self::OperationForbidden(_) | Self::NotImplemented(_) => 3,
            Self::Internal => 4,
            Self::PermissionDenied => 5,
            Self::NotFound => 6,
            Self::PasswordChangeDemanded => 8,
            Self::OutOfRange(_) => 10,
            Self::ReadOnlyProperty(_) => 11,
            Self::ResourceFailure(action) => 12 + *action as u8,
            Self::AlreadyExists(_) => 18,
            Self::InUse(_) => 19,
            Self::NotAuthenticated => 20,
        }
    }

    /// The HTTP status.
    pub fn http_status(&self) -> StatusCode {
        match self {
            Self::MissingParameter(_)
            | Self::InvalidForState(_)
            | Self::OutOfRange(_)
            | Self::ReadOnlyProperty(_) => StatusCode::BAD_REQUEST,
            Self::OperationForbidden(_) | Self::PermissionDenied | Self::PasswordChangeDemanded => {
                StatusCode::FORBIDDEN
            }
            Self::Internal | Self::ResourceFailure(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::AlreadyExists(_) | Self::InUse(_) => StatusCode::CONFLICT,
            Self::NotAuthenticated => StatusCode::UNAUTHORIZED,
            Self::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
        }
    }

    /// The `statusMessage` text.
    pub fn status_message(&self) -> String {
        match self {
            Self::MissingParameter(message)
            | Self::InvalidForState(message)
            | Self::OperationForbidden(message)
            | Self::OutOfRange(message)
            | Self::ReadOnlyProperty(message)
            | Self::AlreadyExists(message)
            | Self::InUse(message) => message.clone(),
            Self::Internal => "Internal error".to_owned(),
            Self::PermissionDenied => "User lacks permission".to_owned(),
            Self::NotFound => "Resource not found".to_owned(),
            Self::PasswordChangeDemanded => "Change password demanded".to_owned(),
            Self::ResourceFailure(action) => {
                let verb = match action {
                    ResourceAction::Retrieve => "retrieve",
                    ResourceAction::Create => "create",
                    ResourceAction::Delete => "delete",
                    ResourceAction::Update => "update",
                    ResourceAction::Assign => "assign",
                    ResourceAction::Unassign => "unassign",
                };
                format!("Unable to {verb} resource")
            }
            Self::NotAuthenticated => "User not authenticated".to_owned(),
            Self::NotImplemented(operation) => format!("{operation} is not emulated by ccemu yet"),
        }
    }
}

impl IntoResponse for GenesysError {
    fn into_response(self) -> Response {
        let body =
            json!({"statusCode": self.status_code(), "statusMessage": self.status_message()});
        (self.http_status(), Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use serde_json::Value;

    use super::*;

    async fn render(error: GenesysError) -> (StatusCode, Value) {
        let response = error.into_response();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn not_authenticated_is_status_code_20_with_http_401() {
        let (status, body) = render(GenesysError::NotAuthenticated).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            json!({"statusCode": 20, "statusMessage": "User not authenticated"})
        );
    }

    #[tokio::test]
    async fn missing_contact_center_id_is_status_code_1() {
        let error = GenesysError::MissingParameter("ContactCenterId header is required".to_owned());
        let (status, body) = render(error).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"statusCode": 1, "statusMessage": "ContactCenterId header is required"})
        );
    }

    #[test]
    fn resource_failures_are_12_to_17() {
        let codes: Vec<_> = [
            ResourceAction::Retrieve,
            ResourceAction::Create,
            ResourceAction::Delete,
            ResourceAction::Update,
            ResourceAction::Assign,
            ResourceAction::Unassign,
        ]
        .into_iter()
        .map(|action| GenesysError::ResourceFailure(action).status_code())
        .collect();
        assert_eq!(codes, [12, 13, 14, 15, 16, 17]);
    }
}
