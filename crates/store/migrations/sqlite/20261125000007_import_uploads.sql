-- A spreadsheet uploaded through the web, kept between the steps of its
-- import (preview, map the columns, check, import) so that a person can
-- leave and come back, and any server of a deployment can take the next
-- step. It is the uploader's: nobody else sees it. `mapping` is the person's
-- choice of field per header and confirmed values (JSON); `outcome` is the
-- report of the import once it is done, and `rejected_csv` the rows it left
-- out with their reasons.
CREATE TABLE import_uploads (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    file_name TEXT NOT NULL,
    content BLOB NOT NULL,
    source TEXT NOT NULL,
    sheet TEXT,
    mapping TEXT,
    outcome TEXT,
    rejected_csv TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    committed_at TEXT
);
CREATE INDEX import_uploads_owner ON import_uploads(organisation_id, user_id, created_at);

-- The mapping a person confirmed for a source, offered again the next time
-- the same source is imported (through the web, the API or the command line).
CREATE TABLE import_mappings (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    source TEXT NOT NULL,
    mapping TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    UNIQUE (organisation_id, source)
);
