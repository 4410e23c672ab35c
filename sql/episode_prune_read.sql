-- What a prune link records of an episode, read just before it is deleted.
-- Parameters: ?1 group_id, ?2 entity_id.
SELECT version, content_hash, source_hash FROM episodes
WHERE group_id = ?1 AND entity_id = ?2
