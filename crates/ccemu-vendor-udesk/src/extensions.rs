//! Extensions (`vendor-notes/udesk.md` §3.2): create with a generated password, delete unless
//! a seat holds it.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use ccemu_engine::{Engine, NewExtension, Op, OpOutput};
use serde::Deserialize;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use crate::auth::Authed;
use crate::dto::{self, Text};
use crate::error::UdeskError;

#[derive(Debug, Deserialize)]
struct ExtensionRef {
    #[serde(rename = "Extension")]
    extension: Option<Text>,
}

/// Accepts an extension of Udesk's form `[1-9]\d{3}` (§4), else `000001`.
pub fn check_extension(raw: String) -> Result<String, UdeskError> {
    let n = raw.trim();
    let ok = n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0');
    if ok {
        Ok(n.to_owned())
    } else {
        Err(UdeskError::InvalidParameter(dto::PARAMS_INVALID.into()))
    }
}

/// The dialable `Number` of an extension: the app's company prefix (`9` + 9 digits) and the
/// extension. Udesk does not say how the prefix is chosen; ccemu derives it from the AppId so
/// that it is stable per tenant [inferred].
pub fn extension_number(app_id: &str, extension: &str) -> String {
    let digest = Sha1::digest(app_id.as_bytes());
    let digits: String = digest
        .iter()
        .take(9)
        .map(|b| char::from(b'0' + b % 10))
        .collect();
    format!("9{digits}{extension}")
}

/// `POST extensions` (§3.2): `{Extension, Password, Number}`; `100015` if it exists.
pub async fn create_extension(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: ExtensionRef = dto::body(&raw)?;
        let id = check_extension(dto::required(body.extension)?)?;
        let new = NewExtension {
            number: extension_number(&auth.tenant.credentials.udesk.app_id, &id),
            id,
            agent_id: None,
        };
        match engine
            .execute(&auth.tenant.id, Op::CreateExtension(new))
            .await?
        {
            OpOutput::Extension(e) => Ok(json!({
                "Extension": e.id,
                "Password": e.password,
                "Number": e.number,
            })),
            _ => Err(UdeskError::Internal),
        }
    }
    .await;
    dto::reply(&auth, result)
}

/// `DELETE extensions` (§3.2): `100016` while a seat holds it.
pub async fn delete_extension(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: ExtensionRef = dto::body(&raw)?;
        let extension_id = dto::required(body.extension)?;
        engine
            .execute(&auth.tenant.id, Op::DeleteExtension { extension_id })
            .await
            .map_err(|e| UdeskError::from(e).deleting())?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use serde_json::{json, Value};

    use super::extension_number;
    use crate::routes::tests::{ctx, err_code, ok_with};

    #[tokio::test]
    async fn create_extension_replays_the_docs_example() {
        let cx = ctx().await;
        let doc = r#"{"Extension":"4567"}"#;
        let (status, body) = cx.send(Method::POST, "/ccapi/v2/extensions", doc).await;
        assert_eq!(status, StatusCode::OK);
        let password = body["Result"]["Password"].as_str().unwrap().to_owned();
        assert_eq!(password.len(), 16);
        assert!(password.bytes().all(|b| b.is_ascii_hexdigit()));
        let number = extension_number(&cx.udesk.app_id, "4567");
        assert_eq!(
            body,
            ok_with(json!({"Extension": "4567", "Password": password, "Number": number}))
        );
        // `9` + 9 digits + the extension, like the doc's "90310468564567".
        assert_eq!(number.len(), 14);
        assert!(number.starts_with('9') && number.ends_with("4567"));
        assert!(number.bytes().all(|b| b.is_ascii_digit()));
        let got = cx.send(Method::POST, "/ccapi/v2/extensions", doc).await;
        assert_eq!(
            got,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                err_code("100015", "NumberIsExisted")
            )
        );
        // Numbers arrive as JSON numbers too.
        let got = cx
            .send(
                Method::POST,
                "/ccapi/v2/extensions",
                r#"{"Extension":4568}"#,
            )
            .await;
        assert_eq!(got.1["Result"]["Extension"], "4568");
    }

    #[tokio::test]
    async fn an_extension_not_of_udesks_form_is_000001() {
        let cx = ctx().await;
        for n in [
            r#""0123""#,
            r#""12345""#,
            r#""12a4""#,
            r#""""#,
            "true",
            "[]",
        ] {
            let body = format!(r#"{{"Extension":{n}}}"#);
            let got = cx.send(Method::POST, "/ccapi/v2/extensions", body).await;
            assert_eq!(
                got,
                (StatusCode::BAD_REQUEST, err_code("000001", "ParamsInvalid")),
                "{n}"
            );
        }
    }

    #[tokio::test]
    async fn delete_extension_replays_the_docs_example_and_refuses_a_bound_one() {
        let cx = ctx().await;
        let doc = r#"{"Extension":"4567"}"#;
        cx.send(Method::POST, "/ccapi/v2/extensions", doc).await;
        let got = cx.send(Method::DELETE, "/ccapi/v2/extensions", doc).await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let got = cx.send(Method::DELETE, "/ccapi/v2/extensions", doc).await;
        assert_eq!(
            got,
            (
                StatusCode::NOT_FOUND,
                err_code("000004", "Data does not exist")
            )
        );
        // The demo's 8001 is bound to 1001.
        let got = cx
            .send(
                Method::DELETE,
                "/ccapi/v2/extensions",
                r#"{"Extension":"8001"}"#,
            )
            .await;
        assert_eq!(
            got,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                err_code("100016", "VoipBindAgent")
            )
        );
    }
}
