//! Event subscription (`vendor-notes/udesk.md` §3.5): `webhooks/events` for the app's
//! `CallbackUrl` and the named `subscriptions` with their own callback URLs. Both are the
//! engine's `Subscription` records of surface `udesk`; [`crate::events`] sends their callbacks.
//!
//! Choices the doc leaves open (all \[inferred\]):
//! - `webhooks/events` edits one record, [`APP_SUBSCRIPTION_ID`], whose `callback_url` is the
//!   app's `CallbackUrl` (set by `POST/PUT apps`). Until the app has one, the events are stored
//!   under the placeholder [`crate::events::NO_CALLBACK_URL`] and nothing is sent; callbacks
//!   start with the first event after the URL is set. An `all_type` that is absent or empty
//!   subscribes the whole category. An app record that wants nothing carries the events
//!   `["-"]` (`apps::NOTHING`), because an empty list means "everything" to ccemu's own records.
//! - A named subscription's id is an integer on the wire, one more than the tenant's highest
//!   (record id `udesk-<n>`). Names are unique per app: a duplicate is a `sub_fail` on create
//!   and `100004 Duplicate entry` on update. A subscription is created enabled unless its body
//!   says `"enable": false`.
//! - `GET subscriptions` and `GET subscriptions/{id}` add the `id` to the documented fields,
//!   since nothing else tells a client which id a listed subscription has.
//! - An unknown id is `100018 RecordNotFound` on read and update, `000004 Data does not exist`
//!   on delete; an id that is not a positive integer is `000001`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use ccemu_core::{Subscription, TenantId};
use ccemu_engine::{Engine, EventsEdit, Numbering, Op, OpOutput, SubscriptionPatch};
use serde_json::{json, Map, Value};

use crate::auth::Authed;
use crate::dto::{self, Flag};
use crate::error::UdeskError;
use crate::events::{self, NO_CALLBACK_URL, SURFACE};

/// The record id of the app's `webhooks/events` subscription, delivered to its `CallbackUrl`
/// (one name with `POST/PUT apps`, which set that URL).
pub use crate::apps::APP_SUBSCRIPTION_ID;
use crate::apps::NOTHING;

/// Prefix of the record ids of named subscriptions (`udesk-<n>`).
const ID_PREFIX: &str = "udesk-";

/// Longest callback URL accepted (the control plane's limit).
const MAX_URL_LEN: usize = 2048;

/// Most subscriptions one `POST subscriptions` may create: they are created in one engine
/// command, so an unbounded list would hold up the tenant's other commands \[inferred\].
const MAX_PER_REQUEST: usize = 100;

/// How named subscriptions are numbered. The engine allocates the numbers and checks the names
/// inside one command, so two requests at once never get the same id or name.
fn numbering() -> Numbering {
    Numbering {
        surface: SURFACE.to_owned(),
        prefix: ID_PREFIX.to_owned(),
    }
}

fn invalid() -> UdeskError {
    UdeskError::InvalidParameter(dto::PARAMS_INVALID.into())
}

/// The tenant's named Udesk subscriptions, by id.
async fn named(engine: &Engine, tenant: &TenantId) -> Result<Vec<(u64, Subscription)>, UdeskError> {
    let numbering = numbering();
    let mut subs: Vec<(u64, Subscription)> = engine
        .subscriptions(tenant)
        .await?
        .into_iter()
        .filter_map(|s| numbering.number(&s).map(|n| (n, s)))
        .collect();
    subs.sort_by_key(|(n, _)| *n);
    Ok(subs)
}

/// A path id: a positive integer.
fn path_id(raw: &str) -> Result<u64, UdeskError> {
    raw.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(invalid)
}

/// An absolute http(s) URL with a host and no fragment (the signed query is appended to it, and
/// after a `#` it would never reach the receiver).
fn callback_url(value: &Value) -> Option<String> {
    let url = value.as_str()?.trim();
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let host_ok = !rest.is_empty()
        && !rest.starts_with('/')
        && !rest.contains(|c: char| c.is_whitespace() || c == '#');
    (host_ok && url.len() <= MAX_URL_LEN).then(|| url.to_owned())
}

