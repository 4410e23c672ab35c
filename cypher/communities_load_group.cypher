// The stored partition of a group: every community with its members' entity_ids (episodes at level 0,
// communities of the level below above it), for the next communities run to compare with.
// Parameters: $group_id.
MATCH (c:Community {group_id: $group_id})
OPTIONAL MATCH (c)-[:HAS_MEMBER]->(m)
WHERE m:Episode OR m:Community
WITH c, m.entity_id AS member
ORDER BY member
RETURN c.entity_id AS entity_id, c.uuid AS uuid, c.level AS level, c.size AS size, c.name AS name,
       c.summary AS summary, c.content_hash AS content_hash, c.run_id AS run_id,
       c.params_hash AS params_hash, c.graph_signature AS graph_signature, collect(member) AS members
ORDER BY level, entity_id
