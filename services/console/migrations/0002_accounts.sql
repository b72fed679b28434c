-- Staff accounts (工作人员账号), their sessions, and login throttling.
CREATE TABLE accounts (
    id                 UUID PRIMARY KEY,
    login_name         TEXT NOT NULL UNIQUE,
    display_name       TEXT NOT NULL,
    unit_code          TEXT NOT NULL REFERENCES units (code),
    roles              TEXT[] NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    -- argon2id PHC string
    password_hash      TEXT NOT NULL,
    password_changed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- TOTP secret sealed with AES-256-GCM (nonce ‖ ciphertext); pending until confirmed
    totp_secret        BYTEA,
    totp_pending       BYTEA,
    totp_enrolled_at   TIMESTAMPTZ,
    totp_last_step     BIGINT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by         TEXT NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    version            BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX accounts_unit ON accounts (unit_code);

CREATE TABLE sessions (
    id             UUID PRIMARY KEY,
    account_id     UUID NOT NULL REFERENCES accounts (id),
    -- SHA-256 of the refresh secret handed to the client
    refresh_hash   BYTEA NOT NULL UNIQUE,
    -- a session that may only enrol TOTP (admin / pii_viewer without TOTP yet)
    enrol_only     BOOLEAN NOT NULL DEFAULT false,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at     TIMESTAMPTZ,
    revoked_reason TEXT,
    revoked_by     TEXT,
    client_address TEXT,
    user_agent     TEXT
);
CREATE INDEX sessions_account ON sessions (account_id) WHERE revoked_at IS NULL;

-- Failed logins within the window, per login name (known or not) and per client address.
CREATE TABLE login_failures (
    id             BIGSERIAL PRIMARY KEY,
    login_key      TEXT NOT NULL,
    client_address TEXT NOT NULL,
    failed_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key ON login_failures (login_key, failed_at);
CREATE INDEX login_failures_address ON login_failures (client_address, failed_at);

-- Temporary lockouts (临时锁定).
CREATE TABLE login_locks (
    subject_kind  TEXT NOT NULL CHECK (subject_kind IN ('account', 'address')),
    subject       TEXT NOT NULL,
    locked_until  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subject_kind, subject)
);
