-- Merges keep lineage: which projects were merged into which survivor, when
-- and by whom, and whether the merge was later undone. The values before and
-- after are in the merge's audit record (entity 'merge'), from which an undo
-- restores every project. A merge no longer in force keeps its row, with
-- undone_at set, so its history stays readable.
CREATE TABLE project_merges (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    survivor_id INTEGER NOT NULL REFERENCES projects(id),
    merged_at TEXT NOT NULL,
    merged_by TEXT NOT NULL,
    undone_at TEXT,
    undone_by TEXT
);
CREATE INDEX project_merges_survivor ON project_merges(survivor_id);

CREATE TABLE project_merge_members (
    merge_id INTEGER NOT NULL REFERENCES project_merges(id),
    project_id INTEGER NOT NULL REFERENCES projects(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (merge_id, project_id)
);
CREATE INDEX project_merge_members_project ON project_merge_members(project_id);
