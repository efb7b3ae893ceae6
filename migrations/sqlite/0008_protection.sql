-- Protection of the people who report, as cases of their own (Law on Denunciation 2018 ch. VI;
-- Decree 31/2019). A protection case belongs to a report; its free text (the reporter's account
-- of the threat, the relatives' names, reasons) is sealed under a protection key wrapped under
-- the report's case key, to the agency's protection officers and to the recovery key. States,
-- measures and dates stay in clear for deadlines and statistics. Its assessment deadline is a
-- clock of the report (case_clocks, clock protection_assessing), so the overdue scan escalates it.
CREATE TABLE protection_cases (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    agency_id INTEGER NOT NULL REFERENCES agencies(id),
    state TEXT NOT NULL,
    urgent INTEGER NOT NULL DEFAULT 0,
    opened_by TEXT NOT NULL,
    persons TEXT NOT NULL,
    key_case BLOB NOT NULL,
    key_recovery BLOB NOT NULL,
    details_sealed BLOB,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX protection_cases_case ON protection_cases(case_id);
CREATE INDEX protection_cases_agency ON protection_cases(agency_id, state);

CREATE TABLE protection_keys (
    protection_id INTEGER NOT NULL REFERENCES protection_cases(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    wrapped BLOB NOT NULL,
    PRIMARY KEY (protection_id, user_id)
);

CREATE TABLE protection_measures (
    id INTEGER PRIMARY KEY,
    protection_id INTEGER NOT NULL REFERENCES protection_cases(id),
    kind TEXT NOT NULL,
    carried_by TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    review_on TEXT NOT NULL,
    ends_on TEXT,
    created_at INTEGER NOT NULL,
    withdrawn_at INTEGER,
    -- When the scheduler told the protection officers that the review date had come (once).
    review_notified_at INTEGER
);
CREATE INDEX protection_measures_case ON protection_measures(protection_id);

CREATE TABLE protection_events (
    id INTEGER PRIMARY KEY,
    protection_id INTEGER NOT NULL REFERENCES protection_cases(id),
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    step TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    reasons_sealed BLOB
);
CREATE INDEX protection_events_case ON protection_events(protection_id, id);

-- The risk screen at triage, and a sign that the reporter may be under pressure (a decoy code
-- was used), seen only by protection officers.
ALTER TABLE cases ADD COLUMN risk_level TEXT;
ALTER TABLE cases ADD COLUMN pressure_at INTEGER;

-- Decoy (duress) codes: a second receipt that opens an ordinary-looking closed case.
CREATE TABLE decoys (
    receipt_lookup BLOB PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    content_sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- After closure the reporter is asked, at dated intervals (rules checkin_30/60/90), whether
-- anything has happened to them since; each answer once.
CREATE TABLE checkins (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    rule_id TEXT NOT NULL,
    answer INTEGER NOT NULL,
    answered_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, rule_id)
);
