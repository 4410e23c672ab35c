// Every episode of a group without its body (what planning compares against), in entity_id order.
// Parameters: $group_id.
MATCH (e:Episode)
WHERE e.group_id = $group_id AND e.entity_id IS NOT NULL
RETURN e.entity_id AS entity_id, e.name AS name, e.source AS source, e.version AS version,
       e.created_at AS created_at, e.updated_at AS updated_at, e.source_hash AS source_hash,
       e.content_hash AS content_hash, e.source_path AS source_path, e.run_id AS run_id
ORDER BY e.entity_id
