-- Transactional outbox (发件箱): events written in the state-change transaction, published by the relay.
CREATE TABLE IF NOT EXISTS outbox (
    id              BIGSERIAL PRIMARY KEY,
    event_id        UUID NOT NULL UNIQUE,
    case_id         UUID,
    routing_key     TEXT NOT NULL,
    envelope        JSONB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at    TIMESTAMPTZ,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error      TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_pending_case ON outbox (case_id, id) WHERE published_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Inbox (收件记录): one row per (event, handler) applied; a conflict means "already applied".
CREATE TABLE IF NOT EXISTS processed_events (
    event_id     UUID NOT NULL,
    handler      TEXT NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, handler)
);

-- Reasons noted by the consumer just before it rejects a message to the dead-letter queue.
CREATE TABLE IF NOT EXISTS rejection_notes (
    message_id TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    noted_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Dead letters (死信) drained from this service's dead-letter queue, for listing and replay.
CREATE TABLE IF NOT EXISTS dead_letters (
    id           BIGSERIAL PRIMARY KEY,
    message_id   TEXT NOT NULL,
    death_count  BIGINT NOT NULL,
    routing_key  TEXT NOT NULL,
    source_queue TEXT,
    reason       TEXT NOT NULL,
    detail       TEXT,
    payload      BYTEA NOT NULL,
    headers      JSONB NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    replayed_at  TIMESTAMPTZ,
    UNIQUE (message_id, death_count)
);
