//! IVR configuration (`vendor-notes/udesk.md` §3.3): voice files, default voices and the DTMF fast
//! router. The fast router is the DTMF menu of the app's entry IVR (the menu its default relay
//! number leads to), so a simulated inbound call through the IVR is routed by it.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ccemu_core::telephony::{entry_menu_id, IvrOption, IvrTarget, VoicePrompt};
use ccemu_core::{DefaultVoices, IvrMenu, RelayNumber, VoiceFile};
use ccemu_engine::{Engine, Op};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::auth::Authed;
use crate::dto::{self, Text};
use crate::error::UdeskError;

/// Udesk's voice keys and the domain's situations, in the doc's order.
const VOICES: [(&str, &str); 9] = [
    ("Welcome", "welcome"),
    ("ClosingTime", "closing_time"),
    ("NoAnswer", "no_answer"),
    ("VoiceMail", "voice_mail"),
    ("Waiting", "waiting"),
    ("Consult", "consult"),
    ("Hold", "hold"),
    ("QueueTimeout", "queue_timeout"),
    ("Evaluate", "evaluate"),
];

fn params_invalid() -> UdeskError {
    UdeskError::InvalidParameter(dto::PARAMS_INVALID.into())
}

#[derive(Debug, Deserialize)]
struct FileBody {
    #[serde(rename = "FileName")]
    name: Option<Text>,
    #[serde(rename = "FileType")]
    file_type: Option<String>,
    #[serde(rename = "FileDesc")]
    description: Option<String>,
}

