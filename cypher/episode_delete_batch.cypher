// Prune episodes of one group. The episode stops being an :Episode (planning, queries and consumers no longer see
// it) but its node stays as a content-free :PrunedEpisode tombstone holding its WRITTEN_BY links, plus a new
// `prune` link recording what was removed, so its history can still be read. An id already gone is skipped, so
// a replay changes nothing. A graphiti-profile node also stops being :Episodic, so Graphiti stops reading it.
// Parameters: $group_id, $entity_ids (list of strings), $run_id (the pruning run), $at (the time of the prune).
MERGE (r:SeedRun {run_id: $run_id})
WITH r
UNWIND $entity_ids AS entity_id
MATCH (e:Episode {group_id: $group_id, entity_id: entity_id})
MERGE (e)-[l:WRITTEN_BY]->(r)
ON CREATE SET l.at = $at
SET l.action = 'prune',
    l.version = e.version,
    l.content_hash = e.content_hash,
    l.source_hash = e.source_hash
REMOVE e:Episode:Episodic
SET e:PrunedEpisode
SET e = {group_id: e.group_id, entity_id: e.entity_id, pruned_at: $at, pruned_by: $run_id}
RETURN count(e) AS pruned
