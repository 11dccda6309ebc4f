-- Portfolio schema, SQLite dialect. Keep in step with ../postgres/ (same tables, columns and meaning).
-- Booleans are 0/1 integers and timestamps RFC 3339 UTC text in both dialects, so one set of queries serves both.

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    financial_year_start_month INTEGER NOT NULL DEFAULT 4,
    project_code_prefix TEXT NOT NULL DEFAULT 'DP',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (organisation_id, slug)
);

CREATE TABLE themes (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    UNIQUE (organisation_id, slug)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    code TEXT NOT NULL,
    code_number INTEGER NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    department_id INTEGER NOT NULL REFERENCES departments(id),
    stage TEXT NOT NULL,
    phase TEXT,
    sponsor TEXT NOT NULL DEFAULT '',
    manager TEXT NOT NULL DEFAULT '',
    start_date TEXT,
    end_date TEXT,
    confidence TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    published INTEGER NOT NULL DEFAULT 0,
    total_cost_pence INTEGER NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organisation_id, code)
);
CREATE INDEX projects_org_stage ON projects(organisation_id, stage);
CREATE INDEX projects_org_department ON projects(organisation_id, department_id);

CREATE TABLE project_themes (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    theme_id INTEGER NOT NULL REFERENCES themes(id),
    PRIMARY KEY (project_id, theme_id)
);
CREATE INDEX project_themes_theme ON project_themes(theme_id);

CREATE TABLE project_costs (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    financial_year INTEGER NOT NULL,
    capital_pence INTEGER NOT NULL,
    revenue_pence INTEGER NOT NULL,
    PRIMARY KEY (project_id, financial_year)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER REFERENCES organisations(id),
    actor_user_id INTEGER REFERENCES users(id),
    actor_label TEXT NOT NULL,
    at TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
