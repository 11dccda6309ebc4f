-- Intake: the new or changed priorities departments submit, and how the
-- programme office triaged them. A priority is submitted, then accepted
-- (project_id is the concept project it became), linked (project_id is the
-- existing project it changes) or declined (decline_reason says why).
-- Triage is guarded by version, like every edit.
CREATE TABLE priorities (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    title TEXT NOT NULL,
    problem TEXT NOT NULL,
    beneficiaries TEXT NOT NULL,
    urgency TEXT NOT NULL,
    rough_cost_pence INTEGER,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    changes_project_id INTEGER REFERENCES projects(id),
    status TEXT NOT NULL DEFAULT 'submitted',
    project_id INTEGER REFERENCES projects(id),
    decline_reason TEXT,
    submitted_by_user_id INTEGER REFERENCES users(id),
    submitted_by_label TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    triaged_by_label TEXT,
    triaged_at TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX priorities_org_status ON priorities(organisation_id, status);
CREATE INDEX priorities_submitter ON priorities(submitted_by_user_id);
CREATE INDEX priorities_project ON priorities(project_id);

CREATE TABLE priority_themes (
    priority_id INTEGER NOT NULL REFERENCES priorities(id) ON DELETE CASCADE,
    theme_id INTEGER NOT NULL REFERENCES themes(id),
    PRIMARY KEY (priority_id, theme_id)
);
