-- One page of a group's episodes after ?2, every column as stored, in
-- entity_id order: the every-reseed hand-edit check reads a group page by
-- page so it never holds every body at once. The first page is
-- `episode_raw_page_first.sql`. Two statements, not one with
-- `(?2 IS NULL OR entity_id > ?2)`: SQLite cannot seek the primary key on
-- an OR, so that form rescanned the group from its start for every page
-- (quadratic: 48 s of a 56 s no-op reseed at 1M episodes).
-- Parameters: ?1 group_id, ?2 after, ?3 limit.
SELECT * FROM episodes
WHERE group_id = ?1 AND entity_id > ?2
ORDER BY entity_id
LIMIT ?3
