// Schema (init): index for provenance queries by version. Parameters: none.
CREATE INDEX graphseed_episode_version IF NOT EXISTS
FOR (e:Episode) ON (e.version)
