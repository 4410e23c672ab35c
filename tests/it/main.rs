//! The one integration test binary. Each area is a module; `support` holds the
//! shared harness (the real Neo4j launcher, temp workspaces, the CLI binary).

mod support;

mod drift;
mod hostile;
mod integrity;
mod provenance;
mod reliability;
mod scale;
mod secrets;
mod seeding;
mod smoke;
mod store_contract;
mod tls;
