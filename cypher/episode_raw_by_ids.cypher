// Episodes of one group with all their properties exactly as stored, for the hand-edit pass's full check of the
// episodes their seal does not vouch for (see episode_sealed_page.cypher). A graphiti-profile (:Episodic) node is
// read as in episode_raw_group.cypher. In entity_id order.
// Parameters: $group_id, $entity_ids (list of strings).
MATCH (e:Episode {group_id: $group_id})
WHERE e.entity_id IN $entity_ids
RETURN CASE WHEN e:Episodic THEN e {.*, source: e.source_description, graphiti_source: e.source} ELSE properties(e) END AS properties
ORDER BY e.entity_id
