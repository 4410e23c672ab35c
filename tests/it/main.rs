//! The one integration test binary. Each area is a module; `support` holds the
//! shared harness (the real Neo4j launcher, temp workspaces, the CLI binary).

mod support;

mod hostile;
mod provenance;
mod reliability;
mod routing;
mod scale;
mod secrets;
mod seeding;
mod smoke;
mod store_contract;
mod tls;
