// Every provenance link of one episode, oldest first, including those of earlier incarnations that were pruned
// (kept on :PrunedEpisode tombstones). Parameters: $group_id, $entity_id.
CALL {
  MATCH (e:Episode {group_id: $group_id, entity_id: $entity_id})-[l:WRITTEN_BY]->(r:SeedRun)
  RETURN l, r
  UNION ALL
  MATCH (e:PrunedEpisode {group_id: $group_id, entity_id: $entity_id})-[l:WRITTEN_BY]->(r:SeedRun)
  RETURN l, r
}
RETURN r.run_id AS run_id, l.action AS action, l.at AS at, l.version AS version,
       l.content_hash AS content_hash, l.source_hash AS source_hash
ORDER BY at, run_id
