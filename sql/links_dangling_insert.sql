-- Store one unresolved link of an episode.
-- Parameters: ?1 group_id, ?2 source entity_id, ?3 seq (its place among the
-- episode's unresolved links), ?4 kind, ?5 line, ?6 col, ?7 target, ?8 anchor.
INSERT OR REPLACE INTO links_dangling (group_id, source_id, seq, kind, line, col, target, anchor)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
