-- Migration to layout version 2: runs have a kind; runs recorded before
-- were seeds.
-- Parameters: none.
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'seed'
