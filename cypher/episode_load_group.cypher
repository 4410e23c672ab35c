// Every episode of a group as planning needs it: no body, name or run id (a whole group is held in memory while
// planning), in entity_id order.
// Parameters: $group_id.
// The source label is `source_description` on graphiti-profile (:Episodic) nodes, whose `source` is Graphiti's.
// Ordered by both properties of the (group_id, entity_id) key: the order that key's index provides, so the server
// streams rows as it seeks them instead of sorting the whole group first (PROFILE: no Sort operator).
MATCH (e:Episode)
WHERE e.group_id = $group_id AND e.entity_id IS NOT NULL
RETURN e.entity_id AS entity_id, CASE WHEN e:Episodic THEN e.source_description ELSE e.source END AS source, e.version AS version,
       e.created_at AS created_at, e.updated_at AS updated_at, e.source_hash AS source_hash,
       e.content_hash AS content_hash, e.source_path AS source_path
ORDER BY e.group_id, e.entity_id
