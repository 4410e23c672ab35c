// `check_schema`: whether provenance links of the old form (WRITTEN_BY relationships, converted by `init` into
// `history` lists and :SeedWrites ledgers) remain. One relationship-type index lookup. Parameters: none.
RETURN EXISTS { MATCH ()-[:WRITTEN_BY]->() } AS legacy
