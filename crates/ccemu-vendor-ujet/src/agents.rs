//! Agents (`vendor-notes/ujet.md` §3.2 users, §3.3 agent status, §4 agents, activity logs and
//! teams, §5 objects). A UJET agent is the tenant's agent, the same one every surface and the
//! ACD see; its status is [`statuses::of`] its engine state, its teams the tenant's teams.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use ccemu_core::{Agent, AgentState, AgentStateLog, Channel, Interaction, InteractionState, Role};
use ccemu_core::{Team, TenantId};
use ccemu_engine::{
    AgentContact, AgentView, Engine, InteractionFilter, InteractionOrder, StateLogFilter,
};
use serde_json::{json, Value};

use crate::auth::Authed;
use crate::dto::{self, Params};
use crate::error::{Api, UjetError};
use crate::{paging, statuses};

/// A UJET id on the wire: a number when the engine's id is digits, else the text itself.
pub(crate) fn num(id: &str) -> Value {
    json!(WireId(id))
}

/// A vendor-specific agent field kept in `Agent::extra`, `null` when absent.
fn extra(agent: &Agent, key: &str) -> Value {
    agent.extra.get(key).cloned().unwrap_or(Value::Null)
}

/// The tenant's agents, by id, from the engine's live directory.
pub(crate) async fn all(engine: &Engine, tenant: &TenantId) -> ccemu_engine::Result<Vec<Agent>> {
    Ok(engine
        .agents(tenant, None)
        .await?
        .into_iter()
        .map(|v| v.agent)
        .collect())
}

/// What every agent read needs: agents with the contacts they handle, and teams.
pub(crate) struct Directory {
    /// Agents with their queues, extensions and open contacts, by id.
    pub agents: Vec<AgentView>,
    /// Teams, by id.
    pub teams: Vec<Team>,
    /// Where each agent is in `agents`, by agent id.
    at: HashMap<String, usize>,
}

impl Directory {
    /// Reads the tenant's agents and teams, both from the engine's memory.
    pub async fn load(engine: &Engine, auth: &Authed) -> Result<Self, UjetError> {
        let tenant = &auth.tenant.id;
        let err = |e| UjetError::from_engine(auth.api, e);
        let agents = engine.agents(tenant, None).await.map_err(err)?;
        let at = agents
            .iter()
            .enumerate()
            .map(|(n, v)| (v.agent.id.clone(), n))
            .collect();
        Ok(Self {
            agents,
            teams: engine.teams(tenant).await.map_err(err)?,
            at,
        })
    }

    /// The contacts an agent works on (offered, ringing, connected or held).
    fn open(&self, agent_id: &str) -> impl Iterator<Item = &AgentContact> {
        self.at
            .get(agent_id)
            .map(|&n| self.agents[n].contacts.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|c| {
                matches!(
                    c.state,
                    InteractionState::Offered
                        | InteractionState::Ringing
                        | InteractionState::Connected
                        | InteractionState::Held
                )
            })
    }

    /// The UJET status an agent shows; a contact's channel tells In-call from In-chat.
    pub fn status(&self, agent: &Agent) -> &'static statuses::UserStatus {
        let channel = self.open(&agent.id).map(|i| i.channel).next();
        statuses::of(agent, channel)
    }

    /// The agents of a team.
    fn members<'a>(&'a self, team_id: &'a str) -> impl Iterator<Item = &'a Agent> + 'a {
        self.agents
            .iter()
            .map(|v| &v.agent)
            .filter(move |a| a.team_ids.iter().any(|t| t == team_id))
    }

    /// The agent with `id` (404 when it is not the tenant's).
    pub fn agent(&self, api: Api, id: &str) -> Result<&AgentView, UjetError> {
        self.agents
            .iter()
            .find(|v| v.agent.id == id)
            .ok_or(UjetError::NotFound(api))
    }

    /// Team row (§5 Team): `assignees` is an array, as clients require.
    pub fn team_json(&self, team: &Team) -> Value {
        let assignees: Vec<Value> = self.members(&team.id).map(person).collect();
        json!({
            "id": num(&team.id),
            "name": team.name,
            "parent_id": team.parent_id.as_deref().map(num),
            "position": team.position,
            "deleted": false,
            "agents_count": assignees.len(),
            "assignees": assignees,
        })
    }

    /// Manager agent object (§5 Agent).
    pub fn agent_json(&self, view: &AgentView) -> Value {
        let agent = &view.agent;
        let open: Vec<&AgentContact> = self.open(&agent.id).collect();
        let count = |voice: bool| {
            open.iter()
                .filter(|i| (i.channel == Channel::Voice) == voice)
                .count()
        };
        let teams: Vec<Value> = self
            .teams
            .iter()
            .filter(|t| agent.team_ids.contains(&t.id))
            .map(|t| {
                json!({
                    "id": num(&t.id),
                    "name": t.name,
                    "parent_id": t.parent_id.as_deref().map(num),
                    "position": t.position,
                    "deleted": false,
                    "agents_count": self.members(&t.id).count(),
                })
            })
            .collect();
        // A chat channel per queue the agent serves, as the doc's sample shows [inferred].
        let channels: Vec<Value> = view
            .queues
            .iter()
            .map(
                |(id, name)| json!({"channel_type": "chat", "menu": {"id": num(id), "name": name}}),
            )
            .collect();
        json!({
            "id": num(&agent.id),
            "email": agent.email,
            "created_at": dto::time(agent.created_at_ms),
            "last_login_time": dto::time_opt(agent.last_login_ms),
            "first_name": agent.first_name,
            "middle_name": extra(agent, "middle_name"),
            "last_name": agent.last_name,
            "avatar_url": extra(agent, "avatar_url"),
            "agent_number": agent.work_id,
            "status": self.status(agent).to_json(),
            "status_updated_at": dto::time(agent.state_since_ms),
            "crm_authenticated": false,
            "online": agent.state.is_logged_in(),
            "wrap_up": matches!(agent.state, AgentState::WrapUp { .. }),
            "call_count": count(true),
            "chat_count": count(false),
            "location": extra(agent, "location"),
            "roles": roles(agent.role).iter().map(|r| r.to_ascii_lowercase()).collect::<Vec<_>>(),
            "teams": teams,
            "channels": channels,
        })
    }
}

/// UJET role names of an engine role (a supervisor is UJET's "Manager").
pub(crate) fn roles(role: Role) -> &'static [&'static str] {
    match role {
        Role::Agent => &["Agent"],
        Role::Supervisor => &["Agent", "Manager"],
        Role::Admin => &["Admin"],
    }
}

/// The short agent object of `whodunnit` and `assignee`: the same as calls' `agent_info`.
pub(crate) fn person(agent: &Agent) -> Value {
    crate::objects::agent_info(agent)
}

/// `GET /agents` (Manager, §4): every agent of the tenant, filtered, sorted and paged.
pub async fn list_agents(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let dir = match Directory::load(&engine, &auth).await {
        Ok(dir) => dir,
        Err(e) => return dto::fail(&auth, e),
    };
    let rows = dir.agents.iter().map(|v| dir.agent_json(v)).collect();
    paging::list(&auth, &Params::parse(query.as_deref()), rows)
}

/// `GET /agents/{id}` (Manager, §4): one agent object.
pub async fn get_agent(
    State(engine): State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let dir = Directory::load(&engine, &auth).await?;
        Ok(dir.agent_json(dir.agent(auth.api, &id)?))
    }
    .await;
    dto::reply(&auth, axum::http::StatusCode::OK, result)
}

/// A numeric activity-log id that stays fixed as logs are added: agent id × 10⁶ + sequence
/// when the agent id is digits, else the engine's `{agent}-{sequence}` [inferred].
fn log_id(log: &AgentStateLog) -> Value {
    let seq = log
        .id
        .rsplit_once('-')
        .and_then(|(_, s)| s.parse::<i64>().ok());
    match (log.agent_id.parse::<i64>(), seq) {
        (Ok(agent), Some(seq)) if seq < 1_000_000 => json!(agent * 1_000_000 + seq),
        _ => json!(log.id),
    }
}

