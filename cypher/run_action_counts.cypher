// What one run committed: its writes per action, from its :SeedWrites ledger (one node per committed batch;
// prunes included). Used for a run marked abandoned, whose planned counts overstate what it wrote.
// Parameters: $run_id.
MATCH (b:SeedWrites {run_id: $run_id})
UNWIND b.actions AS action
RETURN action, count(*) AS n
ORDER BY action
