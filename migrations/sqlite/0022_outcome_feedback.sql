-- After an outcome, the reporter has the last word (issue 8, must-have 7). Whether they are
-- satisfied, once. And a request that the body directly above the resolver review the
-- resolution (tố cáo tiếp, Law on Denunciation Art. 37): once per case, whoever clicks twice;
-- the review runs on its own statutory clock (`re_review`, 20 days) held by the superior, and
-- the superior's decision (upheld, or resolved again) is recorded with its document. Codes and
-- dates only: the reporter's grounds are a sealed message of the case.
CREATE TABLE outcome_feedback (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    satisfied INTEGER NOT NULL CHECK (satisfied IN (0, 1)),
    answered_at INTEGER NOT NULL
);

CREATE TABLE re_review_requests (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    agency_id INTEGER NOT NULL REFERENCES agencies(id),
    clock_id INTEGER NOT NULL REFERENCES case_clocks(id),
    requested_at INTEGER NOT NULL,
    outcome TEXT,
    document_number TEXT,
    decision_date TEXT,
    decided_at INTEGER,
    decided_by INTEGER REFERENCES users(id)
);
CREATE INDEX re_review_requests_agency ON re_review_requests(agency_id, decided_at);
