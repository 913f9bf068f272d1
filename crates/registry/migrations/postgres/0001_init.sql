-- Event log: append-only, hash-chained.
CREATE TABLE events (
    seq            BIGINT PRIMARY KEY,
    at             TEXT   NOT NULL,
    actor_role     TEXT   NOT NULL,
    actor_org      TEXT   NOT NULL,
    token_id       TEXT,
    token_name     TEXT,
    kind           TEXT   NOT NULL,
    application_id TEXT,
    label_number   TEXT,
    reason         TEXT,
    payload        TEXT   NOT NULL,
    prev_hash      TEXT   NOT NULL,
    hash           TEXT   NOT NULL UNIQUE
);
CREATE INDEX events_label ON events (label_number, seq);
CREATE INDEX events_application ON events (application_id, seq);
CREATE INDEX events_at ON events (at);

CREATE FUNCTION jcstar_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION jcstar_events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION jcstar_events_append_only();

-- The newest event; its row lock serialises appenders.
CREATE TABLE chain_head (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT   NOT NULL,
    touch BIGINT NOT NULL
);
INSERT INTO chain_head (id, seq, hash, touch)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);

-- Allocators for application ids and registration sequences; never decrease.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('application', 0), ('label', 0);

-- Materialised state, derived from events (rebuildable).
CREATE TABLE applications (
    id              TEXT PRIMARY KEY,
    seq             BIGINT NOT NULL UNIQUE,
    org             TEXT NOT NULL,
    evaluation_body TEXT,
    status          TEXT NOT NULL,
    level           BIGINT NOT NULL,
    data            TEXT NOT NULL
);
CREATE INDEX applications_org ON applications (org, seq);
CREATE INDEX applications_body ON applications (evaluation_body, seq);
CREATE INDEX applications_status ON applications (status, seq);

CREATE TABLE labels (
    number         TEXT PRIMARY KEY,
    seq            BIGINT NOT NULL UNIQUE,
    application_id TEXT NOT NULL,
    org            TEXT NOT NULL,
    level          BIGINT NOT NULL,
    stored_status  TEXT NOT NULL,
    issued_on      TEXT NOT NULL,
    valid_until    TEXT NOT NULL,
    company_norm   TEXT NOT NULL,
    product_norm   TEXT NOT NULL,
    model_norm     TEXT NOT NULL,
    search_norm    TEXT NOT NULL,
    data           TEXT NOT NULL
);
CREATE INDEX labels_org ON labels (org, seq);
CREATE INDEX labels_level ON labels (level, seq);
CREATE INDEX labels_status ON labels (stored_status, valid_until, seq);

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    org        TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
