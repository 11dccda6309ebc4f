-- Prioritisation, scope 1: the scoring model and project assessments.
--
-- Every save of an organisation's scoring model is a new row: versions 1, 2,
-- 3… are never changed, so a ranking can name the version that made it. A
-- version's criteria (key, name, description, six descriptors, normalised
-- weight) and its weighting (direct, or the pairwise matrix with its
-- consistency) are stored as the JSON documents the domain defines, read back
-- whole.
--
-- A project's assessment is one row with its own version (optimistic
-- concurrency, like every edit) and a score per criterion key, so it carries
-- over to later versions of the model.
CREATE TABLE scoring_models (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    criteria_json TEXT NOT NULL,
    weighting_json TEXT NOT NULL,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (organisation_id, version)
);

CREATE TABLE project_assessments (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    project_id INTEGER NOT NULL UNIQUE REFERENCES projects(id),
    version INTEGER NOT NULL,
    updated_by_label TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX project_assessments_org ON project_assessments(organisation_id);

CREATE TABLE assessment_scores (
    assessment_id INTEGER NOT NULL REFERENCES project_assessments(id) ON DELETE CASCADE,
    criterion_key TEXT NOT NULL,
    score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 5),
    rationale TEXT NOT NULL,
    PRIMARY KEY (assessment_id, criterion_key)
);
