-- ccemu schema 0003, PostgreSQL flavour. Keep in step with migrations/sqlite/0003_typed.sql.
-- Typed history: interactions with their participants, transcript, transfers and recordings;
-- agent state logs; contacts. Rows of these kinds that an earlier release kept as documents in
-- `entities` are moved here on start (ccemu-store `upgrade`). Ids are TEXT COLLATE "C", times BIGINT
-- epoch milliseconds of the tenant clock, enums their snake_case names, vendor extras JSONB.
-- Ids sort bytewise (COLLATE "C"), as on SQLite.

CREATE TABLE interactions (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              TEXT COLLATE "C" NOT NULL,
    -- Per-tenant sequence number from 1 (UJET call and chat ids).
    number          BIGINT NOT NULL,
    -- voice | chat | messaging | errand | conversation
    channel         TEXT NOT NULL,
    -- inbound | outbound | internal
    direction       TEXT NOT NULL,
    -- created | scheduled | queued | offered | ringing | connected | held | wrap_up | ended | abandoned | failed
    state           TEXT NOT NULL,
    state_since_ms  BIGINT NOT NULL,
    queue_id        TEXT COLLATE "C",
    agent_id        TEXT COLLATE "C",
    contact_id      TEXT COLLATE "C",
    from_address    TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    priority        BIGINT NOT NULL,
    lang            TEXT,
    parent_id       TEXT COLLATE "C",
    campaign_id     TEXT COLLATE "C",
    created_at_ms   BIGINT NOT NULL,
    scheduled_at_ms BIGINT,
    queued_at_ms    BIGINT,
    offered_at_ms   BIGINT,
    answered_at_ms  BIGINT,
    ended_at_ms     BIGINT,
    hold_ms         BIGINT NOT NULL,
    -- customer | agent | bot | system
    ended_by        TEXT,
    end_reason      TEXT,
    updated_at_ms   BIGINT NOT NULL,
    -- Attached data (Genesys userData, Udesk user_data, UJET custom data): a JSON object.
    custom_data     JSONB NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number)
);
CREATE INDEX interactions_by_channel ON interactions (tenant_id, channel, number);
CREATE INDEX interactions_by_channel_created ON interactions (tenant_id, channel, created_at_ms, number);
CREATE INDEX interactions_by_channel_updated ON interactions (tenant_id, channel, updated_at_ms, number);
CREATE INDEX interactions_by_created ON interactions (tenant_id, created_at_ms, number);
CREATE INDEX interactions_by_updated ON interactions (tenant_id, updated_at_ms, number);
CREATE INDEX interactions_by_agent ON interactions (tenant_id, agent_id, created_at_ms);
CREATE INDEX interactions_by_queue ON interactions (tenant_id, queue_id, created_at_ms);
CREATE INDEX interactions_by_campaign ON interactions (tenant_id, campaign_id) WHERE campaign_id IS NOT NULL;
-- What start-up loads: the interactions that have not ended.
CREATE INDEX interactions_open ON interactions (tenant_id, number)
    WHERE state NOT IN ('ended', 'abandoned', 'failed');

