-- History: the changes in a period and the register "as at" a date, read
-- from the audit trail without replaying it (see docs/benchmarks.md).
--
-- audit_org_at finds the records changed between two instants of one
-- organisation: the rows of the period alone, in time order. It covers what
-- that first step reads (which record, who, when), so only the two
-- documents kept per record are read from the table.
CREATE INDEX audit_org_at ON audit_log(organisation_id, at, entity, entity_id, id, actor_label);
-- audit_org_entity_at finds one record's latest state at or before an
-- instant with one backward step, whatever the length of its history
-- (the register as at a date takes one step per project). It also serves a
-- record's own timeline, and so replaces the older index on entity alone.
CREATE INDEX audit_org_entity_at ON audit_log(organisation_id, entity, entity_id, at, id);
DROP INDEX audit_entity;
