pub mod bolt_stub;
pub mod dedicated;
pub mod hand;
pub mod neo4j;
pub mod rng;
pub mod workspace;
