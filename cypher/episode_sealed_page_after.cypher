// The next page of the hand-edit pass (see episode_sealed_page.cypher, the same columns): the episodes after $after
// in entity_id order. A statement of its own, not `$after IS NULL OR ...` in one: that form hides the range from the
// planner, which then scans every :Episode of the database for every page. Here the key's index is sought from
// $after.
// Parameters: $group_id, $after, $limit.
MATCH (e:Episode {group_id: $group_id})
WHERE e.entity_id > $after
RETURN e.entity_id AS entity_id, CASE WHEN e:Episodic THEN e.source_description ELSE e.source END AS source,
       e.version AS version, e.created_at AS created_at, e.updated_at AS updated_at, e.source_hash AS source_hash,
       e.content_hash AS content_hash, e.source_path AS source_path,
       CASE WHEN e:Episodic OR e.seal IS NULL THEN null ELSE [e.seal, e.run_id, e.body] END AS sealed
ORDER BY e.group_id, e.entity_id
LIMIT $limit
