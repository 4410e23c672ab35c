//! The one integration test binary. Each area is a module; `support` holds the
//! shared harness (the real Neo4j launcher, temp workspaces, the CLI binary).

// Tests report progress and diagnostics on the test harness's own output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod support;

mod cli;
mod communities;
mod first_hour;
mod graphiti;

mod drift;
mod hostile;
mod integrity;
mod links;
mod provenance;
mod reliability;
mod routing;
mod scale;
mod secrets;
mod seeding;
mod smoke;
mod snapshots;
mod store_contract;
mod tls;
mod unchanged;
