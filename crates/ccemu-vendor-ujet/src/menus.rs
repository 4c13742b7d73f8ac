//! Menus (`vendor-notes/ujet.md` §4 menus, §3.2 wait times, queue status and queue operation
//! statuses). A UJET menu is one of the tenant's queues: the same one the ACD routes through;
//! its tree follows the queue's `parent_id`, its `menu_type` is the queue's vendor field
//! (`ivr_menu` by default), its agent assignments the queue's members.
//!
//! Every figure is computed from the live queues when asked: who waits (the ACD's waiting
//! list), which member agents are logged in and available, and the tenant's simulated talk
//! time. The estimated wait is [inferred]: nothing waits longer than zero while an agent is
//! free; otherwise each contact ahead (plus the caller) takes one talk time, shared by the
//! logged-in members, `ceil((waiting − available + 1) × talk_time / max(logged_in, 1))` seconds.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use ccemu_core::{Channel, Interaction, InteractionState, Queue};
use ccemu_engine::{Engine, ServiceLevel};
use serde_json::{json, Value};

use crate::agents::{num, person, tree, Directory};
use crate::auth::Authed;
use crate::dto::{self, Params};
use crate::error::{Api, UjetError};
use crate::paging;

/// UJET's two channel kinds of a menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Voice (`voice_call` in wait times, `call` in queue status).
    Call,
    /// Chat and messaging.
    Chat,
}

impl Kind {
    fn of(channel: Channel) -> Option<Self> {
        match channel {
            Channel::Voice => Some(Self::Call),
            Channel::Chat | Channel::Messaging | Channel::Conversation => Some(Self::Chat),
            Channel::Errand => None,
        }
    }

    /// The wait-times and agent-assignment name.
    fn wait_name(self) -> &'static str {
        match self {
            Self::Call => "voice_call",
            Self::Chat => "chat",
        }
    }

    /// The name in queue status and operation statuses (`call`|`chat`), either accepted.
    fn parse(text: &str) -> Option<Self> {
        match text {
            "call" | "voice_call" | "voice" => Some(Self::Call),
            "chat" => Some(Self::Chat),
            _ => None,
        }
    }
}

/// The tenant's queues with what is live in them.
pub(crate) struct Live {
    queues: Vec<Queue>,
    dir: Directory,
    /// The tenant's interactions that have not ended (the engine's working set).
    open: Vec<Interaction>,
    /// Interactions waiting in each queue, in routing order.
    waiting: BTreeMap<String, Vec<String>>,
    talk_ms: i64,
    now_ms: i64,
}

/// Figures of one menu and channel.
struct Stats {
    waiting: usize,
    logged_in: usize,
    available: usize,
    longest_wait_secs: i64,
    ewt_secs: i64,
}

impl Live {
    async fn load(engine: &Engine, auth: &Authed) -> Result<Self, UjetError> {
        let tenant = &auth.tenant.id;
        let err = |e| UjetError::from_engine(auth.api, e);
        let mut queues = engine.queues(tenant, None).await.map_err(err)?;
        queues.sort_by(|a, b| (a.position, &a.id).cmp(&(b.position, &b.id)));
        let mut waiting = BTreeMap::new();
        for q in &queues {
            waiting.insert(
                q.id.clone(),
                engine.waiting(tenant, &q.id).await.map_err(err)?,
            );
        }
        Ok(Self {
            dir: Directory::load(engine, auth).await?,
            open: engine.open_interactions(tenant).await.map_err(err)?,
            talk_ms: engine
                .sim_settings(tenant)
                .await
                .map_err(err)?
                .talk_time
                .mean_ms,
            now_ms: engine.clock(tenant).await.map_err(err)?.now_ms,
            queues,
            waiting,
        })
    }

    fn queue(&self, api: Api, id: &str) -> Result<&Queue, UjetError> {
        self.queues
            .iter()
            .find(|q| q.id == id)
            .ok_or(UjetError::NotFound(api))
    }

    fn interaction(&self, id: &str) -> Option<&Interaction> {
        self.open.iter().find(|i| i.id == id)
    }

    /// The channel kinds a menu serves (every kind when the queue names none).
    fn kinds(queue: &Queue) -> Vec<Kind> {
        if queue.channels.is_empty() {
            return vec![Kind::Call, Kind::Chat];
        }
        let mut kinds: Vec<Kind> = queue.channels.iter().filter_map(|c| Kind::of(*c)).collect();
        kinds.dedup();
        if kinds == [Kind::Chat, Kind::Call] {
            kinds.reverse();
        }
        kinds
    }

