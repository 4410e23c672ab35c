-- Write one link, only between two stored episodes (as a Neo4j relationship
-- needs both nodes).
-- Parameters: ?1 group_id, ?2 source entity_id, ?3 target entity_id, ?4 kind, ?5 count.
INSERT OR REPLACE INTO links (group_id, source_id, target_id, kind, count)
SELECT ?1, ?2, ?3, ?4, ?5
WHERE EXISTS (SELECT 1 FROM episodes WHERE group_id = ?1 AND entity_id = ?2)
  AND EXISTS (SELECT 1 FROM episodes WHERE group_id = ?1 AND entity_id = ?3)
