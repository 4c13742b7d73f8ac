//! The application (`vendor-notes/udesk.md` §3.1): `POST apps` creates a tenant under the caller's
//! account, `PUT apps` and `GET apps` edit and read it.
//!
//! A Udesk app is a ccemu tenant. Its `Name`, `Type`, `IsHideUserNum`, `Memo` and `WrapUpTime`
//! mean nothing to the domain and are kept as the tenant's Udesk [`SurfaceSettings`]; its
//! `CallbackUrl` is where `webhooks/events` deliver, so it is the callback of the app's own
//! subscription ([`APP_SUBSCRIPTION_ID`]).

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ccemu_core::{Subscription, SurfaceSettings, Tenant};
use ccemu_engine::{credentials, Engine, EngineError, Op};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Account, Authed};
use crate::dto::{self, Flag, Text};
use crate::error::UdeskError;
use crate::events::NO_CALLBACK_URL;
use crate::extensions::extension_number;
use crate::subscriptions::edit_app_subscription;

/// The id of the subscription that carries the app's `CallbackUrl` (the `webhooks/events` target).
pub const APP_SUBSCRIPTION_ID: &str = "udesk-app";

/// The surface name under which the app's own settings are kept.
const SETTINGS_ID: &str = crate::VENDOR;

#[derive(Debug, Default, Deserialize)]
struct AppBody {
    #[serde(rename = "Name")]
    name: Option<Text>,
    #[serde(rename = "Type")]
    kind: Option<AppType>,
    #[serde(rename = "CallbackUrl")]
    callback_url: Option<String>,
    #[serde(rename = "IsHideUserNum")]
    hide_user_number: Option<Flag>,
    #[serde(rename = "Memo")]
    memo: Option<String>,
}

/// `Type`: an integer on create (1 call center, 0 telemarketing), `default`/`external` on update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Value")]
enum AppType {
    Default,
    External,
}

impl TryFrom<Value> for AppType {
    type Error = String;

    // Which create value is which update value is unpublished: the call-center platform (1) is
    // taken to be `default` and telemarketing (0) `external` [inferred].
    fn try_from(value: Value) -> Result<Self, String> {
        match &value {
            Value::Number(n) if n.as_u64() == Some(1) => Ok(Self::Default),
            Value::Number(n) if n.as_u64() == Some(0) => Ok(Self::External),
            Value::String(s) => match s.trim() {
                "1" | "default" => Ok(Self::Default),
                "0" | "external" => Ok(Self::External),
                _ => Err(format!("unknown app type {s}")),
            },
            _ => Err(format!("unknown app type {value}")),
        }
    }
}

impl AppType {
    fn name(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::External => "external",
        }
    }

    fn number(self) -> &'static str {
        match self {
            Self::Default => "1",
            Self::External => "0",
        }
    }
}

/// What a tenant's Udesk app says about itself.
struct App {
    name: String,
    kind: AppType,
    callback_url: String,
    hide_user_number: bool,
    memo: String,
    wrap_up_secs: u64,
}

impl App {
    async fn load(engine: &Engine, tenant: &Tenant) -> Result<Self, UdeskError> {
        let settings = engine
            .record::<SurfaceSettings>(&tenant.id, SETTINGS_ID)
            .await?
            .unwrap_or_default();
        let sub = engine
            .record::<Subscription>(&tenant.id, APP_SUBSCRIPTION_ID)
            .await?;
        let get = |key: &str| settings.values.get(key);
        let text = |key: &str| get(key).and_then(Value::as_str).map(str::to_owned);
        Ok(Self {
            name: text("Name").unwrap_or_else(|| tenant.name.clone()),
            kind: match text("Type").as_deref() {
                Some("external") => AppType::External,
                _ => AppType::Default,
            },
            callback_url: sub
                .map(|s| s.callback_url)
                .filter(|url| url != NO_CALLBACK_URL)
                .unwrap_or_default(),
            hide_user_number: get("IsHideUserNum")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            memo: text("Memo").unwrap_or_default(),
            wrap_up_secs: get("WrapUpTime").and_then(Value::as_u64).unwrap_or(0),
        })
    }