    /// Live figures of a menu, for one channel kind or all.
    fn stats(&self, queue: &Queue, kind: Option<Kind>) -> Stats {
        let serves = |a: &ccemu_core::Agent| match kind {
            Some(Kind::Call) => a.capacity.voice > 0,
            Some(Kind::Chat) => a.capacity.chat > 0,
            None => true,
        };
        let members: Vec<&ccemu_core::Agent> = self
            .dir
            .agents
            .iter()
            .map(|v| &v.agent)
            .filter(|a| queue.member(&a.id).is_some() && serves(a))
            .collect();
        let logged_in = members.iter().filter(|a| a.state.is_logged_in()).count();
        let available = members.iter().filter(|a| a.state.is_routable()).count();
        let waiting: Vec<&Interaction> = self
            .waiting
            .get(&queue.id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.interaction(id))
            .filter(|i| kind.is_none() || Kind::of(i.channel) == kind)
            .collect();
        let longest_wait_secs = waiting
            .iter()
            .filter_map(|i| i.queued_at_ms)
            .map(|t| (self.now_ms - t).max(0) / 1000)
            .max()
            .unwrap_or(0);
        let ahead = i64::try_from(waiting.len().saturating_sub(available)).unwrap_or(i64::MAX);
        let ewt_secs = if waiting.len() < available {
            0
        } else {
            let share = i64::try_from(logged_in.max(1)).unwrap_or(1);
            ((ahead + 1).saturating_mul(self.talk_ms) / share + 999) / 1000
        };
        Stats {
            waiting: waiting.len(),
            logged_in,
            available,
            longest_wait_secs,
            ewt_secs,
        }
    }

    /// Names from the root down to the menu, joined with ` / ` [inferred].
    fn path(&self, queue: &Queue) -> String {
        let mut names = vec![queue.name.clone()];
        let mut cursor = queue.parent_id.as_deref();
        while let Some(parent) = cursor.and_then(|p| self.queues.iter().find(|q| q.id == p)) {
            if names.len() > self.queues.len() {
                break;
            }
            names.push(parent.name.clone());
            cursor = parent.parent_id.as_deref();
        }
        names.reverse();
        names.join(" / ")
    }

    /// The menu and every menu below it.
    fn subtree<'a>(&'a self, root: &'a Queue) -> Vec<&'a Queue> {
        let mut out = vec![root];
        let mut i = 0;
        while i < out.len() && out.len() <= self.queues.len() {
            let id = out[i].id.clone();
            out.extend(
                self.queues
                    .iter()
                    .filter(|q| q.parent_id.as_deref() == Some(id.as_str())),
            );
            i += 1;
        }
        out
    }

    /// The root menu above a menu (its queue group).
    fn root<'a>(&'a self, queue: &'a Queue) -> &'a Queue {
        let mut current = queue;
        for _ in 0..self.queues.len() {
            match current
                .parent_id
                .as_deref()
                .and_then(|p| self.queues.iter().find(|q| q.id == p))
            {
                Some(parent) => current = parent,
                None => break,
            }
        }
        current
    }

    /// Manager menu object (§5 Menu).
    fn menu_json(&self, queue: &Queue) -> Value {
        let mut assignments = Vec::new();
        for member in &queue.members {
            let Some(agent) = self
                .dir
                .agents
                .iter()
                .find(|v| v.agent.id == member.agent_id)
            else {
                continue;
            };
            for kind in Self::kinds(queue) {
                assignments.push(json!({
                    "lang": "en",
                    "queue_level": if member.tier == 0 { "primary" } else { "secondary" },
                    "channel_type": kind.wait_name(),
                    "assignee": person(&agent.agent),
                }));
            }
        }
        json!({
            "id": num(&queue.id),
            "name": queue.name,
            "parent_id": queue.parent_id.as_deref().map(num),
            "position": queue.position,
            "deleted": false,
            "hidden": flag(queue, "hidden"),
            "menu_type": menu_type(queue),
            "output_msg": queue.extra.get("output_msg").cloned().unwrap_or(Value::Null),
            "agent_assignments": assignments,
            "team_assignments": [],
        })
    }
}

/// A menu's `menu_type`: the queue's vendor field, `ivr_menu` by default.
fn menu_type(queue: &Queue) -> &str {
    queue
        .extra
        .get("menu_type")
        .and_then(Value::as_str)
        .unwrap_or("ivr_menu")
}

