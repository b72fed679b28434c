-- Append-only, hash-chained audit log (审计日志). Rows are spread over a few chains by case so that
-- writers of different cases do not wait for each other; each chain is verified on its own.
CREATE TABLE IF NOT EXISTS audit_log (
    seq         BIGSERIAL PRIMARY KEY,
    chain       SMALLINT NOT NULL,
    chain_seq   BIGINT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor       TEXT NOT NULL,
    unit        TEXT NOT NULL,
    action      TEXT NOT NULL,
    case_id     UUID,
    details     JSONB NOT NULL,
    prev_hash   BYTEA NOT NULL,
    row_hash    BYTEA NOT NULL,
    UNIQUE (chain, chain_seq)
);
CREATE INDEX IF NOT EXISTS audit_log_case ON audit_log (case_id, seq);

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (审计日志只允许追加)';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Idempotency keys of POST requests (幂等键): a retried request returns the first response.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    actor           TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    status_code     SMALLINT,
    response_body   JSONB,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, idempotency_key)
);
