// The stored partition of a group: every community with the entity_ids of its episodes (at every level) and of
// its sub-communities (the level below), for the next communities run to compare with.
// Parameters: $group_id.
MATCH (c:Community {group_id: $group_id})
WHERE c.entity_id IS NOT NULL
CALL (c) {
  OPTIONAL MATCH (c)-[:HAS_MEMBER]->(e:Episode)
  RETURN collect(e.entity_id) AS members
}
CALL (c) {
  OPTIONAL MATCH (c)-[:HAS_MEMBER]->(s:Community)
  RETURN collect(s.entity_id) AS children
}
RETURN c.entity_id AS entity_id, c.uuid AS uuid, c.level AS level, c.size AS size, c.name AS name,
       c.summary AS summary, c.content_hash AS content_hash, c.run_id AS run_id,
       c.params_hash AS params_hash, c.graph_signature AS graph_signature, members, children
ORDER BY level, entity_id