/// A boolean vendor field of a queue, false when absent.
fn flag(queue: &Queue, key: &str) -> bool {
    queue
        .extra
        .get(key)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

async fn live(engine: &Engine, auth: &Authed) -> Result<Live, Response> {
    Live::load(engine, auth)
        .await
        .map_err(|e| dto::fail(auth, e))
}

/// `GET /menus` and `/menu` (Manager, §4): every menu, filtered, sorted and paged.
pub async fn list_menus(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    match live(&engine, &auth).await {
        Ok(live) => {
            let rows = live.queues.iter().map(|q| live.menu_json(q)).collect();
            paging::list(&auth, &Params::parse(query.as_deref()), rows)
        }
        Err(response) => response,
    }
}

/// `GET /menus/{id}` and `/menu/{id}` (Manager, §4): one menu.
pub async fn get_menu(
    State(engine): State<Engine>,
    auth: Authed,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let live = Live::load(&engine, &auth).await?;
        Ok(live.menu_json(live.queue(auth.api, &id)?))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `GET /menus/tree` and `/menu/tree` (Manager, §4): root menus with nested `children`.
pub async fn get_menu_tree(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let live = match live(&engine, &auth).await {
        Ok(live) => live,
        Err(response) => return response,
    };
    let node = |q: &Queue| {
        json!({
            "id": num(&q.id),
            "name": q.name,
            "parent_id": q.parent_id.as_deref().map(num),
            "position": q.position,
            "deleted": false,
            "agents_count": q.members.len(),
        })
    };
    let rows = tree(
        &live.queues,
        |q| q.id.as_str(),
        |q| q.parent_id.as_deref(),
        &node,
    );
    paging::list(&auth, &Params::parse(query.as_deref()), rows)
}

/// `GET /menus/current_status` (Manager, §4; shape [inferred]): live figures of every menu.
pub async fn get_menus_current_status(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let live = match live(&engine, &auth).await {
        Ok(live) => live,
        Err(response) => return response,
    };
    let rows = live
        .queues
        .iter()
        .map(|q| {
            let s = live.stats(q, None);
            json!({
                "id": num(&q.id),
                "menu_id": num(&q.id),
                "name": q.name,
                "menu_type": menu_type(q),
                "materialized_path": live.path(q),
                "queued_count": s.waiting,
                "longest_wait_time": s.longest_wait_secs,
                "current_queue_ewt": s.ewt_secs,
                "logged_in_agents": s.logged_in,
                "available_agents": s.available,
            })
        })
        .collect();
    paging::list(&auth, &Params::parse(query.as_deref()), rows)
}

/// Default service-level threshold in seconds, when the queue sets none [inferred].
const SLA_THRESHOLD_SECS: i64 = 20;

/// Service-level sums over a set of menus' contacts.
#[derive(Default)]
struct Sla {
    offered: u64,
    answered: u64,
    answered_in_sla: u64,
    abandoned: u64,
}

impl Sla {
    fn add(&mut self, level: &ServiceLevel) {
        self.offered += level.offered;
        self.answered += level.answered;
        self.answered_in_sla += level.answered_within;
        self.abandoned += level.abandoned;
    }

    fn json(&self, mut row: Value, threshold_secs: i64) -> Value {
        #[allow(clippy::cast_precision_loss)]
        let percent = (self.offered > 0)
            .then(|| (self.answered_in_sla as f64 * 1000.0 / self.offered as f64).round() / 10.0);
        row["sla_threshold"] = json!(threshold_secs);
        row["offered_count"] = json!(self.offered);
        row["answered_count"] = json!(self.answered);
        row["answered_in_sla_count"] = json!(self.answered_in_sla);
        row["abandoned_count"] = json!(self.abandoned);
        row["sla_percentage"] = json!(percent);
        row
    }
}

fn threshold(queue: &Queue) -> i64 {
    queue
        .extra
        .get("sla_threshold")
        .and_then(Value::as_i64)
        .unwrap_or(SLA_THRESHOLD_SECS)
}

/// The service level of each `(menu, threshold)` over its contacts so far, counted by the
/// store.
async fn levels(
    engine: &Engine,
    auth: &Authed,
    menus: &[(&Queue, i64)],
) -> Result<Vec<ServiceLevel>, UjetError> {
    let asked: Vec<(String, i64)> = menus
        .iter()
        .map(|(q, secs)| (q.id.clone(), secs.saturating_mul(1000)))
        .collect();
    engine
        .service_levels(&auth.tenant.id, &asked)
        .await
        .map_err(|e| UjetError::from_engine(auth.api, e))
}

/// `GET /menus/sla` (Manager, §4; shape [inferred]): each menu's service level over its
/// contacts so far: offered, answered, answered within the threshold, abandoned, percentage.
pub async fn get_menus_sla(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let live = match live(&engine, &auth).await {
        Ok(live) => live,
        Err(response) => return response,
    };
    let menus: Vec<(&Queue, i64)> = live.queues.iter().map(|q| (q, threshold(q))).collect();
    let levels = match levels(&engine, &auth, &menus).await {
        Ok(levels) => levels,
        Err(e) => return dto::fail(&auth, e),
    };
    let rows = menus
        .iter()
        .zip(&levels)
        .map(|((q, secs), level)| {
            let mut sla = Sla::default();
            sla.add(level);
            let row = json!({
                "id": num(&q.id),
                "menu_id": num(&q.id),
                "name": q.name,
                "materialized_path": live.path(q),
            });
            sla.json(row, *secs)
        })
        .collect();
    paging::list(&auth, &Params::parse(query.as_deref()), rows)
}

/// `GET /menus/sla_by_queue_group` (Manager, §4; shape [inferred]): service level summed over
/// each root menu and everything below it.
pub async fn get_menus_sla_by_queue_group(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let live = match live(&engine, &auth).await {
        Ok(live) => live,
        Err(response) => return response,
    };
    let roots: Vec<&Queue> = live
        .queues
        .iter()
        .filter(|q| std::ptr::eq(live.root(q), *q))
        .collect();
    // Every menu below a root counts against the root's threshold.
    let menus: Vec<(usize, (&Queue, i64))> = roots
        .iter()
        .enumerate()
        .flat_map(|(n, root)| {
            let secs = threshold(root);
            live.subtree(root).into_iter().map(move |q| (n, (q, secs)))
        })
        .collect();
    let asked: Vec<(&Queue, i64)> = menus.iter().map(|(_, m)| *m).collect();
    let levels = match levels(&engine, &auth, &asked).await {
        Ok(levels) => levels,
        Err(e) => return dto::fail(&auth, e),
    };
    let rows = roots
        .iter()
        .enumerate()
        .map(|(n, root)| {
            let mut sla = Sla::default();
            for ((_, _), level) in menus.iter().zip(&levels).filter(|((r, _), _)| *r == n) {
                sla.add(level);
            }
            let row = json!({
                "id": num(&root.id),
                "queue_group_id": num(&root.id),
                "name": root.name,
            });
            sla.json(row, threshold(root))
        })
        .collect();
    paging::list(&auth, &Params::parse(query.as_deref()), rows)
}

/// `GET /menus/operation_hours` (Manager, §4; shape [inferred]): queues keep no schedule, so
/// each menu is open around the clock unless its `after_hours` vendor field says otherwise.
pub async fn get_menus_operation_hours(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let live = match live(&engine, &auth).await {
        Ok(live) => live,
        Err(response) => return response,
    };
    let rows = live
        .queues
        .iter()
        .map(|q| {
            json!({
                "id": num(&q.id),
                "menu_id": num(&q.id),
                "name": q.name,
                "time_zone": "UTC",
                "always_open": !flag(q, "after_hours"),
                "after_hour": flag(q, "after_hours"),
                "operation_hours": [],
            })
        })
        .collect();
    paging::list(&auth, &Params::parse(query.as_deref()), rows)
}

fn bad(message: impl Into<String>) -> UjetError {
    UjetError::BadRequest(Api::Apps, message.into())
}

fn require<'a>(params: &'a Params, name: &str) -> Result<&'a str, UjetError> {
    params.get(name).ok_or_else(|| bad(dto::missing(name)))
}

