-- Extend a lease; `acquired_at` keeps the time it was first taken.
-- Parameters: ?1 group_id, ?2 expires_at.
UPDATE locks SET expires_at = ?2 WHERE group_id = ?1
