-- The petitioner portal (信访人门户, decision 0015): one-time codes that verify a phone before an
-- online petition, and the portal's rate limits. Neither the phone nor the code is stored: the
-- phone as an HMAC keyed by the console's secret, the code as an HMAC of the row id and the code.
CREATE TABLE portal_phone_codes (
    id            UUID PRIMARY KEY,
    -- SHA-256 of the portal cookie's value: the browser that asked is the one that may verify
    session_hash  BYTEA NOT NULL,
    phone_hash    BYTEA NOT NULL,
    code_hash     BYTEA NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    verified_at   TIMESTAMPTZ,
    -- when the verified phone submitted its petition (one petition per verification)
    used_at       TIMESTAMPTZ
);
CREATE INDEX portal_phone_codes_session ON portal_phone_codes (session_hash, created_at DESC);
CREATE INDEX portal_phone_codes_created ON portal_phone_codes (created_at);

-- Counters per bucket (`code:phone:<hmac>`, `code:client:<address>`, `lookup:client:<address>`)
-- and fixed window; shared by the console's replicas.
CREATE TABLE portal_rate_limits (
    bucket       TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX portal_rate_limits_window ON portal_rate_limits (window_start);
