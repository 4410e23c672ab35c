// Replace the outgoing links of a batch of episodes: each listed episode loses its LINKS_TO relationships, then
// gets one per (target, kind) whose target episode is stored; its link facts (aliases, item key, unresolved links,
// see links_load_state.cypher) are replaced with them. Run in the transaction of the episodes' batch, after the
// episodes were written; replaying it ends in the same relationships and properties.
// CREATE, not MERGE: the old edges were just deleted, so there is nothing to match, and a MERGE let the planner
// seek the graphseed_links_kind index, reading every LINKS_TO of that kind in the database for each edge (with
// the statistics of a young database; a 4000-note batch then ran past the connection timeout). The caller lists
// each source once (a source listed twice would get its edges twice).
// Parameters: $group_id, $sets (list of maps {source, aliases: list of strings, key: string or null,
// dangling: list of strings, edges: list of maps {target, kind, count}}).
UNWIND $sets AS set
MATCH (s:Episode {group_id: $group_id, entity_id: set.source})
SET s.link_aliases = set.aliases,
    s.link_key = set.key,
    s.links_dangling = set.dangling
WITH s, set
CALL (s) {
  MATCH (s)-[old:LINKS_TO]->()
  DELETE old
}
WITH s, set
UNWIND set.edges AS edge
MATCH (t:Episode {group_id: $group_id, entity_id: edge.target})
CREATE (s)-[l:LINKS_TO {kind: edge.kind, count: edge.count}]->(t)
RETURN count(l) AS linked
