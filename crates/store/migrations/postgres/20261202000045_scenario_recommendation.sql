-- The scenario run an organisation recommends (at most one): board packs and
-- Cabinet reports show its programme as the recommended scenario. A row is
-- kept when the recommendation is withdrawn (run NULL), so its version goes
-- on increasing; changes are guarded by version and audited.
CREATE TABLE scenario_recommendations (
    organisation_id BIGINT PRIMARY KEY REFERENCES organisations(id),
    scenario_run_id BIGINT REFERENCES scenario_runs(id) ON DELETE SET NULL,
    recommended_by TEXT NOT NULL,
    recommended_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
