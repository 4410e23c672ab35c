// Full episodes (body included) of one group matching every other filter that is not null, in entity_id order.
// The same filters as episode_query.cypher, with the group required so the (group_id, entity_id) key is used.
// Ordered by (group_id, entity_id) before the projection so the key's own order answers the ORDER BY: the scan
// stops after $limit matches instead of reading and sorting the whole group (PROFILE: Limit over
// NodeUniqueIndexSeek, no Top). --entity and --run have statements of their own (episode_query_entity/_run).
// Parameters: $group_id, $source, $version, $entity_id, $run_id (episodes last written by that run),
// $since (updated_at >= since), $until (updated_at < until), each null for "any"; $limit (an integer).
// The source label is `source_description` on graphiti-profile (:Episodic) nodes, whose `source` is Graphiti's.
MATCH (e:Episode)
WHERE e.group_id = $group_id AND e.entity_id IS NOT NULL
  AND ($source IS NULL OR (CASE WHEN e:Episodic THEN e.source_description ELSE e.source END) = $source)
  AND ($version IS NULL OR e.version = $version)
  AND ($entity_id IS NULL OR e.entity_id = $entity_id)
  AND ($run_id IS NULL OR e.run_id = $run_id)
  AND ($since IS NULL OR e.updated_at >= $since)
  AND ($until IS NULL OR e.updated_at < $until)
WITH e
ORDER BY e.group_id, e.entity_id
LIMIT $limit
RETURN e.group_id AS group_id, e.entity_id AS entity_id, e.name AS name, CASE WHEN e:Episodic THEN e.source_description ELSE e.source END AS source,
       e.version AS version, e.created_at AS created_at, e.updated_at AS updated_at,
       e.source_hash AS source_hash, e.content_hash AS content_hash, e.source_path AS source_path,
       e.run_id AS run_id, e.body AS body
