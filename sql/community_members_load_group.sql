-- Every HAS_MEMBER row of a group, by community, then kind ('community' before 'episode'), then member.
-- Parameters: ?1 group_id.
SELECT community_id, member_kind, member_id
FROM community_members
WHERE group_id = ?1
ORDER BY community_id, member_kind, member_id
