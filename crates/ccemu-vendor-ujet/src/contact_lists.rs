//! Custom contact lists (`vendor-notes/ujet.md` §3.6). The seed doc names six operations but no
//! paths or bodies; paths follow the note's Rails-style inference and bodies the campaign
//! contact's fields (`name`, `phone_number`, `email`, `external_unique_id` ↔ `unique_id`), all
//! [inferred].

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use ccemu_core::{ContactList, ContactListEntry};
use ccemu_engine::{ContactListEdit, ContactListEntryPatch, Engine, Op, OpOutput};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::dto::{self, Text};
use crate::error::UjetError;

fn entry_json(list_id: &str, e: &ContactListEntry) -> Value {
    json!({
        "id": e.id,
        "contact_list_id": list_id.parse::<i64>().map_or(json!(list_id), |n| json!(n)),
        "name": e.name,
        "phone_number": e.phone_number,
        "email": e.email,
        "unique_id": e.external_id,
        "created_at": dto::time(e.created_at_ms),
        "updated_at": dto::time(e.updated_at_ms),
    })
}

pub(crate) fn list_json(l: &ContactList) -> Value {
    json!({
        "id": l.id.parse::<i64>().map_or(json!(l.id), |n| json!(n)),
        "name": l.name,
        "description": l.description,
        "contacts_count": l.entries.len(),
        "contacts": l.entries.iter().map(|e| entry_json(&l.id, e)).collect::<Vec<_>>(),
        "created_at": dto::time(l.created_at_ms),
        "updated_at": dto::time(l.updated_at_ms),
    })
}

fn text(value: Option<Text>) -> Option<String> {
    value.map(|t| t.0.trim().to_owned())
}

async fn edit(
    auth: &Authed,
    engine: &Engine,
    edit: ContactListEdit,
) -> Result<OpOutput, UjetError> {
    engine
        .execute(&auth.tenant.id, Op::EditContactList(edit))
        .await
        .map_err(|e| UjetError::from_engine(auth.api, e))
}

fn list_of(auth: &Authed, output: OpOutput) -> Result<ContactList, UjetError> {
    match output {
        OpOutput::ContactList(list) => Ok(*list),
        _ => Err(UjetError::Internal(auth.api)),
    }
}

/// An entry id from the path; one that is not a number names no entry.
fn entry_id(auth: &Authed, id: &str) -> Result<u64, UjetError> {
    id.trim().parse().map_err(|_| UjetError::NotFound(auth.api))
}

#[derive(Debug, Deserialize)]
struct ListBody {
    name: Option<Text>,
    description: Option<Text>,
}

/// `POST /contact_lists` `{"name","description"}`: 201 with the new, empty list.
pub async fn create_contact_list(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: ListBody = dto::body(auth.api, &raw)?;
        let name = dto::required(auth.api, "name", body.name)?;
        let description = text(body.description).unwrap_or_default();
        let out = edit(
            &auth,
            &engine,
            ContactListEdit::Create { name, description },
        )
        .await?;
        list_of(&auth, out).map(|l| list_json(&l))
    }
    .await;
    dto::reply(&auth, StatusCode::CREATED, result)
}

