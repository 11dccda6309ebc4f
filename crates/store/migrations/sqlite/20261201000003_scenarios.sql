-- Scenarios: named sets of limits and forced decisions (the definition is a
-- JSON document of domain::scenario::ScenarioInput), and their runs. A run
-- records its progress as it goes and, once finished, the result it found
-- (JSON of domain::scenario::ScenarioResult), so any instance can show it and
-- a result never changes when the register does. Edits are guarded by version.
CREATE TABLE scenarios (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organisation_id, slug)
);

CREATE TABLE scenario_runs (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    scenario_id INTEGER NOT NULL REFERENCES scenarios(id) ON DELETE CASCADE,
    scenario_version INTEGER NOT NULL,
    status TEXT NOT NULL,
    progress_done INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0,
    progress_label TEXT NOT NULL DEFAULT '',
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    result TEXT,
    started_by TEXT NOT NULL,
    started_at TEXT NOT NULL,
    -- Written with every progress report: a run whose worker died stops beating.
    heartbeat_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX scenario_runs_scenario ON scenario_runs(scenario_id, id);
