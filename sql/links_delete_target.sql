-- Remove every link into one (pruned) episode; its outgoing ones go with
-- `links_delete_source.sql`. Two statements, not one with
-- `(source_id = ?2 OR target_id = ?2)`: SQLite cannot seek an index on that
-- OR, so it read every link of the group for each pruned episode.
-- Parameters: ?1 group_id, ?2 entity_id.
DELETE FROM links WHERE group_id = ?1 AND target_id = ?2
