-- The stored communities of a group, lowest level first, then by entity_id.
-- Parameters: ?1 group_id.
SELECT entity_id, uuid, level, size, name, summary, content_hash, run_id, params_hash, graph_signature
FROM communities
WHERE group_id = ?1
ORDER BY level, entity_id
