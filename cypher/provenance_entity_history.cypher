// Provenance: the whole history of one episode: every run that wrote it,
// with the action taken, oldest first. A pruned episode keeps its history
// on its :PrunedEpisode tombstone (create ... prune), so both are read, as
// `graphseed provenance --entity` does. Each element of the `history` list
// is `run_id|at|action|version|content_hash|source_hash`.
// Parameters: $group_id, $entity_id.
// `r['git_commit']` rather than `r.git_commit`: outside a git repository no
// run has that property, and Neo4j warns about a property key it has never
// seen when it is named statically.
CALL {
  MATCH (e:Episode {group_id: $group_id, entity_id: $entity_id})
  RETURN e
  UNION ALL
  MATCH (e:PrunedEpisode {group_id: $group_id, entity_id: $entity_id})
  RETURN e
}
UNWIND coalesce(e.history, []) AS h
WITH e, split(h, '|') AS w
MATCH (r:SeedRun {run_id: w[0]})
RETURN e.entity_id AS entity_id, w[2] AS action, datetime(w[1]) AS at, w[3] AS version,
       w[4] AS content_hash, r.run_id AS run_id, r.status AS run_status,
       r['git_commit'] AS git_commit
ORDER BY at, run_id
