-- How many episodes `episode_load_group.sql` returns for a group: a reseed
-- builds its stored state from the hand-edit pages and checks it got them all.
-- Parameters: ?1 group_id.
SELECT count(*) FROM episodes WHERE group_id = ?1
