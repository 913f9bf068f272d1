-- API tokens expire. Tokens created before this column existed get their
-- expiry when the migration runs (see docs/registry-rules.md).
ALTER TABLE tokens ADD COLUMN expires_at TEXT;
