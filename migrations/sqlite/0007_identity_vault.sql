-- The identity vault (DESIGN.md property 4): a reporter's identity key is split k of n among
-- the organisation's custodians; a handler reads the identity only after k custodians approve a
-- justified request, each approval re-wrapping that custodian's share to the handler.

-- The custodian set in force and its threshold k (NULL: no custodians set).
ALTER TABLE organisation ADD COLUMN custodian_threshold INTEGER;
CREATE TABLE custodians (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    added_at INTEGER NOT NULL
);

-- The k a case's identity key was split with, and each custodian's wrapped share.
ALTER TABLE cases ADD COLUMN identity_threshold INTEGER;
CREATE TABLE identity_shares (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    custodian_id INTEGER NOT NULL REFERENCES users(id),
    wrapped BLOB NOT NULL,
    PRIMARY KEY (case_id, custodian_id)
);

-- A request to release the identity. The justification is sealed under a request key that is
-- wrapped under the case key (the agency's officers and the reporter read it) and to each
-- custodian; the legal basis is in clear for statistics. state: pending | notice | refused |
-- cancelled. A request in notice takes effect on effective_on (at once when the custodians
-- record that telling the reporter first would endanger the investigation).
CREATE TABLE disclosure_requests (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    requester_id INTEGER NOT NULL REFERENCES users(id),
    agency_id INTEGER NOT NULL REFERENCES agencies(id),
    legal_basis TEXT NOT NULL,
    key_case BLOB NOT NULL,
    justification_sealed BLOB NOT NULL,
    threshold INTEGER NOT NULL,
    custodian_count INTEGER NOT NULL,
    state TEXT NOT NULL,
    approvals INTEGER NOT NULL DEFAULT 0,
    refusals INTEGER NOT NULL DEFAULT 0,
    endangers INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    quorum_at INTEGER,
    effective_on TEXT,
    notice_withheld INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX disclosure_requests_case ON disclosure_requests(case_id, id);
CREATE INDEX disclosure_requests_state ON disclosure_requests(state);

-- One row per custodian asked: the request key wrapped to them, and their decision.
CREATE TABLE disclosure_decisions (
    request_id INTEGER NOT NULL REFERENCES disclosure_requests(id),
    custodian_id INTEGER NOT NULL REFERENCES users(id),
    key_wrapped BLOB NOT NULL,
    decision TEXT,
    endangers INTEGER NOT NULL DEFAULT 0,
    reasons_sealed BLOB,
    share_for_requester BLOB,
    decided_at INTEGER,
    PRIMARY KEY (request_id, custodian_id)
);
CREATE INDEX disclosure_decisions_custodian ON disclosure_decisions(custodian_id, decided_at);
