-- Single sign-on through OpenID Connect.
--
-- sso_logins: a sign-in in progress, from the redirect to the provider until
-- the callback. Kept in the database (not in memory) so any instance can
-- finish what another began; single-use (deleted when the callback reads it)
-- and expiring. The state is stored as its SHA-256, like session ids.
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sso_logins_expires ON sso_logins(expires_at);

-- sso_identities: which user an identity at a provider (issuer + subject) is.
CREATE TABLE sso_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX sso_identities_user ON sso_identities(user_id);
