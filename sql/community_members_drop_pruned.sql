-- HAS_MEMBER rows to episodes that are no longer stored (pruned by a seed since the last communities run): dropped
-- before a communities batch, as the Neo4j store drops the edges to :PrunedEpisode tombstones.
-- Parameters: ?1 group_id.
DELETE FROM community_members
WHERE group_id = ?1 AND member_kind = 'episode'
  AND NOT EXISTS (SELECT 1 FROM episodes e WHERE e.group_id = ?1 AND e.entity_id = community_members.member_id)
