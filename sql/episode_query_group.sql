-- Provenance query within one group (the primary key narrows the scan).
-- Parameters: ?1 group_id, ?2 source, ?3 version, ?4 entity_id, ?5 run_id,
-- ?6 since, ?7 until (RFC 3339 text as `format_time` writes it, so text order is
-- time order), ?8 limit (negative: none). An unset filter is NULL.
SELECT group_id, entity_id, name, source, version, created_at, updated_at, source_hash,
       content_hash, source_path, run_id, body
FROM episodes
WHERE group_id = ?1 AND
      (?2 IS NULL OR source = ?2)
  AND (?3 IS NULL OR version = ?3)
  AND (?4 IS NULL OR entity_id = ?4)
  AND (?5 IS NULL OR run_id = ?5)
  AND (?6 IS NULL OR updated_at >= ?6)
  AND (?7 IS NULL OR updated_at < ?7)
ORDER BY group_id, entity_id
LIMIT ?8
