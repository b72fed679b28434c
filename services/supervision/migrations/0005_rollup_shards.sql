-- The statistics rollup's rows are kept in a few shards per key.
--
-- Every event of a day adds to the same county rows (scope '*', dim 'all', that day), so two event
-- batches committing side by side queued on those rows. Each batch now adds to one of 8 shards
-- (chosen in turn by the writer), and readers sum the shards, as they already sum days.
-- `rebuild_rollup` writes shard 0.
ALTER TABLE indicator_rollup ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE indicator_rollup DROP CONSTRAINT indicator_rollup_pkey;
ALTER TABLE indicator_rollup ADD PRIMARY KEY (scope_unit, dim, day, dim_value, shard);
