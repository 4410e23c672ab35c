-- Write one community (create or update), keyed by (group_id, entity_id). uuid is what the communities run decided
-- (kept from the stored community it continues); created_at is set once, when the row is made. A replay ends in the
-- same row.
-- Parameters: ?1 group_id, ?2 entity_id, ?3 uuid, ?4 level, ?5 size, ?6 name, ?7 summary, ?8 source, ?9 version,
-- ?10 content_hash, ?11 created_at, ?12 updated_at, ?13 run_id, ?14 params_hash, ?15 graph_signature.
INSERT INTO communities (group_id, entity_id, uuid, level, size, name, summary, source, version, content_hash,
                         created_at, updated_at, run_id, params_hash, graph_signature)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
ON CONFLICT (group_id, entity_id) DO UPDATE SET
    uuid = excluded.uuid, level = excluded.level, size = excluded.size, name = excluded.name,
    summary = excluded.summary, source = excluded.source, version = excluded.version,
    content_hash = excluded.content_hash, updated_at = excluded.updated_at,
    run_id = excluded.run_id, params_hash = excluded.params_hash, graph_signature = excluded.graph_signature
