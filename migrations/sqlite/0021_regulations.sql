-- Loophole proposals (issue 8, must-have 9): a report of the category `regulation` points at a
-- regulation or administrative procedure that opens a door to corruption. It goes to the body
-- that issued it as a case like any other (content and identity sealed); the regulation's
-- number and article are kept in clear, with what the body did about it (amended, proposed to
-- the competent level, rejected with public reasons), so that the public page can show the
-- outcome by regulation, never by reporter.
CREATE TABLE regulation_proposals (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    document TEXT NOT NULL,
    article TEXT NOT NULL,
    outcome TEXT,
    explanation TEXT,
    decided_at INTEGER,
    decided_by INTEGER REFERENCES users(id)
);
CREATE INDEX regulation_proposals_document ON regulation_proposals(document);

INSERT INTO categories (code, name_vi, name_en, position)
VALUES ('regulation', 'Kẽ hở trong quy định, thủ tục hành chính', 'A loophole in a regulation or procedure', 90)
ON CONFLICT (code) DO NOTHING;
