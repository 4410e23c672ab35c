-- Every unresolved link of a group, as stored: no file is read.
-- Parameters: ?1 group_id.
SELECT source_id, kind, line, col, target, anchor
FROM links_dangling
WHERE group_id = ?1
ORDER BY source_id, seq
