-- One provenance link per (episode, run). A replayed batch updates the link
-- in place instead of adding a second one, and keeps its first `at`.
-- Parameters: ?1 group_id, ?2 entity_id, ?3 run_id, ?4 action, ?5 at,
-- ?6 version, ?7 content_hash, ?8 source_hash.
INSERT INTO episode_history (group_id, entity_id, run_id, action, at, version,
                             content_hash, source_hash)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT (group_id, entity_id, run_id) DO UPDATE SET
    action = excluded.action, version = excluded.version,
    content_hash = excluded.content_hash, source_hash = excluded.source_hash
