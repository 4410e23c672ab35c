// One page of a group's episodes with all their properties exactly as stored, in entity_id order after $after
// (null for the first page): the every-reseed hand-edit check reads a group page by page so it never holds every
// body at once. A graphiti-profile (:Episodic) node is read as in episode_raw_group.cypher.
// Parameters: $group_id, $after, $limit.
MATCH (e:Episode {group_id: $group_id})
WHERE $after IS NULL OR e.entity_id > $after
RETURN CASE WHEN e:Episodic THEN e {.*, source: e.source_description, graphiti_source: e.source} ELSE properties(e) END AS properties
ORDER BY e.entity_id
LIMIT $limit
