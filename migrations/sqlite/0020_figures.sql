-- Published figures (issue 8, must-haves 3, 5 and 6): the counts of every cell (agency, day of
-- receipt, category, channel, partner) as of the end of a day, computed from the recorded events
-- and kept as published, with the audit chain position of their publication. `minhbach stats
-- verify` recomputes them from the events and compares. One publication per day.
CREATE TABLE figure_snapshots (
    id INTEGER PRIMARY KEY,
    as_of TEXT NOT NULL UNIQUE,
    computed_at INTEGER NOT NULL,
    audit_seq INTEGER NOT NULL,
    digest TEXT NOT NULL,
    cells TEXT NOT NULL
);
