// Ready query: the communities one episode belongs to, at every level, lowest level first.
// Parameters: $group_id, $entity_id.
MATCH (c:Community {group_id: $group_id})-[:HAS_MEMBER]->(e:Episode {group_id: $group_id, entity_id: $entity_id})
RETURN c.uuid AS uuid, c.entity_id AS community_id, c.level AS level, c.name AS name, c.size AS size, c.run_id AS run_id
ORDER BY level, community_id
