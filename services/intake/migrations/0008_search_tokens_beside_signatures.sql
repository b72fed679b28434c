-- Full-text search (全文检索) reads the tokens that content_signatures already holds, and the
-- petitions table no longer carries a copy with its own GIN index.
--
-- Registration holds the year's case-number counter (编号) from its numbers to its commit, so
-- that numbers stay gap-free; every index the numbered insert writes is written under that lock.
-- The GIN index of the tokens was the costliest of them (about 60 % of the insert: 30-60 entries a
-- petition), and with two intake replicas the second writer waited for it. content_signatures does
-- not need the case number: it is written first, before the counter is taken, and its foreign key
-- is checked at the commit, when the petition exists.
ALTER TABLE content_signatures
    DROP CONSTRAINT content_signatures_petition_id_fkey,
    ADD CONSTRAINT content_signatures_petition_id_fkey
        FOREIGN KEY (petition_id) REFERENCES petitions (id) DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT content_signatures_pkey PRIMARY KEY (petition_id);
CREATE INDEX content_signatures_tokens ON content_signatures USING gin (tokens gin__int_ops)
    WITH (fastupdate = off);
-- (no pending list, as for the index it replaces: see 0004)

ALTER TABLE petitions DROP COLUMN search_tokens;
