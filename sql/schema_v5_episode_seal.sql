-- Migration to layout version 5: an episode keeps its seal
-- (`hashing::episode_seal`), so a reseed's hand-edit check hashes each row
-- as read instead of parsing its body. Rows written before have none and are
-- read in full until they are written again.
-- Parameters: none.
ALTER TABLE episodes ADD COLUMN seal TEXT
