-- RAID: risks, assumptions, issues and dependencies, at programme level
-- (project_id NULL) or project level. One table for the four kinds: the
-- columns every kind has, then a risk's (scores, response, proximity,
-- escalation, actions) and an issue's (priority, resolution, linked risk),
-- NULL for the other kinds. The domain checks every value before storing.
CREATE TABLE raid_items (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    -- risk, assumption, issue, dependency
    kind TEXT NOT NULL,
    project_id INTEGER REFERENCES projects(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    owner_user_id INTEGER NOT NULL REFERENCES users(id),
    -- open, closed
    status TEXT NOT NULL,
    -- YYYY-MM-DD
    closed_on TEXT,
    review_date TEXT,
    cause TEXT,
    event TEXT,
    effect TEXT,
    inherent_likelihood INTEGER,
    inherent_impact INTEGER,
    current_likelihood INTEGER,
    current_impact INTEGER,
    target_likelihood INTEGER,
    target_impact INTEGER,
    -- treat, tolerate, transfer, terminate
    response TEXT,
    -- "2027-03-31" or "2026/27 Q4"
    proximity TEXT,
    escalated INTEGER NOT NULL DEFAULT 0,
    -- [{"description": "...", "owner_user_id": 3, "due": "2027-01-31", "status": "in_progress"}, ...]
    actions TEXT NOT NULL,
    -- low, medium, high, critical
    priority TEXT,
    resolution TEXT,
    linked_risk_id INTEGER REFERENCES raid_items(id),
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX raid_items_org ON raid_items(organisation_id, kind);
CREATE INDEX raid_items_project ON raid_items(project_id);

-- The words of the likelihood and impact scales, when an organisation sets
-- its own (without a row, the defaults apply).
CREATE TABLE risk_scales (
    organisation_id INTEGER PRIMARY KEY REFERENCES organisations(id),
    -- ["Rare", "Unlikely", "Possible", "Likely", "Almost certain"]
    likelihood TEXT NOT NULL,
    impact TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
