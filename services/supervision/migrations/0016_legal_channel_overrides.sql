-- Decisions that went against a legal-channel suggestion (偏离法定途径建议), from intake's
-- `intake.legal_channel.overridden.v1`: one row per override, counted by unit, channel and month
-- in the statistics (issue 12 item 4).
CREATE TABLE legal_channel_overrides (
    event_id          UUID PRIMARY KEY,
    case_id           UUID NOT NULL,
    -- the unit that decided against the suggestion
    unit_code         TEXT NOT NULL,
    -- the suggested legal channel's code (e.g. political_legal)
    suggested_channel TEXT NOT NULL,
    -- accept | transfer | assign
    decision_kind     TEXT NOT NULL,
    decided_on        DATE NOT NULL,
    reason            TEXT NOT NULL
);
CREATE INDEX legal_channel_overrides_date ON legal_channel_overrides (decided_on);
CREATE INDEX legal_channel_overrides_unit ON legal_channel_overrides (unit_code, decided_on);
