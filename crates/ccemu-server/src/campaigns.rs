//! Control plane for outbound campaigns: create one, start, pause, resume or stop it, read its
//! progress. Documented in `docs/control-plane.md` ("Outbound campaigns").

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use ccemu_core::campaign::{Campaign, CampaignContact, CampaignStatus, DialerMode};
use ccemu_engine::{CampaignAction, CampaignView, Op, OpOutput};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::control::{tenant_id, ApiError, Body};
use crate::simulate::{unexpected, NoFields};
use crate::AppState;

/// The campaign routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/_ccemu/tenants/{id}/sim/campaigns",
            get(list_campaigns).post(create_campaign),
        )
        .route(
            "/_ccemu/tenants/{id}/sim/campaigns/{campaign_id}",
            get(get_campaign),
        )
        .route(
            "/_ccemu/tenants/{id}/sim/campaigns/{campaign_id}/{action}",
            post(campaign_action),
        )
        .route(
            "/_ccemu/tenants/{id}/sim/campaigns/{campaign_id}/contacts/{contact_id}/skip",
            post(skip_preview),
        )
}

/// Body of `POST /_ccemu/tenants/{id}/sim/campaigns`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateCampaign {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    queue_id: String,
    mode: DialerMode,
    #[serde(default)]
    ratio: Option<f64>,
    #[serde(default)]
    max_concurrent: Option<u32>,
    #[serde(default)]
    max_attempts: Option<u32>,
    #[serde(default)]
    retry_after_ms: Option<i64>,
    #[serde(default)]
    target_abandon_rate: Option<f64>,
    #[serde(default)]
    caller_number: Option<String>,
    numbers: Vec<String>,
}

/// `POST /_ccemu/tenants/{id}/sim/campaigns`: a campaign in `draft` with its list of numbers.
async fn create_campaign(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<CreateCampaign>,
) -> Result<(StatusCode, Json<CampaignView>), ApiError> {
    let id = tenant_id(&id)?;
    let campaign_id = body
        .id
        .unwrap_or_else(|| format!("cmp{}", &uuid::Uuid::new_v4().simple().to_string()[..12]));
    let campaign = Campaign {
        name: body
            .name
            .unwrap_or_else(|| format!("Campaign {campaign_id}")),
        id: campaign_id,
        description: String::new(),
        mode: body.mode,
        ratio: body.ratio.unwrap_or(ccemu_core::campaign::MIN_RATIO),
        concurrency_limit: body.max_concurrent.unwrap_or(10),
        queue_id: Some(body.queue_id),
        ivr_menu_id: None,
        caller_number: body.caller_number,
        display_number: None,
        max_attempts: body.max_attempts.unwrap_or(1),
        retry_after_ms: body.retry_after_ms.unwrap_or(60_000),
        target_abandon_rate: body.target_abandon_rate.unwrap_or(0.03),
        status: CampaignStatus::Draft,
        created_at_ms: 0,
        updated_at_ms: 0,
    };
    let contacts = body
        .numbers
        .into_iter()
        .map(|phone_number| CampaignContact {
            id: String::new(),
            campaign_id: String::new(),
            name: String::new(),
            email: String::new(),
            phone_number,
            outbound_number: None,
            external_id: None,
            priority: None,
            status: Default::default(),
            attempts: 0,
            interaction_id: None,
            retry_at_ms: None,
            created_at_ms: 0,
            updated_at_ms: 0,
        })
        .collect();
    let op = Op::CreateCampaign {
        campaign: Box::new(campaign),
        contacts,
    };
    match state.engine.execute(&id, op).await? {
        OpOutput::Campaign(view) => Ok((StatusCode::CREATED, Json(*view))),
        _ => Err(unexpected()),
    }
}

/// `GET /_ccemu/tenants/{id}/sim/campaigns`: every campaign, by id.
async fn list_campaigns(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = tenant_id(&id)?;
    let campaigns = state.engine.campaigns(&id).await?;
    Ok(Json(json!({ "campaigns": campaigns })))
}

/// `GET /_ccemu/tenants/{id}/sim/campaigns/{campaign_id}`
async fn get_campaign(
    State(state): State<AppState>,
    Path((id, campaign_id)): Path<(String, String)>,
) -> Result<Json<CampaignView>, ApiError> {
    let id = tenant_id(&id)?;
    Ok(Json(state.engine.campaign(&id, &campaign_id).await?))
}

/// `POST /_ccemu/tenants/{id}/sim/campaigns/{campaign_id}/{start|pause|resume|stop}`
async fn campaign_action(
    State(state): State<AppState>,
    Path((id, campaign_id, action)): Path<(String, String, String)>,
    Body(NoFields {}): Body<NoFields>,
) -> Result<Json<CampaignView>, ApiError> {
    let id = tenant_id(&id)?;
    let action = match action.as_str() {
        "start" => CampaignAction::Start,
        "pause" => CampaignAction::Pause,
        "resume" => CampaignAction::Resume,
        "stop" => CampaignAction::Stop,
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("unknown campaign action {other:?} (start, pause, resume, stop)"),
            ))
        }
    };
    let op = Op::ControlCampaign {
        campaign_id,
        action,
    };
    match state.engine.execute(&id, op).await? {
        OpOutput::Campaign(view) => Ok(Json(*view)),
        _ => Err(unexpected()),
    }
}

/// `POST /_ccemu/tenants/{id}/sim/campaigns/{campaign_id}/contacts/{contact_id}/skip`: the agent
/// shown a preview skips it.
async fn skip_preview(
    State(state): State<AppState>,
    Path((id, campaign_id, contact_id)): Path<(String, String, String)>,
    Body(NoFields {}): Body<NoFields>,
) -> Result<Json<CampaignView>, ApiError> {
    let id = tenant_id(&id)?;
    let op = Op::SkipPreview {
        campaign_id,
        contact_id,
    };
    match state.engine.execute(&id, op).await? {
        OpOutput::Campaign(view) => Ok(Json(*view)),
        _ => Err(unexpected()),
    }
}
