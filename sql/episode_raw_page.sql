-- One page of a group's episodes, every column as stored, in entity_id order
-- after ?2 (NULL for the first page): the every-reseed hand-edit check reads
-- a group page by page so it never holds every body at once.
-- Parameters: ?1 group_id, ?2 after, ?3 limit.
SELECT * FROM episodes
WHERE group_id = ?1 AND (?2 IS NULL OR entity_id > ?2)
ORDER BY entity_id
LIMIT ?3
