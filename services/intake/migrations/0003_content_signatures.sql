-- Repeat detection by content (重复信访 内容相似) reads only the petitions of the same scope (field and
-- respondent): one narrow, insert-only row per petition, read newest first by an index-only scan of
-- (scope, petition_id DESC) that carries the tokens (petition ids are UUIDv7, time-ordered), so a
-- lookup touches a few index pages per thousand earlier petitions of that scope, up to a
-- configured number, instead of the wide, often-updated petitions rows.
CREATE TABLE content_signatures (
    petition_id UUID    NOT NULL REFERENCES petitions (id),
    scope       TEXT    NOT NULL,
    token_count INT4    NOT NULL,
    tokens      INT4[]  NOT NULL
) WITH (autovacuum_vacuum_insert_scale_factor = 0.02);
-- (vacuumed after every ~2 % of new rows, so the visibility map stays set and scans stay index-only)
CREATE INDEX content_signatures_scope
    ON content_signatures (scope, petition_id DESC) INCLUDE (token_count, tokens);

INSERT INTO content_signatures (petition_id, scope, token_count, tokens)
SELECT id, coalesce(field, '-') || '|' || coalesce(respondent_unit, '-'), icount(search_tokens), search_tokens
FROM petitions;

-- The scope-salted copy of the tokens and its GIN index are replaced by the table above.
DROP INDEX petitions_scoped_tokens;
ALTER TABLE petitions DROP COLUMN scoped_tokens;
