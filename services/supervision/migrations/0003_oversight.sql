-- Oversight (督查督办, 监督追责, 维护秩序, 源头预防): supervision orders, case-owning leaders, campaigns,
-- the three recommendations, accountability details, order maintenance, and the statistics read
-- models maintained from events.

-- Supervision orders (催办 / 督办 / 挂牌督办 / 约谈 / 通报, 《信访工作条例》第四十条) to a unit about a
-- case or a pattern. Each requires a written response by respond_by; unanswered, it escalates once
-- (parent_id is unique: one escalation per order).
CREATE TABLE supervision_orders (
    id            UUID PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('reminder', 'supervision', 'listed', 'interview', 'circular')),
    case_id       UUID,
    case_number   TEXT,
    pattern       TEXT,
    unit_code     TEXT NOT NULL,
    summary       TEXT NOT NULL,
    issued_by     TEXT NOT NULL,
    issued_unit   TEXT NOT NULL,
    issued_on     DATE NOT NULL,
    respond_by    DATE NOT NULL,
    explanation   JSONB NOT NULL DEFAULT '[]',
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'responded', 'escalated', 'overdue')),
    parent_id     UUID REFERENCES supervision_orders (id),
    response      TEXT,
    responded_by  TEXT,
    responded_at  TIMESTAMPTZ,
    escalated_at  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (case_id IS NOT NULL OR pattern IS NOT NULL)
);
CREATE UNIQUE INDEX supervision_orders_one_escalation ON supervision_orders (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX supervision_orders_unit ON supervision_orders (unit_code, id);
CREATE INDEX supervision_orders_open_due ON supervision_orders (respond_by) WHERE status = 'open';
CREATE INDEX supervision_orders_issued ON supervision_orders (issued_on);

-- Case-owning leaders (领导包案) and what they did.
CREATE TABLE leader_assignments (
    id           UUID PRIMARY KEY,
    case_id      UUID NOT NULL,
    leader_id    TEXT NOT NULL,
    leader_name  TEXT NOT NULL,
    assigned_by  TEXT NOT NULL,
    assigned_on  DATE NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    released_at  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX leader_assignments_active ON leader_assignments (case_id, leader_id) WHERE released_at IS NULL;
CREATE INDEX leader_assignments_leader ON leader_assignments (leader_id, id);

CREATE TABLE leader_actions (
    id            UUID PRIMARY KEY,
    assignment_id UUID NOT NULL REFERENCES leader_assignments (id),
    action        TEXT NOT NULL CHECK (action IN ('interview', 'site_visit', 'coordination_meeting', 'instruction', 'other')),
    acted_on      DATE NOT NULL,
    description   TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX leader_actions_assignment ON leader_actions (assignment_id, acted_on);

-- Backlog campaigns (专项攻坚, e.g. 百日百件).
CREATE TABLE campaigns (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    start_on    DATE NOT NULL,
    target_on   DATE NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (target_on >= start_on)
);
CREATE TABLE campaign_cases (
    campaign_id UUID NOT NULL REFERENCES campaigns (id),
    case_id     UUID NOT NULL,
    added_by    TEXT NOT NULL,
    added_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, case_id)
);

-- The three recommendations (三项建议, 第四十条) and the recipient's written feedback on adoption.
CREATE TABLE recommendations (
    id            UUID PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('improve_work', 'improve_policy', 'pursue_accountability')),
    case_id       UUID,
    unit_code     TEXT NOT NULL,
    content       TEXT NOT NULL,
    issued_by     TEXT NOT NULL,
    issued_on     DATE NOT NULL,
    feedback_due  DATE NOT NULL,
    explanation   JSONB NOT NULL DEFAULT '[]',
    adoption      TEXT CHECK (adoption IN ('adopted', 'partially_adopted', 'not_adopted')),
    feedback      TEXT,
    feedback_by   TEXT,
    feedback_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX recommendations_unit ON recommendations (unit_code, id);
CREATE INDEX recommendations_issued ON recommendations (issued_on);

-- Accountability details (第四十二至四十六条). accountability_cases(case_id) and
-- misconduct_reports.accountability_id keep their meaning from 0002.
ALTER TABLE accountability_cases ADD COLUMN case_number TEXT;
ALTER TABLE accountability_cases ADD COLUMN article TEXT NOT NULL DEFAULT '';
ALTER TABLE accountability_cases ADD COLUMN summary TEXT NOT NULL DEFAULT '';
ALTER TABLE accountability_cases ADD COLUMN opened_unit TEXT NOT NULL DEFAULT '';
ALTER TABLE accountability_cases ADD COLUMN outcome TEXT;
ALTER TABLE accountability_cases ADD COLUMN outcome_detail TEXT;
ALTER TABLE accountability_cases ADD COLUMN concluded_on DATE;
CREATE INDEX accountability_cases_unit ON accountability_cases (unit_code, id);

CREATE TABLE accountability_people (
    id                UUID PRIMARY KEY,
    accountability_id UUID NOT NULL REFERENCES accountability_cases (id),
    name              TEXT NOT NULL,
    position          TEXT NOT NULL DEFAULT '',
    unit_code         TEXT NOT NULL,
    responsibility    TEXT NOT NULL CHECK (responsibility IN ('direct', 'supervising')),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX accountability_people_case ON accountability_people (accountability_id);

-- Evidence: links into the case history (an event on the timeline or an audit record).
CREATE TABLE accountability_evidence (
    id                UUID PRIMARY KEY,
    accountability_id UUID NOT NULL REFERENCES accountability_cases (id),
    event_id          UUID REFERENCES case_events (event_id),
    audit_seq         BIGINT,
    note              TEXT NOT NULL DEFAULT '',
    added_by          TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (event_id IS NOT NULL OR audit_seq IS NOT NULL)
);
CREATE INDEX accountability_evidence_case ON accountability_evidence (accountability_id);

ALTER TABLE misconduct_reports ADD COLUMN reporter_unit TEXT NOT NULL DEFAULT '';
ALTER TABLE misconduct_reports ADD COLUMN staff_ref TEXT NOT NULL DEFAULT '';
CREATE INDEX misconduct_reports_unit ON misconduct_reports (unit_code, id);

-- Order-maintenance records (维护秩序, 第二十六条、第四十七条).
CREATE TABLE order_incidents (
    id           UUID PRIMARY KEY,
    case_id      UUID,
    person_ref   TEXT NOT NULL,
    unit_code    TEXT NOT NULL,
    occurred_at  TIMESTAMPTZ NOT NULL,
    location     TEXT NOT NULL,
    conduct      TEXT NOT NULL,
    description  TEXT NOT NULL,
    response     TEXT NOT NULL CHECK (response IN ('dissuasion', 'criticism', 'education', 'police')),
    recorded_by  TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_incidents_unit ON order_incidents (unit_code, id);
CREATE INDEX order_incidents_person ON order_incidents (person_ref);

-- Statistics read model (统计读模型): one row of facts per case, from events.
CREATE TABLE case_facts (
    case_id             UUID PRIMARY KEY,
    case_number         TEXT NOT NULL,
    registered_on       DATE NOT NULL,
    registering_unit    TEXT NOT NULL,
    unit_code           TEXT NOT NULL,
    township            TEXT NOT NULL DEFAULT '',
    field               TEXT NOT NULL DEFAULT '',
    channel             TEXT NOT NULL,
    category            TEXT,
    respondent_unit     TEXT,
    status              TEXT NOT NULL,
    decision            TEXT,
    decided_on          DATE,
    accepted_on_time    BOOLEAN,
    transferred         BOOLEAN NOT NULL DEFAULT false,
    assigned            BOOLEAN NOT NULL DEFAULT false,
    repeat              BOOLEAN NOT NULL DEFAULT false,
    closed_on           DATE,
    closed_on_time      BOOLEAN,
    closure_kind        TEXT,
    satisfaction        TEXT,
    mediation_outcome   TEXT,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX case_facts_registered ON case_facts (registered_on);
CREATE INDEX case_facts_unit ON case_facts (unit_code, registered_on);

-- Daily rollup of the counters per (scope, dimension, value): scope_unit '*' is the county,
-- otherwise the responsible unit; dim is all | unit | township | field | channel.
CREATE TABLE indicator_rollup (
    day                 DATE NOT NULL,
    scope_unit          TEXT NOT NULL,
    dim                 TEXT NOT NULL,
    dim_value           TEXT NOT NULL,
    registered          BIGINT NOT NULL DEFAULT 0,
    with_field          BIGINT NOT NULL DEFAULT 0,
    hot_field           BIGINT NOT NULL DEFAULT 0,
    decided_known       BIGINT NOT NULL DEFAULT 0,
    accepted_on_time    BIGINT NOT NULL DEFAULT 0,
    repeat              BIGINT NOT NULL DEFAULT 0,
    transferred         BIGINT NOT NULL DEFAULT 0,
    assigned            BIGINT NOT NULL DEFAULT 0,
    closed_known        BIGINT NOT NULL DEFAULT 0,
    closed_on_time      BIGINT NOT NULL DEFAULT 0,
    substantive         BIGINT NOT NULL DEFAULT 0,
    procedural          BIGINT NOT NULL DEFAULT 0,
    rated               BIGINT NOT NULL DEFAULT 0,
    satisfied           BIGINT NOT NULL DEFAULT 0,
    mediated            BIGINT NOT NULL DEFAULT 0,
    mediation_success   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scope_unit, dim, day, dim_value)
);
