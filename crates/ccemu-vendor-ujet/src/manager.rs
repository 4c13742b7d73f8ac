//! Manager API (`vendor-notes/ujet.md` §4): the reporting reads. Lists go through
//! [`paging::list`], so every one filters, sorts and pages the same way.

use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::dto::{self, Params};
use crate::{paging, statuses};

/// `GET /settings/organization`: clients need only a JSON object; the shape is invented
/// (`{"subdomain","name"}`, §4 [inferred]).
pub async fn get_organization_settings(auth: Authed) -> Response {
    let body = json!({
        "subdomain": auth.tenant.credentials.ujet.subdomain,
        "name": auth.tenant.name,
    });
    dto::ok(&auth, StatusCode::OK, body)
}

/// `GET /user_statuses`: the tenant's statuses (§5), paged like every list.
pub async fn list_user_statuses(auth: Authed, RawQuery(query): RawQuery) -> Response {
    let rows: Vec<Value> = statuses::USER_STATUSES
        .iter()
        .map(|s| s.to_json())
        .collect();
    paging::list(&auth, &Params::parse(query.as_deref()), rows)
}
