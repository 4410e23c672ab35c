-- The change feed (`graphseed changes`): every provenance link one run left in a
-- group, with the link before it on the same entity and, while the episode still
-- holds the content this run wrote, its name and body (only the current body is kept),
-- in entity_id order. `at` is RFC 3339 text as `format_time` writes it, so text
-- order is time order.
-- Parameters: ?1 group_id, ?2 run_id.
SELECT h.entity_id, h.action, h.at, h.version, h.content_hash, h.source_hash,
       p.action, p.content_hash,
       CASE WHEN h.action <> 'prune' AND e.content_hash = h.content_hash THEN e.name END,
       CASE WHEN h.action <> 'prune' AND e.content_hash = h.content_hash THEN e.body END
FROM episode_history h
LEFT JOIN episode_history p
       ON p.group_id = h.group_id AND p.entity_id = h.entity_id
      AND p.run_id = (SELECT q.run_id FROM episode_history q
                      WHERE q.group_id = h.group_id AND q.entity_id = h.entity_id AND q.at < h.at
                      ORDER BY q.at DESC, q.run_id DESC LIMIT 1)
LEFT JOIN episodes e ON e.group_id = h.group_id AND e.entity_id = h.entity_id
WHERE h.group_id = ?1 AND h.run_id = ?2
ORDER BY h.entity_id
