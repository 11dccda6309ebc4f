-- Stage gates: each organisation's evidence checklist per gate (a gate is
-- one forward step on the main path, named "concept-design"), and the
-- requests to pass a gate with the board's decision on each. A gate with no
-- checklist row uses the domain's default checklist.
CREATE TABLE gate_checklists (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    gate TEXT NOT NULL,
    -- [{"key": "business-case", "label": "Full business case approved"}, ...]
    items TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (organisation_id, gate)
);

CREATE TABLE gate_requests (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    project_id INTEGER NOT NULL REFERENCES projects(id),
    from_stage TEXT NOT NULL,
    to_stage TEXT NOT NULL,
    summary TEXT NOT NULL,
    -- [{"item": "business-case", "label": "...", "note": "..."}, ...]
    evidence TEXT NOT NULL,
    -- pending, approved, approved_with_conditions, deferred, rejected
    status TEXT NOT NULL,
    requested_by_user_id INTEGER REFERENCES users(id),
    requested_by_label TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    reasons TEXT,
    conditions TEXT,
    decided_by_user_id INTEGER REFERENCES users(id),
    decided_by_label TEXT,
    decided_at TEXT,
    -- the board meeting the decision was taken in (board_meetings comes later)
    meeting_id INTEGER,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX gate_requests_org_status ON gate_requests(organisation_id, status);
CREATE INDEX gate_requests_project ON gate_requests(project_id);
-- A project waits on one gate at a time.
CREATE UNIQUE INDEX gate_requests_one_pending ON gate_requests(project_id) WHERE status = 'pending';