/// A non-empty list of known event names, duplicates dropped.
fn event_names(value: &Value) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for item in value.as_array()? {
        let name = item.as_str()?.trim();
        if !events::is_event(name) {
            return None;
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    (!names.is_empty()).then_some(names)
}

/// A subscription name: a non-blank string.
fn name_of(value: Option<&Value>) -> Option<String> {
    let name = value?.as_str()?.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// `enable` (bool, `"true"`, 1) or the example's `state` (0 disabled, 1 enabled).
fn enabled_of(object: &Map<String, Value>) -> Result<Option<bool>, ()> {
    match object.get("enable").or_else(|| object.get("state")) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value::<Flag>(v.clone())
            .map(|f| Some(f.0))
            .map_err(|_| ()),
    }
}

/// A subscription as `GET subscriptions` shows it.
fn wire(id: u64, sub: &Subscription) -> Value {
    json!({
        "id": id,
        "callback": sub.callback_url,
        "name": sub.name,
        "events": sub.events,
        "enable": sub.enabled,
    })
}

/// Changes the app's `webhooks/events` record, creating it (without a callback URL) if it does
/// not exist yet; `POST/PUT apps` use it to set `callback_url`, `webhooks/events` the events.
/// One engine command, so edits at once (events and URL) never lose each other's change.
pub async fn edit_app_subscription(
    engine: &Engine,
    tenant: &TenantId,
    patch: SubscriptionPatch,
) -> Result<Subscription, UdeskError> {
    let template = Subscription {
        id: APP_SUBSCRIPTION_ID.to_owned(),
        surface: SURFACE.to_owned(),
        name: "CallbackUrl".to_owned(),
        callback_url: NO_CALLBACK_URL.to_owned(),
        events: vec![NOTHING.to_owned()],
        secret: None,
        enabled: true,
        created_at_ms: 0,
    };
    let op = Op::EditSubscription {
        template: Box::new(template),
        patch,
    };
    match engine.execute(tenant, op).await? {
        OpOutput::Subscription(sub) => Ok(*sub),
        other => Err(unexpected(&other)),
    }
}

/// An engine answer of the wrong kind: a bug, logged and answered as an internal error.
fn unexpected(output: &OpOutput) -> UdeskError {
    tracing::error!(?output, "unexpected engine output for a udesk subscription");
    UdeskError::Internal
}

/// A patch that sets the events of the app record to `events`.
fn events_patch(events: EventsEdit) -> SubscriptionPatch {
    SubscriptionPatch {
        events: Some(events),
        ..SubscriptionPatch::default()
    }
}

/// The event names of a `webhooks/events` body, in the order given.
fn webhook_events(raw: &Bytes) -> Result<Vec<String>, UdeskError> {
    let body: Value = dto::body(raw)?;
    let categories = body
        .get("Events")
        .and_then(Value::as_array)
        .ok_or_else(invalid)?;
    let mut names: Vec<String> = Vec::new();
    for entry in categories {
        let category = entry
            .get("category")
            .and_then(Value::as_str)
            .map(str::trim)
            .ok_or_else(invalid)?;
        let (_, all) = events::CATEGORIES
            .iter()
            .find(|(c, _)| *c == category)
            .ok_or_else(invalid)?;
        let wanted: Vec<String> = match entry.get("all_type") {
            None | Some(Value::Null) => all.iter().map(|&e| e.to_owned()).collect(),
            Some(Value::Array(items)) if items.is_empty() => {
                all.iter().map(|&e| e.to_owned()).collect()
            }
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::trim)
                        .filter(|name| events::in_category(category, name))
                        .map(str::to_owned)
                        .ok_or_else(invalid)
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(invalid()),
        };
        for name in wanted {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    Ok(names)
}

/// `POST webhooks/events` (§3.5): adds the events to those the app's `CallbackUrl` gets.
pub async fn add_webhook_events(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let names = webhook_events(&raw)?;
        // Appended after the old, no duplicates; the "nothing" placeholder goes once some are.
        let patch = events_patch(EventsEdit::Add(names));
        edit_app_subscription(&engine, &auth.tenant.id, patch).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `PUT webhooks/events` (§3.5): replaces the events the app's `CallbackUrl` gets.
pub async fn replace_webhook_events(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let names = webhook_events(&raw)?;
        // `PUT` with an empty list wants nothing, like `DELETE`.
        let events = if names.is_empty() {
            vec![NOTHING.to_owned()]
        } else {
            names
        };
        let patch = events_patch(EventsEdit::Replace(events));
        edit_app_subscription(&engine, &auth.tenant.id, patch).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `DELETE webhooks/events` (§3.5): the app's `CallbackUrl` gets no events any more; the URL
/// is kept. The doc documents no body; one that is sent must be JSON, as everywhere in Udesk.
pub async fn delete_webhook_events(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        dto::optional_body::<Value>(&raw)?;
        let patch = events_patch(EventsEdit::Replace(vec![NOTHING.to_owned()]));
        edit_app_subscription(&engine, &auth.tenant.id, patch).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `POST subscriptions` (§3.5): creates each subscription that is valid; the others are named
/// in `sub_fail`. A body that is not a `subscriptions` list of objects with names is refused.
pub async fn create_subscriptions(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let tenant = &auth.tenant.id;
    let result = async {
        let body: Value = dto::body(&raw)?;
        let items = body
            .get("subscriptions")
            .and_then(Value::as_array)
            .filter(|items| !items.is_empty() && items.len() <= MAX_PER_REQUEST)
            .ok_or_else(invalid)?;
        // Every item must at least say who it is, else it cannot be reported in sub_fail.
        let mut named_items = Vec::with_capacity(items.len());
        for item in items {
            let object = item.as_object().ok_or_else(invalid)?;
            let name = match object.get("name") {
                Some(Value::String(name)) => name.trim().to_owned(),
                _ => return Err(invalid()),
            };
            named_items.push((name, object));
        }
        // The valid items go to the engine, which numbers them and refuses taken names.
        let mut valid = Vec::new();
        let parsed: Vec<(String, bool)> = named_items
            .into_iter()
            .map(|(name, object)| {
                let sub = (|| {
                    Some(Subscription {
                        id: String::new(),
                        surface: SURFACE.to_owned(),
                        name: name_of(object.get("name"))?,
                        callback_url: callback_url(object.get("callback")?)?,
                        events: event_names(object.get("events")?)?,
                        secret: None,
                        enabled: enabled_of(object).ok()?.unwrap_or(true),
                        created_at_ms: 0,
                    })
                })();
                let ok = sub.is_some();
                valid.extend(sub);
                (name, ok)
            })
            .collect();
        let mut created = if valid.is_empty() {
            Vec::new()
        } else {
            let op = Op::CreateNumberedSubscriptions {
                numbering: numbering(),
                subscriptions: valid,
            };
            match engine.execute(tenant, op).await? {
                OpOutput::Subscriptions(created) => created,
                other => return Err(unexpected(&other)),
            }
        }
        .into_iter();
        let numbering = numbering();
        let (mut succ, mut fail) = (Vec::new(), Vec::new());
        for (name, ok) in parsed {
            match ok.then(|| created.next()).flatten().flatten() {
                Some(sub) => {
                    let n = numbering.number(&sub).unwrap_or_default();
                    succ.push(json!({"id": n, "name": sub.name}));
                }
                None => fail.push(json!(name)),
            }
        }
        Ok(json!({"sub_succ": succ, "sub_fail": fail}))
    }
    .await;
    dto::reply(&auth, result)
}

/// `GET subscriptions` (§3.5): every named subscription of the app, by id.
pub async fn list_subscriptions(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        dto::optional_body::<Value>(&raw)?;
        let subs = named(&engine, &auth.tenant.id).await?;
        Ok(Value::Array(
            subs.iter().map(|(n, s)| wire(*n, s)).collect(),
        ))
    }
    .await;
    dto::reply(&auth, result)
}

/// The named subscription `raw_id` of the tenant.
async fn find(
    engine: &Engine,
    tenant: &TenantId,
    raw_id: &str,
) -> Result<(u64, Subscription), UdeskError> {
    let id = path_id(raw_id)?;
    let sub = engine
        .record::<Subscription>(tenant, &format!("{ID_PREFIX}{id}"))
        .await?
        .filter(|s| s.surface == SURFACE)
        .ok_or(UdeskError::RecordNotFound)?;
    Ok((id, sub))
}

/// `GET subscriptions/{id}` (§3.5): one named subscription.
pub async fn get_subscription(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        dto::optional_body::<Value>(&raw)?;
        let (n, sub) = find(&engine, &auth.tenant.id, &id).await?;
        Ok(wire(n, &sub))
    }
    .await;
    dto::reply(&auth, result)
}

/// `PUT subscriptions/{id}` (§3.5): changes a named subscription. The table nests the fields
/// in `subscription`, the example sends them flat with `state`; both are read, and a field
/// left out keeps its value. Answers `{"<name>": <id>}`.
pub async fn update_subscription(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let tenant = &auth.tenant.id;
    let result = async {
        let body: Value = dto::body(&raw)?;
        let outer = body.as_object().ok_or_else(invalid)?;
        let fields = match outer.get("subscription") {
            Some(Value::Object(inner)) => inner,
            Some(_) => return Err(invalid()),
            None => outer,
        };
        let name = match fields.get("name") {
            None => None,
            value => Some(name_of(value).ok_or_else(invalid)?),
        };
        let callback = match fields.get("callback") {
            None => None,
            Some(value) => Some(callback_url(value).ok_or_else(invalid)?),
        };
        let events = match fields.get("events") {
            None => None,
            Some(value) => Some(event_names(value).ok_or_else(invalid)?),
        };
        let enabled = enabled_of(fields).map_err(|()| invalid())?;
        let number = path_id(&id)?;
        // Found, checked for a name clash and changed in one command: an unknown id is
        // `RecordNotFound`, a taken name `Duplicate entry <name> for name`.
        let op = Op::UpdateNumberedSubscription {
            numbering: numbering(),
            number,
            patch: SubscriptionPatch {
                name,
                callback_url: callback,
                events: events.map(EventsEdit::Replace),
                secret: None,
                enabled,
            },
        };
        let sub = match engine.execute(tenant, op).await? {
            OpOutput::Subscription(sub) => sub,
            other => return Err(unexpected(&other)),
        };
        let mut answer = Map::new();
        answer.insert(sub.name.clone(), json!(number));
        Ok(Value::Object(answer))
    }
    .await;
    dto::reply(&auth, result)
}

/// `DELETE subscriptions/{id}` (§3.5): removes a named subscription; `Result` is `""`.
pub async fn delete_subscription(
    auth: Authed,
    State(engine): State<Engine>,
    Path(id): Path<String>,
    raw: Bytes,
) -> Response {
    let tenant = &auth.tenant.id;
    let result = async {
        dto::optional_body::<Value>(&raw)?;
        // Looked up first for its surface; the delete itself is by id, so one that went
        // meanwhile is `Data does not exist` either way.
        let (n, _) = find(&engine, tenant, &id)
            .await
            .map_err(UdeskError::deleting)?;
        engine
            .execute(
                tenant,
                Op::DeleteSubscription {
                    id: format!("{ID_PREFIX}{n}"),
                },
            )
            .await
            .map_err(|e| UdeskError::from(e).deleting())?;
        Ok(json!(""))
    }
    .await;
    dto::reply(&auth, result)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use ccemu_core::{Subscription, TenantId};
    use serde_json::{json, Value};

    use super::APP_SUBSCRIPTION_ID;
    use crate::events::NO_CALLBACK_URL;
    use crate::routes::tests::{ctx, err_code, ok_with, Ctx};

    const GET: Method = Method::GET;
    const POST: Method = Method::POST;
    const PUT: Method = Method::PUT;
    const DELETE: Method = Method::DELETE;

    /// The doc's `POST subscriptions` example (two of its four), as its curl sends it.
    const DOC_CREATE: &str = r#"{\"subscriptions\": [{\"callback\": \"http://59.110.105.200:12345\",\"name\": \"sub1\",\"events\": [\"agent_ringing\", \"agent_answer\",\"start_dialout\", \"user_ringing\", \"user_answer\", \"agent_hangup\", \"user_hangup\"]},
{\"callback\": \"http://59.110.105.200:12345\",\"name\": \"sub2\",\"events\": [\"agent_ringing\", \"agent_answer\",\"start_dialout\", \"user_ringing\", \"user_answer\", \"agent_hangup\", \"user_hangup\"]}
]}"#;

    const DOC_EVENTS: [&str; 7] = [
        "agent_ringing",
        "agent_answer",
        "start_dialout",
        "user_ringing",
        "user_answer",
        "agent_hangup",
        "user_hangup",
    ];

    fn demo() -> TenantId {
        TenantId::parse("demo").unwrap()
    }

    async fn app_sub(cx: &Ctx) -> Option<Subscription> {
        cx.engine
            .record::<Subscription>(&demo(), APP_SUBSCRIPTION_ID)
            .await
            .unwrap()
    }

    fn params() -> Value {
        err_code("000001", "ParamsInvalid")
    }

    #[tokio::test]
    async fn the_docs_create_example_answers_ids_and_names_and_lists_them() {
        let cx = ctx().await;
        let (status, body) = cx.send(POST, "/ccapi/v2/subscriptions", DOC_CREATE).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            ok_with(json!({
                "sub_succ": [{"id": 1, "name": "sub1"}, {"id": 2, "name": "sub2"}],
                "sub_fail": []
            }))
        );
        let row = |id: u64, name: &str| {
            json!({"id": id, "callback": "http://59.110.105.200:12345", "name": name,
                   "events": DOC_EVENTS, "enable": true})
        };
        let (status, list) = cx.send(GET, "/ccapi/v2/subscriptions", "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list, ok_with(json!([row(1, "sub1"), row(2, "sub2")])));
        let (status, one) = cx.send(GET, "/ccapi/v2/subscriptions/2", "").await;
        assert_eq!((status, one), (StatusCode::OK, ok_with(row(2, "sub2"))));
        // The next create continues the numbering.
        let third = r#"{"subscriptions":[{"callback":"https://crm.example/cb","name":"sub3","events":["end"]}]}"#;
        let (_, body) = cx.send(POST, "/ccapi/v2/subscriptions", third).await;
        assert_eq!(
            body["Result"]["sub_succ"],
            json!([{"id": 3, "name": "sub3"}])
        );
        // They are the engine's udesk subscriptions, integer ids kept apart from the app's.
        let subs = cx.engine.subscriptions(&demo()).await.unwrap();
        let ids: Vec<(&str, &str)> = subs
            .iter()
            .map(|s| (s.id.as_str(), s.surface.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("udesk-1", "udesk"),
                ("udesk-2", "udesk"),
                ("udesk-3", "udesk")
            ]
        );
    }

    #[tokio::test]
    async fn invalid_items_are_named_in_sub_fail_and_the_valid_ones_created() {
        let cx = ctx().await;
        let body = json!({"subscriptions": [
            {"callback": "http://127.0.0.1:9/a", "name": "good", "events": ["begin"]},
            {"callback": "ftp://127.0.0.1/a", "name": "bad-url", "events": ["begin"]},
            {"callback": "http://127.0.0.1:9/a#top", "name": "fragment", "events": ["begin"]},
            {"callback": "http://127.0.0.1:9/a", "name": "bad-event", "events": ["agent.ringing"]},
            {"callback": "http://127.0.0.1:9/a", "name": "no-events", "events": []},
            {"callback": "http://127.0.0.1:9/a", "name": "events-text", "events": "begin"},
            {"name": "no-callback", "events": ["begin"]},
            {"callback": "http://127.0.0.1:9/a", "name": "good", "events": ["end"]},
            {"callback": "http://127.0.0.1:9/a", "name": "  ", "events": ["end"]},
            {"callback": "http://127.0.0.1:9/b", "name": "off", "events": ["end"], "enable": false},
        ]})
        .to_string();
        let (status, got) = cx.send(POST, "/ccapi/v2/subscriptions", &body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            got,
            ok_with(json!({
                "sub_succ": [{"id": 1, "name": "good"}, {"id": 2, "name": "off"}],
                "sub_fail": ["bad-url", "fragment", "bad-event", "no-events", "events-text", "no-callback",
                             "good", ""]
            }))
        );
        let (_, off) = cx.send(GET, "/ccapi/v2/subscriptions/2", "").await;
        assert_eq!(off["Result"]["enable"], false);
        // A name already taken fails in a later request too.
        let again = r#"{"subscriptions":[{"callback":"http://127.0.0.1:9/a","name":"good","events":["end"]}]}"#;
        let (_, got) = cx.send(POST, "/ccapi/v2/subscriptions", again).await;
        assert_eq!(got["Result"], json!({"sub_succ": [], "sub_fail": ["good"]}));
    }

    #[tokio::test]
    async fn bodies_of_the_wrong_shape_are_refused_whole() {
        let cx = ctx().await;
        let bad_json = err_code("100004", "unexpected end of JSON input");
        for (method, uri, body, want) in [
            (POST, "/ccapi/v2/subscriptions", "", (400, bad_json.clone())),
            (
                POST,
                "/ccapi/v2/subscriptions",
                "{",
                (400, bad_json.clone()),
            ),
            (POST, "/ccapi/v2/subscriptions", "{}", (400, params())),
            (
                POST,
                "/ccapi/v2/subscriptions",
                r#"{"subscriptions":[]}"#,
                (400, params()),
            ),
            (
                POST,
                "/ccapi/v2/subscriptions",
                r#"{"subscriptions":{"name":"a"}}"#,
                (400, params()),
            ),
            (
                POST,
                "/ccapi/v2/subscriptions",
                r#"{"subscriptions":["a"]}"#,
                (400, params()),
            ),
            (
                POST,
                "/ccapi/v2/subscriptions",
                r#"{"subscriptions":[{"name":7,"callback":"http://a","events":["end"]}]}"#,
                (400, params()),
            ),
            (
                POST,
                "/ccapi/v2/webhooks/events",
                "",
                (400, bad_json.clone()),
            ),
            (POST, "/ccapi/v2/webhooks/events", "{}", (400, params())),
            (
                POST,
                "/ccapi/v2/webhooks/events",
                r#"{"Events":[{"category":"queue","all_type":[]}]}"#,
                (400, params()),
            ),
            (
                PUT,
                "/ccapi/v2/webhooks/events",
                r#"{"Events":[{"category":"agent_state","all_type":["begin"]}]}"#,
                (400, params()),
            ),
            (
                PUT,
                "/ccapi/v2/webhooks/events",
                r#"{"Events":[{"category":"call","all_type":"begin"}]}"#,
                (400, params()),
            ),
            (
                PUT,
                "/ccapi/v2/webhooks/events",
                r#"{"Events":[{"all_type":["begin"]}]}"#,
                (400, params()),
            ),
            (
                PUT,
                "/ccapi/v2/subscriptions/1",
                "",
                (400, bad_json.clone()),
            ),
        ] {
            let (status, got) = cx.send(method.clone(), uri, body).await;
            assert_eq!((status.as_u16(), got), want, "{method} {uri} {body}");
        }
        // More than 100 in one request is refused whole, 100 are created.
        let many = |n: usize| {
            let items: Vec<Value> = (0..n)
                .map(|i| json!({"callback": "http://127.0.0.1:9/a", "name": format!("s{i}"), "events": ["end"]}))
                .collect();
            json!({ "subscriptions": items }).to_string()
        };
        let (status, got) = cx.send(POST, "/ccapi/v2/subscriptions", many(101)).await;
        assert_eq!((status.as_u16(), got), (400, params()));
        assert!(cx.engine.subscriptions(&demo()).await.unwrap().is_empty());
        let (status, got) = cx.send(POST, "/ccapi/v2/subscriptions", many(100)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got["Result"]["sub_succ"].as_array().unwrap().len(), 100);
        assert_eq!(
            got["Result"]["sub_succ"][99],
            json!({"id": 100, "name": "s99"})
        );
    }

    #[tokio::test]
    async fn update_takes_the_tables_nested_form_and_the_examples_flat_one() {
        let cx = ctx().await;
        cx.send(POST, "/ccapi/v2/subscriptions", DOC_CREATE).await;
        // The doc's example: flat, with `state` 0 (disabled); its callback host is not an IP.
        let flat = "{\"callback\": \"http://59.110.105.911:12345\",\"name\": \"sub1\",\n\"events\": [\"user_ringing\", \"user_answer\", \"agent_hangup\", \"user_hangup\"],\"state\":0}";
        let (status, got) = cx.send(PUT, "/ccapi/v2/subscriptions/1", flat).await;
        assert_eq!((status, got), (StatusCode::OK, ok_with(json!({"sub1": 1}))));
        let (_, one) = cx.send(GET, "/ccapi/v2/subscriptions/1", "").await;
        assert_eq!(
            one,
            ok_with(
                json!({"id": 1, "callback": "http://59.110.105.911:12345", "name": "sub1",
                "events": ["user_ringing", "user_answer", "agent_hangup", "user_hangup"],
                "enable": false})
            )
        );
        // The table's form renames and enables; fields left out keep their values.
        let nested = r#"{"subscription":{"name":"renamed","enable":true}}"#;
        let (_, got) = cx.send(PUT, "/ccapi/v2/subscriptions/1", nested).await;
        assert_eq!(got, ok_with(json!({"renamed": 1})));
        let (_, one) = cx.send(GET, "/ccapi/v2/subscriptions/1", "").await;
        assert_eq!(
            (
                &one["Result"]["name"],
                &one["Result"]["enable"],
                &one["Result"]["callback"]
            ),
            (
                &json!("renamed"),
                &json!(true),
                &json!("http://59.110.105.911:12345")
            )
        );
        // Wrong types, unknown events, a taken name.
        for (body, want) in [
            (r#"{"subscription":{"enable":"maybe"}}"#, (400, params())),
            (r#"{"state":2}"#, (400, params())),
            (r#"{"events":["nope"]}"#, (400, params())),
            (r#"{"events":"end"}"#, (400, params())),
            (r#"{"callback":"not a url"}"#, (400, params())),
            (r#"{"subscription":"sub1"}"#, (400, params())),
            (r#"{"name":""}"#, (400, params())),
            (r#"[1]"#, (400, params())),
            (
                r#"{"name":"sub2"}"#,
                (422, err_code("100004", "Duplicate entry sub2 for name")),
            ),
        ] {
            let (status, got) = cx.send(PUT, "/ccapi/v2/subscriptions/1", body).await;
            assert_eq!((status.as_u16(), got), want, "{body}");
        }
        let (_, one) = cx.send(GET, "/ccapi/v2/subscriptions/1", "").await;
        assert_eq!(
            one["Result"]["name"], "renamed",
            "nothing of the above changed it"
        );
    }

    #[tokio::test]
    async fn unknown_or_malformed_ids_and_delete() {
        let cx = ctx().await;
        cx.send(POST, "/ccapi/v2/subscriptions", DOC_CREATE).await;
        let not_found = (404, err_code("100018", "RecordNotFound"));
        let gone = (404, err_code("000004", "Data does not exist"));
        let flat = r#"{"name":"x"}"#;
        for (method, uri, body, want) in [
            (GET, "/ccapi/v2/subscriptions/9", "", not_found.clone()),
            (PUT, "/ccapi/v2/subscriptions/9", flat, not_found.clone()),
            (DELETE, "/ccapi/v2/subscriptions/9", "", gone.clone()),
            (GET, "/ccapi/v2/subscriptions/abc", "", (400, params())),
            (GET, "/ccapi/v2/subscriptions/0", "", (400, params())),
            (DELETE, "/ccapi/v2/subscriptions/-1", "", (400, params())),
            // The app's own record is not a numbered subscription.
            (GET, "/ccapi/v2/subscriptions/app", "", (400, params())),
        ] {
            let (status, got) = cx.send(method.clone(), uri, body).await;
            assert_eq!((status.as_u16(), got), want, "{method} {uri}");
        }
        let (status, got) = cx.send(DELETE, "/ccapi/v2/subscriptions/1", "").await;
        assert_eq!((status, got), (StatusCode::OK, ok_with(json!(""))));
        let (status, got) = cx.send(DELETE, "/ccapi/v2/subscriptions/1", "").await;
        assert_eq!((status.as_u16(), got), gone);
        let (_, list) = cx.send(GET, "/ccapi/v2/subscriptions", "").await;
        let names: Vec<&Value> = list["Result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["name"])
            .collect();
        assert_eq!(names, [&json!("sub2")]);
    }

    #[tokio::test]
    async fn another_tenants_subscription_ids_do_not_reach_this_tenants() {
        let cx = ctx().await;
        cx.send(POST, "/ccapi/v2/subscriptions", DOC_CREATE).await;
        let other = cx.engine.create_tenant(Some("Other".into())).await.unwrap();
        let u = &other.credentials.udesk;
        let ts = (ccemu_engine::wall_ms() / 1000).to_string();
        let sign = crate::sign::sign(&u.sid, &u.auth_token, &ts);
        let as_other = |path: &str| {
            format!(
                "{path}?AppId={}&Sid={}&Timestamp={ts}&Sign={sign}",
                u.app_id, u.sid
            )
        };
        let (status, got) = cx
            .send_raw(GET, &as_other("/ccapi/v2/subscriptions/1"), "")
            .await;
        assert_eq!(
            (status.as_u16(), got),
            (404, err_code("100018", "RecordNotFound"))
        );
        let put = r#"{"name":"stolen","callback":"http://127.0.0.1:9/x"}"#;
        let (status, _) = cx
            .send_raw(PUT, &as_other("/ccapi/v2/subscriptions/1"), put)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = cx
            .send_raw(DELETE, &as_other("/ccapi/v2/subscriptions/2"), "")
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, list) = cx
            .send_raw(GET, &as_other("/ccapi/v2/subscriptions"), "")
            .await;
        assert_eq!(list, ok_with(json!([])));
        // The other tenant numbers its own from 1; the demo's are untouched.
        let own = r#"{"subscriptions":[{"callback":"http://127.0.0.1:9/o","name":"mine","events":["end"]}]}"#;
        let (_, got) = cx
            .send_raw(POST, &as_other("/ccapi/v2/subscriptions"), own)
            .await;
        assert_eq!(
            got["Result"]["sub_succ"],
            json!([{"id": 1, "name": "mine"}])
        );
        let (_, one) = cx.send(GET, "/ccapi/v2/subscriptions/1", "").await;
        assert_eq!(one["Result"]["name"], "sub1");
        let (_, list) = cx.send(GET, "/ccapi/v2/subscriptions", "").await;
        assert_eq!(list["Result"].as_array().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn webhook_events_append_replace_and_delete_on_the_app_record() {
        let cx = ctx().await;
        // The doc's example: the app has no CallbackUrl yet, the events are kept anyway.
        let doc = r#"{"Events":[{"category":"call","all_type":["begin","end"]}]}"#;
        let (status, got) = cx.send(POST, "/ccapi/v2/webhooks/events", doc).await;
        assert_eq!((status, got), (StatusCode::OK, ok_with(Value::Null)));
        let sub = app_sub(&cx).await.expect("the app record");
        assert_eq!(
            (sub.surface.as_str(), sub.callback_url.as_str(), sub.enabled),
            ("udesk", NO_CALLBACK_URL, true)
        );
        assert_eq!(sub.events, ["begin", "end"]);
        // Append: new names after the old, no duplicates; an empty all_type is the category.
        let more = r#"{"Events":[{"category":"call","all_type":["end","agent_ringing"]},{"category":"agent_state","all_type":[]},{"category":"agent_call_mode"}]}"#;
        cx.send(POST, "/ccapi/v2/webhooks/events", more).await;
        assert_eq!(
            app_sub(&cx).await.unwrap().events,
            [
                "begin",
                "end",
                "agent_ringing",
                "acd_agent_state",
                "agent_call_mode_change"
            ]
        );
        // A CallbackUrl set meanwhile (POST/PUT apps) is kept by later edits.
        let url = ccemu_engine::SubscriptionPatch {
            callback_url: Some("http://crm.example/cb".into()),
            ..Default::default()
        };
        super::edit_app_subscription(&cx.engine, &demo(), url)
            .await
            .unwrap();
        let replace = r#"{"Events":[{"category":"ext_state","all_type":["ext_state"]}]}"#;
        let (status, _) = cx.send(PUT, "/ccapi/v2/webhooks/events", replace).await;
        assert_eq!(status, StatusCode::OK);
        let sub = app_sub(&cx).await.unwrap();
        assert_eq!(sub.events, ["ext_state"]);
        assert_eq!(sub.callback_url, "http://crm.example/cb");
        // An empty list replaces with nothing, as DELETE does.
        let (status, _) = cx
            .send(PUT, "/ccapi/v2/webhooks/events", r#"{"Events":[]}"#)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(app_sub(&cx).await.unwrap().events, [crate::apps::NOTHING]);
        cx.send(PUT, "/ccapi/v2/webhooks/events", replace).await;
        let (status, got) = cx.send(DELETE, "/ccapi/v2/webhooks/events", "{}").await;
        assert_eq!((status, got), (StatusCode::OK, ok_with(Value::Null)));
        let sub = app_sub(&cx).await.unwrap();
        assert_eq!(sub.events, [crate::apps::NOTHING]);
        assert_eq!(sub.callback_url, "http://crm.example/cb");
        // The app record never shows among the numbered subscriptions.
        let (_, list) = cx.send(GET, "/ccapi/v2/subscriptions", "").await;
        assert_eq!(list, ok_with(json!([])));
    }

    /// A `POST subscriptions` body of subscriptions with these names.
    fn creating(names: &[&str]) -> String {
        let items: Vec<Value> = names
            .iter()
            .map(|n| json!({"callback": "http://127.0.0.1:9/a", "name": n, "events": ["end"]}))
            .collect();
        json!({ "subscriptions": items }).to_string()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn creates_at_once_get_distinct_ids_and_one_name_wins_once() {
        let cx = &ctx().await;
        let post =
            |body: String| async move { cx.send(POST, "/ccapi/v2/subscriptions", body).await };
        let (a, b, c, d) = tokio::join!(
            post(creating(&["a1", "a2", "same"])),
            post(creating(&["b1", "b2", "same"])),
            post(creating(&["c1", "c2", "same"])),
            post(creating(&["d1", "d2", "same"])),
        );
        let mut ids = Vec::new();
        let mut same = 0;
        for (status, body) in [a, b, c, d] {
            assert_eq!(status, StatusCode::OK);
            let succ = body["Result"]["sub_succ"].as_array().unwrap().clone();
            let mine: Vec<u64> = succ.iter().map(|s| s["id"].as_u64().unwrap()).collect();
            // One request's subscriptions are numbered together, in order.
            assert!(mine.windows(2).all(|w| w[1] == w[0] + 1), "{body}");
            same += succ.iter().filter(|s| s["name"] == "same").count();
            ids.extend(mine);
        }
        ids.sort_unstable();
        assert_eq!(ids, (1..=9).collect::<Vec<u64>>(), "distinct, no gaps");
        assert_eq!(same, 1, "a name is created once");
        let (_, list) = cx.send(GET, "/ccapi/v2/subscriptions", "").await;
        assert_eq!(list["Result"].as_array().unwrap().len(), 9);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn edits_of_the_app_record_at_once_keep_every_change() {
        let cx = &ctx().await;
        let tenant = demo();
        let add = |category: &'static str| async move {
            let body = json!({"Events": [{"category": category}]}).to_string();
            cx.send(POST, "/ccapi/v2/webhooks/events", body).await
        };
        let url = super::SubscriptionPatch {
            callback_url: Some("http://crm.example/cb".into()),
            ..Default::default()
        };
        let (a, b, c, set) = tokio::join!(
            add("call"),
            add("agent_state"),
            add("agent_call_mode"),
            super::edit_app_subscription(&cx.engine, &tenant, url),
        );
        for (status, _) in [a, b, c] {
            assert_eq!(status, StatusCode::OK);
        }
        set.unwrap();
        let sub = app_sub(cx).await.unwrap();
        assert_eq!(sub.callback_url, "http://crm.example/cb");
        for event in ["begin", "end", "acd_agent_state", "agent_call_mode_change"] {
            assert!(sub.events.iter().any(|e| e == event), "{event}: {sub:?}");
        }
        assert!(!sub.events.iter().any(|e| e == crate::apps::NOTHING));
    }
}
