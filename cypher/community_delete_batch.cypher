// Prune dissolved communities of one group: each node goes with every edge (its HAS_MEMBER edges and a parent's
// edge to it). What it was stays in the pruning run's audit trail (actions.jsonl). An id already gone is skipped,
// so a replay changes nothing.
// Parameters: $group_id, $entity_ids (list of strings).
UNWIND $entity_ids AS entity_id
MATCH (c:Community {group_id: $group_id, entity_id: entity_id})
DETACH DELETE c
RETURN count(*) AS pruned
