// Ready query: the episodes that link to one episode (its backlinks), with how.
// Parameters: $group_id, $entity_id.
MATCH (s:Episode {group_id: $group_id})-[l:LINKS_TO]->(t:Episode {group_id: $group_id, entity_id: $entity_id})
RETURN s.entity_id AS entity_id, s.source_path AS source_path, l.kind AS kind, l.count AS count
ORDER BY entity_id, kind
