-- Conflicts of interest (Law on Denunciation 2018 Art. 13-15; DESIGN.md property 4): who is kept
-- from a case's key. A row names one staff account (accused, recused) or an agency whose leads
-- are kept out (the agency the accused leads; an accused officer's chain of command). The key
-- policy never wraps the case key, or the key of a linked case, for anyone a row covers.
CREATE TABLE case_exclusions (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    user_id INTEGER REFERENCES users(id),
    agency_id INTEGER REFERENCES agencies(id),
    reason TEXT NOT NULL,
    by_user_id INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    -- A superior body may lift a chain-of-command exclusion, with reasons (in clear: they are
    -- about who may work the case, not about the report).
    lifted_at INTEGER,
    lifted_by INTEGER REFERENCES users(id),
    lift_reasons TEXT,
    CHECK ((user_id IS NULL) <> (agency_id IS NULL))
);
CREATE INDEX case_exclusions_case ON case_exclusions(case_id);
CREATE INDEX case_exclusions_user ON case_exclusions(user_id);
CREATE INDEX case_exclusions_agency ON case_exclusions(agency_id);