    /// Applies a body's fields; absent ones keep their value.
    fn merge(&mut self, body: AppBody) -> Result<(), UdeskError> {
        if let Some(Text(name)) = body.name {
            self.name = name;
        }
        if let Some(kind) = body.kind {
            self.kind = kind;
        }
        if let Some(url) = body.callback_url {
            self.callback_url = url.trim().to_owned();
        }
        if let Some(Flag(hide)) = body.hide_user_number {
            self.hide_user_number = hide;
        }
        if let Some(memo) = body.memo {
            self.memo = memo;
        }
        let url = &self.callback_url;
        let absolute = url.starts_with("http://") || url.starts_with("https://");
        if !url.is_empty() && !absolute {
            return Err(UdeskError::InvalidParameter("CallbackUrl".into()));
        }
        Ok(())
    }

    /// Commits the settings and the app subscription's callback (kept, with its events, when the
    /// URL is cleared, under the placeholder that gets nothing).
    async fn save(&self, engine: &Engine, tenant: &Tenant) -> Result<(), UdeskError> {
        let mut settings = SurfaceSettings {
            id: SETTINGS_ID.to_owned(),
            ..Default::default()
        };
        settings.values.extend([
            ("Name".to_owned(), json!(self.name)),
            ("Type".to_owned(), json!(self.kind.name())),
            ("IsHideUserNum".to_owned(), json!(self.hide_user_number)),
            ("Memo".to_owned(), json!(self.memo)),
            ("WrapUpTime".to_owned(), json!(self.wrap_up_secs)),
        ]);
        engine
            .execute(&tenant.id, Op::PutSurfaceSettings(settings))
            .await?;
        let url = match self.callback_url.as_str() {
            "" => NO_CALLBACK_URL.to_owned(),
            url => url.to_owned(),
        };
        let secret = tenant.credentials.udesk.app_secret.clone();
        let patch = ccemu_engine::SubscriptionPatch {
            callback_url: Some(url),
            secret: Some(Some(secret)),
            ..Default::default()
        };
        edit_app_subscription(engine, &tenant.id, patch).await?;
        Ok(())
    }
}

/// The event list of an app subscription that wants nothing yet (an empty list would mean all).
pub const NOTHING: &str = ccemu_core::Subscription::NO_EVENTS;

/// `POST apps` (§3.1): a new app under the caller's account, with the query's `AppId` as its id
/// when given (the doc: the CRM generates it), else a new UUID; `100004` if the id is taken.
pub async fn create_app(account: Account, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: AppBody = dto::body(&raw)?;
        let name = dto::required(body.name.clone())?;
        if body.kind.is_none() || body.callback_url.is_none() {
            return Err(UdeskError::InvalidParameter(dto::PARAMS_INVALID.into()));
        }
        let mut app = App {
            name: name.clone(),
            kind: AppType::Default,
            callback_url: String::new(),
            hide_user_number: false,
            memo: String::new(),
            wrap_up_secs: 0,
        };
        app.merge(body)?;
        let app_id = account
            .app_id
            .clone()
            .unwrap_or_else(credentials::random_uuid);
        let owner = &account.tenant.credentials.udesk;
        let tenant = engine
            .create_tenant_from(name, |c| {
                c.udesk.sid = owner.sid.clone();
                c.udesk.auth_token = owner.auth_token.clone();
                c.udesk.app_id = app_id.clone();
            })
            .await
            .map_err(|e| match e {
                EngineError::TenantExists => UdeskError::Duplicate(format!("{app_id} for AppId")),
                other => other.into(),
            })?;
        app.save(&engine, &tenant).await?;
        let udesk = &tenant.credentials.udesk;
        Ok((
            tenant.id.clone(),
            json!({
                "AppId": udesk.app_id,
                "ExtensionPrefix": extension_prefix(&udesk.app_id),
                "Name": app.name,
                "Memo": app.memo,
                "Type": app.kind.number(),
                "CallbackUrl": app.callback_url,
                "IsHideUserNum": app.hide_user_number.to_string(),
                "Secret": udesk.app_secret,
                "WrapUpTime": app.wrap_up_secs.to_string(),
            }),
        ))
    }
    .await;
    let mut response = match result {
        Ok((tenant, value)) => {
            let mut r = Json(json!({"ErrCode": "000000", "ErrDesc": "OK", "Result": value}))
                .into_response();
            r.extensions_mut().insert(tenant);
            r
        }
        Err(error) => error.into_response(),
    };
    response
        .extensions_mut()
        .get_or_insert_with(|| account.tenant.id.clone());
    response
}

