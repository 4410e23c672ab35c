-- The entity_id at a position of the hand-edit pass's order
-- (`episode_raw_page_first.sql`'s filter and order). The embedded store
-- reads a group in one range (one connection), so only the contract tests
-- ask it; it answers from the primary key.
-- Parameters: ?1 group_id, ?2 position (from 0).
SELECT entity_id FROM episodes
WHERE group_id = ?1
ORDER BY entity_id
LIMIT 1 OFFSET ?2
