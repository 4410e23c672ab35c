//! The stdin producer: generated episodes (JSONL), which have no file.
//! One bad line and nothing from stdin is trusted, and nothing of its source
//! pruned.

use std::borrow::Cow;
use std::sync::Arc;

use super::draft::{Draft, Facts, Here, StoredIndex};
use super::{Generated, Origin, PlanError};
use crate::sources;

/// Plan the episodes read from standard input.
pub(super) fn add_generated<'s>(draft: &mut Draft<'s>, index: &StoredIndex<'s>, g: &Generated) {
    draft.scope_sources.insert(g.source.clone());
    let stdin_source: Arc<str> = g.source.as_str().into();
    match sources::parse_generated(&g.bytes) {
        Ok(cands) => {
            draft.found_any_source |= !cands.is_empty();
            for c in cands {
                let here = Here::Stdin { line: c.line };
                let id = Cow::Owned(c.entity_id.clone());
                if !draft.claim(id, here, "<stdin>") {
                    continue;
                }
                let origin = Origin::Generated(draft.generated.len());
                let facts = Facts {
                    source: &stdin_source,
                    source_path: None,
                    source_hash: None,
                    display: "<stdin>",
                };
                draft.produce(index, &c, &facts, origin);
                draft.generated.push(c);
            }
        }
        Err(errs) => {
            draft.protected.extend(
                index
                    .all
                    .iter()
                    .filter(|s| *s.source == *g.source)
                    .map(|s| s.entity_id.clone()),
            );
            draft.errors.extend(
                errs.into_iter()
                    .map(|e| PlanError::from_parse("<stdin>", e)),
            );
        }
    }
}