/// `POST ivrs/vfiles`: registers a voice file by name (metadata only: the doc publishes no content
/// field); `FileType` must be `wav` when given; a name in use is `100004 Duplicate entry`.
pub async fn create_voice_file(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: FileBody = dto::body(&raw)?;
        let id = dto::required(body.name)?;
        let file_type = body.file_type.unwrap_or_else(|| "wav".to_owned());
        if !file_type.eq_ignore_ascii_case("wav") {
            return Err(UdeskError::InvalidParameter("FileType".into()));
        }
        let file = VoiceFile {
            id,
            file_type: file_type.to_ascii_lowercase(),
            description: body.description.unwrap_or_default(),
        };
        engine
            .execute(&auth.tenant.id, Op::CreateVoiceFile(file))
            .await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `DELETE ivrs/vfiles`: `000004` when no file has that name.
pub async fn delete_voice_file(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: FileBody = dto::body(&raw)?;
        let id = dto::required(body.name)?;
        engine
            .execute(&auth.tenant.id, Op::DeleteVoiceFile { id })
            .await
            .map_err(|e| UdeskError::from(e).deleting())?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `GET ivrs/vfiles`: `{"IvrVFiles":[{FileName, FileType, FileDesc}]}`, by name.
pub async fn list_voice_files(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        dto::no_body(&raw)?;
        let files = engine.records::<VoiceFile>(&auth.tenant.id).await?;
        let rows: Vec<Value> = files
            .into_iter()
            .map(|f| json!({"FileName": f.id, "FileType": f.file_type, "FileDesc": f.description}))
            .collect();
        Ok(json!({ "IvrVFiles": rows }))
    }
    .await;
    dto::reply(&auth, result)
}

#[derive(Debug, Deserialize)]
struct VoicesBody {
    #[serde(rename = "DefVoices")]
    voices: Option<Vec<Map<String, Value>>>,
}

/// One voice value: `{"Type":"tts"|"wav","Content":".."}`, or `"default"` for the system's.
fn prompt(value: &Value) -> Result<Option<VoicePrompt>, UdeskError> {
    match value {
        Value::String(s) if s == "default" => Ok(None),
        Value::Object(voice) => {
            let content = voice.get("Content").and_then(Value::as_str);
            let content = content
                .filter(|c| !c.trim().is_empty())
                .ok_or_else(params_invalid)?;
            match voice.get("Type").and_then(Value::as_str) {
                Some("tts") => Ok(Some(VoicePrompt::Tts(content.to_owned()))),
                Some("wav") => Ok(Some(VoicePrompt::File(content.to_owned()))),
                _ => Err(params_invalid()),
            }
        }
        _ => Err(params_invalid()),
    }
}

/// `POST`/`PUT ivrs/defvoices`: replaces the default voices; keys left out (or `"default"`) play
/// the system's. A `wav` voice must name an uploaded file (`100018`).
pub async fn set_default_voices(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: VoicesBody = dto::body(&raw)?;
        let mut voices = DefaultVoices {
            id: DefaultVoices::ID.to_owned(),
            prompts: BTreeMap::new(),
        };
        for object in body.voices.ok_or_else(params_invalid)? {
            for (key, value) in &object {
                let Some((_, situation)) = VOICES.iter().find(|(k, _)| k == key) else {
                    return Err(params_invalid());
                };
                match prompt(value)? {
                    Some(p) => voices.prompts.insert((*situation).to_owned(), p),
                    None => voices.prompts.remove(*situation),
                };
            }
        }
        engine
            .execute(&auth.tenant.id, Op::PutDefaultVoices(voices))
            .await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `GET ivrs/defvoices`: `{"Voices":[{Welcome, ..., Evaluate}]}`, one object with every key, in the
/// shape `POST` takes, `"default"` where the system's voice plays [inferred: the doc only says
/// "refer to Set IVR Voice Configuration"].
pub async fn get_default_voices(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        dto::no_body(&raw)?;
        let voices = engine
            .record::<DefaultVoices>(&auth.tenant.id, DefaultVoices::ID)
            .await?
            .unwrap_or_default();
        let mut object = Map::new();
        for (key, situation) in VOICES {
            let value = match voices.prompts.get(situation) {
                Some(VoicePrompt::Tts(text)) => json!({"Type": "tts", "Content": text}),
                Some(VoicePrompt::File(name)) => json!({"Type": "wav", "Content": name}),
                None => json!("default"),
            };
            object.insert(key.to_owned(), value);
        }
        Ok(json!({ "Voices": [object] }))
    }
    .await;
    dto::reply(&auth, result)
}

#[derive(Debug, Deserialize)]
struct RouterBody {
    #[serde(rename = "FastRouter")]
    routes: Option<Vec<RouteBody>>,
}

#[derive(Debug, Deserialize)]
struct RouteBody {
    #[serde(rename = "Dtmf")]
    dtmf: Option<Text>,
    #[serde(rename = "Desc")]
    description: Option<String>,
    #[serde(rename = "QueueId")]
    queue_id: Option<Text>,
}

/// `POST`/`PUT ivrs/fastrouters`: replaces the table. `Dtmf` is one digit 0–9 used once; the
/// queue must exist (`100018`).
pub async fn set_fast_routers(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: RouterBody = dto::body(&raw)?;
        let mut options = Vec::new();
        for route in body.routes.ok_or_else(params_invalid)? {
            let dtmf = dto::required(route.dtmf)?;
            let key = match dtmf.as_bytes() {
                [d] if d.is_ascii_digit() => char::from(*d),
                _ => return Err(UdeskError::InvalidParameter("Dtmf".into())),
            };
            options.push(IvrOption {
                dtmf: key,
                description: route.description.ok_or_else(params_invalid)?,
                target: IvrTarget::Queue {
                    queue_id: dto::required(route.queue_id)?,
                },
            });
        }
        engine
            .execute(&auth.tenant.id, Op::SetEntryMenuOptions { options })
            .await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `GET ivrs/fastrouters`: the table, both in `Result` and beside `ErrCode` where the doc puts
/// it. Choices of the entry menu that lead elsewhere than a queue are not fast routes.
pub async fn get_fast_routers(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        dto::no_body(&raw)?;
        let tenant = &auth.tenant.id;
        let numbers = engine.records::<RelayNumber>(tenant).await?;
        let menu_id = entry_menu_id(&numbers, None);
        let menu = engine.record::<IvrMenu>(tenant, menu_id).await?;
        let routes: Vec<Value> = menu
            .map(|m| m.options)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|o| match o.target {
                IvrTarget::Queue { queue_id } => Some(json!({
                    "Dtmf": o.dtmf.to_string(), "Desc": o.description, "QueueId": queue_id,
                })),
                _ => None,
            })
            .collect();
        Ok(routes)
    }
    .await;
    match result {
        Ok(routes) => {
            let mut response = Json(json!({
                "ErrCode": "000000", "ErrDesc": "OK",
                "Result": {"FastRouter": routes}, "FastRouter": routes,
            }))
            .into_response();
            response.extensions_mut().insert(auth.tenant.id.clone());
            response
        }
        Err(error) => dto::fail(&auth, error),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use serde_json::{json, Value};

    use crate::routes::tests::{ctx, err_code, ok_with};

    fn null() -> (StatusCode, Value) {
        (StatusCode::OK, ok_with(Value::Null))
    }

    #[tokio::test]
    async fn voice_files_are_created_listed_and_deleted_by_unique_name() {
        let cx = ctx().await;
        let uri = "/ccapi/v2/ivrs/vfiles";
        let body = r#"{"FileName":"welcome.wav","FileType":"wav","FileDesc":"greeting"}"#;
        assert_eq!(cx.send(Method::POST, uri, body).await, null());
        assert_eq!(
            cx.send(Method::POST, uri, r#"{"FileName":"hold.wav"}"#)
                .await,
            null()
        );
        let got = cx.send(Method::GET, uri, "").await;
        assert_eq!(
            got,
            (
                StatusCode::OK,
                ok_with(json!({"IvrVFiles": [
                    {"FileName": "hold.wav", "FileType": "wav", "FileDesc": ""},
                    {"FileName": "welcome.wav", "FileType": "wav", "FileDesc": "greeting"},
                ]}))
            )
        );
        let got = cx.send(Method::POST, uri, body).await;
        assert_eq!(
            got,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                err_code("100004", "Duplicate entry welcome.wav for FileName")
            )
        );
        for (body, status, want) in [
            (
                r#"{"FileName":"a.mp3","FileType":"mp3"}"#,
                StatusCode::BAD_REQUEST,
                err_code("000001", "FileType"),
            ),
            (
                r#"{"FileType":"wav"}"#,
                StatusCode::BAD_REQUEST,
                err_code("000001", "ParamsInvalid"),
            ),
            (
                "",
                StatusCode::BAD_REQUEST,
                err_code("100004", "unexpected end of JSON input"),
            ),
        ] {
            assert_eq!(
                cx.send(Method::POST, uri, body).await,
                (status, want),
                "{body}"
            );
        }
        assert_eq!(
            cx.send(Method::DELETE, uri, r#"{"FileName":"hold.wav"}"#)
                .await,
            null()
        );
        let got = cx
            .send(Method::DELETE, uri, r#"{"FileName":"hold.wav"}"#)
            .await;
        assert_eq!(
            got,
            (
                StatusCode::NOT_FOUND,
                err_code("000004", "Data does not exist")
            )
        );
        let (_, list) = cx.send(Method::GET, uri, "").await;
        assert_eq!(list["Result"]["IvrVFiles"].as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn default_voices_replace_each_other_and_wav_must_name_a_file() {
        let cx = ctx().await;
        let uri = "/ccapi/v2/ivrs/defvoices";
        let all_default = |over: Value| {
            let mut v = json!({
                "Welcome": "default", "ClosingTime": "default", "NoAnswer": "default",
                "VoiceMail": "default", "Waiting": "default", "Consult": "default",
                "Hold": "default", "QueueTimeout": "default", "Evaluate": "default",
            });
            for (k, x) in over.as_object().unwrap() {
                v[k] = x.clone();
            }
            (StatusCode::OK, ok_with(json!({"Voices": [v]})))
        };
        assert_eq!(cx.send(Method::GET, uri, "").await, all_default(json!({})));
        let wav = r#"{"DefVoices":[{"Hold":{"Type":"wav","Content":"hold.wav"}}]}"#;
        let not_found = (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"));
        assert_eq!(cx.send(Method::POST, uri, wav).await, not_found);
        let file = r#"{"FileName":"hold.wav"}"#;
        assert_eq!(
            cx.send(Method::POST, "/ccapi/v2/ivrs/vfiles", file).await,
            null()
        );
        let body = r#"{"DefVoices":[{"Welcome":{"Type":"tts","Content":"Hello"},"Hold":{"Type":"wav","Content":"hold.wav"},"Evaluate":"default"}]}"#;
        assert_eq!(cx.send(Method::POST, uri, body).await, null());
        assert_eq!(
            cx.send(Method::GET, uri, "").await,
            all_default(json!({
                "Welcome": {"Type": "tts", "Content": "Hello"},
                "Hold": {"Type": "wav", "Content": "hold.wav"},
            }))
        );
        // PUT replaces: what it leaves out plays the system's voice again.
        let body = r#"{"DefVoices":[{"Waiting":{"Type":"tts","Content":"Please hold"}}]}"#;
        assert_eq!(cx.send(Method::PUT, uri, body).await, null());
        assert_eq!(
            cx.send(Method::GET, uri, "").await,
            all_default(json!({"Waiting": {"Type": "tts", "Content": "Please hold"}}))
        );
        let invalid = (StatusCode::BAD_REQUEST, err_code("000001", "ParamsInvalid"));
        for body in [
            r#"{"DefVoices":[{"Greeting":"default"}]}"#,
            r#"{"DefVoices":[{"Hold":{"Type":"mp3","Content":"x"}}]}"#,
            r#"{"DefVoices":[{"Hold":{"Type":"tts","Content":""}}]}"#,
            r#"{"DefVoices":[{"Hold":"silence"}]}"#,
            r#"{"DefVoices":{"Hold":"default"}}"#,
            "{}",
        ] {
            assert_eq!(cx.send(Method::POST, uri, body).await, invalid, "{body}");
        }
    }

    #[tokio::test]
    async fn the_fast_router_is_the_entry_menus_dtmf_table() {
        let cx = ctx().await;
        let uri = "/ccapi/v2/ivrs/fastrouters";
        let table = |routes: Value| {
            json!({
                "ErrCode": "000000", "ErrDesc": "OK",
                "Result": {"FastRouter": routes.clone()}, "FastRouter": routes,
            })
        };
        // The demo number's menu: 1 sales, 2 support.
        let got = cx.send(Method::GET, uri, "").await;
        assert_eq!(
            got,
            (
                StatusCode::OK,
                table(json!([
                    {"Dtmf": "1", "Desc": "Sales", "QueueId": "9001"},
                    {"Dtmf": "2", "Desc": "Support", "QueueId": "9002"},
                ]))
            )
        );
        let body = r#"{"FastRouter":[{"Dtmf":"3","Desc":"Support","QueueId":"9002"},{"Dtmf":0,"Desc":"Sales","QueueId":9001}]}"#;
        assert_eq!(cx.send(Method::PUT, uri, body).await, null());
        let got = cx.send(Method::GET, uri, "").await;
        assert_eq!(
            got,
            (
                StatusCode::OK,
                table(json!([
                    {"Dtmf": "3", "Desc": "Support", "QueueId": "9002"},
                    {"Dtmf": "0", "Desc": "Sales", "QueueId": "9001"},
                ]))
            )
        );
        let invalid = |desc: &str| (StatusCode::BAD_REQUEST, err_code("000001", desc));
        for (body, want) in [
            (
                r#"{"FastRouter":[{"Dtmf":"12","Desc":"x","QueueId":"9001"}]}"#,
                invalid("Dtmf"),
            ),
            (
                r#"{"FastRouter":[{"Dtmf":"*","Desc":"x","QueueId":"9001"}]}"#,
                invalid("Dtmf"),
            ),
            (
                r#"{"FastRouter":[{"Dtmf":"1","QueueId":"9001"}]}"#,
                invalid("ParamsInvalid"),
            ),
            (
                r#"{"FastRouter":[{"Dtmf":"1","Desc":"a","QueueId":"9001"},{"Dtmf":"1","Desc":"b","QueueId":"9002"}]}"#,
                invalid("ParamsInvalid"),
            ),
            (
                r#"{"FastRouter":[{"Dtmf":"1","Desc":"x","QueueId":"9999"}]}"#,
                (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound")),
            ),
            (
                "",
                (
                    StatusCode::BAD_REQUEST,
                    err_code("100004", "unexpected end of JSON input"),
                ),
            ),
        ] {
            assert_eq!(cx.send(Method::POST, uri, body).await, want, "{body}");
        }
        assert_eq!(
            cx.send(Method::GET, uri, "").await.1["FastRouter"][0]["Dtmf"],
            "3"
        );
    }
}
