//! Provenance: who wrote what, when, from which commit. The run record
//! ([`record`]), the file audit trail ([`audit`]) and git capture ([`git`]).

pub mod audit;
pub mod feed;
pub mod git;
pub mod record;
pub mod validate;
