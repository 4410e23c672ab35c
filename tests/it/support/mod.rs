pub mod neo4j;
