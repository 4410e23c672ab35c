// Episode counts per (source, version) of one group, using the (group_id, entity_id) index. Parameters: $group_id.
// The source label is `source_description` on graphiti-profile (:Episodic) nodes, whose `source` is Graphiti's.
MATCH (e:Episode)
WHERE e.group_id = $group_id AND e.entity_id IS NOT NULL
RETURN e.group_id AS group_id, CASE WHEN e:Episodic THEN e.source_description ELSE e.source END AS source, e.version AS version, count(*) AS episodes
ORDER BY source, version
