// Full episode (body included) of one (group_id, entity_id), if it matches every other filter that is not null:
// one seek on the key whatever the group's size. The same filters and columns as episode_query_group.cypher.
// Parameters: $group_id, $entity_id, $source, $version, $run_id, $since, $until (null for "any"); $limit.
MATCH (e:Episode {group_id: $group_id, entity_id: $entity_id})
WHERE ($source IS NULL OR (CASE WHEN e:Episodic THEN e.source_description ELSE e.source END) = $source)
  AND ($version IS NULL OR e.version = $version)
  AND ($run_id IS NULL OR e.run_id = $run_id)
  AND ($since IS NULL OR e.updated_at >= $since)
  AND ($until IS NULL OR e.updated_at < $until)
WITH e
LIMIT $limit
RETURN e.group_id AS group_id, e.entity_id AS entity_id, e.name AS name, CASE WHEN e:Episodic THEN e.source_description ELSE e.source END AS source,
       e.version AS version, e.created_at AS created_at, e.updated_at AS updated_at,
       e.source_hash AS source_hash, e.content_hash AS content_hash, e.source_path AS source_path,
       e.run_id AS run_id, e.body AS body
