// Every link between the episodes of one group.
// Parameters: $group_id.
MATCH (s:Episode {group_id: $group_id})-[l:LINKS_TO]->(t:Episode {group_id: $group_id})
RETURN s.entity_id AS source, t.entity_id AS target, l.kind AS kind, l.count AS count
ORDER BY source, target, kind
