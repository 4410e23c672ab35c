-- Store the names links may give one episode besides its path and name.
-- Parameters: ?1 group_id, ?2 entity_id, ?3 aliases (JSON array of strings),
-- ?4 item key (or NULL).
INSERT OR REPLACE INTO link_names (group_id, entity_id, aliases, item_key)
VALUES (?1, ?2, ?3, ?4)
