-- Substring search: an FTS5 index with the trigram tokenizer over the
-- lower-cased search columns, keyed by the label's sequence number so that
-- matches come out in registration order and a page can stop early.
-- Triggers keep it in step inside the transaction that writes `labels`.
CREATE VIRTUAL TABLE labels_fts USING fts5(
    search_norm, company_norm, product_norm, model_norm,
    content = 'labels', content_rowid = 'seq', tokenize = 'trigram'
);
CREATE TRIGGER labels_fts_insert AFTER INSERT ON labels
BEGIN
    INSERT INTO labels_fts (rowid, search_norm, company_norm, product_norm, model_norm)
    VALUES (new.seq, new.search_norm, new.company_norm, new.product_norm, new.model_norm);
END;
CREATE TRIGGER labels_fts_delete AFTER DELETE ON labels
BEGIN
    INSERT INTO labels_fts (labels_fts, rowid, search_norm, company_norm, product_norm, model_norm)
    VALUES ('delete', old.seq, old.search_norm, old.company_norm, old.product_norm, old.model_norm);
END;
CREATE TRIGGER labels_fts_update AFTER UPDATE ON labels
BEGIN
    INSERT INTO labels_fts (labels_fts, rowid, search_norm, company_norm, product_norm, model_norm)
    VALUES ('delete', old.seq, old.search_norm, old.company_norm, old.product_norm, old.model_norm);
    INSERT INTO labels_fts (rowid, search_norm, company_norm, product_norm, model_norm)
    VALUES (new.seq, new.search_norm, new.company_norm, new.product_norm, new.model_norm);
END;
INSERT INTO labels_fts (labels_fts) VALUES ('rebuild');

-- Home page counts by level and status read this index only.
CREATE INDEX labels_counts ON labels (level, stored_status, valid_until);
