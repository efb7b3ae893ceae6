-- Idempotency keys for integrators (issue 8, must-have 10): a retried registration with the
-- same key never creates a second case; the answer is the first case's reference. The key and
-- the request are kept only as MACs under the server secret (the request holds report text).
CREATE TABLE idempotency_keys (
    user_id INTEGER NOT NULL REFERENCES users(id),
    key_hash BLOB NOT NULL,
    request_mac BLOB NOT NULL,
    case_id INTEGER REFERENCES cases(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key_hash)
);
