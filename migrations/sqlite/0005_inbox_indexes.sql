-- Inbox at a million cases (docs/benchmarks.md): a narrow index for counting an agency's cases,
-- the overdue filter without reading every case of the agency, and the overseers' view across
-- agencies ordered by deadline.
CREATE INDEX cases_agency ON cases(agency_id);
CREATE INDEX cases_agency_overdue_due ON cases(agency_id, due_on, id) WHERE overdue = 1;
CREATE INDEX cases_due ON cases(due_on, id);
