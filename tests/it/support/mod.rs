pub mod neo4j;
pub mod workspace;
