-- Idempotency keys for integrators (issue 8, must-have 10): a retried registration with the
-- same key never creates a second case; the answer is the first case's reference. The key and
-- the request are kept only as MACs under the server secret (the request holds report text).
CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL REFERENCES users(id),
    key_hash BYTEA NOT NULL,
    request_mac BYTEA NOT NULL,
    case_id BIGINT REFERENCES cases(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key_hash)
);
