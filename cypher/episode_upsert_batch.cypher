// Upsert a batch of episodes (MERGE on the (group_id, entity_id) constraint, then every property is set) and link
// each to the run that wrote it: one WRITTEN_BY per (episode, run), whose `at` is set only when it is created, so
// replaying the batch changes nothing.
// Parameters: $run_id (the writing run), $at (the time of this write, recorded on new links),
// $writes (list of maps with keys group_id, entity_id, name, source, version, version_major, version_minor,
// version_patch, version_pre, created_at, updated_at, source_hash, content_hash, source_path, run_id, body, seal
// (src/hashing.rs `episode_seal`: what the every-reseed hand-edit check verifies without parsing the body), action,
// graphiti: [] in the default profile, else [{uuid, source_description, valid_at}]).
// In the graphiti profile (src/graphiti.rs) the node also becomes an :Episodic that graphiti-core reads: `source`
// then holds Graphiti's episode type (json|text) and graphseed's label moves to `source_description`; `content`
// is the body. FOREACH over the 0-or-1 list is how one statement sets a label only in that profile;
// the second FOREACH undoes it when a group goes back to the default profile, and only on a node that carries the
// graphiti label (graphseed sets the label and those properties together): REMOVE costs a store access per key even
// when the key is absent, 6 per episode, about a quarter of this statement's db hits on a default-profile seed
// (bench/results/profile.md).
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
    e.body = w.body,
    e.seal = w.seal
FOREACH (g IN w.graphiti |
  SET e:Episodic,
      e.uuid = g.uuid,
      e.source_description = g.source_description,
      e.content = w.body,
      e.valid_at = g.valid_at,
      e.entity_edges = [])
FOREACH (_ IN CASE WHEN size(w.graphiti) = 0 AND e:Episodic THEN [1] ELSE [] END |
  REMOVE e:Episodic, e.uuid, e.source_description, e.content, e.valid_at, e.entity_edges)
MERGE (e)-[l:WRITTEN_BY]->(r)
ON CREATE SET l.at = $at
SET l.action = w.action,
    l.version = w.version,
    l.content_hash = w.content_hash,
    l.source_hash = w.source_hash
RETURN count(e) AS written
