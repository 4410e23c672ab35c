// Schema (init): index for provenance queries by source. Parameters: none.
CREATE INDEX graphseed_episode_source IF NOT EXISTS
FOR (e:Episode) ON (e.source)
