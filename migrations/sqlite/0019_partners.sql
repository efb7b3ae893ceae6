-- Partner organisations (issue 8, must-have 2): a report a partner officer registered and
-- forwarded to the competent agency names the partner; the partner follows it (state, deadlines,
-- outcome, never content) only if the person said so at intake.
ALTER TABLE cases ADD COLUMN partner_id INTEGER REFERENCES agencies(id);
ALTER TABLE cases ADD COLUMN partner_follows INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cases_partner ON cases(partner_id, received_at);
