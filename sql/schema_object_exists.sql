-- Whether a table or an index exists (`check_schema`).
-- Parameters: ?1 type (`table` or `index`), ?2 name.
SELECT 1 FROM sqlite_master WHERE type = ?1 AND name = ?2
