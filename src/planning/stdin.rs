//! The stdin producer: generated episodes (JSONL), which have no file.
//! One bad line and nothing from stdin is trusted, and nothing of its source
//! pruned.

use std::sync::Arc;

use super::draft::{Draft, Facts, Here, StoredIndex};
use super::links::{ItemLinks, Pending, item_links};
use super::{Generated, Origin, PlanError};
use crate::links::Episode;
use crate::sources::{self, Format};

/// Plan the episodes read from standard input.
pub(super) fn add_generated<'s>(draft: &mut Draft<'s>, index: &StoredIndex<'s>, g: &Generated) {
    // An index key on every store: refused here, not by the write. Outside
    // the scope then, so nothing of it is orphaned.
    if let Err(m) = crate::limits::check_key("source", &g.source) {
        draft.errors.push(PlanError::input(
            Some("<stdin>".into()),
            m,
            Some("use a shorter --source"),
        ));
        return;
    }
    draft.scope_sources.insert(g.source.clone());
    let stdin_source: Arc<str> = g.source.as_str().into();
    draft.stdin_source = Some(stdin_source.clone());
    match sources::parse_generated(&g.bytes, draft.input.max_file_bytes) {
        Ok(cands) => {
            draft.found_any_source |= !cands.is_empty();
            // Generated items declare links in the same fields as a JSONL
            // file's (`links`, `related`, ...); stdin is always parsed, so
            // every item is resolved again, like a changed file's.
            let mut links = item_links(
                Format::JsonLines,
                &g.bytes,
                &cands,
                true,
                &draft.input.links.rules,
            );
            links.resize_with(cands.len(), ItemLinks::default);
            for (c, links) in cands.into_iter().zip(links) {
                let here = Here::Stdin { line: c.line };
                let origin = Origin::Generated(
                    u32::try_from(draft.generated.len())
                        .expect("fewer than 2^32 generated episodes"),
                );
                let facts = Facts {
                    source: &stdin_source,
                    source_path: None,
                    source_hash: None,
                    display: "<stdin>",
                    file_unchanged: false,
                };
                let mark = draft.mark();
                if !draft.claim_and_produce(index, &c, (here, "<stdin>"), &facts, origin) {
                    continue;
                }
                // No file: a link from stdin names its target by id, name,
                // alias or stem, never by a path relative to itself.
                draft.pending_links.push(Pending::of_stdin(
                    Episode {
                        entity_id: c.entity_id.clone(),
                        file: None,
                        name: c.name.clone(),
                        aliases: Vec::new(),
                        key: None,
                    },
                    links,
                    draft.made_since(mark),
                ));
                draft.generated.push(c);
            }
        }
        Err(errs) => {
            draft.protected.extend(
                index
                    .all
                    .iter()
                    .filter(|s| **s.source() == *g.source)
                    .map(|s| s.entity_id().to_string()),
            );
            draft.errors.extend(
                errs.into_iter()
                    .map(|e| PlanError::from_parse("<stdin>", e)),
            );
        }
    }
}
