-- Petitions (信访件) as registered at the window.
CREATE TABLE petitions (
    id               UUID PRIMARY KEY,
    case_number      TEXT NOT NULL UNIQUE,
    query_code_hash  TEXT NOT NULL,
    channel          TEXT NOT NULL,
    received_on      DATE NOT NULL,
    registered_at    TIMESTAMPTZ NOT NULL,
    registering_unit TEXT NOT NULL,
    registered_by    TEXT NOT NULL,
    division_code    TEXT NOT NULL,
    summary          TEXT NOT NULL,
    petitioner_count INTEGER NOT NULL CHECK (petitioner_count >= 1),
    anonymous        BOOLEAN NOT NULL,
    contactable      BOOLEAN NOT NULL,
    status           TEXT NOT NULL,
    correlation_id   UUID NOT NULL
);
CREATE INDEX petitions_unit_registered ON petitions (registering_unit, registered_at DESC, id DESC);

-- Per-year case number sequence (编号): incremented under a row lock inside the registration
-- transaction, so numbers have no gaps and no duplicates.
CREATE TABLE case_number_counters (
    division_code TEXT NOT NULL,
    year          INTEGER NOT NULL,
    last_value    BIGINT NOT NULL,
    PRIMARY KEY (division_code, year)
);
