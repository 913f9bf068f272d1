-- Search is answered from each server process's in-memory index
-- (crates/registry/src/search.rs), so the FTS5 trigram table of migration 2
-- and the triggers that kept it in step only cost writes and space. The
-- `*_norm` columns stay: they are part of the materialised state that
-- `registry verify` compares with a replay of the log.
DROP TRIGGER IF EXISTS labels_fts_insert;
DROP TRIGGER IF EXISTS labels_fts_delete;
DROP TRIGGER IF EXISTS labels_fts_update;
DROP TABLE IF EXISTS labels_fts;
