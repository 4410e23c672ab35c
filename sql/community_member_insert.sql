-- Add one HAS_MEMBER edge, only to a member that is stored (an episode, or a community of the group), as a Neo4j
-- relationship needs both nodes. An edge already there keeps its uuid and created_at.
-- Parameters: ?1 group_id, ?2 community entity_id, ?3 member_kind ('episode' or 'community'), ?4 member entity_id,
-- ?5 uuid, ?6 created_at.
INSERT OR IGNORE INTO community_members (group_id, community_id, member_kind, member_id, uuid, created_at)
SELECT ?1, ?2, ?3, ?4, ?5, ?6
WHERE (?3 = 'episode' AND EXISTS (SELECT 1 FROM episodes WHERE group_id = ?1 AND entity_id = ?4))
   OR (?3 = 'community' AND EXISTS (SELECT 1 FROM communities WHERE group_id = ?1 AND entity_id = ?4))
