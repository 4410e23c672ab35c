// Replace the outgoing links of a batch of episodes: each listed episode loses its LINKS_TO relationships, then
// gets one per (target, kind) whose target episode is stored. Run in the transaction of the episodes' batch, after
// the episodes were written; replaying it ends in the same relationships.
// Parameters: $group_id, $sets (list of maps {source, edges: list of maps {target, kind, count}}).
UNWIND $sets AS set
MATCH (s:Episode {group_id: $group_id, entity_id: set.source})
CALL (s) {
  MATCH (s)-[old:LINKS_TO]->()
  DELETE old
}
WITH s, set
UNWIND set.edges AS edge
MATCH (t:Episode {group_id: $group_id, entity_id: edge.target})
MERGE (s)-[l:LINKS_TO {kind: edge.kind}]->(t)
SET l.count = edge.count
RETURN count(l) AS linked
