-- The edges of a pruned community: its own HAS_MEMBER rows and a parent's row to it (as DETACH DELETE on Neo4j).
-- Parameters: ?1 group_id, ?2 entity_id.
DELETE FROM community_members
WHERE group_id = ?1 AND (community_id = ?2 OR (member_kind = 'community' AND member_id = ?2))
