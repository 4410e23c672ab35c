-- Every episode of a group without its body, in entity_id order (planning).
-- Parameters: ?1 group_id.
SELECT entity_id, source, version, created_at, updated_at, source_hash, content_hash,
       source_path
FROM episodes WHERE group_id = ?1 ORDER BY entity_id
