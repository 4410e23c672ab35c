// Every write recorded in one episode's history, oldest first, including those of earlier incarnations that were
// pruned (kept on :PrunedEpisode tombstones). Each element of `history` is
// `run_id|at|action|version|content_hash|source_hash` (see episode_upsert_batch). Parameters: $group_id, $entity_id.
CALL {
  MATCH (e:Episode {group_id: $group_id, entity_id: $entity_id})
  RETURN e
  UNION ALL
  MATCH (e:PrunedEpisode {group_id: $group_id, entity_id: $entity_id})
  RETURN e
}
UNWIND coalesce(e.history, []) AS h
WITH split(h, '|') AS p
RETURN p[0] AS run_id, p[2] AS action, datetime(p[1]) AS at, p[3] AS version,
       p[4] AS content_hash, CASE p[5] WHEN '' THEN null ELSE p[5] END AS source_hash
ORDER BY at, run_id
