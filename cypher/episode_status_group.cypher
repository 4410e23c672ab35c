// Episode counts per (source, version) of one group, using the (group_id, entity_id) index. Parameters: $group_id.
MATCH (e:Episode)
WHERE e.group_id = $group_id AND e.entity_id IS NOT NULL
RETURN e.group_id AS group_id, e.source AS source, e.version AS version, count(*) AS episodes
ORDER BY source, version
