// The entity_id at a position of the hand-edit pass's order (episode_sealed_page.cypher's filter and order): where a
// reseed splits its read of a large group into two ranges read side by side. Ordered by both properties of the
// (group_id, entity_id) key, so that key's index answers it in order and gives the id itself: the episodes before
// the position are stepped over in the index, not read.
// Parameters: $group_id, $skip.
MATCH (e:Episode {group_id: $group_id})
WHERE e.entity_id IS NOT NULL
RETURN e.entity_id AS entity_id
ORDER BY e.group_id, e.entity_id
SKIP $skip
LIMIT 1
