-- Mediation (多元解纷): the directory of bodies and mediators, referrals with the parties' consent,
-- sessions, agreements and the pre-petition dispute register.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- What this service knows of a registered petition beyond the shared register: where and what it
-- is about (for the mediator suggestion), whom it names (for recusal), who handles it now.
ALTER TABLE cases
    ADD COLUMN field           TEXT NOT NULL DEFAULT '',
    ADD COLUMN township        TEXT NOT NULL DEFAULT '',
    ADD COLUMN respondent_unit TEXT,
    ADD COLUMN handling_unit   TEXT;

-- 调解组织: 人民调解委员会, studios, the 访调对接 and 诉调对接 windows, the 多元解纷 centre.
CREATE TABLE bodies (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    township   TEXT NOT NULL,
    fields     TEXT[] NOT NULL,
    contact    TEXT NOT NULL,
    unit_code  TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (unit_code, name)
);

-- 调解员. `open_mediations` is the current load, kept with each assignment and ending.
CREATE TABLE mediators (
    id              UUID PRIMARY KEY,
    name            TEXT NOT NULL,
    body_id         UUID NOT NULL REFERENCES bodies (id),
    kind            TEXT NOT NULL,
    fields          TEXT[] NOT NULL,
    townships       TEXT[] NOT NULL,
    employer_unit   TEXT,
    account         TEXT,
    active          BOOLEAN NOT NULL DEFAULT true,
    open_mediations INTEGER NOT NULL DEFAULT 0 CHECK (open_mediations >= 0),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX mediators_fields ON mediators USING gin (fields) WHERE active;
CREATE INDEX mediators_townships ON mediators USING gin (townships) WHERE active;

-- A mediator's record per field (for the suggestion's explanation and ranking): mediations ended,
-- and those that ended in an agreement.
CREATE TABLE mediator_field_record (
    mediator_id UUID NOT NULL REFERENCES mediators (id),
    field       TEXT NOT NULL,
    ended       INTEGER NOT NULL DEFAULT 0,
    agreed      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (mediator_id, field)
);

-- 矛盾纠纷排查: disputes registered before they become petitions (源头预防).
CREATE TABLE disputes (
    id            UUID PRIMARY KEY,
    unit_code     TEXT NOT NULL,
    township      TEXT NOT NULL,
    field         TEXT NOT NULL,
    summary       TEXT NOT NULL,
    parties       TEXT[] NOT NULL,
    respondent_unit TEXT,
    status        TEXT NOT NULL CHECK (status IN ('open', 'in_mediation', 'resolved', 'unresolved')),
    registered_on DATE NOT NULL,
    resolved_on   DATE,
    registered_by TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX disputes_township_field ON disputes (township, field, registered_on);

-- 调解: one referral of a petition or a dispute to a body.
CREATE TABLE mediations (
    id              UUID PRIMARY KEY,
    petition_id     UUID REFERENCES cases (case_id),
    dispute_id      UUID REFERENCES disputes (id),
    stage           TEXT NOT NULL CHECK (stage IN ('acceptance', 'handling', 'pre_petition')),
    body_id         UUID NOT NULL REFERENCES bodies (id),
    mediator_id     UUID REFERENCES mediators (id),
    field           TEXT NOT NULL,
    township        TEXT NOT NULL,
    respondent_unit TEXT,
    summary         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('awaiting_consent', 'consented', 'in_session',
                        'agreed', 'consent_refused', 'withdrawn', 'failed')),
    outcome         TEXT,
    end_reason      TEXT,
    referred_on     DATE NOT NULL,
    ended_on        DATE,
    referred_by     TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((petition_id IS NULL) <> (dispute_id IS NULL))
);
CREATE INDEX mediations_petition ON mediations (petition_id);
CREATE INDEX mediations_mediator ON mediations (mediator_id, field);
-- One live mediation per petition or dispute.
CREATE UNIQUE INDEX mediations_live_petition ON mediations (petition_id)
    WHERE status IN ('awaiting_consent', 'consented', 'in_session');
CREATE UNIQUE INDEX mediations_live_dispute ON mediations (dispute_id)
    WHERE status IN ('awaiting_consent', 'consented', 'in_session');

-- 当事人 and their consent (arts 3, 17, 23): who, how, when, by whom recorded.
CREATE TABLE parties (
    mediation_id UUID NOT NULL REFERENCES mediations (id),
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('applicant', 'respondent', 'other')),
    consent      TEXT NOT NULL DEFAULT 'pending' CHECK (consent IN ('pending', 'consented', 'refused')),
    method       TEXT,
    consent_note TEXT,
    answered_at  TIMESTAMPTZ,
    recorded_by  TEXT,
    PRIMARY KEY (mediation_id, name)
);

-- A mediator declared related to a party (回避, art 22 and 23(2)), or asked to be replaced by a
-- party: never suggested nor assigned again to this mediation.
CREATE TABLE mediator_exclusions (
    mediation_id UUID NOT NULL REFERENCES mediations (id),
    mediator_id  UUID NOT NULL REFERENCES mediators (id),
    ground       TEXT NOT NULL CHECK (ground IN ('related', 'party_request')),
    party        TEXT,
    reason       TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (mediation_id, mediator_id)
);

-- 调解会. A mediator or a room is never booked twice at once (the service names the conflict;
-- the exclusion constraints are the last word under concurrency).
CREATE TABLE sessions (
    id            UUID PRIMARY KEY,
    mediation_id  UUID NOT NULL REFERENCES mediations (id),
    mediator_id   UUID NOT NULL REFERENCES mediators (id),
    place         TEXT NOT NULL,
    room          TEXT,
    during        TSTZRANGE NOT NULL,
    participants  TEXT[] NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('scheduled', 'held', 'adjourned', 'cancelled')),
    attendance    JSONB,
    record        TEXT,
    adjourn_reason TEXT,
    adjourned_from UUID REFERENCES sessions (id),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    EXCLUDE USING gist (mediator_id WITH =, during WITH &&) WHERE (status = 'scheduled'),
    EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (status = 'scheduled' AND room IS NOT NULL)
);
CREATE INDEX sessions_mediation ON sessions (mediation_id);

-- 调解协议 (arts 28-33): written (调解协议书) or oral (口头协议), judicial confirmation and
-- performance.
CREATE TABLE agreements (
    id               UUID PRIMARY KEY,
    mediation_id     UUID NOT NULL UNIQUE REFERENCES mediations (id),
    form             TEXT NOT NULL CHECK (form IN ('written', 'oral')),
    dispute          TEXT NOT NULL,
    terms            TEXT NOT NULL,
    signatures       JSONB NOT NULL,
    agreed_on        DATE NOT NULL,
    effective_on     DATE NOT NULL,
    perform_by       DATE,
    confirmation     TEXT NOT NULL DEFAULT 'none' CHECK (confirmation IN ('none', 'applied', 'confirmed', 'rejected')),
    court            TEXT,
    applied_on       DATE,
    ruled_on         DATE,
    ruling           TEXT,
    performance      TEXT NOT NULL DEFAULT 'pending' CHECK (performance IN ('pending', 'performed', 'not_performed')),
    performed_on     DATE,
    flagged_on       DATE,
    returned_to      TEXT,
    performance_note TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX agreements_due ON agreements (perform_by) WHERE performance = 'pending';
