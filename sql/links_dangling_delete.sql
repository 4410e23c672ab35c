-- Remove the unresolved links of one episode (before its new ones are
-- written, or when it is pruned).
-- Parameters: ?1 group_id, ?2 entity_id.
DELETE FROM links_dangling WHERE group_id = ?1 AND source_id = ?2
