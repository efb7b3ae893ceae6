-- Reports received beyond the submission budget (finding M7: a burst of thousands could bury
-- real reports and start thousands of statutory clocks) are recorded in full, with their
-- receipts, but held: no clock starts until an intake officer releases them, and then the
-- clocks start from the day of receipt.
ALTER TABLE cases ADD COLUMN held_at INTEGER;
CREATE INDEX cases_held ON cases(agency_id, held_at);
