-- The audit chain is keyed (HMAC under a key derived from the server secret, never stored
-- here). Events written before this migration keep their plain SHA-256 chain values (v = 1);
-- the first signed checkpoint outside the database records how many there are, so no later
-- event can pass as one of them.
ALTER TABLE audit_log ADD COLUMN v INTEGER NOT NULL DEFAULT 1;

-- A check value of the server secret: a server started with another (or a regenerated) secret
-- refuses to serve instead of failing every receipt.
ALTER TABLE organisation ADD COLUMN key_check BLOB;

-- The log is append-only for the application: edits and deletions are refused by the database.
-- (Whoever can drop these triggers can also edit the rows; the keyed chain and the checkpoints
-- are what detect that.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
