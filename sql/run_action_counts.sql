-- What one run committed: its provenance links per action (a pruned episode keeps its history).
-- Used for a run marked abandoned, whose planned counts overstate what it wrote.
-- Parameters: ?1 run_id.
SELECT action, count(*) FROM episode_history WHERE run_id = ?1 GROUP BY action ORDER BY action
