// What one batch of a run wrote, for the questions asked by run rather than by episode (`changes`, the counts of
// an abandoned run, "which episodes did run R write"): one :SeedWrites node per batch, holding the entity_ids the
// batch wrote or pruned and the action of each, in the batch's transaction. One node per batch costs far less
// than a relationship per episode (bench/results/profile.md), and the run_id index makes the lookup a seek.
// MERGEd on (run_id, batch), where `batch` is derived from the batch's contents, so a replayed batch leaves the
// same node. Parameters: $run_id, $group_id, $batch (a key of the batch's contents), $entity_ids (list of
// strings), $actions (list of strings, one per entity_id).
MERGE (b:SeedWrites {run_id: $run_id, batch: $batch})
SET b.group_id = $group_id,
    b.entity_ids = $entity_ids,
    b.actions = $actions
