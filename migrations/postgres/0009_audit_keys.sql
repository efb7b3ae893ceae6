-- The audit chain is keyed (HMAC under a key derived from the server secret, never stored
-- here). Events written before this migration keep their plain SHA-256 chain values (v = 1);
-- the first signed checkpoint outside the database records how many there are, so no later
-- event can pass as one of them.
ALTER TABLE audit_log ADD COLUMN v BIGINT NOT NULL DEFAULT 1;

-- A check value of the server secret: a server started with another (or a regenerated) secret
-- refuses to serve instead of failing every receipt.
ALTER TABLE organisation ADD COLUMN key_check BYTEA;

-- The log is append-only for the application: edits, deletions and TRUNCATE are refused. The
-- operator should also run the application under a role without UPDATE, DELETE or TRUNCATE on
-- audit_log (docs/operations.md); whoever owns the table can drop this trigger, and the keyed
-- chain and the checkpoints are what detect that.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
