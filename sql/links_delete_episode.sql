-- Remove every link from or to one (pruned) episode.
-- Parameters: ?1 group_id, ?2 entity_id.
DELETE FROM links WHERE group_id = ?1 AND (source_id = ?2 OR target_id = ?2)
