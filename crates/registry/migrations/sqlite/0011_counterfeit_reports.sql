-- Reports of suspected counterfeit labels, sent by consumers from the
-- verification page or the API. They are kept apart from the event log:
-- a report may carry its sender's contact, which the public log must never
-- show, and an operator closes a report with a note instead of appending
-- an event. `finding` is what the registry said about the number when the
-- report arrived (not_issued, probable_typo, labeled, invalid_number).
CREATE TABLE counterfeit_reports (
    id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    number TEXT NOT NULL,
    finding TEXT NOT NULL,
    label_status TEXT,
    suggestion TEXT,
    seen_at TEXT,
    details TEXT,
    contact TEXT,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    closed_at TEXT,
    closed_by TEXT,
    closing_note TEXT
);
CREATE INDEX counterfeit_reports_received ON counterfeit_reports (received_at);
CREATE INDEX counterfeit_reports_status ON counterfeit_reports (status, received_at);
