// Schema (init): one SeedGroup (revision counter) per group_id. Parameters: none.
CREATE CONSTRAINT graphseed_group_key IF NOT EXISTS
FOR (g:SeedGroup) REQUIRE g.group_id IS UNIQUE