/// What began a period, in UJET's activity words [inferred from the doc's examples].
fn activity(
    state: &AgentState,
    before: Option<&AgentState>,
    channel: Option<Channel>,
) -> &'static str {
    let chat = channel.is_some_and(|c| c != Channel::Voice);
    match state {
        AgentState::LoggedOut => "logout",
        _ if before == Some(&AgentState::LoggedOut) => "login",
        AgentState::Reserved | AgentState::Ringing if chat => "chat_notification_offered",
        AgentState::Reserved | AgentState::Ringing => "call_notification_offered",
        AgentState::OnContact if chat => "chat_picked_up",
        AgentState::OnContact => "call_picked_up",
        AgentState::WrapUp { .. } => "wrap_up",
        _ => "status_change",
    }
}

/// State log rows read per query when listing activity logs.
const LOG_PAGE: u64 = 1000;

/// Interactions read per query when looking for the contact of a period.
const CONTACT_PAGE: u64 = 50;

/// Every finished state period of the tenant, each agent's in order, read page by page.
async fn state_logs(engine: &Engine, auth: &Authed) -> Result<Vec<AgentStateLog>, UjetError> {
    let mut logs = Vec::new();
    loop {
        let filter = StateLogFilter {
            by_agent: true,
            offset: logs.len() as u64,
            limit: LOG_PAGE,
            ..StateLogFilter::default()
        };
        let page = engine
            .state_logs(&auth.tenant.id, &filter)
            .await
            .map_err(|e| UjetError::from_engine(auth.api, e))?;
        let last = page.items.len() < LOG_PAGE as usize;
        logs.extend(page.items);
        if last || logs.len() as u64 >= page.total {
            return Ok(logs);
        }
    }
}

/// The contact a period was about: the agent's interaction offered or answered in it (the
/// lowest-numbered one if several were). Only interactions of the agent created before the
/// period ended and changed after it began can be, so only those are read.
async fn contact_of(
    engine: &Engine,
    auth: &Authed,
    log: &AgentStateLog,
) -> Result<Option<Interaction>, UjetError> {
    if !matches!(
        log.from,
        AgentState::Reserved | AgentState::Ringing | AgentState::OnContact
    ) {
        return Ok(None);
    }
    let mut filter = InteractionFilter {
        agent_id: Some(log.agent_id.clone()),
        created_to_ms: Some(log.end_ms),
        updated_from_ms: Some(log.start_ms),
        order: InteractionOrder::NumberAsc,
        limit: CONTACT_PAGE,
        ..InteractionFilter::default()
    };
    loop {
        let page = engine
            .interactions(&auth.tenant.id, &filter)
            .await
            .map_err(|e| UjetError::from_engine(auth.api, e))?;
        let read = page.items.len() as u64;
        let found = page.items.into_iter().find(|i| {
            [i.offered_at_ms, i.answered_at_ms]
                .into_iter()
                .flatten()
                .any(|t| t >= log.start_ms && t <= log.end_ms)
        });
        if found.is_some() || read < CONTACT_PAGE || filter.offset + read >= page.total {
            return Ok(found);
        }
        filter.offset += read;
    }
}

/// `GET /agent_activity_logs` (Manager, §4, §5): one row per finished period of an agent's
/// state, from the engine's state logs, each agent's periods in order. A plain page is cut by
/// the store; other sorts and filters apply to every row.
pub async fn list_agent_activity_logs(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let window = match paging::window(&params) {
        Some(Ok(w))
            if w.sort.is_none() && w.created == (None, None) && w.updated == (None, None) =>
        {
            Some(w)
        }
        Some(Err(e)) => return dto::fail(&auth, e),
        _ => None,
    };
    let result = async {
        let dir = Directory::load(&engine, &auth).await?;
        let err = |e| UjetError::from_engine(auth.api, e);
        let (logs, total) = match &window {
            Some(w) => {
                let filter = StateLogFilter {
                    by_agent: true,
                    offset: w.offset() as u64,
                    limit: w.per as u64,
                    ..StateLogFilter::default()
                };
                let page = engine
                    .state_logs(&auth.tenant.id, &filter)
                    .await
                    .map_err(err)?;
                (page.items, Some(page.total))
            }
            None => (state_logs(&engine, &auth).await?, None),
        };
        let before = match total {
            // A page asks the store for the periods before its own.
            Some(_) => engine
                .previous_states(&auth.tenant.id, &logs)
                .await
                .map_err(err)?,
            // Every period is here, each agent's in order: the one before is the previous row.
            None => {
                let mut last: BTreeMap<&str, &AgentState> = BTreeMap::new();
                logs.iter()
                    .map(|l| last.insert(&l.agent_id, &l.from).cloned())
                    .collect()
            }
        };
        let mut rows = Vec::with_capacity(logs.len());
        for (log, before) in logs.iter().zip(&before) {
            let contact = contact_of(&engine, &auth, log).await?;
            rows.push(activity_row(&dir, log, before.as_ref(), contact.as_ref()));
        }
        Ok::<_, UjetError>((rows, total))
    }
    .await;
    match (result, &window) {
        (Ok((rows, Some(total))), Some(w)) => paging::page(&auth, &params, w, total, rows),
        (Ok((rows, _)), _) => paging::list(&auth, &params, rows),
        (Err(e), _) => dto::fail(&auth, e),
    }
}

/// One activity log row: the period `log`, after a period in state `before` (`None`: the
/// agent's first), about `contact` if it was about one.
fn activity_row(
    dir: &Directory,
    log: &AgentStateLog,
    before: Option<&AgentState>,
    contact: Option<&Interaction>,
) -> Value {
    let agent = dir.agents.iter().find(|v| v.agent.id == log.agent_id);
    let channel = contact.map(|i| i.channel);
    let status = agent.map_or_else(
        || statuses::USER_STATUSES[0],
        |v| {
            let mut a = v.agent.clone();
            a.state = log.from.clone();
            *statuses::of(&a, channel)
        },
    );
    // The integer ids Manager calls and chats show for the same interactions.
    let id_of = |voice: bool| {
        contact
            .filter(|i| (i.channel == Channel::Voice) == voice)
            .map(|i| i.number)
    };
    json!({
        "id": log_id(log),
        "agent_id": num(&log.agent_id),
        "whodunnit": agent.map(|v| person(&v.agent)),
        "status": status.to_json(),
        "started_at": dto::time(log.start_ms),
        "ended_at": dto::time(log.end_ms),
        "duration": log.duration_ms / 1000,
        "activity": activity(&log.from, before, channel),
        "call_id": id_of(true),
        "chat_id": id_of(false),
    })
}

/// `GET /teams` and `/team` (Manager, §4): every team, filtered, sorted and paged.
pub async fn list_teams(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    match Directory::load(&engine, &auth).await {
        Ok(dir) => {
            let rows = dir.teams.iter().map(|t| dir.team_json(t)).collect();
            paging::list(&auth, &Params::parse(query.as_deref()), rows)
        }
        Err(e) => dto::fail(&auth, e),
    }
}

/// `GET /teams/{id}` (Manager, §4): one team.
pub async fn get_team(
    State(engine): State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let dir = Directory::load(&engine, &auth).await?;
        let team = dir
            .teams
            .iter()
            .find(|t| t.id == id)
            .ok_or(UjetError::NotFound(auth.api))?;
        Ok(dir.team_json(team))
    }
    .await;
    dto::reply(&auth, axum::http::StatusCode::OK, result)
}

/// `GET /teams/tree` and `/team/tree` (Manager, §4): root teams with nested `children`; paging
/// and filters apply to the roots.
pub async fn get_team_tree(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let dir = match Directory::load(&engine, &auth).await {
        Ok(dir) => dir,
        Err(e) => return dto::fail(&auth, e),
    };
    let node = |team: &Team| {
        json!({
            "id": num(&team.id),
            "name": team.name,
            "parent_id": team.parent_id.as_deref().map(num),
            "position": team.position,
            "deleted": false,
            "agents_count": dir.members(&team.id).count(),
        })
    };
    let rows = tree(
        &dir.teams,
        |t| t.id.as_str(),
        |t| t.parent_id.as_deref(),
        &node,
    );
    paging::list(&auth, &Params::parse(query.as_deref()), rows)
}

