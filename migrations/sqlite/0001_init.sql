-- minhbach schema, SQLite. Content columns (*_sealed, wrapped keys) hold ciphertext only; the
-- clear columns are the workflow metadata needed for routing, deadlines and statistics.

CREATE TABLE agencies (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE organisation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    reference_prefix TEXT NOT NULL,
    recovery_public_key BLOB NOT NULL,
    default_agency_id INTEGER REFERENCES agencies(id),
    demo INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE categories (
    code TEXT PRIMARY KEY,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    agency_id INTEGER REFERENCES agencies(id),
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    public_key BLOB NOT NULL,
    kek_salt BLOB NOT NULL,
    secret_key_sealed BLOB NOT NULL,
    secret_key_recovery BLOB NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
CREATE INDEX users_agency ON users(agency_id, role);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    receipt_lookup BLOB NOT NULL UNIQUE,
    agency_id INTEGER NOT NULL REFERENCES agencies(id),
    category TEXT NOT NULL REFERENCES categories(code),
    state TEXT NOT NULL,
    channel TEXT NOT NULL,
    anonymous INTEGER NOT NULL,
    assignee_id INTEGER REFERENCES users(id),
    received_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    content_sealed BLOB NOT NULL,
    case_key_reporter BLOB NOT NULL,
    case_key_recovery BLOB NOT NULL,
    identity_sealed BLOB,
    identity_key_reporter BLOB,
    identity_key_recovery BLOB,
    demo INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cases_agency_received ON cases(agency_id, received_at, id);

CREATE TABLE case_keys (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    wrapped BLOB NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_keys_user ON case_keys(user_id);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    sender TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    body_sealed BLOB NOT NULL
);
CREATE INDEX messages_case ON messages(case_id, id);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    at INTEGER NOT NULL,
    user_id INTEGER REFERENCES users(id),
    kind TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    from_agency_id INTEGER REFERENCES agencies(id),
    to_agency_id INTEGER NOT NULL REFERENCES agencies(id),
    reasons_sealed BLOB
);
CREATE INDEX case_events_case ON case_events(case_id, id);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    case_id INTEGER REFERENCES cases(id),
    sealed_key BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE form_nonces (
    nonce_hash BLOB PRIMARY KEY,
    used_at INTEGER NOT NULL
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id INTEGER,
    detail TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
