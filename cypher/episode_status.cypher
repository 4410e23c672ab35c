// Episode counts per (group, source, version); $group_id narrows to one group (null: all). Parameters: $group_id.
MATCH (e:Episode)
WHERE $group_id IS NULL OR e.group_id = $group_id
RETURN e.group_id AS group_id, e.source AS source, e.version AS version, count(*) AS episodes
ORDER BY group_id, source, version
