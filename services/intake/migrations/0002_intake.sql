-- Issue #3: registration from every channel, personal data, repeat detection, routing rules,
-- decisions, transfer and assignment, walk-in visit log, finality from administrative review.

-- intarray: int4[] intersection (&), icount and a GIN operator class for token arrays.
CREATE EXTENSION IF NOT EXISTS intarray;

ALTER TABLE petitions
    ADD COLUMN facts              TEXT,
    ADD COLUMN requests           TEXT,
    ADD COLUMN category           TEXT,
    ADD COLUMN field              TEXT,
    ADD COLUMN subfield           TEXT,
    ADD COLUMN township           TEXT,
    ADD COLUMN village            TEXT,
    ADD COLUMN respondent_unit    TEXT,
    ADD COLUMN group_visit        BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN visit_id           UUID,
    ADD COLUMN upstream_reference TEXT,
    ADD COLUMN upstream_organ     TEXT,
    ADD COLUMN upstream_due_on    DATE,
    -- the unit currently holding the case (transfer, assignment, acceptance)
    ADD COLUMN handling_unit      TEXT,
    ADD COLUMN simple_track       BOOLEAN NOT NULL DEFAULT false,
    -- finality learnt from administrative-review (case.finalized.v1)
    ADD COLUMN finalized_on       DATE,
    ADD COLUMN final_level        TEXT,
    -- 重复信访: the earlier case this one repeats, set when the clerk links it
    ADD COLUMN repeat_of          UUID,
    -- character-bigram hashes (see src/text.rs): plain for search, scoped for repeat detection
    ADD COLUMN search_tokens      INT4[] NOT NULL DEFAULT '{}',
    ADD COLUMN scoped_tokens      INT4[] NOT NULL DEFAULT '{}';

CREATE INDEX petitions_search_tokens ON petitions USING gin (search_tokens gin__int_ops);
CREATE INDEX petitions_scoped_tokens ON petitions USING gin (scoped_tokens gin__int_ops);
-- Keyset pagination: ids are UUIDv7 (time-ordered), lists run `ORDER BY id DESC`.
CREATE INDEX petitions_status_id   ON petitions (status, id DESC);
CREATE INDEX petitions_field_id    ON petitions (field, id DESC);
CREATE INDEX petitions_township_id ON petitions (township, id DESC);
CREATE INDEX petitions_handling_id ON petitions (handling_unit, id DESC);
CREATE INDEX petitions_unit_id     ON petitions (registering_unit, id DESC);
CREATE INDEX petitions_received_id ON petitions (received_on, id DESC);

-- 信访人: identity number, phone and address sealed with AES-256-GCM (AAD = table:column:row id),
-- identity number and phone found by keyed blind index, masks kept for masked views.
CREATE TABLE petitioners (
    id             UUID PRIMARY KEY,
    petition_id    UUID NOT NULL REFERENCES petitions (id) DEFERRABLE INITIALLY DEFERRED,
    ordinal        SMALLINT NOT NULL,
    name           TEXT NOT NULL,
    key_version    SMALLINT NOT NULL,
    id_number_enc  BYTEA,
    id_number_bidx BYTEA,
    id_number_mask TEXT,
    phone_enc      BYTEA,
    phone_bidx     BYTEA,
    phone_mask     TEXT,
    address_enc    BYTEA,
    UNIQUE (petition_id, ordinal)
);
CREATE INDEX petitioners_id_number_bidx ON petitioners (id_number_bidx) WHERE id_number_bidx IS NOT NULL;
CREATE INDEX petitioners_phone_bidx     ON petitioners (phone_bidx) WHERE phone_bidx IS NOT NULL;

-- 附件 metadata (the files live in the document store).
CREATE TABLE attachments (
    id           UUID PRIMARY KEY,
    petition_id  UUID NOT NULL REFERENCES petitions (id) DEFERRABLE INITIALLY DEFERRED,
    ordinal      SMALLINT NOT NULL,
    kind         TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL
);
CREATE INDEX attachments_petition ON attachments (petition_id);

