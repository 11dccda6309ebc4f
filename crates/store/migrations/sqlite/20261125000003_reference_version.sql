-- The organisation's own settings, departments and themes change rarely,
-- projects often. They get a version of their own, bumped with theirs only,
-- so a reader keeps what it read of them while projects change around it.
ALTER TABLE organisations ADD COLUMN reference_version INTEGER NOT NULL DEFAULT 0;
