-- The departments (a department lead's) or projects (a project manager's) a
-- user acts on, as JSON: {"departments": [ids], "projects": [ids]}. Read in
-- the same query as the user, so a request learns its scope with its caller.
-- The application checks the ids belong to the user's organisation when an
-- administrator sets them; an id whose record is later removed grants nothing.
ALTER TABLE users ADD COLUMN scope TEXT NOT NULL DEFAULT '{}';
