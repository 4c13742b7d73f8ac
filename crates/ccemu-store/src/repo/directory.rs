//! The typed tables of the directory: agents (with their skills and team memberships), teams,
//! skills, and queues (with their members and required skills). Small, read whole at start-up
//! into the engine's working set; written as the rows a command changes.

use super::typed::json;
use super::{DbRow, Repo, Tx};
use crate::sql::{
    at, i64_of, name, parse, skill_rows, state_columns, state_from, upsert_sql, Directory,
};
use crate::Result;
use ccemu_core::agent::Capacity;
use ccemu_core::queue::QueueMember;
use ccemu_core::{Agent, Queue, Skill, SkillLevel, Team, TenantId};
use sqlx::types::Json;
use sqlx::Row;

const AGENT_COLUMNS: &[&str] = &[
    "tenant_id",
    "id",
    "work_id",
    "login_name",
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "role",
    "enabled",
    "capacity_voice",
    "capacity_chat",
    "capacity_errand",
    "wrap_up_secs",
    "call_mode",
    "default_caller_number",
    "state",
    "state_reason",
    "state_sub_state",
    "state_until_ms",
    "state_since_ms",
    "state_seq",
    "last_login_ms",
    "created_at_ms",
    "updated_at_ms",
    "logout_after_contact",
    "extra",
];

const QUEUE_COLUMNS: &[&str] = &[
    "tenant_id",
    "id",
    "name",
    "channels",
    "strategy",
    "priority",
    "max_length",
    "timeout_secs",
    "overflow",
    "wrap_up_secs",
    "wait_music",
    "parent_id",
    "position",
    "created_at_ms",
    "updated_at_ms",
    "extra",
];

