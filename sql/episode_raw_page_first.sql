-- The first page of a group's episodes, every column as stored, in
-- entity_id order (the next pages: `episode_raw_page.sql`).
-- Parameters: ?1 group_id, ?2 limit.
SELECT * FROM episodes
WHERE group_id = ?1
ORDER BY entity_id
LIMIT ?2
