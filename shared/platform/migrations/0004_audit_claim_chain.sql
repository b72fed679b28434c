-- Claim a free audit chain and read its newest row with one prepared call (认领空闲审计链).
--
-- A chain only orders and links rows; which chain a row goes to is free (verification checks each
-- chain on its own, a case's history is read by case id). Writers used to lock the chains of their
-- cases, blocking: a batch of 20 cases took 20 locks, and two batches (two replicas' consumers,
-- two registration writers, a request and a batch) that shared one chain queued until the first
-- committed. A writer now tries its preferred chain and then the next ones without waiting
-- (pg_try_advisory_xact_lock) and writes all its rows to the first chain it gets: one lock, no
-- queue while any of the `chains` is free. Only when every chain is held does it wait for the
-- preferred one. The lock is re-entrant, so a transaction appending again gets its preferred chain
-- back if it already holds it.
--
-- The head is read by a second statement, whose snapshot (READ COMMITTED, VOLATILE function) is
-- taken after the lock is granted, so it sees every row committed before: see 0003.
CREATE OR REPLACE FUNCTION audit_claim_chain(lock_class INT4, preferred INT2, chains INT2)
RETURNS TABLE (chain INT2, chain_seq INT8, row_hash BYTEA)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    claimed INT2;
    i INT4;
BEGIN
    IF chains < 1 OR preferred < 0 OR preferred >= chains THEN
        RAISE EXCEPTION 'audit_claim_chain: preferred chain % outside 0..%', preferred, chains - 1;
    END IF;
    FOR i IN 0 .. chains - 1 LOOP
        IF pg_try_advisory_xact_lock(lock_class, (preferred + i) % chains) THEN
            claimed := ((preferred + i) % chains)::INT2;
            EXIT;
        END IF;
    END LOOP;
    IF claimed IS NULL THEN
        PERFORM pg_advisory_xact_lock(lock_class, preferred::INT4);
        claimed := preferred;
    END IF;
    RETURN QUERY
        SELECT claimed, h.chain_seq, h.row_hash
        FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (SELECT l.chain_seq, l.row_hash FROM audit_log l
                           WHERE l.chain = claimed
                           ORDER BY l.chain_seq DESC LIMIT 1) h ON true;
END
$$;