/// Replaces the rows of one owner in a child table: deletes them, then inserts `rows` (each
/// `(key, a, b)` after the tenant and owner) in one statement.
async fn replace_children(
    tx: &mut Tx<'_>,
    table: &str,
    owner_column: &str,
    columns: [&str; 3],
    t: &str,
    owner: &str,
    rows: &[(String, i64, i64)],
) -> Result<()> {
    sqlx::query(&format!(
        "DELETE FROM {table} WHERE tenant_id = $1 AND {owner_column} = $2"
    ))
    .bind(t)
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..rows.len())
        .map(|r| {
            let n = r * 5;
            format!(
                "(${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO {table} (tenant_id, {owner_column}, {}, {}, {}) VALUES {}",
        columns[0],
        columns[1],
        columns[2],
        values.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for (key, a, b) in rows {
        q = q.bind(t).bind(owner).bind(key.as_str()).bind(*a).bind(*b);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Inserts or replaces an agent's row and, when `whole`, its skills and team memberships.
pub(crate) async fn put_agent(tx: &mut Tx<'_>, t: &str, a: &Agent, whole: bool) -> Result<()> {
    let sql = upsert_sql(super::MARKS, "agents", AGENT_COLUMNS, &["tenant_id", "id"], 1);
    let (state, reason, sub_state, until) = state_columns(&a.state)?;
    sqlx::query(&sql)
        .bind(t)
        .bind(&a.id)
        .bind(&a.work_id)
        .bind(&a.login_name)
        .bind(&a.name)
        .bind(&a.first_name)
        .bind(&a.last_name)
        .bind(&a.email)
        .bind(&a.phone)
        .bind(name(&a.role)?)
        .bind(a.enabled)
        .bind(i64::from(a.capacity.voice))
        .bind(i64::from(a.capacity.chat))
        .bind(i64::from(a.capacity.errand))
        .bind(i64::from(a.wrap_up_secs))
        .bind(name(&a.call_mode)?)
        .bind(a.default_caller_number.as_deref())
        .bind(state)
        .bind(reason)
        .bind(sub_state)
        .bind(until)
        .bind(a.state_since_ms)
        .bind(i64_of(a.state_seq))
        .bind(a.last_login_ms)
        .bind(a.created_at_ms)
        .bind(a.updated_at_ms)
        .bind(a.logout_after_contact)
        .bind(Json(&a.extra))
        .execute(&mut **tx)
        .await?;
    if !whole {
        return Ok(());
    }
    let skills = skill_rows(&a.skills);
    let cols = ["skill_id", "proficiency", "position"];
    replace_children(tx, "agent_skills", "agent_id", cols, t, &a.id, &skills).await?;
    sqlx::query("DELETE FROM team_members WHERE tenant_id = $1 AND agent_id = $2")
        .bind(t)
        .bind(&a.id)
        .execute(&mut **tx)
        .await?;
    for (n, team) in a.team_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO team_members (tenant_id, agent_id, team_id, position) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, agent_id, team_id) DO NOTHING",
        )
        .bind(t)
        .bind(&a.id)
        .bind(team.as_str())
        .bind(n as i64 + 1)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Deletes an agent with its skills and memberships.
pub(crate) async fn delete_agent(tx: &mut Tx<'_>, t: &str, id: &str) -> Result<()> {
    for table in ["agent_skills", "team_members"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE tenant_id = $1 AND agent_id = $2"
        ))
        .bind(t)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    delete_row(tx, "agents", t, id).await
}

/// Inserts or replaces a queue, its members and its required skills.
pub(crate) async fn put_queue(tx: &mut Tx<'_>, t: &str, q: &Queue) -> Result<()> {
    let sql = upsert_sql(super::MARKS, "queues", QUEUE_COLUMNS, &["tenant_id", "id"], 1);
    let overflow = q.overflow.as_ref().map(Json);
    sqlx::query(&sql)
        .bind(t)
        .bind(&q.id)
        .bind(&q.name)
        .bind(Json(&q.channels))
        .bind(q.strategy.name())
        .bind(i64::from(q.priority))
        .bind(i64::from(q.max_length))
        .bind(i64::from(q.timeout_secs))
        .bind(overflow)
        .bind(q.wrap_up_secs.map(i64::from))
        .bind(q.wait_music.as_deref())
        .bind(q.parent_id.as_deref())
        .bind(i64::from(q.position))
        .bind(q.created_at_ms)
        .bind(q.updated_at_ms)
        .bind(Json(&q.extra))
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM queue_members WHERE tenant_id = $1 AND queue_id = $2")
        .bind(t)
        .bind(&q.id)
        .execute(&mut **tx)
        .await?;
    for (n, m) in q.members.iter().enumerate() {
        sqlx::query(
            "INSERT INTO queue_members (tenant_id, queue_id, agent_id, tier, position, ord) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, queue_id, agent_id) DO NOTHING",
        )
        .bind(t)
        .bind(&q.id)
        .bind(&m.agent_id)
        .bind(i64::from(m.tier))
        .bind(i64::from(m.position))
        .bind(n as i64 + 1)
        .execute(&mut **tx)
        .await?;
    }
    let skills = skill_rows(&q.required_skills);
    let cols = ["skill_id", "proficiency", "position"];
    replace_children(tx, "queue_skills", "queue_id", cols, t, &q.id, &skills).await
}

/// Deletes a queue with its members and required skills.
pub(crate) async fn delete_queue(tx: &mut Tx<'_>, t: &str, id: &str) -> Result<()> {
    for table in ["queue_members", "queue_skills"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE tenant_id = $1 AND queue_id = $2"
        ))
        .bind(t)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    delete_row(tx, "queues", t, id).await
}

/// Inserts or replaces a team.
pub(crate) async fn put_team(tx: &mut Tx<'_>, t: &str, team: &Team) -> Result<()> {
    sqlx::query(
        "INSERT INTO teams (tenant_id, id, name, parent_id, position, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, id) DO UPDATE SET \
         name = excluded.name, parent_id = excluded.parent_id, position = excluded.position, \
         created_at_ms = excluded.created_at_ms",
    )
    .bind(t)
    .bind(&team.id)
    .bind(&team.name)
    .bind(team.parent_id.as_deref())
    .bind(i64::from(team.position))
    .bind(team.created_at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts or replaces a skill.
pub(crate) async fn put_skill(tx: &mut Tx<'_>, t: &str, skill: &Skill) -> Result<()> {
    sqlx::query(
        "INSERT INTO skills (tenant_id, id, name, description) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name, \
         description = excluded.description",
    )
    .bind(t)
    .bind(&skill.id)
    .bind(&skill.name)
    .bind(&skill.description)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes one row of a directory table by id.
pub(crate) async fn delete_row(tx: &mut Tx<'_>, table: &str, t: &str, id: &str) -> Result<()> {
    sqlx::query(&format!(
        "DELETE FROM {table} WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(t)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn agent_from_row(row: &DbRow) -> Result<Agent> {
    let int = |c: &str| -> Result<u32> {
        let n: i64 = row.try_get(c)?;
        Ok(u32::try_from(n).unwrap_or(0))
    };
    let state_seq: i64 = row.try_get("state_seq")?;
    Ok(Agent {
        id: row.try_get("id")?,
        work_id: row.try_get("work_id")?,
        login_name: row.try_get("login_name")?,
        name: row.try_get("name")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        role: parse(row.try_get("role")?)?,
        enabled: row.try_get("enabled")?,
        team_ids: Vec::new(),
        skills: Vec::new(),
        capacity: Capacity {
            voice: int("capacity_voice")?,
            chat: int("capacity_chat")?,
            errand: int("capacity_errand")?,
        },
        wrap_up_secs: int("wrap_up_secs")?,
        call_mode: parse(row.try_get("call_mode")?)?,
        default_caller_number: row.try_get("default_caller_number")?,
        state: state_from(
            row.try_get("state")?,
            row.try_get("state_reason")?,
            row.try_get("state_sub_state")?,
            row.try_get("state_until_ms")?,
        )?,
        state_since_ms: row.try_get("state_since_ms")?,
        state_seq: u64::try_from(state_seq).unwrap_or(0),
        last_login_ms: row.try_get("last_login_ms")?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
        extra: json(row, "extra")?,
        logout_after_contact: row.try_get("logout_after_contact")?,
    })
}

fn queue_from_row(row: &DbRow) -> Result<Queue> {
    let int = |c: &str| -> Result<i64> { Ok(row.try_get::<i64, _>(c)?) };
    let overflow: Option<Json<_>> = row.try_get("overflow")?;
    let wrap_up: Option<i64> = row.try_get("wrap_up_secs")?;
    Ok(Queue {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        channels: json(row, "channels")?,
        strategy: parse(row.try_get("strategy")?)?,
        priority: i32::try_from(int("priority")?).unwrap_or(0),
        max_length: u32::try_from(int("max_length")?).unwrap_or(0),
        timeout_secs: u32::try_from(int("timeout_secs")?).unwrap_or(0),
        overflow: overflow.map(|o| o.0),
        members: Vec::new(),
        required_skills: Vec::new(),
        wrap_up_secs: wrap_up.and_then(|w| u32::try_from(w).ok()),
        wait_music: row.try_get("wait_music")?,
        parent_id: row.try_get("parent_id")?,
        position: i32::try_from(int("position")?).unwrap_or(0),
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
        extra: json(row, "extra")?,
    })
}

/// A skill level from a child row.
fn level(row: &DbRow) -> Result<SkillLevel> {
    let p: i64 = row.try_get("proficiency")?;
    Ok(SkillLevel {
        skill_id: row.try_get("skill_id")?,
        proficiency: u8::try_from(p).unwrap_or(0),
    })
}

impl Repo {
    /// A tenant's agents as stored, with their skills and teams, by id (the engine answers from
    /// its working set instead).
    pub async fn agents(&self, tenant: &TenantId) -> Result<Vec<Agent>> {
        let t = tenant.as_str();
        let rows =
            |sql: String| async move { sqlx::query(&sql).bind(t).fetch_all(&self.pool).await };
        let columns = AGENT_COLUMNS.join(", ");
        let mut agents: Vec<Agent> = rows(format!(
            "SELECT {columns} FROM agents WHERE tenant_id = $1 ORDER BY id"
        ))
        .await?
        .iter()
        .map(agent_from_row)
        .collect::<Result<_>>()?;
        let ids: Vec<String> = agents.iter().map(|a| a.id.clone()).collect();
        for row in rows(
            "SELECT agent_id, skill_id, proficiency FROM agent_skills WHERE tenant_id = $1 \
             ORDER BY agent_id, position"
                .into(),
        )
        .await?
        {
            let agent: String = row.try_get("agent_id")?;
            if let Some(n) = at(&ids, &agent) {
                agents[n].skills.push(level(&row)?);
            }
        }
        for row in rows(
            "SELECT agent_id, team_id FROM team_members WHERE tenant_id = $1 \
             ORDER BY agent_id, position"
                .into(),
        )
        .await?
        {
            let agent: String = row.try_get("agent_id")?;
            if let Some(n) = at(&ids, &agent) {
                agents[n].team_ids.push(row.try_get("team_id")?);
            }
        }
        Ok(agents)
    }

    /// A tenant's queues with their members and required skills, by id.
    pub(crate) async fn queues(&self, tenant: &TenantId) -> Result<Vec<Queue>> {
        let t = tenant.as_str();
        let rows =
            |sql: String| async move { sqlx::query(&sql).bind(t).fetch_all(&self.pool).await };
        let mut queues: Vec<Queue> = rows(format!(
            "SELECT {} FROM queues WHERE tenant_id = $1 ORDER BY id",
            QUEUE_COLUMNS.join(", ")
        ))
        .await?
        .iter()
        .map(queue_from_row)
        .collect::<Result<_>>()?;
        let ids: Vec<String> = queues.iter().map(|q| q.id.clone()).collect();
        for row in rows(
            "SELECT queue_id, agent_id, tier, position FROM queue_members WHERE tenant_id = $1 \
             ORDER BY queue_id, ord"
                .into(),
        )
        .await?
        {
            let queue: String = row.try_get("queue_id")?;
            if let Some(n) = at(&ids, &queue) {
                let tier: i64 = row.try_get("tier")?;
                let position: i64 = row.try_get("position")?;
                queues[n].members.push(QueueMember {
                    agent_id: row.try_get("agent_id")?,
                    tier: u32::try_from(tier).unwrap_or(0),
                    position: u32::try_from(position).unwrap_or(0),
                });
            }
        }
        for row in rows(
            "SELECT queue_id, skill_id, proficiency FROM queue_skills WHERE tenant_id = $1 \
             ORDER BY queue_id, position"
                .into(),
        )
        .await?
        {
            let queue: String = row.try_get("queue_id")?;
            if let Some(n) = at(&ids, &queue) {
                queues[n].required_skills.push(level(&row)?);
            }
        }
        Ok(queues)
    }

    /// A tenant's teams, by id.
    pub async fn teams(&self, tenant: &TenantId) -> Result<Vec<Team>> {
        let rows = sqlx::query("SELECT * FROM teams WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let position: i64 = row.try_get("position")?;
                Ok(Team {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    parent_id: row.try_get("parent_id")?,
                    position: i32::try_from(position).unwrap_or(0),
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    /// A tenant's skills, by id.
    pub async fn skills(&self, tenant: &TenantId) -> Result<Vec<Skill>> {
        let rows = sqlx::query("SELECT * FROM skills WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Skill {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    description: row.try_get("description")?,
                })
            })
            .collect()
    }

    /// A tenant's agents, queues, teams and skills with their child rows (for start-up).
    pub(crate) async fn directory(&self, tenant: &TenantId) -> Result<Directory> {
        Ok(Directory {
            agents: self.agents(tenant).await?,
            queues: self.queues(tenant).await?,
            teams: self.teams(tenant).await?,
            skills: self.skills(tenant).await?,
        })
    }
}
