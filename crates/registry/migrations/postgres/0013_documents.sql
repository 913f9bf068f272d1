-- SBOM, VEX and CSAF documents attached to labels, exactly as received, keyed by
-- the SHA-256 of their bytes. The `sbom_attached` / `vex_published` / `csaf_published` event
-- carries the digest, so the hash chain covers the content while the event
-- feed stays small. Like events, a document is never changed or removed.
CREATE TABLE documents (
    sha256 TEXT PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('sbom', 'vex', 'csaf')),
    body   TEXT NOT NULL
);

CREATE TRIGGER documents_no_update BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION jcstar_events_append_only();
CREATE TRIGGER documents_no_truncate BEFORE TRUNCATE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION jcstar_events_append_only();
