-- Every episode of a group with its link names, for planning: `known` is 0
-- for an episode written before link names were stored. In entity_id order.
-- Parameters: ?1 group_id.
SELECT e.entity_id, e.name, n.aliases, n.item_key, n.entity_id IS NOT NULL AS known
FROM episodes e
LEFT JOIN link_names n ON n.group_id = e.group_id AND n.entity_id = e.entity_id
WHERE e.group_id = ?1
ORDER BY e.entity_id
