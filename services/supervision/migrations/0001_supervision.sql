-- Statutory deadlines (法定期限). Stored as (start, period, unit, stops, extensions) so that a newly
-- published holiday calendar can re-project the due date; due_date is NULL while the calendar does
-- not cover the dates needed.
CREATE TABLE deadlines (
    id              UUID PRIMARY KEY,
    case_id         UUID NOT NULL,
    case_number     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    basis           TEXT NOT NULL,
    unit_code       TEXT NOT NULL,
    start_date      DATE NOT NULL,
    period          INTEGER NOT NULL,
    period_unit     TEXT NOT NULL,
    stops           JSONB NOT NULL DEFAULT '[]',
    extensions      JSONB NOT NULL DEFAULT '[]',
    due_date        DATE,
    explanation     JSONB NOT NULL,
    status          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    source_event_id UUID NOT NULL,
    UNIQUE (case_id, kind)
);
CREATE INDEX deadlines_open_due ON deadlines (due_date) WHERE status = 'open';

-- The case timeline (办理轨迹): every event of every service, as received.
CREATE TABLE case_events (
    event_id       UUID PRIMARY KEY,
    case_id        UUID,
    routing_key    TEXT NOT NULL,
    producer       TEXT NOT NULL,
    occurred_at    TIMESTAMPTZ NOT NULL,
    correlation_id UUID NOT NULL,
    unit_code      TEXT,
    payload        JSONB NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX case_events_case ON case_events (case_id, occurred_at);

-- Units that may see a case (the registering unit and those it is handed to).
CREATE TABLE case_units (
    case_id   UUID NOT NULL,
    unit_code TEXT NOT NULL,
    PRIMARY KEY (case_id, unit_code)
);