/// Nests records under their parents (by position, then id); a record whose parent is missing
/// is a root. Trees are checked acyclic when written, and the depth is bounded anyway.
pub(crate) fn tree<T>(
    items: &[T],
    id: impl Fn(&T) -> &str + Copy,
    parent: impl Fn(&T) -> Option<&str> + Copy,
    node: &dyn Fn(&T) -> Value,
) -> Vec<Value> {
    fn children<T>(
        items: &[T],
        of: Option<&str>,
        id: impl Fn(&T) -> &str + Copy,
        parent: impl Fn(&T) -> Option<&str> + Copy,
        node: &dyn Fn(&T) -> Value,
        depth: usize,
    ) -> Vec<Value> {
        if depth > items.len() {
            return Vec::new();
        }
        let known = |p: Option<&str>| p.is_some_and(|p| items.iter().any(|i| id(i) == p));
        items
            .iter()
            .filter(|i| match of {
                None => !known(parent(i)),
                Some(of) => parent(i) == Some(of),
            })
            .map(|i| {
                let mut value = node(i);
                value["children"] =
                    Value::Array(children(items, Some(id(i)), id, parent, node, depth + 1));
                value
            })
            .collect()
    }
    children(items, None, id, parent, node, 0)
}

/// Most ids, values or page size an Apps `/users` request may carry (§3.2).
const MAX_USERS: usize = 1000;

/// A UJET id on the wire, written straight into a typed row ([`num`] makes a `Value` of it).
struct WireId<'a>(&'a str);

impl serde::Serialize for WireId<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.parse::<i64>() {
            Ok(n) => s.serialize_i64(n),
            Err(_) => s.serialize_str(self.0),
        }
    }
}

/// `{"name": ...}`, the shape of a user's teams and roles.
#[derive(serde::Serialize)]
struct Named<'a> {
    name: &'a str,
}

/// Apps user object (§5 User), typed: `/users` renders it for every agent of a page.
#[derive(serde::Serialize)]
struct User<'a> {
    id: WireId<'a>,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    agent_number: &'a str,
    location: Option<&'a Value>,
    max_chat_limit: u32,
    max_chat_limit_enabled: bool,
    unrestricted_international_calling: bool,
    deactivated_at: Option<String>,
    ucaas_user_name: Option<&'a Value>,
    ucaas_sip_uri: Option<&'a Value>,
    external_user: bool,
    phone_numbers: Vec<&'a str>,
    extension_numbers: Vec<WireId<'a>>,
    teams: Vec<Named<'a>>,
    roles: Vec<Named<'static>>,
}

impl<'a> User<'a> {
    fn new(view: &'a AgentView, dir: &'a Directory) -> Self {
        let agent = &view.agent;
        let flag = |key: &str| {
            agent
                .extra
                .get(key)
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        Self {
            id: WireId(&agent.id),
            email: &agent.email,
            first_name: &agent.first_name,
            last_name: &agent.last_name,
            agent_number: &agent.work_id,
            location: agent.extra.get("location"),
            max_chat_limit: agent.capacity.chat,
            max_chat_limit_enabled: flag("max_chat_limit_enabled"),
            unrestricted_international_calling: flag("unrestricted_international_calling"),
            // A disabled agent keeps its history: UJET's deactivated user [inferred: last change].
            deactivated_at: (!agent.enabled).then(|| dto::time(agent.updated_at_ms)),
            ucaas_user_name: agent.extra.get("ucaas_user_name"),
            ucaas_sip_uri: agent.extra.get("ucaas_sip_uri"),
            external_user: flag("external_user"),
            phone_numbers: if agent.phone.is_empty() {
                vec![]
            } else {
                vec![&agent.phone]
            },
            extension_numbers: view.extensions.iter().map(|e| WireId(&e.id)).collect(),
            teams: dir
                .teams
                .iter()
                .filter(|t| agent.team_ids.contains(&t.id))
                .map(|t| Named { name: &t.name })
                .collect(),
            roles: roles(agent.role)
                .iter()
                .map(|name| Named { name })
                .collect(),
        }
    }
}

/// Which kind of id an Apps `id[]` value is: email, system id or custom user id.
fn id_kind(id: &str) -> u8 {
    if id.contains('@') {
        0
    } else if id.bytes().all(|b| b.is_ascii_digit()) {
        1
    } else {
        2
    }
}

/// Whether a `/users` filter keeps an agent.
fn user_matches(dir: &Directory, agent: &Agent, name: &str, values: &[&str]) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    let value: Option<String> = match name {
        "agent_number" => Some(agent.work_id.clone()),
        "status_id" => Some(dir.status(agent).id.to_string()),
        "online" => Some(agent.state.is_logged_in().to_string()),
        "wrap_up" => Some(matches!(agent.state, AgentState::WrapUp { .. }).to_string()),
        "location" => text(&extra(agent, "location")),
        _ => None,
    };
    if name == "id" {
        return values.iter().any(|v| match id_kind(v) {
            0 => agent.email.eq_ignore_ascii_case(v),
            1 => agent.id == *v,
            _ => text(&extra(agent, "custom_user_id")).as_deref() == Some(*v),
        });
    }
    value.is_some_and(|value| values.iter().any(|v| v.eq_ignore_ascii_case(&value)))
}

/// `GET /users` (Apps, §3.2): the tenant's users, either one page or one filter.
pub async fn list_users(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let result = async {
        let params = Params::parse(query.as_deref());
        let bad = |m: &str| UjetError::BadRequest(Api::Apps, m.to_owned());
        let per = match params.get("per") {
            None => paging::DEFAULT_PER,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_USERS).contains(n))
                .ok_or_else(|| bad("Invalid page size request - check to ensure the max page size is a valid integer less than 1000"))?,
        };
        let page = match params.get("page") {
            None => 1,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad("Invalid page request - check to ensure the page is a positive integer"))?,
        };
        const LISTS: &[&str] = &["id", "agent_number", "status_id", "online", "wrap_up", "location"];
        const RANGES: &[&str] = &["last_login_time", "status_updated_at"];
        let lists: Vec<(&str, Vec<&str>)> = LISTS
            .iter()
            .map(|n| (*n, params.all(n)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let mut ranges = Vec::new();
        for name in RANGES {
            let (from, to) = params.range(Api::Apps, name)?;
            if from.is_some() || to.is_some() {
                ranges.push((*name, from, to));
            }
        }
        let filters = lists.len() + ranges.len();
        if filters > 0 && params.has_any(&["page", "per"]) {
            return Err(bad("Cannot paginate filtered results - ensure that you are not using a filter and pagination parameters"));
        }
        if filters > 1 {
            return Err(bad("Only one filter should be configured at a time"));
        }
        if lists.iter().any(|(_, v)| v.len() > MAX_USERS) {
            return Err(bad("Ensure you are not filtering more than 1000 values at a time"));
        }
        if let Some((_, ids)) = lists.iter().find(|(n, _)| *n == "id") {
            if ids.iter().any(|i| id_kind(i) != id_kind(ids[0])) {
                return Err(bad("Only one id type should be used at a time"));
            }
        }
        let dir = Directory::load(&engine, &auth).await?;
        let mut agents: Vec<&AgentView> = dir
            .agents
            .iter()
            .filter(|v| {
                lists
                    .iter()
                    .all(|(name, values)| user_matches(&dir, &v.agent, name, values))
                    && ranges.iter().all(|(name, from, to)| {
                        let at = match *name {
                            "last_login_time" => v.agent.last_login_ms,
                            _ => Some(v.agent.state_since_ms),
                        };
                        at.is_some_and(|t| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t <= e))
                    })
            })
            .collect();
        agents.sort_by_key(|v| (v.agent.id.parse::<i64>().unwrap_or(i64::MAX), v.agent.id.clone()));
        let rows: Vec<User> = agents
            .into_iter()
            .skip((page - 1).saturating_mul(per))
            .take(if filters > 0 { usize::MAX } else { per })
            .map(|v| User::new(v, &dir))
            .collect();
        Ok(dto::ok(&auth, axum::http::StatusCode::OK, rows))
    }
    .await;
    result.unwrap_or_else(|error| dto::fail(&auth, error))
}

/// The body of `POST /agent_statuses` and `/agent_statuses/force_logout`.
#[derive(Debug, serde::Deserialize)]
struct StatusChange {
    status: Option<dto::Text>,
    agent_ids: Option<Vec<dto::Text>>,
    team_ids: Option<Vec<dto::Text>>,
    ip_addrs: Option<Vec<String>>,
}

