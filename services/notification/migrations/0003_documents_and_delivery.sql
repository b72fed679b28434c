-- Templates (文书模板), versioned: version 1 of each is built in (domain/catalog.rs); administrators
-- publish later versions, each checked when saved. A notice keeps the version it was made from.
CREATE TABLE templates (
    code        TEXT NOT NULL,
    version     INT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by  TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

-- What a printed document needs, fixed when the notice is made (same notice → same bytes).
ALTER TABLE notices ADD COLUMN template_version INT NOT NULL DEFAULT 1;
ALTER TABLE notices ADD COLUMN request_id UUID;
ALTER TABLE notices ADD COLUMN organ_name TEXT NOT NULL DEFAULT '';
ALTER TABLE notices ADD COLUMN addressee TEXT NOT NULL DEFAULT '';
ALTER TABLE notices ADD COLUMN document_number TEXT;
ALTER TABLE notices ADD COLUMN dated_on DATE;
ALTER TABLE notices ADD COLUMN needs_proof BOOLEAN NOT NULL DEFAULT false;
UPDATE notices SET dated_on = created_at::date WHERE dated_on IS NULL;
ALTER TABLE notices ALTER COLUMN dated_on SET NOT NULL;
CREATE INDEX notices_case ON notices (case_id, created_at);

-- The printed documents (文书 PDF), stored with the case.
CREATE TABLE documents (
    notice_id   UUID PRIMARY KEY REFERENCES notices (id),
    case_id     UUID NOT NULL,
    sha256      TEXT NOT NULL,
    pdf         BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Deliveries (送达): one per (notice, channel); the notice names its recipient. Contact details are
-- never stored here: the dispatcher asks intake for them at send time.
--   queued → sending → delivered | retrying → … → failed        (sms, email)
--   delivered at once                                            (system: a unit's inbox; online: the petitioner's)
--   awaiting_post → posted (tracking number) → delivered         (letter)
--   awaiting_handover → delivered (signature date)               (in_person)
CREATE TABLE deliveries (
    id               UUID PRIMARY KEY,
    notice_id        UUID NOT NULL REFERENCES notices (id),
    case_id          UUID NOT NULL,
    channel          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error       TEXT,
    sent_at          TIMESTAMPTZ,
    delivered_on     DATE,
    proof            TEXT,
    tracking_number  TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (notice_id, channel)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('queued', 'retrying');
CREATE INDEX deliveries_status ON deliveries (status, updated_at DESC);
CREATE INDEX deliveries_case ON deliveries (case_id);

-- Where a case stands, as the petitioner's self-service tells it (办理进度).
ALTER TABLE notification_cases ADD COLUMN stage TEXT NOT NULL DEFAULT 'registered';
ALTER TABLE notification_cases ADD COLUMN stage_on DATE;
ALTER TABLE notification_cases ADD COLUMN closed BOOLEAN NOT NULL DEFAULT false;

-- Satisfaction ratings (满意度评价): one per case, after closure.
CREATE TABLE satisfaction_ratings (
    case_id     UUID PRIMARY KEY,
    rating      TEXT NOT NULL,
    comment     TEXT,
    rated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Self-service attempts per client and minute (查询限流), shared by every replica.
CREATE TABLE self_service_attempts (
    client        TEXT NOT NULL,
    window_start  TIMESTAMPTZ NOT NULL,
    attempts      INT NOT NULL,
    PRIMARY KEY (client, window_start)
);
