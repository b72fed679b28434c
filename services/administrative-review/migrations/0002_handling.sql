-- Administrative review (行政三级办理): one row per handled case, its entries, extensions, opinions,
-- review requests, hearings, follow-up, the clocks supervision projects, and the units directory copy.

CREATE TABLE handling_cases (
    case_id            UUID PRIMARY KEY,
    case_number        TEXT NOT NULL,
    -- 办理单位
    unit_code          TEXT NOT NULL,
    origin             TEXT NOT NULL CHECK (origin IN ('accepted', 'transferred', 'assigned')),
    assigned_by_unit   TEXT,
    upstream_reference TEXT,
    started_on         DATE NOT NULL,
    -- current level and step: handling/review/re_review × in_progress/issued/delivered; final; closed
    level              TEXT NOT NULL DEFAULT 'handling' CHECK (level IN ('handling', 'review', 're_review')),
    step               TEXT NOT NULL DEFAULT 'in_progress'
                       CHECK (step IN ('in_progress', 'issued', 'delivered', 'final', 'closed')),
    -- the organ now responsible for the level (handling unit, reviewing organ, re-reviewing organ)
    level_unit         TEXT NOT NULL,
    closure_kind       TEXT CHECK (closure_kind IN ('substantive', 'procedural')),
    closure_ground     TEXT,
    closure_reason     TEXT,
    closed_on          DATE,
    final_level        TEXT,
    final_opinion_id   UUID,
    finalized_on       DATE,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX handling_cases_unit ON handling_cases (unit_code) WHERE step NOT IN ('final', 'closed');
CREATE INDEX handling_cases_level_unit ON handling_cases (level_unit) WHERE step NOT IN ('final', 'closed');

-- Units that may see a case: the handling unit, the reviewing and re-reviewing organs.
CREATE TABLE case_units (
    case_id   UUID NOT NULL REFERENCES handling_cases (case_id),
    unit_code TEXT NOT NULL,
    PRIMARY KEY (case_id, unit_code)
);
CREATE INDEX case_units_unit ON case_units (unit_code);

-- 办理记录: investigation, meetings, talks, evidence, consultations.
CREATE TABLE handling_entries (
    id              UUID PRIMARY KEY,
    case_id         UUID NOT NULL REFERENCES handling_cases (case_id),
    kind            TEXT NOT NULL CHECK (kind IN ('investigation', 'meeting', 'talk', 'evidence', 'consultation')),
    occurred_on     DATE NOT NULL,
    summary         TEXT NOT NULL,
    consulted_unit  TEXT,
    attachments     JSONB NOT NULL DEFAULT '[]',
    recorded_by     TEXT NOT NULL,
    recorded_unit   TEXT NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX handling_entries_case ON handling_entries (case_id, recorded_at);

-- 延期 (art 34)
CREATE TABLE extensions (
    id              UUID PRIMARY KEY,
    case_id         UUID NOT NULL REFERENCES handling_cases (case_id),
    days            INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    requested_on    DATE NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected')),
    decided_by      TEXT,
    decided_on      DATE,
    decision_note   TEXT,
    original_due_on DATE,
    extended_due_on DATE,
    notice_requested BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX extensions_case ON extensions (case_id);

-- 意见书: handling, review and re-review opinions; issued ones are never changed except for their
-- delivery and implementation facts.
CREATE TABLE opinions (
    id                 UUID PRIMARY KEY,
    case_id            UUID NOT NULL REFERENCES handling_cases (case_id),
    level              TEXT NOT NULL CHECK (level IN ('handling', 'review', 're_review')),
    outcome            TEXT NOT NULL,
    facts              TEXT NOT NULL,
    reasons            TEXT NOT NULL,
    legal_basis        TEXT NOT NULL,
    issuing_unit       TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'issued')),
    corrects           UUID REFERENCES opinions (id),
    external           BOOLEAN NOT NULL DEFAULT false,
    drafted_by         TEXT NOT NULL,
    approved_by        TEXT,
    issued_on          DATE,
    document_number    TEXT,
    implementation_task TEXT,
    implementing_unit  TEXT,
    implement_by       DATE,
    implemented_on     DATE,
    implementation_note TEXT,
    notice_request_id  UUID UNIQUE,
    delivered_on       DATE,
    delivery_method    TEXT,
    delivery_proof     TEXT,
    delivery_recorded_from TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX opinions_case ON opinions (case_id, created_at);

-- 复查 / 复核 requests
CREATE TABLE review_requests (
    id            UUID PRIMARY KEY,
    case_id       UUID NOT NULL REFERENCES handling_cases (case_id),
    level         TEXT NOT NULL CHECK (level IN ('review', 're_review')),
    requested_on  DATE NOT NULL,
    organ_unit    TEXT NOT NULL,
    forwarded     BOOLEAN NOT NULL DEFAULT false,
    status        TEXT NOT NULL CHECK (status IN ('accepted', 'refused')),
    window_closed_on DATE,
    recorded_by   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX review_requests_case ON review_requests (case_id);

-- 听证
CREATE TABLE hearings (
    id            UUID PRIMARY KEY,
    case_id       UUID NOT NULL REFERENCES handling_cases (case_id),
    level         TEXT NOT NULL,
    unit_code     TEXT NOT NULL,
    scheduled_on  DATE NOT NULL,
    place         TEXT NOT NULL,
    chair         TEXT NOT NULL,
    participants  JSONB NOT NULL DEFAULT '[]',
    held_from     DATE,
    held_to       DATE,
    record        TEXT,
    published     BOOLEAN NOT NULL DEFAULT false,
    published_result TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX hearings_case ON hearings (case_id);

-- 后续工作 and referrals (art 37; the roadmap's outside bodies)
CREATE TABLE follow_ups (
    id             UUID PRIMARY KEY,
    case_id        UUID NOT NULL REFERENCES handling_cases (case_id),
    kind           TEXT NOT NULL CHECK (kind IN ('counselling', 'conflict_resolution', 'assistance', 'referral')),
    occurred_on    DATE NOT NULL,
    performed_by   TEXT NOT NULL,
    summary        TEXT NOT NULL,
    aid_given      TEXT,
    body           TEXT,
    body_reference TEXT,
    outcome        TEXT,
    outcome_on     DATE,
    recorded_by    TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX follow_ups_case ON follow_ups (case_id);

-- The clocks as supervision projects them (supervision.deadline.projected.v1): latest per kind.
CREATE TABLE clocks (
    case_id     UUID NOT NULL,
    kind        TEXT NOT NULL,
    deadline_id UUID NOT NULL,
    unit_code   TEXT NOT NULL,
    start_on    DATE NOT NULL,
    due_on      DATE,
    explanation JSONB NOT NULL DEFAULT '[]',
    extensions  INTEGER NOT NULL DEFAULT 0,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, kind)
);

-- Notices requested from notification, to match its delivery reports.
CREATE TABLE notice_requests (
    request_id  UUID PRIMARY KEY,
    case_id     UUID NOT NULL,
    template    TEXT NOT NULL,
    opinion_id  UUID,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What this service needs to know of a registered case besides the shared register's columns.
ALTER TABLE cases
    ADD COLUMN category           TEXT,
    ADD COLUMN upstream_reference TEXT,
    -- the pending hand-off (转送 / 交办) and who made it
    ADD COLUMN hand_off_kind      TEXT,
    ADD COLUMN hand_off_from      TEXT;
