// Upsert a batch of episodes (MERGE on the (group_id, entity_id) constraint, then every property is set) and record
// the write in the episode's own history: `e.history` is a list of strings, one per (episode, run),
// `run_id|at|action|version|content_hash|source_hash` (source_hash empty for a generated episode). No field can hold
// a `|` (run ids are UUIDs, times RFC 3339, versions semver, hashes hex, actions fixed words), so `split(h, '|')`
// reads it back unambiguously. A list property instead of a WRITTEN_BY relationship to the run node: the
// relationship was 9 of the 16 db hits of a created episode and 11 of 13 of a rewritten one (MERGE against a run
// node with thousands of links, then four properties); the list is one read and one write of a property
// (bench/results/profile.md). What a run wrote is kept per batch on a :SeedWrites node (episode_ledger_batch).
// A replayed batch (its commit was acknowledged lost) must not record the write twice: an element of this run
// already in the list is replaced, keeping its `at`, as MERGE on the relationship kept the link's `at` before.
// The run node itself is written by the batch envelope (run_upsert) before this statement.
// Parameters: $run_mark (the writing run's id followed by `|`), $at (the time of this write, RFC 3339 text),
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
WITH e, w, coalesce(e.history, []) AS history
WITH e, w, history, [h IN history WHERE h STARTS WITH $run_mark] AS mine
SET e.history = [h IN history WHERE NOT h STARTS WITH $run_mark]
    + [$run_mark + coalesce(split(head(mine), '|')[1], $at) + '|' + w.action + '|' + w.version + '|'
       + w.content_hash + '|' + coalesce(w.source_hash, '')]
RETURN count(e) AS written
