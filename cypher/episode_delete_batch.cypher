// Delete (prune) episodes of one group with their provenance links; an id already gone is skipped, so a replay
// is harmless. Parameters: $group_id, $entity_ids (list of strings).
UNWIND $entity_ids AS entity_id
MATCH (e:Episode {group_id: $group_id, entity_id: entity_id})
DETACH DELETE e
