-- Provenance query for the episodes one run last wrote in one group: through episodes_group_run, then
-- sorted, so the cost is the run's size, not the group's. INDEXED BY because the planner otherwise walks
-- the primary key to spare the sort, reading the whole group (EXPLAIN QUERY PLAN).
-- The same columns as episode_query_group.sql.
-- Parameters (as episode_query_group.sql): ?1 group_id, ?2 source, ?3 version, ?4 entity_id, ?5 run_id,
-- ?6 since, ?7 until (RFC 3339 text, so text order is time order), ?8 limit (negative: none). An unset
-- filter is NULL; here ?5 (run_id) is required.
SELECT group_id, entity_id, name, source, version, created_at, updated_at, source_hash,
       content_hash, source_path, run_id, body
FROM episodes INDEXED BY episodes_group_run
WHERE group_id = ?1 AND run_id = ?5
  AND (?2 IS NULL OR source = ?2)
  AND (?3 IS NULL OR version = ?3)
  AND (?4 IS NULL OR entity_id = ?4)
  AND (?6 IS NULL OR updated_at >= ?6)
  AND (?7 IS NULL OR updated_at < ?7)
ORDER BY entity_id
LIMIT ?8