/// A `menu_id` parameter: digits, else UJET's `menu_id is not well formed`.
fn menu_id(text: &str) -> Result<&str, UjetError> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text)
    } else {
        Err(bad("menu_id is not well formed"))
    }
}

const MENU_TYPES: &[&str] = &["ivr_menu", "mobile_menu", "web_menu"];

fn check_menu_type(text: &str) -> Result<&str, UjetError> {
    if MENU_TYPES.contains(&text) {
        Ok(text)
    } else {
        Err(bad(format!("menu_type {text} is not valid")))
    }
}

/// `GET /wait_times` (Apps, §3.2): per menu, the estimated wait in seconds for each channel it
/// serves, and its logged-in and available member agents.
pub async fn get_wait_times(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let result = async {
        let params = Params::parse(query.as_deref());
        require(&params, "lang")?;
        let only_type = params.get("menu_type").map(check_menu_type).transpose()?;
        let only_kind = match params.get("channel_type") {
            None => None,
            Some("voice_call") => Some(Kind::Call),
            Some("chat") => Some(Kind::Chat),
            Some(other) => return Err(bad(format!("channel_type {other} is not valid"))),
        };
        let bound = |side: &str| -> Result<Option<i64>, UjetError> {
            let key = format!("wait[{side}]");
            params
                .get(&key)
                .map(|t| {
                    t.parse::<i64>()
                        .map_err(|_| bad(format!("{key} is not valid")))
                })
                .transpose()
        };
        let (from, to) = (bound("from")?, bound("to")?);
        let live = Live::load(&engine, &auth).await?;
        let menus: Vec<&Queue> = match params.get("menu_id") {
            Some(id) => live.subtree(live.queue(auth.api, menu_id(id)?)?),
            None => live.queues.iter().collect(),
        };
        let mut rows = Vec::new();
        for q in menus {
            if only_type.is_some_and(|t| t != menu_type(q)) {
                continue;
            }
            let all = live.stats(q, None);
            let mut row = json!({
                "menu_id": num(&q.id),
                "menu_type": menu_type(q),
                "materialized_path": live.path(q),
                "logged_in_agents": all.logged_in,
                "available_agents": all.available,
                "breakthrough_agents": 0,
            });
            let mut any = false;
            for kind in Live::kinds(q) {
                if only_kind.is_some_and(|k| k != kind) {
                    continue;
                }
                let wait = live.stats(q, Some(kind)).ewt_secs;
                if from.is_some_and(|f| wait < f) || to.is_some_and(|t| wait > t) {
                    continue;
                }
                row[kind.wait_name()] = json!(wait);
                any = true;
            }
            if any {
                rows.push(row);
            }
        }
        Ok(Value::Array(rows))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// Most hours of callback periods a status request may ask for (§3.2).
const MAX_CALLBACK_HOURS: i64 = 8;
/// Length of one callback period [inferred from the doc's 17:30–17:45 sample].
const PERIOD_MS: i64 = 15 * 60 * 1000;

/// `GET /queues/status` (Apps, §3.2): per menu, the live queue and callback estimates and the
/// callback periods ahead with the calls scheduled in each.
pub async fn get_queue_status(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let result = async {
        let params = Params::parse(query.as_deref());
        let lang = require(&params, "lang")?.to_owned();
        let ids = params.all("menu_id");
        if ids.is_empty() {
            return Err(bad(dto::missing("menu_id")));
        }
        // The seed doc's variant sends `channel_type` instead of `menu_type`; accept either.
        let kind = match params.get("channel_type") {
            None => Kind::Call,
            Some(text) => Kind::parse(text)
                .ok_or_else(|| bad(format!("channel_type {text} is not valid")))?,
        };
        let only_type = match params.get("menu_type") {
            Some(t) => Some(check_menu_type(t)?),
            None if params.get("channel_type").is_some() => None,
            None => return Err(bad(dto::missing("menu_type"))),
        };
        let hours = match params.get("callback_period_hours") {
            None => 4,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|h| (1..=MAX_CALLBACK_HOURS).contains(h))
                .ok_or_else(|| {
                    bad(format!(
                        "callback_period_hours must be between 1 and {MAX_CALLBACK_HOURS}"
                    ))
                })?,
        };
        let start = params
            .get("callback_start_from")
            .map(|t| {
                ccemu_core::clock::parse_rfc3339(t)
                    .ok_or_else(|| bad("callback_start_from is not well formed"))
            })
            .transpose()?;
        let live = Live::load(&engine, &auth).await?;
        // Periods start on a quarter hour: the one now falls in, or the one asked for.
        let first = start.unwrap_or(live.now_ms).div_euclid(PERIOD_MS) * PERIOD_MS;
        let mut queues = Vec::new();
        for id in ids {
            let q = live.queue(auth.api, menu_id(id)?)?;
            if only_type.is_some_and(|t| t != menu_type(q)) {
                continue;
            }
            let s = live.stats(q, Some(kind));
            let scheduled: Vec<i64> = live
                .open
                .iter()
                .filter(|i| {
                    i.queue_id.as_deref() == Some(q.id.as_str())
                        && i.state == InteractionState::Scheduled
                })
                .filter_map(|i| i.scheduled_at_ms)
                .collect();
            let share = i64::try_from(s.logged_in.max(1)).unwrap_or(1);
            let backlog = i64::try_from(scheduled.len()).unwrap_or(i64::MAX);
            let callback_ewt = if backlog == 0 {
                0
            } else {
                (backlog.saturating_mul(live.talk_ms) / share + 999) / 1000
            };
            let periods: Vec<Value> = (0..hours * 4)
                .map(|n| {
                    let from = first + n * PERIOD_MS;
                    let (a, b) = (dto::time(from), dto::time(from + PERIOD_MS));
                    json!({
                        "date": a[..10].replace('-', ""),
                        "start_time": &a[11..16],
                        "end_time": &b[11..16],
                        "scheduled_calls": scheduled.iter().filter(|t| **t >= from && **t < from + PERIOD_MS).count(),
                        "max_slots": q.members.len().max(1),
                    })
                })
                .collect();
            queues.push(json!({
                "menu_id": num(&q.id),
                "menu_type": menu_type(q),
                "lang": lang,
                "materialized_path": live.path(q),
                "current_queue_ewt": s.ewt_secs,
                "scheduled_callback_ewt": callback_ewt,
                "logged_in_agents": s.logged_in,
                "available_agents": s.available,
                "breakthrough_agents": 0,
                "callback_periods": periods,
            }));
        }
        Ok(json!({"queues": queues}))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

/// `GET /queue_operation_statuses` (Apps, §3.2): whether a menu is after hours (its
/// `after_hours` vendor field) and over capacity: as many waiting as the queue holds, or
/// contacts waiting with no member logged in to serve the channel [inferred].
pub async fn get_queue_operation_status(
    State(engine): State<Engine>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Response {
    let result = async {
        let params = Params::parse(query.as_deref());
        let id = menu_id(require(&params, "menu_id")?)?;
        let lang = require(&params, "lang")?.to_owned();
        let text = require(&params, "channel_type")?;
        let kind = match text {
            "call" => Kind::Call,
            "chat" => Kind::Chat,
            other => return Err(bad(format!("channel_type {other} is not valid"))),
        };
        let live = Live::load(&engine, &auth).await?;
        let q = live.queue(auth.api, id)?;
        let s = live.stats(q, Some(kind));
        let full = s.waiting >= usize::try_from(q.max_length).unwrap_or(usize::MAX);
        Ok(json!({
            "menu_id": num(&q.id),
            "lang": lang,
            "channel_type": text,
            "after_hour": flag(q, "after_hours"),
            "overcapacity": full || (s.waiting > 0 && s.logged_in == 0),
        }))
    }
    .await;
    dto::reply(&auth, StatusCode::OK, result)
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use ccemu_core::clock::ClockMode;
    use ccemu_core::AgentState;
    use ccemu_engine::{Op, QueueLimits};
    use serde_json::json;

    use super::*;
    use crate::routes::tests::*;

    /// A demo context on a frozen clock, so simulated agents do nothing by themselves.
    async fn frozen() -> Ctx {
        let c = ctx().await;
        c.engine
            .set_clock(&demo(), ClockMode::Manual, None)
            .await
            .unwrap();
        c
    }

    async fn call(c: &Ctx, queue: &str) {
        c.engine
            .execute(
                &demo(),
                Op::StartInbound {
                    channel: Channel::Voice,
                    queue_id: queue.into(),
                    from: "+15550001".into(),
                    to: "+14155550100".into(),
                    priority: 0,
                },
            )
            .await
            .unwrap();
    }

    async fn add_child(c: &Ctx, id: &str, parent: &str) {
        let mut queue = Queue::new(id, format!("Child {id}"), 0);
        queue.parent_id = Some(parent.into());
        queue.channels = vec![Channel::Chat];
        queue.extra.insert("menu_type".into(), json!("web_menu"));
        c.engine
            .execute(
                &demo(),
                Op::CreateQueue {
                    queue: Box::new(queue),
                    limits: QueueLimits {
                        max_length: 512,
                        max_queues: 100,
                    },
                },
            )
            .await
            .unwrap();
    }

    /// Seconds of `n` talk times shared by `agents`, rounded up, as the estimate computes them.
    async fn talk(c: &Ctx, n: i64, agents: i64) -> i64 {
        let ms = c
            .engine
            .sim_settings(&demo())
            .await
            .unwrap()
            .talk_time
            .mean_ms;
        (n * ms / agents + 999) / 1000
    }

    #[tokio::test]
    async fn menus_are_the_queues_with_member_assignments() {
        let c = ctx().await;
        for path in [
            "/manager/api/v1/menus?page=1&per=100",
            "/manager/api/v1/menu",
        ] {
            let r = c.send(Method::GET, path, b"").await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            assert_eq!(r.headers["total"], "2");
            let sales = &r.body[0];
            assert_eq!(sales["id"], json!(9001));
            assert_eq!(sales["name"], "Sales");
            assert_eq!(sales["parent_id"], Value::Null);
            assert_eq!(sales["position"], 0);
            assert_eq!(sales["deleted"], false);
            assert_eq!(sales["hidden"], false);
            assert_eq!(sales["menu_type"], "ivr_menu");
            assert_eq!(sales["output_msg"], Value::Null);
            assert_eq!(sales["team_assignments"], json!([]));
            let assignments = sales["agent_assignments"].as_array().unwrap();
            assert_eq!(assignments.len(), 4);
            assert_eq!(
                assignments[0],
                json!({"lang": "en", "queue_level": "primary", "channel_type": "voice_call",
                       "assignee": {"id": 1001, "name": "Alice Chen", "last_name": "Chen",
                                    "first_name": "Alice", "agent_number": "1001", "avatar_url": null}})
            );
            assert_eq!(assignments[1]["channel_type"], "chat");
        }
        let r = c.send(Method::GET, "/manager/api/v1/menus/9002", b"").await;
        let levels: Vec<_> = r.body["agent_assignments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["channel_type"] == "voice_call")
            .map(|a| (a["assignee"]["id"].clone(), a["queue_level"].clone()))
            .collect();
        assert_eq!(
            levels,
            [
                (json!(1003), json!("primary")),
                (json!(1004), json!("primary")),
                (json!(1001), json!("secondary"))
            ]
        );
        for path in ["/manager/api/v1/menus/77", "/manager/api/v1/menu/77"] {
            let r = c.send(Method::GET, path, b"").await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
            assert_eq!(r.body, manager("Not Found", "Resource not found", 404));
        }
    }

    #[tokio::test]
    async fn menu_tree_nests_children_and_paths_follow_it() {
        let c = frozen().await;
        add_child(&c, "9003", "9002").await;
        for path in ["/manager/api/v1/menus/tree", "/manager/api/v1/menu/tree"] {
            let r = c.send(Method::GET, path, b"").await;
            assert_eq!(r.headers["total"], "2");
            assert_eq!(
                r.body[1],
                json!({"id": 9002, "name": "Support", "parent_id": null, "position": 0, "deleted": false,
                       "agents_count": 3, "children": [
                           {"id": 9003, "name": "Child 9003", "parent_id": 9002, "position": 0,
                            "deleted": false, "agents_count": 0, "children": []}]})
            );
        }
        let r = c
            .send(
                Method::GET,
                "/apps/api/v1/wait_times?lang=en&menu_id=9002",
                b"",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let rows = r.body.as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["materialized_path"], "Support / Child 9003");
        assert_eq!(rows[1]["menu_type"], "web_menu");
        // A chat-only menu has no voice figure.
        assert!(rows[1].get("voice_call").is_none());
        assert!(rows[1]["chat"].is_i64());
        let r = c
            .send(
                Method::GET,
                "/apps/api/v1/wait_times?lang=en&menu_type=web_menu",
                b"",
            )
            .await;
        assert_eq!(r.body.as_array().unwrap().len(), 1);
        let r = c
            .send(Method::GET, "/manager/api/v1/menus?parent_id[]=9002", b"")
            .await;
        assert_eq!(r.body[0]["id"], json!(9003));
    }

    #[tokio::test]
    async fn wait_times_follow_agents_and_waiting_calls() {
        let c = frozen().await;
        let get = || c.send(Method::GET, "/apps/api/v1/wait_times?lang=en", b"");
        let r = get().await;
        assert_eq!(r.status, StatusCode::OK);
        let support = &r.body[1];
        assert_eq!(support["menu_id"], json!(9002));
        assert_eq!(support["menu_type"], "ivr_menu");
        assert_eq!(support["materialized_path"], "Support");
        assert_eq!(support["logged_in_agents"], 0);
        assert_eq!(support["available_agents"], 0);
        assert_eq!(support["breakthrough_agents"], 0);
        assert_eq!(support["voice_call"], talk(&c, 1, 1).await);
        c.set_state("1003", AgentState::Available).await;
        let support = get().await.body[1].clone();
        assert_eq!(support["logged_in_agents"], 1);
        assert_eq!(support["available_agents"], 1);
        assert_eq!(support["voice_call"], 0);
        call(&c, "9002").await; // goes to Carol
        call(&c, "9002").await; // waits
        let support = get().await.body[1].clone();
        assert_eq!(support["available_agents"], 0);
        assert_eq!(support["logged_in_agents"], 1);
        assert_eq!(support["voice_call"], talk(&c, 2, 1).await);
        // Chats wait apart from calls.
        assert_eq!(support["chat"], talk(&c, 1, 1).await);
        c.set_state("1004", AgentState::NotReady { reason: None })
            .await;
        let support = get().await.body[1].clone();
        assert_eq!(support["logged_in_agents"], 2);
        assert_eq!(support["voice_call"], talk(&c, 2, 2).await);
        let r = c
            .send(
                Method::GET,
                "/apps/api/v1/wait_times?lang=en&wait[to]=0",
                b"",
            )
            .await;
        assert_eq!(r.body, json!([]));
        // Logging out takes the agent out of the counts and the estimate grows back.
        c.set_state("1004", AgentState::LoggedOut).await;
        let support = get().await.body[1].clone();
        assert_eq!(support["logged_in_agents"], 1);
        assert_eq!(support["voice_call"], talk(&c, 2, 1).await);
        c.set_state("1004", AgentState::NotReady { reason: None })
            .await;
        let r = c
            .send(
                Method::GET,
                "/apps/api/v1/wait_times?lang=en&channel_type=voice_call&menu_id=9002",
                b"",
            )
            .await;
        assert!(r.body[0].get("chat").is_none());
        let r = c
            .send(Method::GET, "/manager/api/v1/menus/current_status", b"")
            .await;
        assert_eq!(r.body[1]["queued_count"], 1);
        assert_eq!(r.body[1]["logged_in_agents"], 2);
        assert_eq!(r.body[1]["current_queue_ewt"], talk(&c, 2, 2).await);
        let r = c.send(Method::GET, "/manager/api/v1/menu/sla", b"").await;
        assert_eq!(r.body[1]["offered_count"], 2);
        assert_eq!(r.body[1]["answered_count"], 0);
        assert_eq!(r.body[1]["sla_percentage"], 0.0);
        assert_eq!(r.body[0]["sla_percentage"], Value::Null);
        let r = c
            .send(Method::GET, "/manager/api/v1/menus/sla_by_queue_group", b"")
            .await;
        assert_eq!(r.body[1]["queue_group_id"], json!(9002));
        assert_eq!(r.body[1]["offered_count"], 2);
        let r = c
            .send(Method::GET, "/manager/api/v1/menus/operation_hours", b"")
            .await;
        assert_eq!(r.body[0]["always_open"], true);
        assert_eq!(r.body[0]["after_hour"], false);
    }

    #[tokio::test]
    async fn queue_status_and_operation_status_are_live() {
        let c = frozen().await;
        let status = "/apps/api/v1/queues/status?lang=en&menu_id[]=9001&menu_type=ivr_menu";
        let r = c.send(Method::GET, status, b"").await;
        assert_eq!(r.status, StatusCode::OK);
        let q = &r.body["queues"][0];
        assert_eq!(q["menu_id"], json!(9001));
        assert_eq!(q["menu_type"], "ivr_menu");
        assert_eq!(q["lang"], "en");
        assert_eq!(q["materialized_path"], "Sales");
        assert_eq!(q["current_queue_ewt"], talk(&c, 1, 1).await);
        assert_eq!(q["scheduled_callback_ewt"], 0);
        assert_eq!(q["logged_in_agents"], 0);
        assert_eq!(q["available_agents"], 0);
        assert_eq!(q["breakthrough_agents"], 0);
        assert_eq!(q["callback_periods"].as_array().unwrap().len(), 16);
        let op = "/apps/api/v1/queue_operation_statuses?menu_id=9001&lang=en&channel_type=call";
        let r = c.send(Method::GET, op, b"").await;
        assert_eq!(
            r.body,
            json!({"menu_id": 9001, "lang": "en", "channel_type": "call", "after_hour": false, "overcapacity": false})
        );
        call(&c, "9001").await;
        let r = c.send(Method::GET, op, b"").await;
        assert_eq!(r.body["overcapacity"], true);
        c.set_state("1002", AgentState::NotReady { reason: None })
            .await;
        let r = c.send(Method::GET, op, b"").await;
        assert_eq!(r.body["overcapacity"], false);
        let q = c.send(Method::GET, status, b"").await.body["queues"][0].clone();
        assert_eq!(q["logged_in_agents"], 1);
        assert_eq!(q["current_queue_ewt"], talk(&c, 2, 1).await);
        c.set_state("1001", AgentState::Available).await; // takes the waiting call
        let q = c.send(Method::GET, status, b"").await.body["queues"][0].clone();
        assert_eq!(q["logged_in_agents"], 2);
        assert_eq!(q["current_queue_ewt"], talk(&c, 1, 2).await);
        let r = c
            .send(
                Method::GET,
                "/apps/api/v1/queues/status?lang=en&menu_id=9001&channel_type=chat&callback_period_hours=1&callback_start_from=2030-01-01T17:35:00Z",
                b"",
            )
            .await;
        assert_eq!(
            r.body["queues"][0]["callback_periods"],
            json!([
                {"date": "20300101", "start_time": "17:30", "end_time": "17:45", "scheduled_calls": 0, "max_slots": 2},
                {"date": "20300101", "start_time": "17:45", "end_time": "18:00", "scheduled_calls": 0, "max_slots": 2},
                {"date": "20300101", "start_time": "18:00", "end_time": "18:15", "scheduled_calls": 0, "max_slots": 2},
                {"date": "20300101", "start_time": "18:15", "end_time": "18:30", "scheduled_calls": 0, "max_slots": 2}
            ])
        );
    }

    #[tokio::test]
    async fn apps_menu_reads_refuse_bad_parameters_and_other_tenants_menus() {
        let c = ctx().await;
        for (uri, status, message) in [
            ("/apps/api/v1/wait_times", 400, "param is missing or the value is empty: lang"),
            ("/apps/api/v1/wait_times?lang=en&channel_type=sms", 400, "channel_type sms is not valid"),
            ("/apps/api/v1/wait_times?lang=en&menu_type=phone", 400, "menu_type phone is not valid"),
            ("/apps/api/v1/wait_times?lang=en&menu_id=abc", 400, "menu_id is not well formed"),
            ("/apps/api/v1/wait_times?lang=en&wait[from]=x", 400, "wait[from] is not valid"),
            ("/apps/api/v1/wait_times?lang=en&menu_id=77", 404, "Not Found"),
            ("/apps/api/v1/queues/status?lang=en&menu_type=ivr_menu", 400, "param is missing or the value is empty: menu_id"),
            ("/apps/api/v1/queues/status?lang=en&menu_id[]=9001", 400, "param is missing or the value is empty: menu_type"),
            ("/apps/api/v1/queues/status?menu_id[]=9001&menu_type=ivr_menu", 400, "param is missing or the value is empty: lang"),
            ("/apps/api/v1/queues/status?lang=en&menu_id[]=9001&menu_type=ivr_menu&callback_period_hours=9", 400, "callback_period_hours must be between 1 and 8"),
            ("/apps/api/v1/queues/status?lang=en&menu_id[]=9001&menu_type=ivr_menu&callback_start_from=soon", 400, "callback_start_from is not well formed"),
            ("/apps/api/v1/queues/status?lang=en&menu_id[]=77&menu_type=ivr_menu", 404, "Not Found"),
            ("/apps/api/v1/queue_operation_statuses?lang=en&channel_type=call", 400, "param is missing or the value is empty: menu_id"),
            ("/apps/api/v1/queue_operation_statuses?menu_id=9001&channel_type=call", 400, "param is missing or the value is empty: lang"),
            ("/apps/api/v1/queue_operation_statuses?menu_id=9001&lang=en", 400, "param is missing or the value is empty: channel_type"),
            ("/apps/api/v1/queue_operation_statuses?menu_id=9001&lang=en&channel_type=voice", 400, "channel_type voice is not valid"),
            ("/apps/api/v1/queue_operation_statuses?menu_id=x1&lang=en&channel_type=call", 400, "menu_id is not well formed"),
            ("/apps/api/v1/queue_operation_statuses?menu_id=77&lang=en&channel_type=call", 404, "Not Found"),
        ] {
            let r = c.send(Method::GET, uri, b"").await;
            assert_eq!(r.status.as_u16(), status, "{uri}");
            assert_eq!(r.body, apps(message), "{uri}");
        }
        let other = c.engine.create_tenant(Some("other".into())).await.unwrap();
        let o = &other.credentials.ujet;
        let auth = basic(&o.subdomain, &o.api_token);
        for uri in [
            "/apps/api/v1/wait_times?lang=en&menu_id=9001",
            "/apps/api/v1/queue_operation_statuses?menu_id=9001&lang=en&channel_type=call",
            "/apps/api/v1/queues/status?lang=en&menu_id[]=9001&menu_type=ivr_menu",
        ] {
            let r = c.send_as(Some(&auth), Method::GET, uri, b"").await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(r.body, apps("Not Found"), "{uri}");
        }
        let r = c
            .send_as(Some(&auth), Method::GET, "/manager/api/v1/menus/9001", b"")
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = c
            .send_as(Some(&auth), Method::GET, "/manager/api/v1/menus", b"")
            .await;
        assert_eq!(r.body, json!([]));
    }
}
