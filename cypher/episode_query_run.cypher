// Full episodes (body included) of one group last written by one run, matching every other filter that is not
// null, in entity_id order. Through the run_id index (graphseed_episode_run), then sorted: the cost is the run's
// size, not the group's. No `e.entity_id IS NOT NULL` here: with it the planner prefers a full scan of the
// group's (group_id, entity_id) key (PROFILE at 100k: 211k db hits against 14k).
// Parameters: $group_id, $run_id, $source, $version, $entity_id, $since, $until (null for "any"); $limit.
MATCH (e:Episode)
WHERE e.run_id = $run_id AND e.group_id = $group_id
  AND ($source IS NULL OR (CASE WHEN e:Episodic THEN e.source_description ELSE e.source END) = $source)
  AND ($version IS NULL OR e.version = $version)
  AND ($entity_id IS NULL OR e.entity_id = $entity_id)
  AND ($since IS NULL OR e.updated_at >= $since)
  AND ($until IS NULL OR e.updated_at < $until)
WITH e
ORDER BY e.entity_id
LIMIT $limit
RETURN e.group_id AS group_id, e.entity_id AS entity_id, e.name AS name, CASE WHEN e:Episodic THEN e.source_description ELSE e.source END AS source,
       e.version AS version, e.created_at AS created_at, e.updated_at AS updated_at,
       e.source_hash AS source_hash, e.content_hash AS content_hash, e.source_path AS source_path,
       e.run_id AS run_id, e.body AS body
