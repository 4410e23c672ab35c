-- Every column of every episode of a group, as stored (`validate`): `*` on
-- purpose, SQLite is dynamically typed and a hand-edit can put any type in
-- any column.
-- Parameters: ?1 group_id.
SELECT * FROM episodes WHERE group_id = ?1 ORDER BY entity_id
