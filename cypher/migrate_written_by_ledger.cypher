// `init`, data migration, step 1 of 2: graphs written before the per-episode `history` lists held one WRITTEN_BY
// relationship per (episode, run). Each run that still has such links gets one :SeedWrites ledger node holding
// every entity it wrote or pruned (batch `migrated`), in a transaction of its own. A run that already has its
// migrated ledger is skipped, so a rerun after a crash finishes the job without recounting; step 2 deletes the
// links only after this step has finished for every run. Must run as an auto-commit query
// (CALL ... IN TRANSACTIONS). Parameters: none.
// The "already migrated" check is inside the inner transaction: in the outer one, its seek on the (run_id, batch)
// constraint's index takes a lock that the inner MERGE would then wait for, forever.
MATCH (r:SeedRun)
WHERE EXISTS { MATCH (e)-[:WRITTEN_BY]->(r) WHERE e:Episode OR e:PrunedEpisode }
CALL (r) {
  OPTIONAL MATCH (done:SeedWrites {run_id: r.run_id, batch: 'migrated'})
  WITH r, done
  WHERE done IS NULL
  MATCH (e)-[l:WRITTEN_BY]->(r)
  WHERE e:Episode OR e:PrunedEpisode
  WITH r, e, l
  ORDER BY e.entity_id
  WITH r, collect(e.group_id)[0] AS group_id, collect(e.entity_id) AS entity_ids, collect(l.action) AS actions
  MERGE (b:SeedWrites {run_id: r.run_id, batch: 'migrated'})
  SET b.group_id = coalesce(r.group_id, group_id),
      b.entity_ids = entity_ids,
      b.actions = actions
} IN TRANSACTIONS OF 1 ROWS
