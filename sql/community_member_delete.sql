-- Remove one HAS_MEMBER edge.
-- Parameters: ?1 group_id, ?2 community entity_id, ?3 member_kind ('episode' or 'community'), ?4 member entity_id.
DELETE FROM community_members
WHERE group_id = ?1 AND community_id = ?2 AND member_kind = ?3 AND member_id = ?4
