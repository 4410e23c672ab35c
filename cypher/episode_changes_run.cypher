// The change feed (`graphseed changes`): every write one run left in a group, with the write before it on the
// same entity (any incarnation: pruned tombstones included) and, while the episode still holds the content this
// run wrote, its name and body (graphseed keeps only the current body), in entity_id order. The run's entities
// come from its :SeedWrites ledger; what it did to each, and what came before, from the episodes' `history`
// lists (`run_id|at|action|version|content_hash|source_hash`). A prune's element sits on the :PrunedEpisode
// tombstone, so it never carries a body.
// Parameters: $group_id, $run_id.
MATCH (b:SeedWrites {run_id: $run_id})
WHERE b.group_id = $group_id
UNWIND b.entity_ids AS entity_id
WITH DISTINCT entity_id
CALL (entity_id) {
  MATCH (e:Episode {group_id: $group_id, entity_id: entity_id})
  RETURN e
  UNION ALL
  MATCH (e:PrunedEpisode {group_id: $group_id, entity_id: entity_id})
  RETURN e
}
UNWIND coalesce(e.history, []) AS h
WITH entity_id, e, split(h, '|') AS p
WITH entity_id, collect({e: e, run_id: p[0], at: datetime(p[1]), action: p[2], version: p[3],
                          content_hash: p[4], source_hash: p[5]}) AS writes
UNWIND [x IN writes WHERE x.run_id = $run_id] AS l
WITH entity_id, l, reduce(prev = null, x IN writes |
       CASE WHEN x.at < l.at AND (prev IS NULL OR x.at > prev.at) THEN x ELSE prev END) AS prev
WITH entity_id, l, prev, l.e AS e
RETURN entity_id, l.action AS action, l.at AS at, l.version AS version,
       l.content_hash AS content_hash, CASE l.source_hash WHEN '' THEN null ELSE l.source_hash END AS source_hash,
       prev.action AS previous_action, prev.content_hash AS previous_content_hash,
       CASE WHEN e:Episode AND e.content_hash = l.content_hash THEN e.name END AS name,
       CASE WHEN e:Episode AND e.content_hash = l.content_hash THEN e.body END AS body
ORDER BY entity_id
