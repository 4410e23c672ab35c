// Every episode of a group with all its properties exactly as stored (for `validate` / `verify`, which must report
// hand-edited values rather than fail to decode them), in entity_id order. On a graphiti-profile (:Episodic) node
// `source` is read from `source_description` (graphseed's label) and Graphiti's own `source` is `graphiti_source`.
// Parameters: $group_id.
// Ordered by both properties of the (group_id, entity_id) key: the order that key's index provides, so the server
// streams rows as it seeks them instead of sorting the whole group first (PROFILE: no Sort operator).
MATCH (e:Episode {group_id: $group_id})
RETURN CASE WHEN e:Episodic THEN e {.*, source: e.source_description, graphiti_source: e.source} ELSE properties(e) END AS properties
ORDER BY e.group_id, e.entity_id
