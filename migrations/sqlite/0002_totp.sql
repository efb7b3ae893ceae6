-- Second factor for staff who read content: the TOTP secret, sealed under a key derived from the
-- server secret (outside the database), and the last step used, which refuses replayed codes.
ALTER TABLE users ADD COLUMN totp_sealed BLOB;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
