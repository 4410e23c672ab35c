// What planning needs of every episode of a group to resolve links without reading unchanged files: its name, the
// aliases and item key links may name it by, and its links that resolved to no single episode (each
// "kind line:col target", an anchor after U+001F). `aliases` is null for an episode written before graphseed stored
// them (its file is then read once). In entity_id order.
// Parameters: $group_id.
// Ordered by both properties of the (group_id, entity_id) key: the order that key's index provides, so the server
// streams rows as it seeks them instead of sorting the whole group first (PROFILE: no Sort operator).
MATCH (e:Episode)
WHERE e.group_id = $group_id AND e.entity_id IS NOT NULL
RETURN e.entity_id AS entity_id, e.name AS name, e.link_aliases AS aliases, e.link_key AS key,
       e.links_dangling AS dangling
ORDER BY e.group_id, e.entity_id
