// How many episodes episode_load_group.cypher returns for a group (the same filter): a reseed builds its stored
// state from the hand-edit pages and checks it got them all.
// Parameters: $group_id.
MATCH (e:Episode)
WHERE e.group_id = $group_id AND e.entity_id IS NOT NULL
RETURN count(e) AS n
