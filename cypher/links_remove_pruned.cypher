// Remove every link from or to pruned episodes (their tombstones keep only their history).
// Parameters: $group_id, $entity_ids (list of strings).
UNWIND $entity_ids AS entity_id
MATCH (p:PrunedEpisode {group_id: $group_id, entity_id: entity_id})-[l:LINKS_TO]-()
DELETE l
