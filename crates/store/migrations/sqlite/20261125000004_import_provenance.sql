-- Where each imported project came from, and the key that lets the same
-- source be imported again: a re-import updates the project a row created
-- before instead of adding a duplicate. One row per (organisation, source,
-- row key); it says where the row was last seen (file, sheet, row number).
CREATE TABLE import_provenance (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    source TEXT NOT NULL,
    row_key TEXT NOT NULL,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    file TEXT NOT NULL,
    sheet TEXT,
    row_number INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (organisation_id, source, row_key)
);
CREATE INDEX import_provenance_project ON import_provenance(project_id);
