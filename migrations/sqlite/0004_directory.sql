-- ccemu schema 0004, SQLite flavour. Keep in step with migrations/postgres/0004_directory.sql.
-- The directory: agents with their skills and teams, teams, skills, queues with their members and
-- required skills. Rows an earlier release kept as documents in `entities` are moved here on
-- start. Conventions as in 0003.

CREATE TABLE agents (
    tenant_id             TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                    TEXT NOT NULL,
    work_id               TEXT NOT NULL,
    login_name            TEXT NOT NULL,
    name                  TEXT NOT NULL,
    first_name            TEXT NOT NULL,
    last_name             TEXT NOT NULL,
    email                 TEXT NOT NULL,
    phone                 TEXT NOT NULL,
    -- agent | supervisor | admin
    role                  TEXT NOT NULL,
    enabled               BOOLEAN NOT NULL,
    -- Concurrent contacts per media class.
    capacity_voice        BIGINT NOT NULL,
    capacity_chat         BIGINT NOT NULL,
    capacity_errand       BIGINT NOT NULL,
    wrap_up_secs          BIGINT NOT NULL,
    -- voip | cellphone
    call_mode             TEXT NOT NULL,
    default_caller_number TEXT,
    -- logged_out | available | not_ready | on_break | reserved | ringing | on_contact | wrap_up,
    -- with the reason (not_ready), sub-state (on_break) and end (on_break, wrap_up) of the state.
    state                 TEXT NOT NULL,
    state_reason          TEXT,
    state_sub_state       BIGINT,
    state_until_ms        BIGINT,
    state_since_ms        BIGINT NOT NULL,
    -- State changes so far; the last state log is "{id}-{state_seq}".
    state_seq             BIGINT NOT NULL,
    last_login_ms         BIGINT,
    created_at_ms         BIGINT NOT NULL,
    updated_at_ms         BIGINT NOT NULL,
    logout_after_contact  BOOLEAN NOT NULL,
    -- Vendor fields without a neutral meaning (UJET location, avatar URLs, ...): a JSON object.
    extra                 TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX agents_by_email ON agents (tenant_id, lower(email)) WHERE email <> '';

CREATE TABLE agent_skills (
    tenant_id   TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    skill_id    TEXT NOT NULL,
    proficiency BIGINT NOT NULL,
    position    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, agent_id, skill_id),
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE teams (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    parent_id     TEXT,
    position      BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Membership lives on the agent (its team_ids, in order): a team's members are these rows.
CREATE TABLE team_members (
    tenant_id TEXT NOT NULL,
    agent_id  TEXT NOT NULL,
    team_id   TEXT NOT NULL,
    position  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, agent_id, team_id),
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX team_members_by_team ON team_members (tenant_id, team_id);

CREATE TABLE skills (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE queues (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    -- Channels served, a JSON array of channel names; empty serves every channel.
    channels      TEXT NOT NULL,
    -- longest_idle | round_robin | top_down | ring_all | ring_progressively | least_talk_time |
    -- fewest_calls | sequential_by_order | random
    strategy      TEXT NOT NULL,
    priority      BIGINT NOT NULL,
    max_length    BIGINT NOT NULL,
    timeout_secs  BIGINT NOT NULL,
    -- Where contacts go after the timeout: a JSON object {"type": "queue" | "ivr_menu" | ...}.
    overflow      TEXT,
    wrap_up_secs  BIGINT,
    wait_music    TEXT,
    parent_id     TEXT,
    position      BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    extra         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE queue_members (
    tenant_id TEXT NOT NULL,
    queue_id  TEXT NOT NULL,
    agent_id  TEXT NOT NULL,
    -- Lower tiers are offered first; position orders members within a tier.
    tier      BIGINT NOT NULL,
    position  BIGINT NOT NULL,
    -- Order of the member in the queue's list.
    ord       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, queue_id, agent_id),
    FOREIGN KEY (tenant_id, queue_id) REFERENCES queues (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX queue_members_by_agent ON queue_members (tenant_id, agent_id);

CREATE TABLE queue_skills (
    tenant_id   TEXT NOT NULL,
    queue_id    TEXT NOT NULL,
    skill_id    TEXT NOT NULL,
    proficiency BIGINT NOT NULL,
    position    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, queue_id, skill_id),
    FOREIGN KEY (tenant_id, queue_id) REFERENCES queues (tenant_id, id) ON DELETE CASCADE
);
