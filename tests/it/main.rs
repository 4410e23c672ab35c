//! The one integration test binary. Each area is a module; `support` holds the
//! shared harness (the real Neo4j launcher, temp workspaces, the CLI binary).

mod support;

mod provenance;
mod seeding;
mod smoke;
mod store_contract;
