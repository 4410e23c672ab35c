-- Prune one community's row (its edges go with community_members_delete_of.sql). What it was stays in the pruning
-- run's audit trail.
-- Parameters: ?1 group_id, ?2 entity_id.
DELETE FROM communities WHERE group_id = ?1 AND entity_id = ?2
