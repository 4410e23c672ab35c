// Upsert a batch of episodes (MERGE on the (group_id, entity_id) constraint, then every property is set) and link
// each to the run that wrote it: one WRITTEN_BY per (episode, run), whose `at` is set only when it is created, so
// replaying the batch changes nothing.
// Parameters: $run_id (the writing run), $at (the time of this write, recorded on new links),
// $writes (list of maps with keys group_id, entity_id, name, source, version, version_major, version_minor,
// version_patch, version_pre, created_at, updated_at, source_hash, content_hash, source_path, run_id, body, action).
MERGE (r:SeedRun {run_id: $run_id})
WITH r
UNWIND $writes AS w
MERGE (e:Episode {group_id: w.group_id, entity_id: w.entity_id})
SET e.name = w.name,
    e.source = w.source,
    e.version = w.version,
    e.version_major = w.version_major,
    e.version_minor = w.version_minor,
    e.version_patch = w.version_patch,
    e.version_pre = w.version_pre,
    e.created_at = w.created_at,
    e.updated_at = w.updated_at,
    e.source_hash = w.source_hash,
    e.content_hash = w.content_hash,
    e.source_path = w.source_path,
    e.run_id = w.run_id,
    e.body = w.body
MERGE (e)-[l:WRITTEN_BY]->(r)
ON CREATE SET l.at = $at
SET l.action = w.action,
    l.version = w.version,
    l.content_hash = w.content_hash,
    l.source_hash = w.source_hash
RETURN count(e) AS written
