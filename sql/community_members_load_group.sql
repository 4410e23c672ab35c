-- Every HAS_MEMBER row of a group, by community then member.
-- Parameters: ?1 group_id.
SELECT community_id, member_id
FROM community_members
WHERE group_id = ?1
ORDER BY community_id, member_id