/// The agents a change names: `agent_ids` in order, then the members of `team_ids`, each once;
/// an id that is not the tenant's answers 404.
fn targets<'a>(
    dir: &'a Directory,
    agent_ids: &[dto::Text],
    team_ids: &[dto::Text],
) -> Result<Vec<&'a AgentView>, UjetError> {
    let mut out: Vec<&AgentView> = Vec::new();
    let mut push = |view: &'a AgentView| {
        if !out.iter().any(|v| v.agent.id == view.agent.id) {
            out.push(view);
        }
    };
    for dto::Text(id) in agent_ids {
        push(dir.agent(Api::Apps, id.trim())?);
    }
    for dto::Text(id) in team_ids {
        let id = id.trim();
        if !dir.teams.iter().any(|t| t.id == id) {
            return Err(UjetError::NotFound(Api::Apps));
        }
        dir.agents
            .iter()
            .filter(|v| v.agent.team_ids.iter().any(|t| t == id))
            .for_each(&mut push);
    }
    Ok(out)
}

/// One row of an agent status answer.
fn status_row(agent: &Agent, previous: &str, current: &str) -> Value {
    json!({
        "agent_id": num(&agent.id),
        "name": agent.name,
        "email": agent.email,
        "agent_number": agent.work_id,
        "previous_status": previous,
        "current_status": current,
    })
}

/// `POST /agent_statuses` (Apps, §3.3): moves agents (named, or by team) to a status they could
/// pick themselves. All or nothing: a system status on either side refuses the whole request,
/// except that an Offline agent may be given a status (that logs it in, as the agent would by
/// picking one in the app); going Offline is `force_logout`'s job.
pub async fn update_agent_statuses(
    State(engine): State<Engine>,
    auth: Authed,
    body: axum::body::Bytes,
) -> Response {
    let result = async {
        let change: StatusChange = dto::body(Api::Apps, &body)?;
        let name = dto::required(Api::Apps, "status", change.status)?;
        let missing = |n: &str| UjetError::BadRequest(Api::Apps, dto::missing(n));
        let agent_ids = change.agent_ids.ok_or_else(|| missing("agent_ids"))?;
        let team_ids = change.team_ids.ok_or_else(|| missing("team_ids"))?;
        let bad = |m: String| UjetError::BadRequest(Api::Apps, m);
        let target =
            statuses::by_name(&name).ok_or_else(|| bad(format!("Invalid status: {name}")))?;
        let state = target.state().ok_or_else(|| {
            bad(format!(
                "{} is a system status and cannot be set",
                target.name
            ))
        })?;
        let dir = Directory::load(&engine, &auth).await?;
        let agents = targets(&dir, &agent_ids, &team_ids)?;
        if agents.is_empty() {
            return Err(missing("agent_ids"));
        }
        for view in &agents {
            let current = dir.status(&view.agent);
            if current.system && current.id != statuses::OFFLINE {
                return Err(bad(format!(
                    "Agent {} is in the system status {} and cannot be changed",
                    view.agent.id, current.name
                )));
            }
        }
        let mut rows = Vec::new();
        for view in agents {
            let previous = dir.status(&view.agent);
            if previous.id != target.id {
                engine
                    .execute(
                        &auth.tenant.id,
                        ccemu_engine::Op::SetAgentState {
                            agent_id: view.agent.id.clone(),
                            state: state.clone(),
                        },
                    )
                    .await
                    .map_err(|e| UjetError::from_engine(Api::Apps, e))?;
            }
            rows.push(status_row(&view.agent, previous.name, target.name));
        }
        Ok(Value::Array(rows))
    }
    .await;
    dto::reply(&auth, axum::http::StatusCode::OK, result)
}

/// One `ip_addrs` entry: an address, a CIDR block or an inclusive `a-b` range, as
/// `(family, low, high)` with IPv4 and IPv6 kept apart.
fn ip_range(text: &str) -> Option<(bool, u128, u128)> {
    use std::net::IpAddr;
    let parse = |s: &str| -> Option<(bool, u128)> {
        match s.trim().parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => Some((true, u128::from(u32::from(a)))),
            IpAddr::V6(a) => Some((false, u128::from(a))),
        }
    };
    if let Some((addr, len)) = text.split_once('/') {
        let (v4, n) = parse(addr)?;
        let bits = if v4 { 32 } else { 128 };
        let len: u32 = len.trim().parse().ok().filter(|l| *l <= bits)?;
        // The host part's bits set: none for a full-length prefix, all for `/0`.
        let host = u128::MAX.checked_shr(128 - (bits - len)).unwrap_or(0);
        return Some((v4, n & !host, n | host));
    }
    if let Some((a, b)) = text.split_once('-') {
        let ((v4, lo), (v4b, hi)) = (parse(a)?, parse(b)?);
        return (v4 == v4b && lo <= hi).then_some((v4, lo, hi));
    }
    let (v4, n) = parse(text)?;
    Some((v4, n, n))
}

/// Whether the agent's last login address (the [`ccemu_core::agent::LAST_LOGIN_IP`] field the
/// simulator's `login_ip` sets) falls in one of the ranges.
fn ip_matches(agent: &Agent, ranges: &[(bool, u128, u128)]) -> bool {
    let Some((v4, n)) = agent
        .extra
        .get(ccemu_core::agent::LAST_LOGIN_IP)
        .and_then(Value::as_str)
        .and_then(|ip| ip_range(ip).map(|(v4, n, _)| (v4, n)))
    else {
        return false;
    };
    ranges
        .iter()
        .any(|(f, lo, hi)| *f == v4 && (*lo..=*hi).contains(&n))
}

/// Where force-logout jobs are kept: the tenant's settings of this name [inferred].
const JOBS: &str = "ujet_force_logout_jobs";
/// Jobs kept per tenant; older ones are forgotten.
const MAX_JOBS: usize = 100;
/// Larger logouts answer as a background job (202 `{"id","status"}`) [inferred threshold].
pub(crate) const FORCE_LOGOUT_SYNC_MAX: usize = 100;

async fn jobs(engine: &Engine, auth: &Authed) -> Result<ccemu_core::SurfaceSettings, UjetError> {
    let stored = engine
        .record::<ccemu_core::SurfaceSettings>(&auth.tenant.id, JOBS)
        .await
        .map_err(|e| UjetError::from_engine(Api::Apps, e))?;
    Ok(stored.unwrap_or_else(|| ccemu_core::SurfaceSettings {
        id: JOBS.to_owned(),
        values: BTreeMap::new(),
        updated_at_ms: 0,
    }))
}

/// A job's status: finished once every agent it named is logged out.
fn job_status(dir: &Directory, agent_ids: &[Value]) -> &'static str {
    let out = agent_ids.iter().all(|id| {
        let id = id.as_str().unwrap_or_default();
        dir.agents
            .iter()
            .find(|v| v.agent.id == id)
            .is_none_or(|v| !v.agent.state.is_logged_in())
    });
    if out {
        "finished"
    } else {
        "in_progress"
    }
}

