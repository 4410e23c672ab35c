pub mod hand;
pub mod neo4j;
pub mod workspace;
