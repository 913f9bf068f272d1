-- Search is answered from each server process's in-memory index
-- (crates/registry/src/search.rs), so the pg_trgm GIN indexes of migration 2
-- only cost writes and space. The extension itself is left alone: it is
-- shared by the whole database. The prefix index on registration numbers
-- and the counts index stay.
DROP INDEX IF EXISTS labels_search_trgm;
DROP INDEX IF EXISTS labels_company_trgm;
DROP INDEX IF EXISTS labels_product_trgm;
DROP INDEX IF EXISTS labels_model_trgm;
