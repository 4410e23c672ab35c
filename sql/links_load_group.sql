-- Every link of one group.
-- Parameters: ?1 group_id.
SELECT source_id, target_id, kind, count
FROM links
WHERE group_id = ?1
ORDER BY source_id, target_id, kind
