//! Queues (`vendor-notes/udesk.md` §3.3): create, update, delete and read queues, and add seats
//! to them. A queue is the tenant's queue that the ACD routes by; `Strategy` names one of the
//! routing engine's strategies (Udesk documents only `longest_idle`; the other names are
//! ccemu's, FreeSWITCH's and Asterisk's [inferred]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use ccemu_core::queue::{Queue, RoutingStrategy, DEFAULT_MAX_LENGTH, DEFAULT_TIMEOUT_SECS};
use ccemu_engine::{Engine, Op, QueueLimits, QueuePatch};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::dto::{self, Int, Text};
use crate::error::UdeskError;

/// Udesk's caps: 100 queues per app, `MaxLength` at most 512 (§3.3).
pub const LIMITS: QueueLimits = QueueLimits {
    max_length: 512,
    max_queues: 100,
};

#[derive(Debug, Deserialize)]
struct QueueBody {
    #[serde(rename = "QueueId")]
    queue_id: Option<Text>,
    #[serde(rename = "QueueName")]
    name: Option<Text>,
    #[serde(rename = "Strategy")]
    strategy: Option<Text>,
    #[serde(rename = "Timeout")]
    timeout: Option<Int>,
    #[serde(rename = "MaxLength")]
    max_length: Option<Int>,
}

#[derive(Debug, Deserialize)]
struct QueueAgents {
    #[serde(rename = "QueueId")]
    queue_id: Option<Text>,
    #[serde(rename = "AgentIds")]
    agent_ids: Option<Vec<Text>>,
}

fn invalid() -> UdeskError {
    UdeskError::InvalidParameter(dto::PARAMS_INVALID.into())
}

/// A QueueId of Udesk's form `9\d{3}` (§4), else `000001`.
fn queue_id(raw: Option<Text>) -> Result<String, UdeskError> {
    let id = dto::required(raw)?;
    let ok = id.len() == 4 && id.starts_with('9') && id.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(id)
    } else {
        Err(invalid())
    }
}

fn strategy(raw: Option<Text>) -> Result<Option<RoutingStrategy>, UdeskError> {
    match raw.map(|t| t.0).filter(|s| !s.trim().is_empty()) {
        Some(s) => s.parse().map(Some).map_err(|_| invalid()),
        None => Ok(None),
    }
}

