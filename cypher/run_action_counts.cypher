// What one run committed: its provenance links per action (pruned episodes keep theirs on :PrunedEpisode).
// Used for a run marked abandoned, whose planned counts overstate what it wrote. Parameters: $run_id.
MATCH (e)-[l:WRITTEN_BY]->(r:SeedRun {run_id: $run_id})
WHERE e:Episode OR e:PrunedEpisode
RETURN l.action AS action, count(l) AS n
ORDER BY action
