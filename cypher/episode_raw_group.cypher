// Every episode of a group with all its properties exactly as stored (for `validate` / `verify`, which must report
// hand-edited values rather than fail to decode them), in entity_id order. Parameters: $group_id.
MATCH (e:Episode {group_id: $group_id})
RETURN properties(e) AS properties
ORDER BY e.entity_id
