-- How far the public chain status has verified the event log: the event
-- it reached and that event's hash. The status continues from here instead
-- of re-hashing the whole log on every request; `registry verify` still
-- checks everything and moves the checkpoint when the whole chain holds.
-- The row is a cache of a verification, not part of the log: losing or
-- resetting it only makes the next status request verify more.
CREATE TABLE chain_checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    verified_at TEXT NOT NULL
);
INSERT INTO chain_checkpoint (id, seq, hash, verified_at)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', '');
