-- Episode counts per (group, source, version); every group when ?1 is NULL.
-- Parameters: ?1 group_id (or NULL).
SELECT group_id, source, version, COUNT(*) FROM episodes
WHERE (?1 IS NULL OR group_id = ?1)
GROUP BY group_id, source, version
ORDER BY group_id, source, version
