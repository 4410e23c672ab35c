// Ready query: the most-linked episodes of a group (by distinct linking episodes, then by links counted).
// Parameters: $group_id, $limit.
MATCH (s:Episode {group_id: $group_id})-[l:LINKS_TO]->(t:Episode {group_id: $group_id})
RETURN t.entity_id AS entity_id, t.source_path AS source_path,
       count(DISTINCT s) AS linked_from, sum(l.count) AS links
ORDER BY linked_from DESC, links DESC, entity_id
LIMIT $limit
