// Episode counts per (group, source, version) over every group (episode_status_group.cypher: one group).
// Parameters: none.
MATCH (e:Episode)
RETURN e.group_id AS group_id, e.source AS source, e.version AS version, count(*) AS episodes
ORDER BY group_id, source, version
