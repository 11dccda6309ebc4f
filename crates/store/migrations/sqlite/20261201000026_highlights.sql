-- Highlight reports: one per project per period (a month, "2026-11"), with
-- the delivery confidence and its reason, the narrative, milestones, the top
-- risks and issues named (as they stood) and the decisions needed. The
-- latest period's report sets the project's delivery confidence.
CREATE TABLE highlight_reports (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    project_id INTEGER NOT NULL REFERENCES projects(id),
    period TEXT NOT NULL,
    confidence TEXT NOT NULL,
    reason TEXT NOT NULL,
    narrative TEXT NOT NULL,
    -- [{"name": "...", "planned": "2027-01-10", "forecast": null, "actual": null}]
    milestones TEXT NOT NULL,
    -- [{"id": 4, "reference": "R4", "title": "..."}]
    top_items TEXT NOT NULL,
    decisions_needed TEXT NOT NULL,
    submitted_by_label TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (project_id, period)
);
CREATE INDEX highlight_reports_org_period ON highlight_reports(organisation_id, period);
