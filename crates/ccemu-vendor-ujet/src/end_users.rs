//! End users (`vendor-notes/ujet.md` §3.2): `POST /end_users` creates or updates by `identifier`,
//! `GET /end_users?id=|identifier=` finds one; both answer `{"id","identifier"}`. End users are
//! the tenant's contacts, so a mid-session end user update lands on the same record.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use ccemu_core::Contact;
use ccemu_engine::{ContactKey, Engine, Op, OpOutput};
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::calls::EndUserBody;
use crate::dto::{self, Params, Text};
use crate::error::{Api, UjetError};
use crate::objects::int_or_text;

fn text(v: Option<Text>) -> Option<String> {
    v.map(|Text(s)| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Upserts the tenant's end user with `identifier`.
pub async fn upsert(
    engine: &Engine,
    auth: &Authed,
    identifier: String,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
) -> Result<Contact, UjetError> {
    let op = Op::UpsertContact {
        identifier,
        name,
        email,
        phone,
        external_id: None,
    };
    match engine.execute(&auth.tenant.id, op).await {
        Ok(OpOutput::Contact(c)) => Ok(*c),
        Ok(_) => Err(UjetError::Internal(Api::Apps)),
        Err(ccemu_engine::EngineError::Domain(ccemu_core::DomainError::Invalid {
            field: "email",
            ..
        })) => Err(UjetError::BadRequest(Api::Apps, "email is invalid".into())),
        Err(e) => Err(UjetError::from_engine(Api::Apps, e)),
    }
}

fn summary(c: &Contact) -> Value {
    json!({"id": int_or_text(&c.id), "identifier": c.identifier})
}

/// `POST /end_users` (§3.2): create or update by `identifier`; 200 `{"id","identifier"}`.
pub async fn upsert_end_user(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: EndUserBody = dto::body(Api::Apps, &raw)?;
        let identifier = dto::required(Api::Apps, "identifier", body.identifier)?;
        let c = upsert(
            &engine,
            &auth,
            identifier,
            text(body.name),
            text(body.email),
            text(body.phone),
        )
        .await?;
        Ok(summary(&c))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `GET /end_users?id=<int>` or `?identifier=<str>` (§3.2); 404 `{"message":"Not Found"}`.
pub async fn get_end_user(
    auth: Authed,
    State(engine): State<Engine>,
    RawQuery(query): RawQuery,
) -> Response {
    let result = async {
        let params = Params::parse(query.as_deref());
        let (id, identifier) = (params.get("id"), params.get("identifier"));
        if id.is_none() && identifier.is_none() {
            return Err(UjetError::BadRequest(
                Api::Apps,
                dto::missing("id or identifier"),
            ));
        }
        // By id first, then by identifier, when both are given.
        let keys = id
            .map(|id| ContactKey::Id(id.to_owned()))
            .into_iter()
            .chain(identifier.map(|i| ContactKey::Identifier(i.to_owned())));
        for key in keys {
            let found = engine
                .contact(&auth.tenant.id, &key)
                .await
                .map_err(|e| UjetError::from_engine(Api::Apps, e))?;
            if let Some(c) = found {
                return Ok(summary(&c));
            }
        }
        Err(UjetError::NotFound(Api::Apps))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

#[cfg(test)]
mod tests {
    use axum::http::Method;
    use serde_json::json;

    use super::*;
    use crate::routes::tests::*;

    #[tokio::test]
    async fn end_users_are_upserted_by_identifier_and_found_by_id_or_identifier() {
        let c = ctx().await;
        let r = c
            .send(Method::POST, "/apps/api/v1/end_users", br#"{"identifier":"abc123","email":"joe@mydomain.com","name":"Joe Smith","phone":"+16171231234"}"#)
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::OK, json!({"id": 1, "identifier": "abc123"}))
        );
        let r = c
            .send(
                Method::POST,
                "/apps/api/v1/end_users",
                br#"{"identifier":"abc123","name":"Joe S"}"#,
            )
            .await;
        assert_eq!(r.body, json!({"id": 1, "identifier": "abc123"}));
        let r = c
            .send(
                Method::POST,
                "/apps/api/v1/end_users",
                br#"{"identifier":"zz"}"#,
            )
            .await;
        assert_eq!(r.body, json!({"id": 2, "identifier": "zz"}));
        let stored = c.engine.contacts(&demo(), 0, 10).await.unwrap();
        assert_eq!(stored.total, 2);
        let joe = stored.items.iter().find(|x| x.id == "1").unwrap();
        assert_eq!(
            (joe.name.as_str(), joe.phone.as_str(), joe.email.as_str()),
            ("Joe S", "+16171231234", "joe@mydomain.com")
        );

        let r = c
            .send(Method::GET, "/apps/api/v1/end_users?id=2", b"")
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::OK, json!({"id": 2, "identifier": "zz"}))
        );
        let r = c
            .send(Method::GET, "/apps/api/v1/end_users?identifier=abc123", b"")
            .await;
        assert_eq!(r.body, json!({"id": 1, "identifier": "abc123"}));
        for q in ["id=3", "identifier=nope"] {
            let r = c
                .send(Method::GET, &format!("/apps/api/v1/end_users?{q}"), b"")
                .await;
            assert_eq!(
                (r.status, r.body),
                (StatusCode::NOT_FOUND, apps("Not Found")),
                "{q}"
            );
        }
        let r = c.send(Method::GET, "/apps/api/v1/end_users", b"").await;
        assert_eq!(
            (r.status, r.body),
            (
                StatusCode::BAD_REQUEST,
                apps("param is missing or the value is empty: id or identifier")
            )
        );
        for (body, message) in [
            ("{}", "param is missing or the value is empty: identifier"),
            (
                r#"{"identifier":"  "}"#,
                "param is missing or the value is empty: identifier",
            ),
            (r#"{"identifier":"q","email":"bad"}"#, "email is invalid"),
            ("{", "Invalid JSON in request body"),
        ] {
            let r = c.send(Method::POST, "/apps/api/v1/end_users", body).await;
            assert_eq!(
                (r.status, r.body),
                (StatusCode::BAD_REQUEST, apps(message)),
                "{body}"
            );
        }
        // Another tenant sees none of these.
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = basic(
            &other.credentials.ujet.subdomain,
            &other.credentials.ujet.api_token,
        );
        let r = c
            .send_as(
                Some(&o),
                Method::GET,
                "/apps/api/v1/end_users?identifier=abc123",
                b"",
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = c
            .send_as(
                Some(&o),
                Method::POST,
                "/apps/api/v1/end_users",
                br#"{"identifier":"abc123"}"#,
            )
            .await;
        assert_eq!(r.body, json!({"id": 1, "identifier": "abc123"}));
    }
}
