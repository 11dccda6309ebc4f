-- Board packs and Cabinet reports kept so they can be generated again: the
-- kind, the date they are as at, the board meeting a pack is for, and the
-- officer's narrative sections (JSON: commentary, purpose, recommendations,
-- background, financial, legal, equality).
CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    as_at TEXT NOT NULL,
    meeting_id INTEGER REFERENCES board_meetings(id),
    narrative TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX reports_by_organisation ON reports (organisation_id, as_at);

-- An organisation's branding on its reports: the name to show (blank: its
-- own name) and a logo, PNG or JPEG, checked by its bytes, kept as base64.
CREATE TABLE organisation_branding (
    organisation_id INTEGER PRIMARY KEY REFERENCES organisations(id),
    display_name TEXT NOT NULL,
    logo_mime TEXT,
    logo_base64 TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
