-- Notices (告知、通知) to petitioners and units. One notice per (case, kind, recipient).
CREATE TABLE notices (
    id              UUID PRIMARY KEY,
    case_id         UUID NOT NULL,
    case_number     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    recipient_kind  TEXT NOT NULL,
    unit_code       TEXT NOT NULL,
    channel         TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    source_event_id UUID NOT NULL,
    UNIQUE (case_id, kind, recipient_kind)
);
CREATE INDEX notices_unit_created ON notices (unit_code, created_at DESC);
