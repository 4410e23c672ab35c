// Schema (init): index for provenance queries by the run that last wrote an episode. Parameters: none.
CREATE INDEX graphseed_episode_run IF NOT EXISTS
FOR (e:Episode) ON (e.run_id)
