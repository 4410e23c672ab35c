// Episode counts per (group, source, version) over every group (episode_status_group.cypher: one group).
// Parameters: none.
// The source label is `source_description` on graphiti-profile (:Episodic) nodes, whose `source` is Graphiti's.
MATCH (e:Episode)
RETURN e.group_id AS group_id, CASE WHEN e:Episodic THEN e.source_description ELSE e.source END AS source, e.version AS version, count(*) AS episodes
ORDER BY group_id, source, version
