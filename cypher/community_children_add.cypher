// Add HAS_MEMBER edges from communities to their sub-communities (the level below) in one group. An edge already
// there keeps its uuid and created_at, so a replay changes nothing.
// Parameters: $group_id, $at (the time of this write), $edges (list of maps {community, member, uuid}).
UNWIND $edges AS edge
MATCH (c:Community {group_id: $group_id, entity_id: edge.community})
MATCH (m:Community {group_id: $group_id, entity_id: edge.member})
MERGE (c)-[r:HAS_MEMBER]->(m)
ON CREATE SET r.uuid = edge.uuid, r.group_id = $group_id, r.created_at = $at
RETURN count(r) AS added
