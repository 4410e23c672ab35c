-- Every HAS_MEMBER row of a group, by community, then kind ('community' before 'episode'), then member. Rows to
-- episodes no longer stored (pruned by a seed since) are left out, as the Neo4j store's query only matches
-- :Episode members.
-- Parameters: ?1 group_id.
SELECT m.community_id, m.member_kind, m.member_id
FROM community_members m
WHERE m.group_id = ?1
  AND (m.member_kind <> 'episode'
       OR EXISTS (SELECT 1 FROM episodes e WHERE e.group_id = ?1 AND e.entity_id = m.member_id))
ORDER BY m.community_id, m.member_kind, m.member_id
