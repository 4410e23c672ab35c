// Ready query: the members of one community (episodes, or communities of the level below), by entity_id.
// Parameters: $group_id, $uuid.
MATCH (c:Community {group_id: $group_id, uuid: $uuid})-[m:HAS_MEMBER]->(member)
WHERE c.entity_id IS NOT NULL AND (member:Episode OR member:Community)
RETURN member.entity_id AS entity_id, labels(member)[0] AS kind, member.source_path AS source_path, m.created_at AS member_since
ORDER BY kind, entity_id
