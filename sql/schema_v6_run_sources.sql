-- Migration to layout version 6: a seed run records the fingerprint of its
-- sources (`planning::sources_signature`), so a reseed of the same bytes can
-- tell it changes nothing without holding the stored state. Runs recorded
-- before have none: the first reseed after the upgrade plans in full.
-- Parameters: none.
ALTER TABLE runs ADD COLUMN sources_signature TEXT
