-- The statutory workflow: the legal track chosen at triage, forwarding hops (a second forwarding is
-- "ping-pong" and needs the agency lead), the sender of a forwarded case (who gets it back if the
-- receiver refuses it), decision metadata (document number, date, legal basis: in clear, they
-- are needed for deadlines and statistics; reasons stay encrypted), and links between cases
-- (duplicates and re-denunciations, Law on Denunciation Art. 37).
ALTER TABLE cases ADD COLUMN track TEXT;
ALTER TABLE cases ADD COLUMN forward_hops INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN forwarded_by INTEGER REFERENCES agencies(id);
ALTER TABLE case_events ADD COLUMN document_number TEXT;
ALTER TABLE case_events ADD COLUMN decision_date TEXT;
ALTER TABLE case_events ADD COLUMN legal_basis TEXT;
ALTER TABLE case_events ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';

CREATE TABLE case_links (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    linked_case_id INTEGER NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, linked_case_id)
);
CREATE INDEX case_links_linked ON case_links(linked_case_id);
