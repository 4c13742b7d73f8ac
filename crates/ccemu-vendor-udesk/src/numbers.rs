//! Relay numbers (`vendor-notes/udesk.md` §3.1): the app's caller numbers, its default, and each
//! seat's own default. The numbers themselves are provisioned by the platform (ccemu's seed or
//! control plane), never through this API.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use ccemu_core::RelayNumber;
use ccemu_engine::{Engine, Op};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::dto::{self, Text};
use crate::error::UdeskError;

#[derive(Debug, Default, Deserialize)]
struct DefaultBody {
    #[serde(rename = "DefSpNumber")]
    number: Option<Text>,
}

/// `GET spnumbers`: `{"SpNumbers":[..],"DefSpNumber":".."}` (`""` when there is no default).
pub async fn list_sp_numbers(auth: Authed, State(engine): State<Engine>, raw: Bytes) -> Response {
    let result = async {
        dto::no_body(&raw)?;
        let numbers = engine.records::<RelayNumber>(&auth.tenant.id).await?;
        let default = numbers.iter().find(|n| n.is_default).map(|n| n.id.clone());
        let ids: Vec<&str> = numbers.iter().map(|n| n.id.as_str()).collect();
        Ok(json!({"SpNumbers": ids, "DefSpNumber": default.unwrap_or_default()}))
    }
    .await;
    dto::reply(&auth, result)
}