/// `POST /agent_statuses/force_logout` (Apps, §3.3): logs out the agents named, those of the
/// teams named and those whose last login address is in `ip_addrs`. Busy agents leave after
/// their contact. Each logout is kept as a job; more than [`FORCE_LOGOUT_SYNC_MAX`] agents
/// answer 202 with the job instead of the list.
pub async fn force_logout_agents(
    State(engine): State<Engine>,
    auth: Authed,
    body: axum::body::Bytes,
) -> Response {
    let result = async {
        let change: StatusChange = dto::body(Api::Apps, &body)?;
        let agent_ids = change.agent_ids.unwrap_or_default();
        let team_ids = change.team_ids.unwrap_or_default();
        let ip_addrs = change.ip_addrs.unwrap_or_default();
        if agent_ids.is_empty() && team_ids.is_empty() && ip_addrs.is_empty() {
            return Err(UjetError::BadRequest(Api::Apps, dto::missing("agent_ids")));
        }
        let ranges = ip_addrs
            .iter()
            .map(|ip| {
                ip_range(ip).ok_or_else(|| {
                    UjetError::BadRequest(Api::Apps, format!("Invalid IP address: {ip}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let dir = Directory::load(&engine, &auth).await?;
        let mut agents = targets(&dir, &agent_ids, &team_ids)?;
        for view in &dir.agents {
            if ip_matches(&view.agent, &ranges)
                && !agents.iter().any(|v| v.agent.id == view.agent.id)
            {
                agents.push(view);
            }
        }
        let rows: Vec<Value> = agents
            .iter()
            .map(|view| status_row(&view.agent, dir.status(&view.agent).name, "Offline"))
            .collect();
        let ids: Vec<Value> = agents.iter().map(|v| json!(v.agent.id)).collect();
        // One command logs them out and files the job under the next id, so two logouts at
        // once never get the same job id or drop each other's job.
        let op = ccemu_engine::Op::LogoutAgents {
            agent_ids: agents.iter().map(|v| v.agent.id.clone()).collect(),
            record: Some(ccemu_engine::SettingsEntry {
                settings_id: JOBS.to_owned(),
                value: json!({"agent_ids": ids}),
                keep: MAX_JOBS,
            }),
        };
        let id = match engine.execute(&auth.tenant.id, op).await {
            Ok(ccemu_engine::OpOutput::LoggedOut { record: Some(id) }) => id,
            Ok(other) => {
                tracing::error!(?other, "unexpected engine output for a force logout");
                return Err(UjetError::Internal(Api::Apps));
            }
            Err(e) => return Err(UjetError::from_engine(Api::Apps, e)),
        };
        if agents.len() > FORCE_LOGOUT_SYNC_MAX {
            let dir = Directory::load(&engine, &auth).await?;
            let body = json!({"id": id, "status": job_status(&dir, &ids)});
            return Ok((axum::http::StatusCode::ACCEPTED, body));
        }
        Ok((axum::http::StatusCode::OK, Value::Array(rows)))
    }
    .await;
    match result {
        Ok((status, body)) => dto::ok(&auth, status, body),
        Err(e) => dto::fail(&auth, e),
    }
}

/// `GET /agent_statuses/force_logout/{id}` (Apps, §3.3; path and body [inferred]): a logout
/// job, `in_progress` while any of its agents is still busy on a contact.
pub async fn get_force_logout_job(
    State(engine): State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let store = jobs(&engine, &auth).await?;
        let job = store
            .values
            .get(&id)
            .ok_or(UjetError::NotFound(Api::Apps))?;
        let ids = job["agent_ids"].as_array().cloned().unwrap_or_default();
        let dir = Directory::load(&engine, &auth).await?;
        Ok(json!({"id": num(&id), "status": job_status(&dir, &ids)}))
    }
    .await;
    dto::reply(&auth, axum::http::StatusCode::OK, result)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use ccemu_core::Team;
    use ccemu_engine::Op;
    use serde_json::json;

    use super::*;
    use crate::routes::tests::*;

    #[tokio::test]
    async fn agents_list_has_every_field_of_the_doc_with_its_type() {
        let c = ctx().await;
        c.set_state("1003", AgentState::Available).await;
        let r = c
            .send(Method::GET, "/manager/api/v1/agents?page=1&per=100", b"")
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["total"], "4");
        let carol = &r.body[2];
        assert_eq!(carol["id"], json!(1003));
        assert_eq!(carol["email"], "carol@demo.ccemu.test");
        assert_eq!(carol["first_name"], "Carol");
        assert_eq!(carol["last_name"], "Diaz");
        assert_eq!(carol["middle_name"], Value::Null);
        assert_eq!(carol["avatar_url"], Value::Null);
        assert_eq!(carol["agent_number"], "1003");
        assert_eq!(
            carol["status"],
            json!({"id": 0, "wfm_id": 11, "name": "Available", "color": "green"})
        );
        assert!(carol["created_at"].as_str().unwrap().ends_with(".000Z"));
        assert!(carol["last_login_time"].is_string());
        assert!(carol["status_updated_at"].is_string());
        assert_eq!(carol["crm_authenticated"], false);
        assert_eq!(carol["online"], true);
        assert_eq!(carol["wrap_up"], false);
        assert_eq!(carol["call_count"], 0);
        assert_eq!(carol["chat_count"], 0);
        assert_eq!(carol["location"], Value::Null);
        assert_eq!(carol["roles"], json!(["agent"]));
        assert_eq!(
            carol["teams"],
            json!([{"id": 12, "name": "Support", "parent_id": null, "position": 1, "deleted": false, "agents_count": 2}])
        );
        assert_eq!(
            carol["channels"],
            json!([{"channel_type": "chat", "menu": {"id": 9002, "name": "Support"}}])
        );
        let alice = &r.body[0];
        assert_eq!(alice["roles"], json!(["agent", "manager"]));
        assert_eq!(alice["online"], false);
        assert_eq!(alice["last_login_time"], Value::Null);
        assert_eq!(alice["status"]["name"], "Offline");
    }

    #[tokio::test]
    async fn agents_filter_by_status_and_tail_by_status_updated_at() {
        let c = ctx().await;
        c.set_state("1002", AgentState::Available).await;
        let r = c
            .send(Method::GET, "/manager/api/v1/agents?status_id[]=0", b"")
            .await;
        let ids: Vec<_> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].clone())
            .collect();
        assert_eq!(ids, [json!(1002)]);
        let r = c
            .send(
                Method::GET,
                "/manager/api/v1/agents?per=2&sort_column=status_updated_at&sort_direction=DESC&online[]=false",
                b"",
            )
            .await;
        assert_eq!(r.headers["total"], "3");
        assert!(r.headers["link"].to_str().unwrap().contains("page=2"));
    }

    #[tokio::test]
    async fn one_agent_or_404_and_never_another_tenants() {
        let c = ctx().await;
        let r = c
            .send(Method::GET, "/manager/api/v1/agents/1004", b"")
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["first_name"], "Dan");
        let r = c.send(Method::GET, "/manager/api/v1/agents/77", b"").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body, manager("Not Found", "Resource not found", 404));
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let auth = basic(&o.subdomain, &o.api_token);
        let r = c
            .send_as(Some(&auth), Method::GET, "/manager/api/v1/agents/1004", b"")
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = c
            .send_as(Some(&auth), Method::GET, "/manager/api/v1/agents", b"")
            .await;
        assert_eq!(r.body, json!([]));
        let r = c
            .send_as(Some(&auth), Method::GET, "/manager/api/v1/teams", b"")
            .await;
        assert_eq!(r.body, json!([]));
    }

    #[tokio::test]
    async fn activity_logs_come_from_state_changes() {
        let c = ctx().await;
        c.engine
            .set_clock(&demo(), ccemu_core::clock::ClockMode::Manual, None)
            .await
            .unwrap();
        c.set_state("1001", AgentState::Available).await;
        c.engine.advance_clock(&demo(), 5_000).await.unwrap();
        c.set_state(
            "1001",
            AgentState::OnBreak {
                sub_state: 4,
                until_ms: None,
            },
        )
        .await;
        c.engine.advance_clock(&demo(), 2_000).await.unwrap();
        c.set_state("1001", AgentState::LoggedOut).await;
        let r = c
            .send(
                Method::GET,
                "/manager/api/v1/agent_activity_logs?sort_column=started_at&sort_direction=ASC",
                b"",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["total"], "3");
        let rows = r.body.as_array().unwrap();
        let names: Vec<_> = rows.iter().map(|l| l["status"]["name"].clone()).collect();
        assert_eq!(names, [json!("Offline"), json!("Available"), json!("Meal")]);
        let available = &rows[1];
        assert_eq!(available["id"], json!(1_001_000_002_i64));
        assert_eq!(available["agent_id"], json!(1001));
        assert_eq!(available["activity"], "login");
        assert_eq!(available["duration"], 5);
        assert_eq!(rows[2]["activity"], "status_change");
        assert_eq!(rows[2]["duration"], 2);
        assert_eq!(
            available["whodunnit"],
            json!({"id": 1001, "name": "Alice Chen", "last_name": "Chen", "first_name": "Alice", "agent_number": "1001", "avatar_url": null})
        );
        assert_eq!(
            available["status"],
            json!({"id": 0, "wfm_id": 11, "name": "Available", "color": "green"})
        );
        assert_eq!(available["call_id"], Value::Null);
        assert_eq!(available["chat_id"], Value::Null);
        let ended = rows[1]["ended_at"].as_str().unwrap();
        assert_eq!(rows[2]["started_at"], ended);
        let r = c
            .send(
                Method::GET,
                &format!("/manager/api/v1/agent_activity_logs?started_at[from]={ended}"),
                b"",
            )
            .await;
        assert_eq!(r.headers["total"], "1");
        let r = c
            .send(
                Method::GET,
                "/manager/api/v1/agent_activity_logs?started_at[from]=x",
                b"",
            )
            .await;
        assert_eq!(
            r.body,
            manager("Bad Request", "started_at[from] is invalid", 400)
        );
    }

    #[tokio::test]
    async fn activity_log_pages_cut_by_the_store_are_slices_of_the_whole_list() {
        let c = ctx().await;
        c.engine
            .set_clock(&demo(), ccemu_core::clock::ClockMode::Manual, None)
            .await
            .unwrap();
        let pause = AgentState::OnBreak {
            sub_state: 4,
            until_ms: None,
        };
        for (agent, state) in [
            ("1002", AgentState::Available),
            ("1001", AgentState::Available),
            ("1002", pause.clone()),
            ("1001", pause),
            ("1002", AgentState::LoggedOut),
            ("1001", AgentState::Available),
            ("1001", AgentState::LoggedOut),
        ] {
            c.set_state(agent, state).await;
            c.engine.advance_clock(&demo(), 1_000).await.unwrap();
        }
        // A sort the store does not cut: every row, ordered by id (agent, then sequence).
        let whole = c
            .send(
                Method::GET,
                "/manager/api/v1/agent_activity_logs?sort_column=id&per=100",
                b"",
            )
            .await;
        let whole_rows = whole.body.as_array().unwrap().clone();
        assert_eq!(whole.headers["total"], whole_rows.len().to_string());
        assert!(whole_rows.len() >= 6, "{whole_rows:?}");
        let mut paged = Vec::new();
        for page in 1..=(whole_rows.len() / 2 + 1) {
            let r = c
                .send(
                    Method::GET,
                    &format!("/manager/api/v1/agent_activity_logs?per=2&page={page}"),
                    b"",
                )
                .await;
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.headers["total"], whole.headers["total"]);
            paged.extend(r.body.as_array().unwrap().iter().cloned());
        }
        assert_eq!(paged, whole_rows);
        // The period before a page's first row still decides its activity.
        let activities: Vec<&str> = paged
            .iter()
            .map(|row| row["activity"].as_str().unwrap())
            .collect();
        assert!(activities.contains(&"login"), "{activities:?}");
        assert!(activities.contains(&"status_change"), "{activities:?}");
    }

    #[tokio::test]
    async fn activity_logs_name_the_call_of_a_period_on_it() {
        let c = ctx().await;
        c.engine
            .set_clock(&demo(), ccemu_core::clock::ClockMode::Manual, None)
            .await
            .unwrap();
        c.set_state("1003", AgentState::Available).await;
        let ccemu_engine::OpOutput::Interaction(call) = c
            .engine
            .execute(
                &demo(),
                Op::StartInbound {
                    channel: Channel::Voice,
                    queue_id: "9002".into(),
                    from: "+15550001".into(),
                    to: "+14155550100".into(),
                    priority: 0,
                },
            )
            .await
            .unwrap()
        else {
            panic!("interaction expected")
        };
        let answer = Op::Answer {
            agent_id: "1003".into(),
            interaction_id: None,
        };
        c.engine.execute(&demo(), answer).await.unwrap();
        c.engine.advance_clock(&demo(), 3_000).await.unwrap();
        let hangup = Op::Hangup {
            interaction_id: call.id.clone(),
            by: ccemu_core::EndedBy::Customer,
        };
        c.engine.execute(&demo(), hangup).await.unwrap();
        let r = c
            .send(Method::GET, "/manager/api/v1/agent_activity_logs", b"")
            .await;
        let talk = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["activity"] == "call_picked_up")
            .expect("a period on the call");
        assert_eq!(talk["status"]["name"], "In-call");
        assert_ne!(call.number, 0);
        assert_eq!(talk["call_id"], json!(call.number));
        assert_eq!(talk["chat_id"], Value::Null);
        assert_eq!(talk["duration"], 3);
    }

    async fn add_team(c: &Ctx, id: &str, parent: Option<&str>, position: i32) {
        let team = Team {
            id: id.into(),
            name: format!("Team {id}"),
            parent_id: parent.map(Into::into),
            position,
            created_at_ms: 0,
        };
        c.engine
            .execute(&demo(), ccemu_engine::Op::PutTeam(team))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn teams_have_array_assignees_counts_and_filters() {
        let c = ctx().await;
        for path in ["/manager/api/v1/teams", "/manager/api/v1/team"] {
            let r = c.send(Method::GET, path, b"").await;
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.headers["total"], "2");
            let sales = &r.body[0];
            assert_eq!(sales["id"], json!(11));
            assert_eq!(sales["name"], "Sales");
            assert_eq!(sales["parent_id"], Value::Null);
            assert_eq!(sales["position"], 0);
            assert_eq!(sales["deleted"], false);
            assert_eq!(sales["agents_count"], 2);
            let assignees = sales["assignees"].as_array().unwrap();
            assert_eq!(assignees[0]["first_name"], "Alice");
            assert_eq!(assignees[1]["agent_number"], "1002");
        }
        for (query, ids) in [
            ("id[]=12", vec![12]),
            ("name[]=Sales", vec![11]),
            ("position[]=1", vec![12]),
            ("agents_count[from]=2&agents_count[to]=2", vec![11, 12]),
            ("agents_count[from]=3", vec![]),
            ("sort_column=position&sort_direction=DESC", vec![12, 11]),
        ] {
            let r = c
                .send(Method::GET, &format!("/manager/api/v1/teams?{query}"), b"")
                .await;
            let got: Vec<i64> = r
                .body
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap())
                .collect();
            assert_eq!(got, ids, "{query}");
        }
        let r = c.send(Method::GET, "/manager/api/v1/teams/12", b"").await;
        assert_eq!(r.body["name"], "Support");
        let r = c.send(Method::GET, "/manager/api/v1/teams/99", b"").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn team_tree_nests_children_under_parents() {
        let c = ctx().await;
        add_team(&c, "13", Some("11"), 0).await;
        add_team(&c, "14", Some("13"), 0).await;
        for path in ["/manager/api/v1/teams/tree", "/manager/api/v1/team/tree"] {
            let r = c.send(Method::GET, path, b"").await;
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.headers["total"], "2");
            let sales = &r.body[0];
            assert_eq!(sales["id"], json!(11));
            assert_eq!(sales["agents_count"], 2);
            assert_eq!(sales["children"][0]["id"], json!(13));
            assert_eq!(sales["children"][0]["parent_id"], json!(11));
            assert_eq!(sales["children"][0]["children"][0]["id"], json!(14));
            assert_eq!(sales["children"][0]["children"][0]["children"], json!([]));
            assert_eq!(r.body[1]["children"], json!([]));
        }
        let r = c
            .send(Method::GET, "/manager/api/v1/teams?parent_id[]=11", b"")
            .await;
        assert_eq!(r.body.as_array().unwrap().len(), 1);
    }
}

