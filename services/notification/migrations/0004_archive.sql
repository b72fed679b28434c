-- The archive (信访档案, decision 0017).

-- Cases that became final (administrative-review.case.finalized.v1), waiting for their package.
CREATE TABLE archive_queue (
    case_id          UUID PRIMARY KEY,
    case_number      TEXT NOT NULL,
    concluded_on     DATE NOT NULL,
    level            TEXT NOT NULL,
    finalized_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    source_event_id  UUID NOT NULL,
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error       TEXT,
    archived_at      TIMESTAMPTZ
);
CREATE INDEX archive_queue_waiting ON archive_queue (finalized_at) WHERE archived_at IS NULL;

-- One package per case: its manifest (清单) and retention (保管期限); legal hold (法律保全).
CREATE TABLE archive_packages (
    case_id          UUID PRIMARY KEY,
    case_number      TEXT NOT NULL,
    unit_code        TEXT NOT NULL,
    archived_at      TIMESTAMPTZ NOT NULL,
    retention_class  TEXT NOT NULL,
    retain_until     DATE,
    manifest         JSONB NOT NULL,
    manifest_sha256  TEXT NOT NULL,
    on_hold          BOOLEAN NOT NULL DEFAULT false,
    hold_reason      TEXT,
    hold_by          TEXT,
    hold_at          TIMESTAMPTZ,
    destroyed_at     TIMESTAMPTZ
);
CREATE INDEX archive_packages_number ON archive_packages (case_number);
CREATE INDEX archive_packages_unit ON archive_packages (unit_code, archived_at DESC);

-- The package's files; content is NULL once destroyed (path, size and hash stay).
CREATE TABLE archive_files (
    case_id      UUID NOT NULL REFERENCES archive_packages (case_id),
    path         TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    content      BYTEA,
    PRIMARY KEY (case_id, path)
);

-- The petitioners' blind indexes (intake's keyed HMAC; no value), for a search by petitioner.
CREATE TABLE archive_petitioners (
    case_id  UUID NOT NULL REFERENCES archive_packages (case_id),
    kind     TEXT NOT NULL,
    bidx     BYTEA NOT NULL,
    PRIMARY KEY (case_id, kind, bidx)
);
CREATE INDEX archive_petitioners_bidx ON archive_petitioners (bidx);

-- Destruction (销毁): requested by one person, approved by another; the record stays.
CREATE TABLE archive_destructions (
    id               UUID PRIMARY KEY,
    case_id          UUID NOT NULL REFERENCES archive_packages (case_id),
    status           TEXT NOT NULL,
    reason           TEXT NOT NULL,
    requested_by     TEXT NOT NULL,
    requested_unit   TEXT NOT NULL,
    requested_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    approved_by      TEXT,
    approved_unit    TEXT,
    approved_at      TIMESTAMPTZ,
    comment          TEXT,
    manifest_sha256  TEXT NOT NULL,
    destroyed_files  JSONB
);
CREATE UNIQUE INDEX archive_destructions_pending ON archive_destructions (case_id) WHERE status = 'pending';
