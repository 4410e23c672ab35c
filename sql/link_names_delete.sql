-- Remove the link names of one (pruned) episode.
-- Parameters: ?1 group_id, ?2 entity_id.
DELETE FROM link_names WHERE group_id = ?1 AND entity_id = ?2
