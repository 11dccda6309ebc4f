-- Hardening of signing in: throttling, and a second factor (TOTP).

-- Failed sign-in attempts, kept for a day, so every instance sharing the
-- database throttles alike. A successful sign-in removes its account's rows.
-- email is as typed (lower case), known or not, so throttling does not tell
-- which accounts exist; address is the client's IP address ('' when unknown).
CREATE TABLE sign_in_failures (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    address TEXT NOT NULL,
    attempted_at TEXT NOT NULL
);
CREATE INDEX sign_in_failures_email ON sign_in_failures(email, attempted_at);
CREATE INDEX sign_in_failures_address ON sign_in_failures(address, attempted_at);

-- A local account's TOTP secret (base32) once set up, and the last time step
-- a code was accepted for, so a code cannot be used twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- A session whose password was right but whose security code is still to be
-- entered: it signs nobody in.
ALTER TABLE sessions ADD COLUMN pending_second_factor INTEGER NOT NULL DEFAULT 0;
