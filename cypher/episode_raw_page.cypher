// One page of a group's episodes with all their properties exactly as stored, in entity_id order after $after
// (null for the first page): the every-reseed hand-edit check reads a group page by page so it never holds every
// body at once. Parameters: $group_id, $after, $limit.
MATCH (e:Episode {group_id: $group_id})
WHERE $after IS NULL OR e.entity_id > $after
RETURN properties(e) AS properties
ORDER BY e.entity_id
LIMIT $limit
