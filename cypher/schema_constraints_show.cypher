// Schema check: every constraint of the database, for check_schema to compare with graphseed's. Parameters: none.
SHOW CONSTRAINTS YIELD name, type, entityType, labelsOrTypes, properties
RETURN name, type, entityType, labelsOrTypes, properties