/// `POST queues` (§3.3): `Strategy` defaults to `longest_idle`, `Timeout` to 60 s,
/// `MaxLength` to 128.
pub async fn create_queue(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: QueueBody = dto::body(&raw)?;
        let id = queue_id(body.queue_id)?;
        let mut queue = Queue::new(id, dto::required(body.name)?, 0);
        queue.strategy = strategy(body.strategy)?.unwrap_or_default();
        queue.timeout_secs = body.timeout.map_or(DEFAULT_TIMEOUT_SECS, |t| t.0);
        queue.max_length = body.max_length.map_or(DEFAULT_MAX_LENGTH, |m| m.0);
        let op = Op::CreateQueue {
            queue: Box::new(queue),
            limits: LIMITS,
        };
        engine.execute(&auth.tenant.id, op).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `PUT queues` (§3.3): fields left out keep their value [inferred] (the doc's "Timeout
/// defaults to 0" would silently end every queue timeout on a rename).
pub async fn update_queue(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: QueueBody = dto::body(&raw)?;
        let queue_id = dto::required(body.queue_id)?;
        let patch = QueuePatch {
            name: Some(dto::required(body.name)?),
            strategy: strategy(body.strategy)?,
            timeout_secs: body.timeout.map(|t| t.0),
            max_length: body.max_length.map(|m| m.0),
        };
        let op = Op::UpdateQueue {
            queue_id,
            patch,
            limits: LIMITS,
        };
        engine.execute(&auth.tenant.id, op).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `DELETE queues` (§3.3): refused while seats are members.
pub async fn delete_queue(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: QueueBody = dto::body(&raw)?;
        let queue_id = dto::required(body.queue_id)?;
        engine
            .execute(&auth.tenant.id, Op::DeleteQueue { queue_id })
            .await
            .map_err(|e| UdeskError::from(e).deleting())?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `GET queues` (§3.3): an array of the doc's row (`ID` is the row's position, `AgentID` 0 and
/// the times RFC 3339, all [inferred]).
pub async fn list_queues(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        // No body is documented; one that is sent must still be JSON, like everywhere else.
        dto::optional_body::<Value>(&raw)?;
        let queues = engine.queues(&auth.tenant.id, None).await?;
        let app_id = &auth.tenant.credentials.udesk.app_id;
        let rows: Vec<Value> = queues
            .iter()
            .zip(1..)
            .map(|(q, n): (&Queue, u32)| {
                json!({
                    "ID": n,
                    "CreatedAt": dto::rfc3339(q.created_at_ms),
                    "UpdatedAt": dto::rfc3339(q.updated_at_ms),
                    "AppID": app_id,
                    "QueueID": q.id,
                    "Timeout": q.timeout_secs,
                    "Strategy": q.strategy.name(),
                    "AgentID": 0,
                    "Name": q.name,
                    "MaxLength": q.max_length,
                    "WaitMusic": q.wait_music.clone().unwrap_or_default(),
                })
            })
            .collect();
        Ok(json!(rows))
    }
    .await;
    dto::reply(&auth, result)
}

/// `GET queues/{QueueId}` (§3.3): the queue with its seats.
pub async fn get_queue(
    auth: Authed,
    State(engine): State<Engine>,
    Path(queue_id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        dto::optional_body::<Value>(&raw)?;
        let queues = engine.queues(&auth.tenant.id, Some(&queue_id)).await?;
        let q = queues.first().ok_or(UdeskError::RecordNotFound)?;
        let agents: Vec<&str> = q
            .ordered_members()
            .iter()
            .map(|m| m.agent_id.as_str())
            .collect();
        Ok(json!({
            "QueueId": q.id,
            "QueueName": q.name,
            "Strategy": q.strategy.name(),
            "Timeout": q.timeout_secs,
            "MaxLength": q.max_length,
            "Agents": agents,
        }))
    }
    .await;
    dto::reply(&auth, result)
}

/// `POST`/`PUT queues/agents` (§3.3): adds seats to a queue; never removes any.
pub async fn add_queue_agents(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        let body: QueueAgents = dto::body(&raw)?;
        let queue_id = dto::required(body.queue_id)?;
        let agent_ids = dto::texts(body.agent_ids.ok_or_else(invalid)?);
        if agent_ids.is_empty() {
            return Err(invalid());
        }
        let op = Op::AddQueueMembers {
            queue_ids: vec![queue_id],
            agent_ids,
        };
        engine.execute(&auth.tenant.id, op).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use serde_json::{json, Value};

    use crate::routes::tests::{ctx, err_code, ok_with, Ctx};

    async fn queue(cx: &Ctx, id: &str) -> (StatusCode, Value) {
        cx.send(Method::GET, &format!("/ccapi/v2/queues/{id}"), "")
            .await
    }

    const DOC_CREATE: &str =
        "\n{\n\"QueueId\":\"9009\",\n\"QueueName\":\"Test Create Queue 007\"\n}\n";

    #[tokio::test]
    async fn a_call_waiting_past_the_queues_timeout_is_disconnected() {
        use ccemu_core::clock::ClockMode;
        use ccemu_core::{Channel, Interaction, TenantId};
        use ccemu_engine::{Op, OpOutput};
        let cx = ctx().await;
        let demo = TenantId::parse("demo").unwrap();
        let t0 = ccemu_engine::wall_ms() + 1_000;
        cx.engine
            .set_clock(&demo, ClockMode::Manual, Some(t0))
            .await
            .unwrap();
        let body = r#"{"QueueId":"9010","QueueName":"Short","Timeout":30}"#;
        assert_eq!(
            cx.send(Method::POST, "/ccapi/v2/queues", body).await.0,
            StatusCode::OK
        );
        let start = |queue: &str| Op::StartInbound {
            channel: Channel::Voice,
            queue_id: queue.into(),
            from: "+15550001111".into(),
            to: String::new(),
            priority: 0,
        };
        // Nobody is in the queue: the call waits 30 s, then the queue lets it go.
        let OpOutput::Interaction(call) = cx.engine.execute(&demo, start("9010")).await.unwrap()
        else {
            panic!("interaction")
        };
        cx.engine.advance_clock(&demo, 29_999).await.unwrap();
        let waiting: Interaction = cx
            .engine
            .interaction(&demo, &call.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(serde_json::to_value(waiting.state).unwrap(), "queued");
        cx.engine.advance_clock(&demo, 1).await.unwrap();
        let gone: Interaction = cx
            .engine
            .interaction(&demo, &call.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(serde_json::to_value(gone.state).unwrap(), "failed");
        assert_eq!(
            serde_json::to_value(gone.end_reason).unwrap(),
            "queue_timeout"
        );
        assert_eq!(gone.ended_at_ms, Some(t0 + 30_000));
        // Timeout 0 waits for ever.
        let body = r#"{"QueueId":"9010","QueueName":"Short","Timeout":0}"#;
        assert_eq!(
            cx.send(Method::PUT, "/ccapi/v2/queues", body).await.0,
            StatusCode::OK
        );
        let OpOutput::Interaction(call) = cx.engine.execute(&demo, start("9010")).await.unwrap()
        else {
            panic!("interaction")
        };
        cx.engine.advance_clock(&demo, 3_600_000).await.unwrap();
        let waiting: Interaction = cx
            .engine
            .interaction(&demo, &call.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(serde_json::to_value(waiting.state).unwrap(), "queued");
    }

    #[tokio::test]
    async fn create_queue_replays_the_docs_example_with_udesks_defaults() {
        let cx = ctx().await;
        let got = cx.send(Method::POST, "/ccapi/v2/queues", DOC_CREATE).await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let expected = json!({"QueueId": "9009", "QueueName": "Test Create Queue 007",
            "Strategy": "longest_idle", "Timeout": 60, "MaxLength": 128, "Agents": []});
        assert_eq!(
            queue(&cx, "9009").await,
            (StatusCode::OK, ok_with(expected))
        );
        let got = cx.send(Method::POST, "/ccapi/v2/queues", DOC_CREATE).await;
        assert_eq!(
            got,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                err_code("100004", "Duplicate entry 9009 for QueueId")
            )
        );
        let full = r#"{"QueueId":9010,"QueueName":"Q","Strategy":"ring_all","Timeout":"30","MaxLength":512}"#;
        assert_eq!(
            cx.send(Method::POST, "/ccapi/v2/queues", full).await.0,
            StatusCode::OK
        );
        let (_, q) = queue(&cx, "9010").await;
        assert_eq!(
            (
                &q["Result"]["Strategy"],
                &q["Result"]["Timeout"],
                &q["Result"]["MaxLength"]
            ),
            (&json!("ring_all"), &json!(30), &json!(512))
        );
        assert_eq!(
            queue(&cx, "9999").await,
            (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"))
        );
    }

    #[tokio::test]
    async fn queue_fields_out_of_udesks_range_are_000001() {
        let cx = ctx().await;
        for body in [
            r#"{"QueueId":"1234","QueueName":"Q"}"#,
            r#"{"QueueId":"90091","QueueName":"Q"}"#,
            r#"{"QueueId":"9011"}"#,
            r#"{"QueueId":"9011","QueueName":"Q","MaxLength":513}"#,
            r#"{"QueueId":"9011","QueueName":"Q","MaxLength":0}"#,
            r#"{"QueueId":"9011","QueueName":"Q","Strategy":"fastest"}"#,
            r#"{"QueueId":"9011","QueueName":"Q","Timeout":"soon"}"#,
        ] {
            let got = cx.send(Method::POST, "/ccapi/v2/queues", body).await;
            assert_eq!(
                got,
                (StatusCode::BAD_REQUEST, err_code("000001", "ParamsInvalid")),
                "{body}"
            );
        }
    }

    #[tokio::test]
    async fn an_app_holds_at_most_100_queues() {
        let cx = ctx().await;
        // The demo has two.
        for n in 0..98 {
            let body = json!({"QueueId": format!("9{:03}", 100 + n), "QueueName": "Q"});
            let got = cx
                .send(Method::POST, "/ccapi/v2/queues", body.to_string())
                .await;
            assert_eq!(got.0, StatusCode::OK, "{body}");
        }
        let got = cx.send(Method::POST, "/ccapi/v2/queues", DOC_CREATE).await;
        assert_eq!(
            got,
            (StatusCode::BAD_REQUEST, err_code("000001", "ParamsInvalid"))
        );
    }

    #[tokio::test]
    async fn update_queue_replays_the_docs_example_and_keeps_what_it_leaves_out() {
        let cx = ctx().await;
        let create =
            r#"{"QueueId":"9009","QueueName":"Q","MaxLength":200,"Strategy":"round_robin"}"#;
        cx.send(Method::POST, "/ccapi/v2/queues", create).await;
        let doc = "\n{\n\"QueueId\":\"9009\",\n\"QueueName\":\"Test Create Queue 89757\",\n\"Timeout\": 120\n}\n";
        let got = cx.send(Method::PUT, "/ccapi/v2/queues", doc).await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let expected = json!({"QueueId": "9009", "QueueName": "Test Create Queue 89757",
            "Strategy": "round_robin", "Timeout": 120, "MaxLength": 200, "Agents": []});
        assert_eq!(queue(&cx, "9009").await.1, ok_with(expected));
        let got = cx
            .send(
                Method::PUT,
                "/ccapi/v2/queues",
                r#"{"QueueId":"9999","QueueName":"Q"}"#,
            )
            .await;
        assert_eq!(
            got,
            (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"))
        );
    }

    #[tokio::test]
    async fn delete_queue_replays_the_docs_example_and_refuses_a_queue_with_seats() {
        let cx = ctx().await;
        let got = cx
            .send(
                Method::DELETE,
                "/ccapi/v2/queues",
                r#"{ "QueueId":"9001" }"#,
            )
            .await;
        assert_eq!(
            got,
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                err_code("100004", "Queue has agents, can't delete")
            )
        );
        cx.send(Method::POST, "/ccapi/v2/queues", DOC_CREATE).await;
        let doc = r#"{ "QueueId":"9009" }"#;
        let got = cx.send(Method::DELETE, "/ccapi/v2/queues", doc).await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let got = cx.send(Method::DELETE, "/ccapi/v2/queues", doc).await;
        assert_eq!(
            got,
            (
                StatusCode::NOT_FOUND,
                err_code("000004", "Data does not exist")
            )
        );
    }

    #[tokio::test]
    async fn list_queues_rows_carry_the_docs_fields() {
        let cx = ctx().await;
        let (status, body) = cx.send(Method::GET, "/ccapi/v2/queues", "").await;
        assert_eq!(status, StatusCode::OK);
        let rows = body["Result"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        // The demo seed is stamped 2024-01-01T00:00:00Z.
        let expected = json!({"ID": 1, "CreatedAt": "2024-01-01T00:00:00Z",
            "UpdatedAt": "2024-01-01T00:00:00Z", "AppID": cx.udesk.app_id, "QueueID": "9001",
            "Timeout": 60, "Strategy": "longest_idle", "AgentID": 0, "Name": "Sales",
            "MaxLength": 128, "WaitMusic": ""});
        assert_eq!(rows[0], expected);
        assert_eq!(
            (&rows[1]["ID"], &rows[1]["QueueID"]),
            (&json!(2), &json!("9002"))
        );
    }

    #[tokio::test]
    async fn queue_agents_replays_the_docs_example_and_only_adds() {
        let cx = ctx().await;
        cx.send(
            Method::POST,
            "/ccapi/v2/queues",
            r#"{"QueueId":"9008","QueueName":"Q"}"#,
        )
        .await;
        let seats =
            r#"{"Agents":[{"AgentId":"10031","WorkId":"1"},{"AgentId":"10032","WorkId":"2"}]}"#;
        cx.send(Method::POST, "/ccapi/v2/agents", seats).await;
        let doc = "\n{\n\"QueueId\":\"9008\",\n\"AgentIds\":[\"10031\", \"10032\"]\n}\n";
        let got = cx.send(Method::POST, "/ccapi/v2/queues/agents", doc).await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let got = cx
            .send(
                Method::PUT,
                "/ccapi/v2/queues/agents",
                r#"{"QueueId":"9008","AgentIds":["10031"]}"#,
            )
            .await;
        assert_eq!(got.0, StatusCode::OK);
        assert_eq!(
            queue(&cx, "9008").await.1["Result"]["Agents"],
            json!(["10031", "10032"])
        );
        let got = cx
            .send(
                Method::PUT,
                "/ccapi/v2/queues/agents",
                r#"{"QueueId":"9008","AgentIds":["4242"]}"#,
            )
            .await;
        assert_eq!(
            got,
            (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"))
        );
    }
}
