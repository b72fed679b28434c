-- The deadline engine (期限引擎): every clock of the domain brief, its timers, calendar years
-- published at run time, and the visits awaiting registration (应登记不登记).

-- A case may have several deadlines of one kind over its life (a transfer objected to, then
-- re-transferred), but only one live (open or paused) deadline per kind.
ALTER TABLE deadlines DROP CONSTRAINT deadlines_case_id_kind_key;
CREATE UNIQUE INDEX deadlines_live_kind ON deadlines (case_id, kind) WHERE status IN ('open', 'paused');
CREATE INDEX deadlines_case ON deadlines (case_id);
CREATE INDEX deadlines_unprojected ON deadlines (id) WHERE due_date IS NULL AND status IN ('open', 'paused');

ALTER TABLE deadlines
    -- a date set by another body (交办期限), not computed from a period
    ADD COLUMN fixed_due    DATE,
    -- the first stopped day of a clock stop whose end is not known yet (status 'paused')
    ADD COLUMN paused_since DATE,
    ADD COLUMN paused_reason TEXT,
    -- when and why the deadline stopped being live (met or cancelled)
    ADD COLUMN closed_on    DATE,
    ADD COLUMN closed_by    TEXT,
    -- met after the due date
    ADD COLUMN closed_late  BOOLEAN,
    ADD COLUMN updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- whether the timer steps exist; deadlines opened elsewhere (or before this migration) get
    -- theirs from the timer worker
    ADD COLUMN steps_scheduled BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX deadlines_unscheduled ON deadlines (id) WHERE NOT steps_scheduled AND status IN ('open', 'paused');
ALTER TABLE deadlines ADD CONSTRAINT deadlines_status_known
    CHECK (status IN ('open', 'met', 'cancelled', 'paused'));

-- Timers (期限提醒): one row per deadline and step. A step fires exactly once: the worker claims
-- due rows with FOR UPDATE SKIP LOCKED and, in the same transaction, writes the event into the
-- outbox and sets fired_at. Unfired steps are moved when the deadline moves and cancelled when it
-- closes; fire_on is NULL while the calendar does not cover the date.
CREATE TABLE deadline_steps (
    deadline_id  UUID NOT NULL REFERENCES deadlines (id) ON DELETE CASCADE,
    step         TEXT NOT NULL CHECK (step IN ('warning', 'due', 'overdue', 'long_overdue')),
    seq          SMALLINT NOT NULL,
    fire_on      DATE,
    fired_at     TIMESTAMPTZ,
    -- the (China) day the worker fired it for, and which replica
    fired_for    DATE,
    fired_by     TEXT,
    event_id     UUID,
    cancelled_at TIMESTAMPTZ,
    PRIMARY KEY (deadline_id, step)
);
CREATE INDEX deadline_steps_pending ON deadline_steps (fire_on, seq)
    WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX deadline_steps_long_overdue ON deadline_steps (fire_on)
    WHERE step = 'long_overdue' AND fired_at IS NOT NULL;

-- Holiday calendar years published at run time (POST /api/v1/calendar/years), so that every
-- replica loads them; the files under deploy/calendars are loaded too.
CREATE TABLE calendar_years (
    year        INTEGER PRIMARY KEY,
    arrangement JSONB NOT NULL,
    source      TEXT NOT NULL,
    loaded_by   TEXT NOT NULL,
    loaded_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Visits logged on arrival (来访登记) and whether a petition registered them (应登记不登记).
-- Either event may arrive first.
CREATE TABLE visits (
    visit_id        UUID PRIMARY KEY,
    unit_code       TEXT,
    arrived_at      TIMESTAMPTZ,
    visitor_count   INTEGER,
    -- last day on which registering is still in time; NULL while the calendar does not cover it
    register_by     DATE,
    registered_case UUID,
    registered_at   TIMESTAMPTZ
);
CREATE INDEX visits_unregistered ON visits (register_by) WHERE registered_case IS NULL;

CREATE INDEX findings_keyset ON findings (id DESC);
CREATE INDEX misconduct_reports_open ON misconduct_reports (reported_at) WHERE accountability_id IS NULL;
