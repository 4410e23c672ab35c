// Ready query: the communities one communities run last wrote (their current run_id).
// Parameters: $group_id, $run_id.
MATCH (c:Community {group_id: $group_id, run_id: $run_id})
RETURN c.uuid AS uuid, c.entity_id AS community_id, c.level AS level, c.size AS size, c.name AS name,
       c.params_hash AS params_hash, c.graph_signature AS graph_signature
ORDER BY level, community_id
