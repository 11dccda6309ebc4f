-- The public roadmap: what each project changes for residents, in plain
-- English, shown beside its title to anyone (only for published projects).
ALTER TABLE projects ADD COLUMN residents TEXT NOT NULL DEFAULT '';
