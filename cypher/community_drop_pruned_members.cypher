// Before a communities batch: the HAS_MEMBER edges of a group's communities to episodes a seed pruned since (now
// :PrunedEpisode tombstones) go, as the embedded store drops its rows to episodes that are gone.
// Parameters: $group_id.
MATCH (c:Community {group_id: $group_id})-[m:HAS_MEMBER]->(:PrunedEpisode {group_id: $group_id})
WHERE c.entity_id IS NOT NULL
DELETE m
RETURN count(m) AS dropped
