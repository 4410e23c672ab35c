// `init`, data migration, step 2 of 2 (after migrate_written_by_ledger): every episode or tombstone that still
// has WRITTEN_BY links gets them appended to its `history` list, oldest first, in the format of
// episode_upsert_batch (`run_id|at|action|version|content_hash|source_hash`), and the links are deleted in the
// same inner transaction, so a rerun never converts a link twice. 1,000 episodes per transaction bounds the
// server's memory on a large graph. Must run as an auto-commit query (CALL ... IN TRANSACTIONS).
// Parameters: none.
MATCH (e)-[:WRITTEN_BY]->(:SeedRun)
WHERE e:Episode OR e:PrunedEpisode
WITH DISTINCT e
CALL (e) {
  MATCH (e)-[l:WRITTEN_BY]->(r:SeedRun)
  WITH e, l, r
  ORDER BY l.at, r.run_id
  WITH e, collect(l) AS links,
       collect(r.run_id + '|' + toString(l.at) + '|' + l.action + '|' + l.version + '|' + l.content_hash + '|'
               + coalesce(l.source_hash, '')) AS migrated
  SET e.history = coalesce(e.history, []) + migrated
  FOREACH (l IN links | DELETE l)
} IN TRANSACTIONS OF 1000 ROWS