-- 来访登记: every walk-in visitor, so that visits never registered can be found (应登记不登记).
CREATE TABLE visits (
    id            UUID PRIMARY KEY,
    unit          TEXT NOT NULL,
    arrived_at    TIMESTAMPTZ NOT NULL,
    visitor_count INTEGER NOT NULL CHECK (visitor_count >= 1),
    note          TEXT,
    logged_by     TEXT NOT NULL,
    petition_id   UUID UNIQUE
);
CREATE INDEX visits_unit ON visits (unit, id DESC);
CREATE INDEX visits_unregistered ON visits (unit, id DESC) WHERE petition_id IS NULL;

-- Repeat candidates found at registration, and the clerk's decision on them.
CREATE TABLE repeat_candidates (
    petition_id  UUID NOT NULL,
    candidate_id UUID NOT NULL,
    score        REAL NOT NULL,
    reasons      TEXT[] NOT NULL,
    PRIMARY KEY (petition_id, candidate_id)
);
CREATE TABLE repeat_links (
    petition_id         UUID PRIMARY KEY REFERENCES petitions (id),
    decision            TEXT NOT NULL CHECK (decision IN ('repeat', 'new')),
    earlier_petition_id UUID REFERENCES petitions (id),
    decided_by          TEXT NOT NULL,
    unit                TEXT NOT NULL,
    decided_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX repeat_links_earlier ON repeat_links (earlier_petition_id);

-- Routing rules (分类规则), one row per version; never updated.
CREATE TABLE routing_rule_sets (
    version    BIGSERIAL PRIMARY KEY,
    rules      JSONB NOT NULL,
    note       TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- 程序性决定: who, when, why, and what the rules suggested.
CREATE TABLE decisions (
    id           UUID PRIMARY KEY,
    petition_id  UUID NOT NULL REFERENCES petitions (id),
    kind         TEXT NOT NULL,
    decided_by   TEXT NOT NULL,
    unit         TEXT NOT NULL,
    decided_at   TIMESTAMPTZ NOT NULL,
    decided_on   DATE NOT NULL,
    reason       TEXT NOT NULL,
    details      JSONB NOT NULL,
    rule_version BIGINT,
    suggestion   JSONB
);
CREATE INDEX decisions_petition ON decisions (petition_id, decided_at);

-- 转送/交办 to a unit, and the unit's answer (accept, or object within 5 working days).
CREATE TABLE hand_offs (
    id           UUID PRIMARY KEY,
    petition_id  UUID NOT NULL REFERENCES petitions (id),
    kind         TEXT NOT NULL CHECK (kind IN ('transfer', 'assign')),
    to_unit      TEXT NOT NULL,
    handed_on    DATE NOT NULL,
    due_on       DATE,
    object_by    DATE NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'objected')),
    responded_by TEXT,
    responded_at TIMESTAMPTZ,
    response     TEXT
);
CREATE UNIQUE INDEX hand_offs_one_pending ON hand_offs (petition_id) WHERE status = 'pending';
CREATE INDEX hand_offs_unit ON hand_offs (to_unit, status);

-- Explicit access grants (查阅授权) recorded on every hand-off.
CREATE TABLE case_access (
    petition_id UUID NOT NULL REFERENCES petitions (id),
    unit        TEXT NOT NULL,
    granted_by  TEXT NOT NULL,
    granted_at  TIMESTAMPTZ NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (petition_id, unit)
);
CREATE INDEX case_access_unit ON case_access (unit, petition_id);

-- Statutory default rules (version 1); administrators publish new versions through the API.
INSERT INTO routing_rule_sets (rules, note, created_by, created_at) VALUES (
'[
  {"field": "law_litigation", "legal_channel": "political_legal",
   "guidance": "涉法涉诉事项实行诉访分离，请依法向人民法院、人民检察院或公安机关（政法部门）提出。"},
  {"category": "accusation", "legal_channel": "discipline_inspection",
   "guidance": "检举控告公职人员违纪违法问题，请向纪检监察机关提出。"},
  {"category": "claim", "field": "labour_social_security", "unit": "140423-RSJ"},
  {"field": "urban_rural_construction", "unit": "140423-ZJJ"},
  {"field": "agriculture_rural", "unit": "140423-NYJ"},
  {"field": "natural_resources", "unit": "140423-ZRJ"}
]'::jsonb, '法定默认规则', 'system:migration', now());
