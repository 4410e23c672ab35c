// The change feed (`graphseed changes`): every provenance link one run left in a group, with the link before it on
// the same entity (any incarnation: pruned tombstones included) and, while the episode still holds the content this
// run wrote, its name and body (graphseed keeps only the current body), in entity_id order. A prune's link sits on
// the :PrunedEpisode tombstone, so it never carries a body.
// Parameters: $group_id, $run_id.
MATCH (e)-[l:WRITTEN_BY]->(:SeedRun {run_id: $run_id})
WHERE (e:Episode OR e:PrunedEpisode) AND e.group_id = $group_id
CALL (e, l) {
  OPTIONAL MATCH (:Episode {group_id: e.group_id, entity_id: e.entity_id})-[p:WRITTEN_BY]->(:SeedRun)
  WHERE p.at < l.at
  RETURN p
  UNION ALL
  OPTIONAL MATCH (:PrunedEpisode {group_id: e.group_id, entity_id: e.entity_id})-[p:WRITTEN_BY]->(:SeedRun)
  WHERE p.at < l.at
  RETURN p
}
WITH e, l, p
ORDER BY p.at DESC
WITH e, l, collect(p)[0] AS prev
RETURN e.entity_id AS entity_id, l.action AS action, l.at AS at, l.version AS version,
       l.content_hash AS content_hash, l.source_hash AS source_hash,
       prev.action AS previous_action, prev.content_hash AS previous_content_hash,
       CASE WHEN e:Episode AND e.content_hash = l.content_hash THEN e.name END AS name,
       CASE WHEN e:Episode AND e.content_hash = l.content_hash THEN e.body END AS body
ORDER BY entity_id
