-- Delete one episode (its history stays).
-- Parameters: ?1 group_id, ?2 entity_id.
DELETE FROM episodes WHERE group_id = ?1 AND entity_id = ?2
