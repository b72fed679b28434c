-- Cases as notification knows them: whom to tell and how.
CREATE TABLE notification_cases (
    case_id          UUID PRIMARY KEY,
    case_number      TEXT NOT NULL,
    registering_unit TEXT NOT NULL,
    received_on      DATE NOT NULL,
    anonymous        BOOLEAN NOT NULL,
    contactable      BOOLEAN NOT NULL
);

-- Notices go to petitioners and to units; one notice per source event and recipient.
ALTER TABLE notices ADD COLUMN recipient_unit TEXT;
ALTER TABLE notices ADD COLUMN dedup_key TEXT;
UPDATE notices SET dedup_key = case_id::text || ':' || kind || ':' || recipient_kind WHERE dedup_key IS NULL;
ALTER TABLE notices ALTER COLUMN dedup_key SET NOT NULL;
ALTER TABLE notices DROP CONSTRAINT notices_case_id_kind_recipient_kind_key;
ALTER TABLE notices ADD CONSTRAINT notices_dedup_key UNIQUE (dedup_key);
CREATE INDEX notices_recipient_unit ON notices (recipient_unit, created_at DESC) WHERE recipient_unit IS NOT NULL;
