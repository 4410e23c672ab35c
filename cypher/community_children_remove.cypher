// Remove HAS_MEMBER edges from communities to sub-communities that are no longer theirs, in one group.
// Parameters: $group_id, $edges (list of maps {community, member}).
UNWIND $edges AS edge
MATCH (:Community {group_id: $group_id, entity_id: edge.community})-[r:HAS_MEMBER]->(:Community {group_id: $group_id, entity_id: edge.member})
DELETE r
RETURN count(r) AS removed
