// Ready query: the links of a group that resolve to no episode (or to several), as their episodes stored them when
// last seeded: no file is read. Each stored value is "kind line:col target", an anchor after U+001F.
// Parameters: $group_id.
MATCH (e:Episode {group_id: $group_id})
WHERE size(coalesce(e.links_dangling, [])) > 0
UNWIND e.links_dangling AS link
WITH e, link, split(link, ' ') AS parts
RETURN e.entity_id AS entity_id, e.source_path AS source_path, parts[0] AS kind, parts[1] AS at,
       split(substring(link, size(parts[0]) + size(parts[1]) + 2), '\u001f')[0] AS target
ORDER BY entity_id, at
