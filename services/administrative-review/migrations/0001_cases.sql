-- Cases known to this service, created when intake registers them.
CREATE TABLE cases (
    case_id          UUID PRIMARY KEY,
    case_number      TEXT NOT NULL,
    registering_unit TEXT NOT NULL,
    received_on      DATE NOT NULL,
    status           TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
