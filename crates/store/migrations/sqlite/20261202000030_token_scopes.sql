-- API tokens get a scope (read, write or admin) and an expiry. Tokens made
-- before scopes existed keep what they could do (admin: all their user's
-- role allows) and never expire, until revoked.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_by TEXT;
CREATE INDEX api_tokens_user ON api_tokens(user_id);
