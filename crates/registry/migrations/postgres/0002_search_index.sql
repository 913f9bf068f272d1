-- Substring search: pg_trgm GIN indexes serve LIKE '%...%' on the
-- lower-cased search columns. The extension is shared by the whole database
-- and may live in any schema (or be unavailable to this role): find it, and
-- without it keep going (search still works, by scanning).
DO $$
DECLARE
    ext_schema text;
BEGIN
    SELECT n.nspname INTO ext_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NULL THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
            ext_schema := 'public';
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'jcstar: pg_trgm is unavailable (%); substring search will scan the labels table', SQLERRM;
            RETURN;
        END;
    END IF;
    EXECUTE format('CREATE INDEX labels_search_trgm ON labels USING gin (search_norm %I.gin_trgm_ops)', ext_schema);
    EXECUTE format('CREATE INDEX labels_company_trgm ON labels USING gin (company_norm %I.gin_trgm_ops)', ext_schema);
    EXECUTE format('CREATE INDEX labels_product_trgm ON labels USING gin (product_norm %I.gin_trgm_ops)', ext_schema);
    EXECUTE format('CREATE INDEX labels_model_trgm ON labels USING gin (model_norm %I.gin_trgm_ops)', ext_schema);
END
$$;

-- Registration-number prefixes (LIKE 'JCS2-2026%') whatever the collation.
CREATE INDEX labels_number_prefix ON labels (number text_pattern_ops);

-- Home page counts by level and status read this index only.
CREATE INDEX labels_counts ON labels (level, stored_status, valid_until);
