-- Create or update one episode. `created_at` is written as given: the planner
-- owns it (set once, carried over on update and replace).
-- Parameters: ?1 group_id, ?2 entity_id, ?3 name, ?4 source, ?5 version,
-- ?6 version_major, ?7 version_minor, ?8 version_patch, ?9 version_pre,
-- ?10 created_at, ?11 updated_at, ?12 source_hash, ?13 content_hash,
-- ?14 source_path, ?15 run_id, ?16 body, ?17 seal.
INSERT INTO episodes (group_id, entity_id, name, source, version, version_major,
                      version_minor, version_patch, version_pre, created_at, updated_at,
                      source_hash, content_hash, source_path, run_id, body, seal)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
ON CONFLICT (group_id, entity_id) DO UPDATE SET
    name = excluded.name, source = excluded.source, version = excluded.version,
    version_major = excluded.version_major, version_minor = excluded.version_minor,
    version_patch = excluded.version_patch, version_pre = excluded.version_pre,
    created_at = excluded.created_at, updated_at = excluded.updated_at,
    source_hash = excluded.source_hash, content_hash = excluded.content_hash,
    source_path = excluded.source_path, run_id = excluded.run_id, body = excluded.body,
    seal = excluded.seal
