-- Notifications: a person is told when a gate they requested is decided, a
-- board action is assigned to them, or a risk they own is due for review.
-- One notice per person and event (notice_key), so a reminder sweep run
-- twice tells nobody twice. Each notice is shown in the app and, when a mail
-- server is configured, emailed: email_status is pending, sent, failed (after
-- the last attempt) or expired (never sent in time).
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    notice_key TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT,
    email_status TEXT NOT NULL DEFAULT 'pending',
    email_attempts INTEGER NOT NULL DEFAULT 0,
    emailed_at TEXT,
    email_error TEXT,
    UNIQUE (user_id, notice_key)
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);
CREATE INDEX notifications_email ON notifications(email_status, id);