#[cfg(test)]
mod apps_tests {
    use axum::http::{Method, StatusCode};
    use serde_json::json;

    use super::*;
    use crate::routes::tests::*;

    fn ids(body: &Value) -> Vec<i64> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_i64().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn users_have_the_seed_doc_shape() {
        let c = ctx().await;
        let r = c.send(Method::GET, "/apps/api/v1/users", b"").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(ids(&r.body), [1001, 1002, 1003, 1004]);
        assert_eq!(
            r.body[0],
            json!({
                "id": 1001, "email": "alice@demo.ccemu.test", "first_name": "Alice",
                "last_name": "Chen", "agent_number": "1001", "location": null,
                "max_chat_limit": 5, "max_chat_limit_enabled": false,
                "unrestricted_international_calling": false, "deactivated_at": null,
                "ucaas_user_name": null, "ucaas_sip_uri": null, "external_user": false,
                "phone_numbers": [], "extension_numbers": [8001],
                "teams": [{"name": "Sales"}], "roles": [{"name": "Agent"}, {"name": "Manager"}]
            })
        );
        let r = c
            .send(Method::GET, "/apps/api/v1/users?page=2&per=3", b"")
            .await;
        assert_eq!(ids(&r.body), [1004]);
    }

    #[tokio::test]
    async fn users_filter_one_at_a_time() {
        let c = ctx().await;
        c.set_state("1002", AgentState::Available).await;
        for (query, want) in [
            (
                "id[]=carol@demo.ccemu.test&id[]=DAN@demo.ccemu.test",
                vec![1003, 1004],
            ),
            ("id[]=1002", vec![1002]),
            ("agent_number[]=1001", vec![1001]),
            ("status_id[]=0", vec![1002]),
            ("status_id[]=-10", vec![1001, 1003, 1004]),
            ("online[]=true", vec![1002]),
            ("wrap_up[]=true", vec![]),
            ("location[]=Paris", vec![]),
            ("last_login_time[from]=2000-01-01T00:00:00Z", vec![1002]),
        ] {
            let r = c
                .send(Method::GET, &format!("/apps/api/v1/users?{query}"), b"")
                .await;
            assert_eq!(r.status, StatusCode::OK, "{query}");
            assert_eq!(ids(&r.body), want, "{query}");
        }
        let many: String = (0..1001).map(|i| format!("id[]={i}&")).collect();
        for (query, message) in [
            ("per=1001", "Invalid page size request - check to ensure the max page size is a valid integer less than 1000"),
            ("per=abc", "Invalid page size request - check to ensure the max page size is a valid integer less than 1000"),
            ("page=0", "Invalid page request - check to ensure the page is a positive integer"),
            ("page=1&id[]=1001", "Cannot paginate filtered results - ensure that you are not using a filter and pagination parameters"),
            ("per=5&online[]=true", "Cannot paginate filtered results - ensure that you are not using a filter and pagination parameters"),
            ("online[]=true&wrap_up[]=false", "Only one filter should be configured at a time"),
            ("id[]=1001&status_updated_at[from]=2000-01-01T00:00:00Z", "Only one filter should be configured at a time"),
            (many.as_str(), "Ensure you are not filtering more than 1000 values at a time"),
            ("id[]=1001&id[]=bob@demo.ccemu.test", "Only one id type should be used at a time"),
            ("last_login_time[to]=never", "last_login_time[to] is invalid"),
        ] {
            let r = c.send(Method::GET, &format!("/apps/api/v1/users?{query}"), b"").await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query:.60}");
            assert_eq!(r.body, apps(message), "{query:.60}");
        }
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let auth = basic(&o.subdomain, &o.api_token);
        let r = c
            .send_as(
                Some(&auth),
                Method::GET,
                "/apps/api/v1/users?id[]=1001",
                b"",
            )
            .await;
        assert_eq!(r.body, json!([]));
    }

    #[tokio::test]
    async fn agent_statuses_move_named_agents_and_teams() {
        let c = ctx().await;
        c.set_state("1001", AgentState::Available).await;
        c.set_state("1003", AgentState::NotReady { reason: None })
            .await;
        c.set_state(
            "1004",
            AgentState::OnBreak {
                sub_state: 4,
                until_ms: None,
            },
        )
        .await;
        let r = c
            .send(
                Method::POST,
                "/apps/api/v1/agent_statuses",
                br#"{"status":"Break","agent_ids":[1001,"1003"],"team_ids":[12]}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.body,
            json!([
                {"agent_id": 1001, "name": "Alice Chen", "email": "alice@demo.ccemu.test", "agent_number": "1001", "previous_status": "Available", "current_status": "Break"},
                {"agent_id": 1003, "name": "Carol Diaz", "email": "carol@demo.ccemu.test", "agent_number": "1003", "previous_status": "Unavailable", "current_status": "Break"},
                {"agent_id": 1004, "name": "Dan Evans", "email": "dan@demo.ccemu.test", "agent_number": "1004", "previous_status": "Meal", "current_status": "Break"}
            ])
        );
        let agents = c.engine.agents(&demo(), None).await.unwrap();
        for v in agents.iter().filter(|v| v.agent.id != "1002") {
            assert_eq!(statuses::of(&v.agent, None).name, "Break", "{}", v.agent.id);
        }
        // Same status again: nothing moves, previous equals current.
        let r = c
            .send(
                Method::POST,
                "/apps/api/v1/agent_statuses",
                br#"{"status":"break","agent_ids":[1001],"team_ids":[]}"#,
            )
            .await;
        assert_eq!(r.body[0]["previous_status"], "Break");
    }

    #[tokio::test]
    async fn agent_statuses_refuse_system_statuses_and_bad_bodies() {
        let c = ctx().await;
        c.set_state("1001", AgentState::Available).await;
        let missed = AgentState::NotReady {
            reason: Some(statuses::MISSED_CALL.into()),
        };
        c.set_state("1002", missed).await;
        for (body, status, message) in [
            (
                r#"{"agent_ids":[1001],"team_ids":[]}"#,
                400,
                "param is missing or the value is empty: status",
            ),
            (
                r#"{"status":"Available","team_ids":[]}"#,
                400,
                "param is missing or the value is empty: agent_ids",
            ),
            (
                r#"{"status":"Available","agent_ids":[1001]}"#,
                400,
                "param is missing or the value is empty: team_ids",
            ),
            (
                r#"{"status":"Available","agent_ids":[],"team_ids":[]}"#,
                400,
                "param is missing or the value is empty: agent_ids",
            ),
            (
                r#"{"status":"Available","agent_ids":5,"team_ids":[]}"#,
                400,
                "agent_ids is invalid",
            ),
            (
                r#"{"status":"Lunch","agent_ids":[1001],"team_ids":[]}"#,
                400,
                "Invalid status: Lunch",
            ),
            (
                r#"{"status":"In-call","agent_ids":[1001],"team_ids":[]}"#,
                400,
                "In-call is a system status and cannot be set",
            ),
            (
                r#"{"status":"Offline","agent_ids":[1001],"team_ids":[]}"#,
                400,
                "Offline is a system status and cannot be set",
            ),
            (
                r#"{"status":"Break","agent_ids":[1001,1002],"team_ids":[]}"#,
                400,
                "Agent 1002 is in the system status Missed Call and cannot be changed",
            ),
            (
                r#"{"status":"Break","agent_ids":[77],"team_ids":[]}"#,
                404,
                "Not Found",
            ),
            (
                r#"{"status":"Break","agent_ids":[],"team_ids":[99]}"#,
                404,
                "Not Found",
            ),
            ("{", 400, "Invalid JSON in request body"),
        ] {
            let r = c
                .send(Method::POST, "/apps/api/v1/agent_statuses", body)
                .await;
            assert_eq!(r.status.as_u16(), status, "{body}");
            assert_eq!(r.body, apps(message), "{body}");
        }
        // Nothing moved, not even the agent listed before the refused one.
        let alice = c.engine.agents(&demo(), Some("1001")).await.unwrap();
        assert_eq!(alice[0].agent.state, AgentState::Available);
        // An Offline agent given a status is logged in with it.
        let r = c
            .send(
                Method::POST,
                "/apps/api/v1/agent_statuses",
                br#"{"status":"Available","agent_ids":[1003],"team_ids":[]}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body[0]["previous_status"], "Offline");
        assert_eq!(r.body[0]["current_status"], "Available");
        let carol = c.engine.agents(&demo(), Some("1003")).await.unwrap();
        assert_eq!(carol[0].agent.state, AgentState::Available);
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let auth = basic(&o.subdomain, &o.api_token);
        let r = c
            .send_as(
                Some(&auth),
                Method::POST,
                "/apps/api/v1/agent_statuses",
                br#"{"status":"Break","agent_ids":[1001],"team_ids":[]}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body, apps("Not Found"));
    }
}

#[cfg(test)]
mod logout_tests {
    use axum::http::{Method, StatusCode};
    use ccemu_core::clock::ClockMode;
    use ccemu_core::EndedBy;
    use ccemu_engine::{Op, OpOutput};
    use serde_json::json;

    use super::*;
    use crate::routes::tests::*;

    async fn exec(c: &Ctx, op: Op) -> OpOutput {
        c.engine.execute(&demo(), op).await.unwrap()
    }

    async fn state(c: &Ctx, id: &str) -> AgentState {
        c.engine.agents(&demo(), Some(id)).await.unwrap()[0]
            .agent
            .state
            .clone()
    }

    const LOGOUT: &str = "/apps/api/v1/agent_statuses/force_logout";

    #[test]
    fn ip_addrs_are_addresses_cidr_blocks_or_ranges() {
        let mut agent = Agent::new("1", "A", 0);
        let ranges = |list: &[&str]| -> Vec<(bool, u128, u128)> {
            list.iter().map(|s| ip_range(s).unwrap()).collect()
        };
        assert!(
            !ip_matches(&agent, &ranges(&["0.0.0.0/0"])),
            "no known address"
        );
        agent
            .extra
            .insert("last_login_ip".into(), json!("34.211.11.7"));
        assert!(ip_matches(&agent, &ranges(&["34.211.11.0/24"])));
        assert!(!ip_matches(&agent, &ranges(&["34.211.12.0/24"])));
        assert!(ip_matches(&agent, &ranges(&["10.0.0.1", "34.211.11.7"])));
        assert!(ip_matches(&agent, &ranges(&["34.211.11.1-34.211.11.9"])));
        assert!(!ip_matches(&agent, &ranges(&["::/0"])), "families apart");
        agent
            .extra
            .insert("last_login_ip".into(), json!("2001:db8::5"));
        assert!(ip_matches(&agent, &ranges(&["2001:db8::/32"])));
        for bad in [
            "34.211.11.0/33",
            "nope",
            "10.0.0.9-10.0.0.1",
            "10.0.0.1-::1",
            "1.2.3.4/x",
        ] {
            assert!(ip_range(bad).is_none(), "{bad}");
        }
    }

    #[tokio::test]
    async fn force_logout_logs_out_free_agents_now_and_busy_ones_after_their_call() {
        let c = ctx().await;
        c.engine
            .set_clock(&demo(), ClockMode::Manual, None)
            .await
            .unwrap();
        let available = |id: &str| Op::SetAgentState {
            agent_id: id.into(),
            state: AgentState::Available,
        };
        exec(&c, available("1003")).await;
        let OpOutput::Interaction(call) = exec(
            &c,
            Op::StartInbound {
                channel: ccemu_core::Channel::Voice,
                queue_id: "9002".into(),
                from: "+15550001".into(),
                to: "+14155550100".into(),
                priority: 0,
            },
        )
        .await
        else {
            panic!("interaction expected")
        };
        let who = call.agent_id.clone().unwrap();
        exec(
            &c,
            Op::Answer {
                agent_id: who.clone(),
                interaction_id: None,
            },
        )
        .await;
        assert_eq!(who, "1003");
        exec(&c, available("1001")).await;
        let r = c
            .send(
                Method::POST,
                LOGOUT,
                br#"{"agent_ids":[1001],"team_ids":[12],"ip_addrs":["34.211.11.0/24"]}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.body,
            json!([
                {"agent_id": 1001, "name": "Alice Chen", "email": "alice@demo.ccemu.test", "agent_number": "1001", "previous_status": "Available", "current_status": "Offline"},
                {"agent_id": 1003, "name": "Carol Diaz", "email": "carol@demo.ccemu.test", "agent_number": "1003", "previous_status": "In-call", "current_status": "Offline"},
                {"agent_id": 1004, "name": "Dan Evans", "email": "dan@demo.ccemu.test", "agent_number": "1004", "previous_status": "Offline", "current_status": "Offline"}
            ])
        );
        assert_eq!(state(&c, "1001").await, AgentState::LoggedOut);
        assert_eq!(state(&c, "1003").await, AgentState::OnContact);
        let job = format!("{LOGOUT}/1");
        let r = c.send(Method::GET, &job, b"").await;
        assert_eq!(r.body, json!({"id": 1, "status": "in_progress"}));
        exec(
            &c,
            Op::Hangup {
                interaction_id: call.id,
                by: EndedBy::Customer,
            },
        )
        .await;
        assert_eq!(state(&c, "1003").await, AgentState::LoggedOut);
        let r = c.send(Method::GET, &job, b"").await;
        assert_eq!(r.body, json!({"id": 1, "status": "finished"}));
        // The seed-doc variant without addresses; a second job.
        let r = c
            .send(
                Method::POST,
                LOGOUT,
                br#"{"agent_ids":[1002],"team_ids":[]}"#,
            )
            .await;
        assert_eq!(r.body[0]["previous_status"], "Offline");
        let r = c.send(Method::GET, &format!("{LOGOUT}/2"), b"").await;
        assert_eq!(r.body["status"], "finished");
        let r = c.send(Method::GET, &format!("{LOGOUT}/3"), b"").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body, apps("Not Found"));
    }

    #[tokio::test]
    async fn force_logout_refuses_bad_bodies_and_other_tenants_agents() {
        let c = ctx().await;
        for (body, status, message) in [
            (
                "{}",
                400,
                "param is missing or the value is empty: agent_ids",
            ),
            (
                r#"{"agent_ids":[],"team_ids":[]}"#,
                400,
                "param is missing or the value is empty: agent_ids",
            ),
            (
                r#"{"ip_addrs":["34.211.11.0/40"]}"#,
                400,
                "Invalid IP address: 34.211.11.0/40",
            ),
            (r#"{"ip_addrs":[5]}"#, 400, "ip_addrs[0] is invalid"),
            (r#"{"agent_ids":[77]}"#, 404, "Not Found"),
            (r#"{"team_ids":[99]}"#, 404, "Not Found"),
        ] {
            let r = c.send(Method::POST, LOGOUT, body).await;
            assert_eq!(r.status.as_u16(), status, "{body}");
            assert_eq!(r.body, apps(message), "{body}");
        }
        // Addresses that match no known login address log out nobody.
        let r = c
            .send(
                Method::POST,
                LOGOUT,
                br#"{"ip_addrs":["0.0.0.0/0","::/0"]}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, json!([]));
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let auth = basic(&o.subdomain, &o.api_token);
        let r = c
            .send_as(
                Some(&auth),
                Method::POST,
                LOGOUT,
                br#"{"agent_ids":[1001]}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = c
            .send_as(Some(&auth), Method::GET, &format!("{LOGOUT}/1"), b"")
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn a_large_force_logout_answers_as_a_job() {
        let c = ctx().await;
        let agents = (0..FORCE_LOGOUT_SYNC_MAX)
            .map(|i| {
                let mut a = Agent::new(format!("{}", 5000 + i), format!("Agent {i}"), 0);
                a.team_ids = vec!["11".into()];
                a
            })
            .collect();
        exec(
            &c,
            Op::CreateAgents {
                agents,
                extensions: vec![],
            },
        )
        .await;
        let r = c.send(Method::POST, LOGOUT, br#"{"team_ids":[11]}"#).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        assert_eq!(r.body, json!({"id": 1, "status": "finished"}));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn force_logouts_at_once_file_distinct_jobs() {
        let c = &ctx().await;
        let logout = |id: &'static str| async move {
            let body = json!({ "agent_ids": [id] }).to_string();
            c.send(Method::POST, LOGOUT, body).await
        };
        let (a, b, d, e) = tokio::join!(
            logout("1001"),
            logout("1002"),
            logout("1003"),
            logout("1004")
        );
        for r in [a, b, d, e] {
            assert_eq!(r.status, StatusCode::OK);
        }
        let store = c
            .engine
            .record::<ccemu_core::SurfaceSettings>(&demo(), JOBS)
            .await
            .unwrap()
            .expect("the jobs record");
        let mut filed: Vec<(String, String)> = store
            .values
            .iter()
            .map(|(k, v)| (k.clone(), v["agent_ids"][0].as_str().unwrap().to_owned()))
            .collect();
        filed.sort();
        let keys: Vec<&str> = filed.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["1", "2", "3", "4"], "one job each: {filed:?}");
        let mut agents: Vec<&str> = filed.iter().map(|(_, a)| a.as_str()).collect();
        agents.sort_unstable();
        assert_eq!(agents, ["1001", "1002", "1003", "1004"]);
    }

    #[tokio::test]
    async fn only_the_newest_jobs_are_kept() {
        let c = ctx().await;
        for _ in 0..MAX_JOBS + 2 {
            let r = c
                .send(Method::POST, LOGOUT, br#"{"agent_ids":[1001]}"#)
                .await;
            assert_eq!(r.status, StatusCode::OK);
        }
        let r = c.send(Method::GET, &format!("{LOGOUT}/2"), b"").await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "the two oldest are forgotten"
        );
        let r = c.send(Method::GET, &format!("{LOGOUT}/3"), b"").await;
        assert_eq!(r.body, json!({"id": 3, "status": "finished"}));
        let newest = format!("{LOGOUT}/{}", MAX_JOBS + 2);
        let r = c.send(Method::GET, &newest, b"").await;
        assert_eq!(r.status, StatusCode::OK);
    }
}
