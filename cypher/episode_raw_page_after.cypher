// The next page of a group's episodes (see episode_raw_page.cypher): those after $after in entity_id order.
// A statement of its own, not `$after IS NULL OR ...` in one: that form hides the range from the planner, which
// then scanned every :Episode of the database for every page (quadratic in the group's size). Here the key's
// index is sought from $after in (group_id, entity_id) order, so LIMIT stops after one page.
// Parameters: $group_id, $after, $limit.
MATCH (e:Episode {group_id: $group_id})
WHERE e.entity_id > $after
RETURN CASE WHEN e:Episodic THEN e {.*, source: e.source_description, graphiti_source: e.source} ELSE properties(e) END AS properties
ORDER BY e.group_id, e.entity_id
LIMIT $limit
