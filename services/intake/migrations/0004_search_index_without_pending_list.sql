-- The full-text index on petitions (search_tokens) no longer keeps a pending list.
--
-- With GIN's default fastupdate, new entries go to a pending list, and the registration that
-- finds the list over gin_pending_list_limit (4 MB) moves all of it into the index inside its own
-- INSERT: measured at 450-510 ms for one INSERT every few thousand registrations, during which
-- the registrations queued behind the case-number counter wait too (p99 at 200 registrations/s
-- went from ~30 ms to ~70 ms; max ~0.5 s). Without the pending list every registration pays a
-- little more (its ~30-60 bigram hashes go straight into the index) and none pays for the others.
ALTER INDEX petitions_search_tokens SET (fastupdate = off);
-- Move what is already pending into the index now, not in some clerk's registration.
SELECT gin_clean_pending_list('petitions_search_tokens'::regclass);
