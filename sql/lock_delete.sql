-- Remove a group's lock whoever holds it (`graphseed unlock`).
-- Parameters: ?1 group_id.
DELETE FROM locks WHERE group_id = ?1
