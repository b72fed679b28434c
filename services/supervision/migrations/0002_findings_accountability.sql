-- Assessment findings (考核发现) for the five questions, raised by timers and events as they happen.
CREATE TABLE findings (
    id          UUID PRIMARY KEY,
    question    TEXT NOT NULL CHECK (question IN ('unregistered_visit', 'unaccepted', 'unhandled', 'unaccounted', 'uninvestigated')),
    case_id     UUID,
    unit_code   TEXT NOT NULL,
    subject_ref TEXT NOT NULL,
    detail      TEXT NOT NULL,
    raised_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at TIMESTAMPTZ,
    -- one finding per question and subject (a deadline, a visit, a misconduct report)
    UNIQUE (question, subject_ref)
);
CREATE INDEX findings_unit ON findings (unit_code, raised_at DESC);

-- Accountability cases (追责问责, 《信访工作条例》第四十二至四十六条). Later migrations add the people,
-- evidence links and outcome details.
CREATE TABLE accountability_cases (
    id          UUID PRIMARY KEY,
    case_id     UUID,
    unit_code   TEXT NOT NULL,
    ground      TEXT NOT NULL,
    status      TEXT NOT NULL,
    opened_by   TEXT NOT NULL,
    opened_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX accountability_cases_case ON accountability_cases (case_id);

-- Misconduct by staff reported (双向规范), which must be investigated (应查处).
CREATE TABLE misconduct_reports (
    id                 UUID PRIMARY KEY,
    case_id            UUID,
    unit_code          TEXT NOT NULL,
    description        TEXT NOT NULL,
    reported_by        TEXT NOT NULL,
    reported_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- the accountability case that investigates it, once opened
    accountability_id  UUID REFERENCES accountability_cases (id)
);
