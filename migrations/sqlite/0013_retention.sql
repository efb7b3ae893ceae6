-- Retention (DESIGN.md: background retention; issue 11 must-have 5). A finished case's content
-- is destroyed when its retention class's period ends: its key wraps (staff, receipt, recovery),
-- the identity and its shares, and every sealed blob. `purged_at` says when; the metadata the
-- statistics need stays. A legal hold keeps the content whatever the period says.
ALTER TABLE cases ADD COLUMN purged_at INTEGER;
ALTER TABLE cases ADD COLUMN legal_hold_at INTEGER;
ALTER TABLE cases ADD COLUMN legal_hold_by TEXT;
CREATE INDEX cases_retention ON cases(state, purged_at, legal_hold_at);
