-- Deadlines, the scheduler and notifications.
--
-- case_clocks: one row per running or finished statutory clock of a case. `rule_set` is the
-- effective date of the rule set in force when the clock started (a case keeps it); `ops` replays
-- suspensions, resumptions and extensions (JSON, codes and dates only); `due_on` is recomputed
-- after every change (NULL while suspended). `breached_at` is set exactly once by the overdue
-- scan; every miss stays counted.
CREATE TABLE case_clocks (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    clock TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    rule_set TEXT NOT NULL,
    agency_id INTEGER NOT NULL REFERENCES agencies(id),
    started_on TEXT NOT NULL,
    ops TEXT NOT NULL DEFAULT '[]',
    due_on TEXT,
    completed_on TEXT,
    met INTEGER,
    breached_at INTEGER,
    reminded_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX case_clocks_case ON case_clocks(case_id, id);
CREATE INDEX case_clocks_open_due ON case_clocks(due_on) WHERE completed_on IS NULL;

-- The nearest open deadline of each case, for the inbox ordered by deadline, and its overdue mark.
ALTER TABLE cases ADD COLUMN due_on TEXT;
ALTER TABLE cases ADD COLUMN overdue INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cases_agency_due ON cases(agency_id, due_on, id);

-- Background jobs with leases: a node claims a due job by writing its lease; another node can
-- take it over only after the lease has expired. Periodic jobs reschedule themselves.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    lease_owner TEXT,
    lease_until INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    done_at INTEGER,
    last_error TEXT
);
CREATE INDEX jobs_due ON jobs(run_at) WHERE done_at IS NULL;
CREATE UNIQUE INDEX jobs_one_pending_per_kind ON jobs(kind) WHERE done_at IS NULL;

-- In-app notifications for staff (and the mail queue): never report content, only what needs
-- attention on which case.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    case_id INTEGER REFERENCES cases(id),
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER,
    mail_sent_at INTEGER,
    mail_lease_until INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, read_at, id);
CREATE INDEX notifications_mail ON notifications(mail_sent_at) WHERE mail_sent_at IS NULL;

-- Follow-up tasks of a superior body when a resolution deadline passes (Law on Denunciation
-- Art. 38), and other tasks the scheduler opens.
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    agency_id INTEGER REFERENCES agencies(id),
    clock_id INTEGER REFERENCES case_clocks(id),
    created_at INTEGER NOT NULL,
    done_at INTEGER,
    UNIQUE (clock_id, kind)
);

ALTER TABLE users ADD COLUMN email TEXT;
-- The body that supervises an agency (for escalations and Art. 38 follow-up).
ALTER TABLE agencies ADD COLUMN superior_id INTEGER REFERENCES agencies(id);

-- Dated legal data as documents (TOML), editable: rule sets and the working-day calendar.
CREATE TABLE rule_sets (
    effective_from TEXT PRIMARY KEY,
    document TEXT NOT NULL,
    imported_at INTEGER NOT NULL
);
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY,
    document TEXT NOT NULL,
    imported_at INTEGER NOT NULL
);
