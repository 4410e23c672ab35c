// The links of one episode, both ways: those it makes and those made to it (a link to itself once).
// Two anchored seeks on the (group_id, entity_id) key rather than a filter over the group's links,
// so `provenance --entity` and `links` cost the episode's degree, not the group's size.
// Parameters: $group_id, $entity_id.
MATCH (s:Episode {group_id: $group_id, entity_id: $entity_id})-[l:LINKS_TO]->(t:Episode {group_id: $group_id})
RETURN s.entity_id AS source, t.entity_id AS target, l.kind AS kind, l.count AS count
UNION
MATCH (s:Episode {group_id: $group_id})-[l:LINKS_TO]->(t:Episode {group_id: $group_id, entity_id: $entity_id})
RETURN s.entity_id AS source, t.entity_id AS target, l.kind AS kind, l.count AS count
