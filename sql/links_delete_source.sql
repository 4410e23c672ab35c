-- Remove every outgoing link of one episode (before its new set is written).
-- Parameters: ?1 group_id, ?2 source entity_id.
DELETE FROM links WHERE group_id = ?1 AND source_id = ?2
