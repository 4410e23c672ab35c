// Schema (init): index on the kind of links between episodes, for "every embed" or "every wikilink" questions.
// Parameters: none.
CREATE INDEX graphseed_links_kind IF NOT EXISTS
FOR ()-[l:LINKS_TO]-() ON (l.kind)
