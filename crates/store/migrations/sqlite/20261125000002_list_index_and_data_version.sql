-- Register lists page in code order without sorting the whole organisation,
-- and every audited write bumps its organisation's data version, so readers
-- can tell in one cheap query whether anything they cached has changed.
CREATE INDEX projects_org_code_number ON projects(organisation_id, code_number);
ALTER TABLE organisations ADD COLUMN data_version INTEGER NOT NULL DEFAULT 0;
