pub mod bolt_stub;
pub mod hand;
pub mod neo4j;
pub mod rng;
pub mod workspace;
