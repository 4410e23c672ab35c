-- The links of one episode, both ways: those it makes (primary key prefix) and those made to it
-- (links_group_target, named: with the ORDER BY the planner otherwise walks the group's primary key),
-- a link to itself once; ordered as links_load_group.sql.
-- Parameters: ?1 group_id, ?2 entity_id.
SELECT source_id, target_id, kind, count FROM links WHERE group_id = ?1 AND source_id = ?2
UNION
SELECT source_id, target_id, kind, count FROM links INDEXED BY links_group_target WHERE group_id = ?1 AND target_id = ?2
ORDER BY 1, 2, 3
