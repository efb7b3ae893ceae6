-- Every channel (issue 8, must-have 1): an officer registers a report on behalf of a person who
-- came in, phoned, wrote, or was forwarded by another body. The channel was already recorded;
-- the forwarding body and its document number are kept in clear as metadata (never the person's
-- identity, which is sealed as for web reports), with the officer who registered it.
ALTER TABLE cases ADD COLUMN source_body TEXT;
ALTER TABLE cases ADD COLUMN source_document TEXT;
ALTER TABLE cases ADD COLUMN registered_by BIGINT REFERENCES users(id);
CREATE INDEX cases_channel ON cases(agency_id, channel);
