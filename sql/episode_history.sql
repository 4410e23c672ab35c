-- Every provenance link of one episode, oldest first.
-- Parameters: ?1 group_id, ?2 entity_id.
SELECT run_id, action, at, version, content_hash, source_hash FROM episode_history
WHERE group_id = ?1 AND entity_id = ?2 ORDER BY at, run_id
