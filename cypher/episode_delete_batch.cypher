// Prune episodes of one group. The episode stops being an :Episode (planning, queries and consumers no longer see
// it) but its node stays as a content-free :PrunedEpisode tombstone holding its `history` (see
// episode_upsert_batch), plus a `prune` element recording what was removed, so its history can still be read. An
// id already gone is skipped, so a replay changes nothing; an element of this run already in the list is
// replaced (keeping its `at`), so the tombstone holds one element per run as the episode did.
// A graphiti-profile node also stops being :Episodic, so Graphiti stops reading it.
// Parameters: $group_id, $entity_ids (list of strings), $run_id (the pruning run), $run_mark ($run_id followed by
// `|`), $at (the time of the prune, a DATETIME), $at_text (the same time as RFC 3339 text, for the history).
UNWIND $entity_ids AS entity_id
MATCH (e:Episode {group_id: $group_id, entity_id: entity_id})
WITH e, coalesce(e.history, []) AS history
WITH e, history, [h IN history WHERE h STARTS WITH $run_mark] AS mine
WITH e, [h IN history WHERE NOT h STARTS WITH $run_mark]
        + [$run_mark + coalesce(split(head(mine), '|')[1], $at_text) + '|prune|' + e.version + '|'
           + e.content_hash + '|' + coalesce(e.source_hash, '')] AS history
REMOVE e:Episode:Episodic
SET e:PrunedEpisode
SET e = {group_id: e.group_id, entity_id: e.entity_id, pruned_at: $at, pruned_by: $run_id, history: history}
RETURN count(e) AS pruned