/// `PATCH /contact_lists/{id}`: renames or re-describes a list.
pub async fn update_contact_list(
    auth: Authed,
    State(engine): State<Engine>,
    Path(list_id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: ListBody = dto::body(auth.api, &raw)?;
        let name = text(body.name);
        if name.as_deref() == Some("") {
            return Err(UjetError::BadRequest(auth.api, dto::missing("name")));
        }
        let op = ContactListEdit::Update {
            list_id,
            name,
            description: text(body.description),
        };
        list_of(&auth, edit(&auth, &engine, op).await?).map(|l| list_json(&l))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `DELETE /contact_lists/{id}`: 200 `{}`.
pub async fn delete_contact_list(
    auth: Authed,
    State(engine): State<Engine>,
    Path(list_id): Path<String>,
) -> Response {
    let result = edit(&auth, &engine, ContactListEdit::Delete { list_id })
        .await
        .map(|_| json!({}));
    dto::reply(&auth, StatusCode::OK, result)
}

#[derive(Debug, Deserialize)]
struct EntryBody {
    name: Option<Text>,
    phone_number: Option<Text>,
    email: Option<Text>,
    external_unique_id: Option<Text>,
}

/// Entries to add: `{"contacts":[...]}` or one entry object.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AddBody {
    Many { contacts: Vec<EntryBody> },
    One(EntryBody),
}

/// `POST /contact_lists/{contact_list_id}/contacts`: 201 with the added entries, all or none.
pub async fn add_contact_list_entries(
    auth: Authed,
    State(engine): State<Engine>,
    Path(list_id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: AddBody = dto::body(auth.api, &raw)?;
        let bodies = match body {
            AddBody::Many { contacts } => contacts,
            AddBody::One(one) => vec![one],
        };
        let mut entries = Vec::with_capacity(bodies.len());
        for b in bodies {
            entries.push(ContactListEntry {
                phone_number: dto::required(auth.api, "phone_number", b.phone_number)?,
                name: text(b.name).unwrap_or_default(),
                email: text(b.email).unwrap_or_default(),
                external_id: text(b.external_unique_id).filter(|s| !s.is_empty()),
                ..ContactListEntry::default()
            });
        }
        let n = entries.len();
        let op = ContactListEdit::AddEntries {
            list_id: list_id.clone(),
            entries,
        };
        let list = list_of(&auth, edit(&auth, &engine, op).await?)?;
        let start = list.entries.len().saturating_sub(n);
        Ok(Value::Array(
            list.entries[start..]
                .iter()
                .map(|e| entry_json(&list.id, e))
                .collect(),
        ))
    }
    .await;
    dto::reply(&auth, StatusCode::CREATED, result)
}

/// `PATCH /contact_lists/{contact_list_id}/contacts/{id}`: the entry after the change.
pub async fn update_contact_list_entry(
    auth: Authed,
    State(engine): State<Engine>,
    Path((list_id, id)): Path<(String, String)>,
    raw: Bytes,
) -> Response {
    let result = async {
        let entry_id = entry_id(&auth, &id)?;
        let b: EntryBody = dto::body(auth.api, &raw)?;
        let patch = ContactListEntryPatch {
            name: text(b.name),
            phone_number: text(b.phone_number),
            email: text(b.email),
            external_id: text(b.external_unique_id),
        };
        let op = ContactListEdit::UpdateEntry {
            list_id,
            entry_id,
            patch,
        };
        let list = list_of(&auth, edit(&auth, &engine, op).await?)?;
        list.entries
            .iter()
            .find(|e| e.id == entry_id)
            .map(|e| entry_json(&list.id, e))
            .ok_or(UjetError::NotFound(auth.api))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `DELETE /contact_lists/{contact_list_id}/contacts/{id}`: 200 `{}`.
pub async fn delete_contact_list_entry(
    auth: Authed,
    State(engine): State<Engine>,
    Path((list_id, id)): Path<(String, String)>,
) -> Response {
    let result = async {
        let entry_id = entry_id(&auth, &id)?;
        edit(
            &auth,
            &engine,
            ContactListEdit::DeleteEntry { list_id, entry_id },
        )
        .await?;
        Ok(json!({}))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use serde_json::json;

    use crate::routes::tests::*;

    const L: &str = "/apps/api/v1/contact_lists";

    #[tokio::test]
    async fn lists_and_entries_are_created_changed_and_deleted() {
        let c = ctx().await;
        let r = c
            .send(
                Method::POST,
                L,
                json!({"name": "VIP", "description": "best"}).to_string(),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["id"], 1);
        assert_eq!(r.body["name"], "VIP");
        assert_eq!(r.body["description"], "best");
        assert_eq!(r.body["contacts_count"], 0);
        assert_eq!(r.body["contacts"], json!([]));
        assert!(r.body["created_at"].as_str().unwrap().ends_with('Z'));
        let r = c
            .send(
                Method::PATCH,
                &format!("{L}/1"),
                json!({"name": "VIPs"}).to_string(),
            )
            .await;
        assert_eq!(
            (r.body["name"].clone(), r.body["description"].clone()),
            (json!("VIPs"), json!("best"))
        );
        let body = json!({"contacts": [
            {"name": "Ann", "phone_number": "+1 555 000 0001", "email": "ann@example.com", "external_unique_id": "U1"},
            {"phone_number": 15550000002_i64}
        ]});
        let r = c
            .send(Method::POST, &format!("{L}/1/contacts"), body.to_string())
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let entries = r.body.as_array().unwrap();
        assert_eq!(entries.len(), 2);
        let e = &entries[0];
        assert_eq!(e["id"], 1);
        assert_eq!(e["contact_list_id"], 1);
        assert_eq!(e["name"], "Ann");
        assert_eq!(e["phone_number"], "+1 555 000 0001");
        assert_eq!(e["email"], "ann@example.com");
        assert_eq!(e["unique_id"], "U1");
        assert_eq!(entries[1]["phone_number"], "15550000002");
        assert_eq!(entries[1]["unique_id"], json!(null));
        let r = c
            .send(
                Method::POST,
                &format!("{L}/1/contacts"),
                json!({"phone_number": "+15550000003"}).to_string(),
            )
            .await;
        assert_eq!(r.body[0]["id"], 3);
        let r = c
            .send(
                Method::PATCH,
                &format!("{L}/1/contacts/2"),
                json!({"name": "Bo"}).to_string(),
            )
            .await;
        assert_eq!(
            (r.status, r.body["name"].clone(), r.body["id"].clone()),
            (StatusCode::OK, json!("Bo"), json!(2))
        );
        let r = c
            .send(Method::DELETE, &format!("{L}/1/contacts/2"), b"")
            .await;
        assert_eq!((r.status, r.body), (StatusCode::OK, json!({})));
        let r = c
            .send(Method::DELETE, &format!("{L}/1/contacts/2"), b"")
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
        let r = c.send(Method::DELETE, &format!("{L}/1"), b"").await;
        assert_eq!((r.status, r.body), (StatusCode::OK, json!({})));
        let r = c
            .send(
                Method::PATCH,
                &format!("{L}/1"),
                json!({"name": "x"}).to_string(),
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
    }

    #[tokio::test]
    async fn bad_input_answers_400_and_other_tenants_lists_404() {
        let c = ctx().await;
        c.send(Method::POST, L, json!({"name": "VIP"}).to_string())
            .await;
        for (method, uri, body, status, message) in [
            (
                Method::POST,
                L.to_owned(),
                "{}",
                400,
                "param is missing or the value is empty: name",
            ),
            (
                Method::POST,
                L.to_owned(),
                "{",
                400,
                "Invalid JSON in request body",
            ),
            (
                Method::PATCH,
                format!("{L}/1"),
                r#"{"name":" "}"#,
                400,
                "param is missing or the value is empty: name",
            ),
            (
                Method::POST,
                format!("{L}/1/contacts"),
                r#"{"contacts":[{"name":"x"}]}"#,
                400,
                "param is missing or the value is empty: phone_number",
            ),
            (
                Method::POST,
                format!("{L}/1/contacts"),
                r#"{"phone_number":"abc"}"#,
                400,
                "phone_number is invalid",
            ),
            (
                Method::PATCH,
                format!("{L}/1/contacts/x"),
                "{}",
                404,
                "Not Found",
            ),
            (
                Method::POST,
                format!("{L}/9/contacts"),
                r#"{"phone_number":"+15550000001"}"#,
                404,
                "Not Found",
            ),
            (Method::DELETE, format!("{L}/9"), "", 404, "Not Found"),
        ] {
            let r = c.send(method.clone(), &uri, body).await;
            assert_eq!(r.status.as_u16(), status, "{method} {uri} {body}");
            assert_eq!(r.body, apps(message), "{method} {uri} {body}");
        }
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let auth = basic(&o.subdomain, &o.api_token);
        let r = c
            .send_as(
                Some(&auth),
                Method::PATCH,
                &format!("{L}/1"),
                json!({"name": "x"}).to_string(),
            )
            .await;
        assert_eq!(
            (r.status, r.body),
            (StatusCode::NOT_FOUND, apps("Not Found"))
        );
        let r = c
            .send_as(Some(&auth), Method::DELETE, &format!("{L}/1"), b"")
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // The demo tenant's list is untouched.
        let r = c
            .send(
                Method::PATCH,
                &format!("{L}/1"),
                json!({"description": "kept"}).to_string(),
            )
            .await;
        assert_eq!(r.body["name"], "VIP");
    }
}