CREATE TABLE participants (
    tenant_id       TEXT NOT NULL,
    interaction_id  TEXT COLLATE "C" NOT NULL,
    -- "1", "2", ... in join order (Genesys participantId); position is that order as a number.
    id              TEXT COLLATE "C" NOT NULL,
    position        BIGINT NOT NULL,
    -- customer | agent | bot
    kind            TEXT NOT NULL,
    agent_id        TEXT COLLATE "C",
    contact_id      TEXT COLLATE "C",
    nickname        TEXT NOT NULL,
    address         TEXT,
    -- waiting | ringing | connected | held | left
    state           TEXT NOT NULL,
    joined_at_ms    BIGINT NOT NULL,
    connected_at_ms BIGINT,
    left_at_ms      BIGINT,
    left_reason     TEXT,
    PRIMARY KEY (tenant_id, interaction_id, id),
    FOREIGN KEY (tenant_id, interaction_id) REFERENCES interactions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX participants_by_agent ON participants (tenant_id, agent_id) WHERE agent_id IS NOT NULL;

-- The transcript, append-only: one message is one insert.
CREATE TABLE messages (
    tenant_id           TEXT NOT NULL,
    interaction_id      TEXT COLLATE "C" NOT NULL,
    -- Position in the transcript from 1 without gaps (Genesys index).
    idx                 BIGINT NOT NULL,
    id                  TEXT COLLATE "C" NOT NULL,
    -- text | participant_joined | participant_left | typing_started | typing_stopped | notice
    kind                TEXT NOT NULL,
    from_participant_id TEXT,
    from_kind           TEXT NOT NULL,
    text                TEXT NOT NULL,
    subject             TEXT,
    html                TEXT,
    -- all | agents
    visibility          TEXT NOT NULL,
    attachments         JSONB NOT NULL,
    sent_at_ms          BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, interaction_id, idx),
    FOREIGN KEY (tenant_id, interaction_id) REFERENCES interactions (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE transfers (
    tenant_id      TEXT NOT NULL,
    interaction_id TEXT COLLATE "C" NOT NULL,
    id             TEXT COLLATE "C" NOT NULL,
    -- Order of the transfer within its interaction, from 1.
    position       BIGINT NOT NULL,
    -- transferring | completed | failed
    status         TEXT NOT NULL,
    from_agent_id  TEXT COLLATE "C",
    to_agent_id    TEXT COLLATE "C",
    from_queue_id  TEXT COLLATE "C",
    to_queue_id    TEXT COLLATE "C",
    to_number      TEXT,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, interaction_id, id),
    FOREIGN KEY (tenant_id, interaction_id) REFERENCES interactions (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE recordings (
    tenant_id      TEXT NOT NULL,
    interaction_id TEXT COLLATE "C" NOT NULL,
    id             TEXT COLLATE "C" NOT NULL,
    position       BIGINT NOT NULL,
    url            TEXT NOT NULL,
    started_at_ms  BIGINT NOT NULL,
    ended_at_ms    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, interaction_id, id),
    FOREIGN KEY (tenant_id, interaction_id) REFERENCES interactions (tenant_id, id) ON DELETE CASCADE
);

-- One finished period of an agent's state. A state is its name plus, for the states that have
-- them, a reason (not_ready), a vendor sub-state (on_break) and an end time (on_break, wrap_up).
CREATE TABLE agent_state_logs (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    agent_id      TEXT COLLATE "C" NOT NULL,
    -- The agent's state-change number that ended the period; id is "{agent_id}-{seq}".
    seq           BIGINT NOT NULL,
    from_state    TEXT NOT NULL,
    from_reason   TEXT,
    from_sub_state BIGINT,
    from_until_ms BIGINT,
    to_state      TEXT NOT NULL,
    to_reason     TEXT,
    to_sub_state  BIGINT,
    to_until_ms   BIGINT,
    start_ms      BIGINT NOT NULL,
    end_ms        BIGINT NOT NULL,
    duration_ms   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, agent_id, seq)
);
CREATE INDEX agent_state_logs_by_start ON agent_state_logs (tenant_id, start_ms);
CREATE INDEX agent_state_logs_by_agent_start ON agent_state_logs (tenant_id, agent_id, start_ms);

-- End users (UJET end users, Chatwoot contacts, Genesys customers).
CREATE TABLE contacts (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            TEXT COLLATE "C" NOT NULL,
    identifier    TEXT,
    external_id   TEXT,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    phone         TEXT NOT NULL,
    attributes    JSONB NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX contacts_by_identifier ON contacts (tenant_id, identifier) WHERE identifier IS NOT NULL;
CREATE INDEX contacts_by_external_id ON contacts (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX contacts_by_phone ON contacts (tenant_id, phone) WHERE phone <> '';
CREATE INDEX contacts_by_email ON contacts (tenant_id, lower(email)) WHERE email <> '';

-- Interactions by channel, as a user would look for them.
CREATE VIEW calls AS SELECT * FROM interactions WHERE channel = 'voice';
CREATE VIEW chats AS SELECT * FROM interactions WHERE channel IN ('chat', 'messaging', 'conversation');
CREATE VIEW errands AS SELECT * FROM interactions WHERE channel = 'errand';

-- Documents sort by id bytewise, as on SQLite.
ALTER TABLE entities ALTER COLUMN id TYPE TEXT COLLATE "C";