/// The app's company prefix: the `Number` of an extension without the extension.
fn extension_prefix(app_id: &str) -> String {
    let mut number = extension_number(app_id, "");
    number.truncate(10);
    number
}

/// `PUT apps` (§3.1): changes the fields given.
pub async fn update_app(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: AppBody = dto::body(&raw)?;
        let mut app = App::load(&engine, &auth.tenant).await?;
        app.merge(body)?;
        app.save(&engine, &auth.tenant).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `GET apps` (§3.1).
pub async fn get_app(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        dto::no_body(&raw)?;
        let app = App::load(&engine, &auth.tenant).await?;
        let udesk = &auth.tenant.credentials.udesk;
        Ok(json!({
            "AppId": udesk.app_id,
            "Name": app.name,
            "Type": app.kind.name(),
            "CallbackUrl": app.callback_url,
            "IsHideUserNum": app.hide_user_number,
            "Secret": udesk.app_secret,
            "Memo": app.memo,
        }))
    }
    .await;
    dto::reply(&auth, result)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use serde_json::{json, Value};

    use crate::routes::tests::{ctx, err_code, ok_with, Ctx};
    use crate::sign;
    use ccemu_core::{Subscription, TenantId};
    use ccemu_engine::wall_ms;

    /// `uri` signed with the account's Sid only, naming `app` (or no app) in the query.
    fn account_uri(cx: &Ctx, uri: &str, app: Option<&str>) -> String {
        let ts = (wall_ms() / 1000).to_string();
        let sign = sign::sign(&cx.udesk.sid, &cx.udesk.auth_token, &ts);
        let app = app.map(|a| format!("&AppId={a}")).unwrap_or_default();
        format!("{uri}?Sid={}&Timestamp={ts}&Sign={sign}{app}", cx.udesk.sid)
    }

    #[tokio::test]
    async fn the_docs_create_example_makes_a_new_app_under_the_account() {
        let cx = ctx().await;
        let new_app = "1f0e4f3c-2a5b-4c8d-9e7f-0a1b2c3d4e5f";
        let body = r#"{"Name":"test02","Type":1,"CallbackUrl":""}"#;
        let uri = account_uri(&cx, "/ccapi/v2/apps", Some(new_app));
        let (status, got) = cx.send_raw(Method::POST, &uri, body).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        let result = &got["Result"];
        let secret = result["Secret"].as_str().expect("secret").to_owned();
        let prefix = result["ExtensionPrefix"]
            .as_str()
            .expect("prefix")
            .to_owned();
        assert_eq!(secret.len(), 32);
        assert!(prefix.len() == 10 && prefix.starts_with('9'), "{prefix}");
        assert_eq!(
            got,
            ok_with(json!({
                "AppId": new_app, "ExtensionPrefix": prefix, "Name": "test02", "Memo": "",
                "Type": "1", "CallbackUrl": "", "IsHideUserNum": "false", "Secret": secret,
                "WrapUpTime": "0",
            }))
        );
        // The new app is a tenant of its own, signed with the account's Sid and AuthToken.
        let tenant = cx
            .engine
            .find_tenant(|c| c.udesk.app_id == new_app)
            .expect("tenant");
        assert_eq!(tenant.credentials.udesk.sid, cx.udesk.sid);
        assert_eq!(tenant.credentials.udesk.app_secret, secret);
        let ts = (wall_ms() / 1000).to_string();
        let sign = sign::sign(&cx.udesk.sid, &cx.udesk.auth_token, &ts);
        let get = format!(
            "/ccapi/v2/apps?AppId={new_app}&Sid={}&Timestamp={ts}&Sign={sign}",
            cx.udesk.sid
        );
        let (status, got) = cx.send_raw(Method::GET, &get, "").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            got,
            ok_with(json!({
                "AppId": new_app, "Name": "test02", "Type": "default", "CallbackUrl": "",
                "IsHideUserNum": false, "Secret": secret, "Memo": "",
            }))
        );
        // It is empty: the demo app's seats are not its seats.
        let (_, seats) = cx
            .send_raw(Method::GET, &get.replace("/apps?", "/agents?"), "")
            .await;
        assert_eq!(seats["Result"]["Total"], 0, "{seats}");
        // The same AppId again is a duplicate.
        let uri = account_uri(&cx, "/ccapi/v2/apps", Some(new_app));
        let (status, got) = cx.send_raw(Method::POST, &uri, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            got,
            err_code("100004", &format!("Duplicate entry {new_app} for AppId"))
        );
    }

    #[tokio::test]
    async fn without_an_app_id_the_new_app_gets_a_uuid() {
        let cx = ctx().await;
        let uri = account_uri(&cx, "/ccapi/v2/apps", None);
        let body = r#"{"Name":"crm","Type":"0","CallbackUrl":"http://127.0.0.1:9/cb","IsHideUserNum":true,"Memo":"m"}"#;
        let (status, got) = cx.send_raw(Method::POST, &uri, body).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        let app = got["Result"]["AppId"].as_str().unwrap();
        assert_eq!(app.len(), 36);
        assert_eq!(app.matches('-').count(), 4);
        assert_eq!(
            (
                &got["Result"]["Type"],
                &got["Result"]["IsHideUserNum"],
                &got["Result"]["CallbackUrl"],
                &got["Result"]["Memo"],
            ),
            (
                &json!("0"),
                &json!("true"),
                &json!("http://127.0.0.1:9/cb"),
                &json!("m")
            )
        );
        // Its CallbackUrl is the target of its webhooks/events subscription, signed with its Secret.
        let tenant = cx.engine.find_tenant(|c| c.udesk.app_id == app).unwrap();
        let sub: Subscription = cx
            .engine
            .record(&tenant.id, super::APP_SUBSCRIPTION_ID)
            .await
            .unwrap()
            .expect("app subscription");
        assert_eq!(sub.callback_url, "http://127.0.0.1:9/cb");
        assert_eq!(sub.surface, "udesk");
        assert_eq!(
            sub.secret.as_deref(),
            Some(tenant.credentials.udesk.app_secret.as_str())
        );
        assert!(!sub.wants("begin"), "no category was chosen yet");
    }

    #[tokio::test]
    async fn create_refuses_bad_bodies_and_signatures() {
        let cx = ctx().await;
        let uri = account_uri(&cx, "/ccapi/v2/apps", None);
        let bad_json = err_code("100004", "unexpected end of JSON input");
        let invalid = err_code("000001", "ParamsInvalid");
        for (body, status, want) in [
            ("", StatusCode::BAD_REQUEST, bad_json.clone()),
            ("{", StatusCode::BAD_REQUEST, bad_json),
            (
                r#"{"Type":1,"CallbackUrl":""}"#,
                StatusCode::BAD_REQUEST,
                invalid.clone(),
            ),
            (
                r#"{"Name":"x","CallbackUrl":""}"#,
                StatusCode::BAD_REQUEST,
                invalid.clone(),
            ),
            (
                r#"{"Name":"x","Type":7,"CallbackUrl":""}"#,
                StatusCode::BAD_REQUEST,
                invalid.clone(),
            ),
            (
                r#"{"Name":{},"Type":1,"CallbackUrl":""}"#,
                StatusCode::BAD_REQUEST,
                invalid,
            ),
            (
                r#"{"Name":"x","Type":1,"CallbackUrl":"ftp://x"}"#,
                StatusCode::BAD_REQUEST,
                err_code("000001", "CallbackUrl"),
            ),
        ] {
            let got = cx.send_raw(Method::POST, &uri, body).await;
            assert_eq!(got, (status, want), "{body}");
        }
        let body = r#"{"Name":"x","Type":1,"CallbackUrl":""}"#;
        let sign_invalid = (StatusCode::UNAUTHORIZED, err_code("000001", "Sign invalid"));
        let tampered = uri.replace("Sign=", "Sign=0");
        assert_eq!(
            cx.send_raw(Method::POST, &tampered, body).await,
            sign_invalid
        );
        let old = format!(
            "/ccapi/v2/apps?Sid={}&Timestamp=1566446286&Sign={}",
            cx.udesk.sid,
            sign::sign(&cx.udesk.sid, &cx.udesk.auth_token, "1566446286")
        );
        assert_eq!(cx.send_raw(Method::POST, &old, body).await, sign_invalid);
        let other = uri.replace(&cx.udesk.sid, "ACnobody");
        assert_eq!(cx.send_raw(Method::POST, &other, body).await, sign_invalid);
        assert_eq!(cx.engine.tenants().len(), 1, "nothing was created");
    }

    #[tokio::test]
    async fn update_changes_only_the_fields_given_and_get_reads_them_back() {
        let cx = ctx().await;
        let (_, before) = cx.send(Method::GET, "/ccapi/v2/apps", "").await;
        assert_eq!(
            before,
            ok_with(json!({
                "AppId": cx.udesk.app_id, "Name": "Demo contact center", "Type": "default",
                "CallbackUrl": "", "IsHideUserNum": false, "Secret": cx.udesk.app_secret,
                "Memo": "",
            }))
        );
        let body = r#"{"Name":"Renamed","Type":"external","CallbackUrl":"https://crm.example/cb","IsHideUserNum":"true"}"#;
        let got = cx.send(Method::PUT, "/ccapi/v2/apps", body).await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let got = cx
            .send(Method::PUT, "/ccapi/v2/apps", r#"{"Memo":"note"}"#)
            .await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let (_, after) = cx.send(Method::GET, "/ccapi/v2/apps", "").await;
        assert_eq!(
            after,
            ok_with(json!({
                "AppId": cx.udesk.app_id, "Name": "Renamed", "Type": "external",
                "CallbackUrl": "https://crm.example/cb", "IsHideUserNum": true,
                "Secret": cx.udesk.app_secret, "Memo": "note",
            }))
        );
        for (body, code, desc) in [
            ("", "100004", "unexpected end of JSON input"),
            (r#"{"Type":"other"}"#, "000001", "ParamsInvalid"),
            (r#"{"IsHideUserNum":"maybe"}"#, "000001", "ParamsInvalid"),
        ] {
            let (status, got) = cx.send(Method::PUT, "/ccapi/v2/apps", body).await;
            assert_eq!(
                (status, got),
                (StatusCode::BAD_REQUEST, err_code(code, desc)),
                "{body}"
            );
        }
        // A cleared URL keeps the subscription, under the placeholder that gets nothing.
        let got = cx
            .send(Method::PUT, "/ccapi/v2/apps", r#"{"CallbackUrl":""}"#)
            .await;
        assert_eq!(got.0, StatusCode::OK);
        let demo = TenantId::parse("demo").unwrap();
        let sub: Subscription = cx
            .engine
            .record(&demo, super::APP_SUBSCRIPTION_ID)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sub.callback_url, crate::events::NO_CALLBACK_URL);
        let (_, after) = cx.send(Method::GET, "/ccapi/v2/apps", "").await;
        assert_eq!(after["Result"]["CallbackUrl"], "");
    }
}
