// The first page of a group's episodes with all their properties exactly as stored, in entity_id order: the
// every-reseed hand-edit check reads a group page by page so it never holds every body at once (the next pages:
// episode_raw_page_after.cypher). A graphiti-profile (:Episodic) node is read as in episode_raw_group.cypher.
// Ordered by both properties of the (group_id, entity_id) key, the order that key's index provides.
// Parameters: $group_id, $limit.
MATCH (e:Episode {group_id: $group_id})
RETURN CASE WHEN e:Episodic THEN e {.*, source: e.source_description, graphiti_source: e.source} ELSE properties(e) END AS properties
ORDER BY e.group_id, e.entity_id
LIMIT $limit
