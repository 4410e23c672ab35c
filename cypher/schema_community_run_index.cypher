// Schema (init): index for provenance queries by the run that last wrote a community. Parameters: none.
CREATE INDEX graphseed_community_run IF NOT EXISTS
FOR (c:Community) ON (c.run_id)
