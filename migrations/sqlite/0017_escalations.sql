-- The reporter can push (issue 8, must-have 7): when a statutory deadline of their case passed
-- with no decision, the status page asks the superior body to act. One request per clock, ever
-- (the UNIQUE key makes a second click or a race with the overdue scan a no-op); the superior's
-- follow-up task is the same one the scan opens (tasks are unique per clock and kind). The rows
-- are what the figures count.
CREATE TABLE escalation_requests (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    clock_id INTEGER NOT NULL UNIQUE REFERENCES case_clocks(id),
    requested_at INTEGER NOT NULL
);
CREATE INDEX escalation_requests_case ON escalation_requests(case_id);
