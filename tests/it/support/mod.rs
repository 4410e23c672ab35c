pub mod bolt_stub;
pub mod neo4j;
pub mod workspace;
