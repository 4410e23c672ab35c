// Provenance: the whole history of one episode: every run that wrote it,
// with the action taken, oldest first. A pruned episode keeps its history
// on its :PrunedEpisode tombstone (create ... prune), so both are read, as
// `graphseed provenance --entity` does.
// Parameters: $group_id, $entity_id.
// `r['git_commit']` rather than `r.git_commit`: outside a git repository no
// run has that property, and Neo4j warns about a property key it has never
// seen when it is named statically.
CALL {
  MATCH (e:Episode {group_id: $group_id, entity_id: $entity_id})-[w:WRITTEN_BY]->(r:SeedRun)
  RETURN e, w, r
  UNION ALL
  MATCH (e:PrunedEpisode {group_id: $group_id, entity_id: $entity_id})-[w:WRITTEN_BY]->(r:SeedRun)
  RETURN e, w, r
}
RETURN e.entity_id AS entity_id, w.action AS action, w.at AS at, w.version AS version,
       w.content_hash AS content_hash, r.run_id AS run_id, r.status AS run_status,
       r['git_commit'] AS git_commit
ORDER BY at, run_id
