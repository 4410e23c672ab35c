// Remove HAS_MEMBER edges from communities to episodes of one group (the members that left). Only the listed
// edges go: the rest of each community's edges keep their uuid and created_at.
// Parameters: $group_id, $edges (list of maps {community, member}).
UNWIND $edges AS edge
MATCH (:Community {group_id: $group_id, entity_id: edge.community})-[r:HAS_MEMBER]->(:Episode {group_id: $group_id, entity_id: edge.member})
DELETE r
RETURN count(r) AS removed
