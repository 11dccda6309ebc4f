-- Capacity and money: resource pools with supply per quarter, budgets per
-- financial year, and each project's plan (start window, duration, demand
-- per pool per quarter from its start, costs per year from its start).
-- Supply, demand, costs and dependencies are JSON text: they are read and
-- written whole with their record, and checked by the domain before storing.
CREATE TABLE resource_pools (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    description TEXT NOT NULL,
    -- [{"quarter": "2026/27 Q1", "amount": 4.0}, ...] in quarter order
    supply TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (organisation_id, slug)
);

CREATE TABLE budgets (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    -- the calendar year the financial year starts in
    year INTEGER NOT NULL,
    capital_pence INTEGER NOT NULL,
    revenue_pence INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (organisation_id, year)
);

CREATE TABLE project_plans (
    project_id INTEGER PRIMARY KEY REFERENCES projects(id),
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    -- quarters as written, e.g. "2027/28 Q1"
    earliest_start TEXT,
    latest_start TEXT,
    duration_quarters INTEGER NOT NULL,
    -- [{"pool": "developers", "offset": 0, "amount": 1.5}, ...]
    demand TEXT NOT NULL,
    -- [{"offset": 0, "capital": 100000, "revenue": 0}, ...] (pence)
    costs TEXT NOT NULL,
    benefits_pence INTEGER NOT NULL,
    mandatory INTEGER NOT NULL DEFAULT 0,
    -- ["DP-012", ...]
    depends_on TEXT NOT NULL,
    exclusive_group TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX project_plans_org ON project_plans(organisation_id);
