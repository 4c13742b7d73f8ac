//! Multipart uploads (`vendor-notes/ujet.md` §3.3, §3.4, §7): a `file` part holding a JSON array
//! and, on a re-upload, an `id` part naming the job.

use axum::extract::multipart::{Multipart, MultipartRejection};
use serde_json::Value;

use crate::dto;
use crate::error::{Api, UjetError};

/// The parts of an upload that ccemu reads.
#[derive(Debug, Default)]
pub(crate) struct Upload {
    /// The `id` part, trimmed.
    pub id: Option<String>,
    /// The `file` part parsed as a JSON array.
    pub rows: Vec<Value>,
}

/// Reads `file` (required, a JSON array) and `id` from a multipart body; anything else is a 400.
pub(crate) async fn read_upload(
    api: Api,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Upload, UjetError> {
    let bad = |m: &str| UjetError::BadRequest(api, m.to_owned());
    let mut multipart = multipart.map_err(|_| bad("Request must be multipart/form-data"))?;
    let mut upload = Upload::default();
    let mut file = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return Err(bad("Malformed multipart body")),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|_| bad("Malformed multipart body"))?;
        match name.as_str() {
            "file" => file = Some(bytes),
            "id" => {
                let text = String::from_utf8_lossy(&bytes).trim().to_owned();
                upload.id = Some(text).filter(|t| !t.is_empty());
            }
            _ => {}
        }
    }
    let file = file.ok_or_else(|| UjetError::BadRequest(api, dto::missing("file")))?;
    upload.rows = match serde_json::from_slice::<Value>(&file) {
        Ok(Value::Array(rows)) => rows,
        _ => return Err(bad("file must be a JSON array")),
    };
    Ok(upload)
}