/// `PUT spnumbers/default[/{number}]`: the body's `DefSpNumber`, which must be one of the app's
/// numbers (`100018` otherwise). The doc's example URL carries a trailing segment; the body wins.
pub async fn set_default_sp_number(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: DefaultBody = dto::body(&raw)?;
        let number = Some(dto::required(body.number)?);
        engine
            .execute(&auth.tenant.id, Op::SetDefaultRelayNumber { number })
            .await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `DELETE spnumbers/default[/{number}]`: the app has no default afterwards.
pub async fn delete_default_sp_number(
    auth: Authed,
    State(engine): State<Engine>,
    raw: Bytes,
) -> Response {
    let result = async {
        dto::no_body(&raw)?;
        let op = Op::SetDefaultRelayNumber { number: None };
        engine.execute(&auth.tenant.id, op).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `PUT spnumbers/agent/default/{AgentId}`: the seat's own default caller number.
pub async fn set_agent_default_sp_number(
    auth: Authed,
    State(engine): State<Engine>,
    Path(agent_id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        let body: DefaultBody = dto::body(&raw)?;
        let number = Some(dto::required(body.number)?);
        let op = Op::SetAgentCallerNumber { agent_id, number };
        engine.execute(&auth.tenant.id, op).await?;
        Ok(Value::Null)
    }
    .await;
    dto::reply(&auth, result)
}

/// `DELETE spnumbers/agent/default/{AgentId}`: the seat falls back to the app's default.
pub async fn delete_agent_default_sp_number(
    auth: Authed,
    State(engine): State<Engine>,
    Path(agent_id): Path<String>,
    raw: Bytes,
) -> Response {
    let result = async {
        dto::no_body(&raw)?;
        let op = Op::SetAgentCallerNumber {
            agent_id,
            number: None,
        };
        engine
            .execute(&auth.tenant.id, op)
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

    use crate::routes::tests::{ctx, err_code, ok_with};

    /// The demo seed's default relay number, and its other one (the doc's example number).
    const DEMO_NUMBER: &str = "+14155550100";
    const DOC_NUMBER: &str = "057126200670";

    #[tokio::test]
    async fn the_default_number_is_set_cleared_and_must_be_one_of_the_apps() {
        let cx = ctx().await;
        let list = |def: &str| {
            ok_with(json!({"SpNumbers": [DEMO_NUMBER, DOC_NUMBER], "DefSpNumber": def}))
        };
        let got = cx.send(Method::GET, "/ccapi/v2/spnumbers", "").await;
        assert_eq!(got, (StatusCode::OK, list(DEMO_NUMBER)));
        let null = (StatusCode::OK, ok_with(Value::Null));
        // The doc's example URL carries a trailing segment.
        assert_eq!(
            cx.send(Method::DELETE, "/ccapi/v2/spnumbers/default/7763", "")
                .await,
            null
        );
        assert_eq!(
            cx.send(Method::GET, "/ccapi/v2/spnumbers", "").await.1,
            list("")
        );
        let body = format!(r#"{{"DefSpNumber":"{DEMO_NUMBER}"}}"#);
        assert_eq!(
            cx.send(Method::PUT, "/ccapi/v2/spnumbers/default/7763", &body)
                .await,
            null
        );
        assert_eq!(
            cx.send(Method::GET, "/ccapi/v2/spnumbers", "").await.1,
            list(DEMO_NUMBER)
        );
        assert_eq!(
            cx.send(Method::DELETE, "/ccapi/v2/spnumbers/default", "")
                .await,
            null
        );
        assert_eq!(
            cx.send(Method::PUT, "/ccapi/v2/spnumbers/default", &body)
                .await,
            null
        );
        for (body, status, want) in [
            (
                r#"{"DefSpNumber":"057100000000"}"#,
                StatusCode::NOT_FOUND,
                err_code("100018", "RecordNotFound"),
            ),
            (
                "",
                StatusCode::BAD_REQUEST,
                err_code("100004", "unexpected end of JSON input"),
            ),
            (
                "{}",
                StatusCode::BAD_REQUEST,
                err_code("000001", "ParamsInvalid"),
            ),
            (
                r#"{"DefSpNumber":[1]}"#,
                StatusCode::BAD_REQUEST,
                err_code("000001", "ParamsInvalid"),
            ),
        ] {
            let got = cx
                .send(Method::PUT, "/ccapi/v2/spnumbers/default", body)
                .await;
            assert_eq!(got, (status, want), "{body}");
        }
        assert_eq!(
            cx.send(Method::GET, "/ccapi/v2/spnumbers", "").await.1,
            list(DEMO_NUMBER)
        );
    }

    #[tokio::test]
    async fn a_seats_own_default_shows_in_its_details() {
        let cx = ctx().await;
        let body = format!(r#"{{"DefSpNumber":"{DEMO_NUMBER}"}}"#);
        let got = cx
            .send(Method::PUT, "/ccapi/v2/spnumbers/agent/default/1002", &body)
            .await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let (_, seat) = cx
            .send(
                Method::GET,
                "/ccapi/v2/agents/1002",
                r#"{"AgentId":"1002"}"#,
            )
            .await;
        assert_eq!(seat["Result"]["DefSpNumber"], DEMO_NUMBER, "{seat}");
        let got = cx
            .send(Method::DELETE, "/ccapi/v2/spnumbers/agent/default/1002", "")
            .await;
        assert_eq!(got, (StatusCode::OK, ok_with(Value::Null)));
        let (_, seat) = cx
            .send(
                Method::GET,
                "/ccapi/v2/agents/1002",
                r#"{"AgentId":"1002"}"#,
            )
            .await;
        assert_eq!(seat["Result"]["DefSpNumber"], "");
        let not_found = (StatusCode::NOT_FOUND, err_code("100018", "RecordNotFound"));
        let unknown_seat = cx
            .send(Method::PUT, "/ccapi/v2/spnumbers/agent/default/4242", &body)
            .await;
        assert_eq!(unknown_seat, not_found);
        let unknown_number = r#"{"DefSpNumber":"000"}"#;
        let got = cx
            .send(
                Method::PUT,
                "/ccapi/v2/spnumbers/agent/default/1002",
                unknown_number,
            )
            .await;
        assert_eq!(got, not_found);
        let got = cx
            .send(Method::DELETE, "/ccapi/v2/spnumbers/agent/default/4242", "")
            .await;
        assert_eq!(
            got,
            (
                StatusCode::NOT_FOUND,
                err_code("000004", "Data does not exist")
            )
        );
    }
}
