//! Text ccemu does not keep: a NUL character (U+0000) in a URI (`%00`) or in a JSON string
//! (`\u0000`), and a JSON string longer than
//! [`ccemu_core::validate::MAX_STRING_BYTES`]. PostgreSQL refuses NUL in text
//! and JSON columns, so a request carrying one would fail in the store (a 500) on one backend and
//! be stored on the other; a string of megabytes would be stored and echoed back. Every surface
//! refuses both up front with its own validation error, the same on both backends.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ccemu_core::validate::{json_text_problem, uri_has_nul, TextProblem};

use crate::control::ApiError;
use crate::mount::{Surface, CONTROL};

/// Middleware: refuses a NUL in the URI, and a NUL or an overlong string in the JSON body, of a
/// request to a surface that reads them. `body_limit` is the server's request body limit: a
/// longer body is read no further.
pub async fn refuse(State(body_limit): State<usize>, req: Request, next: Next) -> Response {
    let surface = match req.extensions().get::<Surface>() {
        Some(&Surface(surface)) if reads_text(surface) => surface,
        _ => return next.run(req).await,
    };
    let in_uri = req
        .uri()
        .path_and_query()
        .is_some_and(|pq| uri_has_nul(pq.as_str()));
    if in_uri {
        if let Some(refused) = refusal(surface, req.uri().path(), true, TextProblem::Nul) {
            return refused;
        }
    }
    // A WebSocket upgrade has no body to read; multipart bodies carry files, not JSON.
    let skip_body = req.headers().contains_key(header::UPGRADE)
        || req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| {
                t.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/")
            });
    if skip_body {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = crate::journal::read_capped(body, body_limit).await;
    if let Some(problem) = json_text_problem(&bytes) {
        if let Some(refused) = refusal(surface, parts.uri.path(), false, problem) {
            return refused;
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether `surface` reads requests into anything it stores: the Genesys, Cention and Sangoma
/// stubs answer 501 to every known operation, and nothing of a request reaches the store.
fn reads_text(surface: &str) -> bool {
    matches!(
        surface,
        CONTROL | ccemu_vendor_udesk::VENDOR | ccemu_vendor_ujet::VENDOR
    )
}

/// The validation error of `surface` for `problem` in the URI or the body; `None` for a surface
/// [`reads_text`] leaves alone.
fn refusal(surface: &str, path: &str, in_uri: bool, problem: TextProblem) -> Option<Response> {
    let message = problem.message();
    match surface {
        CONTROL => {
            let code = if in_uri {
                "invalid_query"
            } else {
                "invalid_body"
            };
            Some(ApiError::new(StatusCode::BAD_REQUEST, code, message).into_response())
        }
        ccemu_vendor_udesk::VENDOR => {
            let error = ccemu_vendor_udesk::UdeskError::InvalidParameter(
                ccemu_vendor_udesk::PARAMS_INVALID.into(),
            );
            Some(error.into_response_in(ccemu_vendor_udesk::Envelope::for_path(path)))
        }
        ccemu_vendor_ujet::VENDOR => {
            use ccemu_vendor_ujet::{Api, UjetError};
            // UJET's validation status: 400 on the Apps API, 422 on the Manager API.
            let error = match Api::for_path(path) {
                Api::Apps => UjetError::BadRequest(Api::Apps, message),
                Api::Manager => UjetError::Unprocessable(Api::Manager, message),
            };
            Some(error.into_response())
        }
        _ => None,
    }
}
