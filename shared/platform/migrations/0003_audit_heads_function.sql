-- Lock audit chains and read their newest rows with one prepared call (锁定审计链并读取链头).
--
-- Every writer of audit rows first takes its chains' advisory locks (ascending, so that two
-- writers cannot deadlock) and then reads each chain's newest row, which the new rows link to. The
-- read must see every row committed before the locks were granted, so it cannot share a statement
-- (and a snapshot) with the locking: it used to be a second statement sent with the first as one
-- simple query, parsed and planned on every call (about 6 % of PostgreSQL's time under load). In a
-- VOLATILE PL/pgSQL function each statement takes a fresh snapshot under READ COMMITTED, and its
-- plans are cached per session, so one prepared call now does both.
CREATE OR REPLACE FUNCTION audit_lock_heads(lock_class INT4, chains INT2[])
RETURNS TABLE (chain INT2, chain_seq INT8, row_hash BYTEA)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    PERFORM count(pg_advisory_xact_lock(lock_class, t.c))
    FROM unnest(chains::INT4[]) AS t(c);
    RETURN QUERY
        SELECT c.chain, h.chain_seq, h.row_hash
        FROM unnest(chains) AS c(chain)
        LEFT JOIN LATERAL (SELECT l.chain_seq, l.row_hash FROM audit_log l
                           WHERE l.chain = c.chain
                           ORDER BY l.chain_seq DESC LIMIT 1) h ON true;
END
$$;
