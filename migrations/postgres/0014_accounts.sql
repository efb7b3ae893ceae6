-- Account lifecycle (issue 9, must-have 2). An account made in the admin console gets a one-time
-- password and a second factor that is not yet enrolled: at the first sign-in its holder sets
-- their own password and enrols the second factor from a QR code before any other page opens.
-- A password reset through the recovery key sets `must_change_password` again. Accounts made
-- before this migration (by the command line, which prints the second factor) count as enrolled.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1));
ALTER TABLE users ADD COLUMN totp_enrolled BIGINT NOT NULL DEFAULT 1 CHECK (totp_enrolled IN (0, 1));
ALTER TABLE users ADD COLUMN last_signin_at BIGINT;
CREATE INDEX sessions_user ON sessions(user_id, expires_at);
