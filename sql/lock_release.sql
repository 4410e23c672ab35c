-- Release a lock if ?2 holds it: a late release never frees a lock someone
-- else has since taken over.
-- Parameters: ?1 group_id, ?2 run_id.
DELETE FROM locks WHERE group_id = ?1 AND run_id = ?2
