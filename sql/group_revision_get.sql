-- A group's revision (no row: 0).
-- Parameters: ?1 group_id.
SELECT revision FROM groups WHERE group_id = ?1
