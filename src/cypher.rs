//! Every Cypher statement graphseed runs, loaded from `cypher/*.cypher` at
//! compile time. No query is ever built by formatting input into a string:
//! values travel as `$parameters`, labels and relationship types are fixed in
//! these files. A test checks that every file in `cypher/` is listed here.
//!
//! Each file holds one statement and starts with `//` comment lines saying
//! what it is for and naming its `$parameters`, so the same files can be
//! pasted into Neo4j Browser as they are.
//!
//! To add a statement (for the store, or a ready provenance query for users):
//! put the file in `cypher/` and add one line to the `statement_files!` list
//! below; that defines its constant and lists it in [`ALL`].

crate::statement_files::statement_files! {
    "cypher";
    /// `RETURN 1`: connectivity check.
    PING => "ping.cypher";

    // --- schema (init / check_schema) ---------------------------------------
    /// Unique (group_id, entity_id) on `:Episode`.
    SCHEMA_EPISODE_KEY => "schema_episode_key.cypher";
    /// Unique run_id on `:SeedRun`.
    SCHEMA_RUN_KEY => "schema_run_key.cypher";
    /// Unique group_id on `:SeedGroup`.
    SCHEMA_GROUP_KEY => "schema_group_key.cypher";
    /// Unique group_id on `:SeedLock`.
    SCHEMA_LOCK_KEY => "schema_lock_key.cypher";
    SCHEMA_EPISODE_SOURCE_INDEX => "schema_episode_source_index.cypher";
    SCHEMA_EPISODE_VERSION_INDEX => "schema_episode_version_index.cypher";
    SCHEMA_EPISODE_RUN_INDEX => "schema_episode_run_index.cypher";
    SCHEMA_EPISODE_UPDATED_INDEX => "schema_episode_updated_index.cypher";
    SCHEMA_EPISODE_PATH_INDEX => "schema_episode_path_index.cypher";
    SCHEMA_RUN_GROUP_INDEX => "schema_run_group_index.cypher";
    /// Finds the `:PrunedEpisode` tombstones of an entity (its history).
    SCHEMA_PRUNED_EPISODE_INDEX => "schema_pruned_episode_index.cypher";
    /// `SHOW CONSTRAINTS`, for `check_schema`.
    SCHEMA_CONSTRAINTS_SHOW => "schema_constraints_show.cypher";

    // --- runs ----------------------------------------------------------------
    RUN_UPSERT => "run_upsert.cypher";
    RUN_GET => "run_get.cypher";
    RUN_LIST => "run_list.cypher";
    /// Provenance links of one run per action: what it committed.
    RUN_ACTION_COUNTS => "run_action_counts.cypher";
    /// `init`: give runs recorded before kinds existed the kind `seed`.
    RUN_KIND_MIGRATE => "run_kind_migrate.cypher";

    // --- group revision --------------------------------------------------------
    GROUP_REVISION_GET => "group_revision_get.cypher";
    GROUP_REVISION_BUMP => "group_revision_bump.cypher";

    // --- episodes ------------------------------------------------------------
    EPISODE_UPSERT_BATCH => "episode_upsert_batch.cypher";
    EPISODE_DELETE_BATCH => "episode_delete_batch.cypher";
    EPISODE_LOAD_GROUP => "episode_load_group.cypher";
    EPISODE_COUNT_GROUP => "episode_count_group.cypher";
    EPISODE_ENTITY_ID_AT => "episode_entity_id_at.cypher";
    /// Provenance query over every group.
    EPISODE_QUERY => "episode_query.cypher";
    /// Provenance query within one group (index-backed).
    EPISODE_QUERY_GROUP => "episode_query_group.cypher";
    /// The same for one (group_id, entity_id): one key seek.
    EPISODE_QUERY_ENTITY => "episode_query_entity.cypher";
    /// The same for the episodes one run last wrote: through the run index.
    EPISODE_QUERY_RUN => "episode_query_run.cypher";
    EPISODE_HISTORY => "episode_history.cypher";
    EPISODE_STATUS => "episode_status.cypher";
    EPISODE_STATUS_GROUP => "episode_status_group.cypher";
    /// Every property of every episode of a group, as stored.
    EPISODE_RAW_GROUP => "episode_raw_group.cypher";
    /// The every-reseed hand-edit check: the first page of a group, in
    /// entity_id order, with what each episode's seal covers.
    EPISODE_SEALED_PAGE => "episode_sealed_page.cypher";
    /// The page after a given entity_id.
    EPISODE_SEALED_PAGE_AFTER => "episode_sealed_page_after.cypher";
    /// Every property of the episodes whose seal did not vouch for them.
    EPISODE_RAW_BY_IDS => "episode_raw_by_ids.cypher";
    /// The links one run left, for the change feed (`graphseed changes`).
    EPISODE_CHANGES_RUN => "episode_changes_run.cypher";

    // --- the graphiti profile (init) -------------------------------------------
    // Graphiti's own episode indexes, under Graphiti's names (see src/graphiti.rs).
    SCHEMA_GRAPHITI_EPISODE_UUID => "schema_graphiti_episode_uuid.cypher";
    SCHEMA_GRAPHITI_EPISODE_GROUP_ID => "schema_graphiti_episode_group_id.cypher";
    SCHEMA_GRAPHITI_EPISODE_VALID_AT => "schema_graphiti_episode_valid_at.cypher";
    SCHEMA_GRAPHITI_EPISODE_CONTENT => "schema_graphiti_episode_content.cypher";

    // --- links ----------------------------------------------------------------
    /// `LINKS_TO.kind` index.
    SCHEMA_LINKS_KIND_INDEX => "schema_links_kind_index.cypher";
    LINKS_REPLACE_BATCH => "links_replace_batch.cypher";
    LINKS_REMOVE_PRUNED => "links_remove_pruned.cypher";
    LINKS_LOAD_GROUP => "links_load_group.cypher";
    /// One episode's links both ways (provenance --entity, links).
    LINKS_OF_EPISODE => "links_of_episode.cypher";
    /// Names, aliases and unresolved links of every episode, for planning.
    LINKS_LOAD_STATE => "links_load_state.cypher";
    /// Ready query: the links that resolve to no episode, as stored.
    LINKS_DANGLING => "links_dangling.cypher";
    /// Ready query: who links to an episode.
    LINKS_BACKLINKS => "links_backlinks.cypher";
    /// Ready query: the most-linked episodes.
    LINKS_MOST_LINKED => "links_most_linked.cypher";

    // --- communities (issue 15) -------------------------------------------------
    /// Unique (group_id, entity_id) on `:Community`, as on `:Episode`.
    SCHEMA_COMMUNITY_KEY => "schema_community_key.cypher";
    SCHEMA_COMMUNITY_LEVEL_INDEX => "schema_community_level_index.cypher";
    SCHEMA_COMMUNITY_RUN_INDEX => "schema_community_run_index.cypher";
    /// The stored partition of a group, communities with their members.
    COMMUNITIES_LOAD_GROUP => "communities_load_group.cypher";
    /// Ready query: the communities of one episode.
    COMMUNITIES_OF_EPISODE => "communities_of_episode.cypher";
    /// Ready query: the members of one community.
    COMMUNITY_MEMBERS => "community_members.cypher";
    /// Ready query: the communities one run last wrote.
    COMMUNITIES_BY_RUN => "communities_by_run.cypher";
    /// The community part of a batch, in the order it runs.
    COMMUNITY_DROP_PRUNED_MEMBERS => "community_drop_pruned_members.cypher";
    COMMUNITY_DELETE_BATCH => "community_delete_batch.cypher";
    COMMUNITY_UPSERT_BATCH => "community_upsert_batch.cypher";
    COMMUNITY_MEMBERS_REMOVE => "community_members_remove.cypher";
    COMMUNITY_CHILDREN_REMOVE => "community_children_remove.cypher";
    COMMUNITY_MEMBERS_ADD => "community_members_add.cypher";
    COMMUNITY_CHILDREN_ADD => "community_children_add.cypher";

    // --- locks ---------------------------------------------------------------
    LOCK_ACQUIRE => "lock_acquire.cypher";
    LOCK_RENEW => "lock_renew.cypher";
    LOCK_RELEASE => "lock_release.cypher";
    LOCK_READ => "lock_read.cypher";
    LOCK_FORCE_UNLOCK => "lock_force_unlock.cypher";
    /// Refuse a batch while another run holds a live lease (fencing).
    BATCH_FENCE => "batch_fence.cypher";

    // --- ready provenance queries for users (Neo4j Browser, cypher-shell) ----
    // Not run by graphseed itself: the integration tests run each over Bolt
    // and compare its answer with `graphseed provenance`.
    /// Episodes of one source.
    PROVENANCE_BY_SOURCE => "provenance_by_source.cypher";
    /// Episodes stored at one version.
    PROVENANCE_BY_VERSION => "provenance_by_version.cypher";
    /// Episodes older than a version, compared as numbers.
    PROVENANCE_OLDER_THAN_VERSION => "provenance_older_than_version.cypher";
    /// The history of one episode.
    PROVENANCE_ENTITY_HISTORY => "provenance_entity_history.cypher";
    /// Episodes last written by one run.
    PROVENANCE_BY_RUN => "provenance_by_run.cypher";
    /// Episodes changed in a time window.
    PROVENANCE_CHANGED_BETWEEN => "provenance_changed_between.cypher";
    /// The runs of a group.
    PROVENANCE_RUNS => "provenance_runs.cypher";
}

/// The statements `init` runs, in order: constraints first (the MERGEs rely
/// on them), then the indexes for provenance queries. All are `IF NOT
/// EXISTS`, so `init` is idempotent.
pub const SCHEMA: &[&str] = &[
    SCHEMA_EPISODE_KEY,
    SCHEMA_RUN_KEY,
    SCHEMA_GROUP_KEY,
    SCHEMA_LOCK_KEY,
    SCHEMA_EPISODE_SOURCE_INDEX,
    SCHEMA_EPISODE_VERSION_INDEX,
    SCHEMA_EPISODE_RUN_INDEX,
    SCHEMA_EPISODE_UPDATED_INDEX,
    SCHEMA_EPISODE_PATH_INDEX,
    SCHEMA_RUN_GROUP_INDEX,
    SCHEMA_PRUNED_EPISODE_INDEX,
    SCHEMA_LINKS_KIND_INDEX,
    SCHEMA_COMMUNITY_KEY,
    SCHEMA_COMMUNITY_LEVEL_INDEX,
    SCHEMA_COMMUNITY_RUN_INDEX,
];

/// What `init` adds in the graphiti profile: the indexes graphiti-core
/// creates for episodes (`build_indices_and_constraints`), with its names, so
/// Graphiti's lookups and episode search are index-backed, and Graphiti's own
/// `IF NOT EXISTS` finds them already there.
pub const SCHEMA_GRAPHITI: &[&str] = &[
    SCHEMA_GRAPHITI_EPISODE_UUID,
    SCHEMA_GRAPHITI_EPISODE_GROUP_ID,
    SCHEMA_GRAPHITI_EPISODE_VALID_AT,
    SCHEMA_GRAPHITI_EPISODE_CONTENT,
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::fs;

    use super::*;
    use crate::statement_files::checks::*;

    const CYPHER: Dialect = Dialect {
        dir: "cypher",
        comment: "//",
        params,
        mention: |p| format!("${p}"),
    };

    #[test]
    fn every_file_in_cypher_dir_is_listed_and_vice_versa() {
        assert_dir_is_listed(&CYPHER, ALL, &["README.md"]);
    }

    #[test]
    fn every_schema_statement_is_listed() {
        for s in SCHEMA {
            assert!(ALL.iter().any(|(_, text)| text == s));
            assert!(s.contains("IF NOT EXISTS"), "init must be idempotent: {s}");
        }
    }

    /// A MERGE of a relationship on a property that a relationship index
    /// covers lets the planner seek that index instead of expanding between
    /// the two bound nodes: with the statistics of a young database it did,
    /// and each MERGE read every such relationship in the database (the
    /// links of a 4000-note batch ran past the connection timeout).
    #[test]
    fn no_merge_matches_a_relationship_on_an_indexed_property() {
        let indexed: Vec<(String, String)> = SCHEMA
            .iter()
            .filter_map(|s| {
                let (_, rest) = s.split_once("FOR ()-[")?;
                let (var_ty, rest) = rest.split_once("]-()")?;
                let ty = var_ty.split_once(':')?.1.trim();
                let (_, prop) = rest.split_once("ON (")?;
                let prop = prop.split_once('.')?.1.trim_end().trim_end_matches(')');
                Some((ty.to_string(), prop.to_string()))
            })
            .collect();
        assert!(
            indexed.contains(&("LINKS_TO".into(), "kind".into())),
            "the relationship indexes were not found: {indexed:?}"
        );
        for (file, text) in ALL {
            let (_, body) = split(&CYPHER, text);
            for line in body.iter().filter(|l| l.contains("MERGE")) {
                for (ty, prop) in &indexed {
                    assert!(
                        !line.contains(&format!(":{ty} {{{prop}:")),
                        "{file}: `{}` merges on the indexed {ty}.{prop}",
                        line.trim()
                    );
                }
            }
        }
    }

    /// `$name` tokens of a text.
    fn params(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (i, _) in text.match_indices('$') {
            let rest = &text[i + 1..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
        out
    }

    #[test]
    fn every_statement_starts_with_a_comment_naming_its_parameters() {
        assert_headers_name_parameters(&CYPHER, ALL);
    }

    #[test]
    fn no_statement_holds_a_format_placeholder() {
        for (file, text) in ALL {
            let (_, body) = split(&CYPHER, text);
            let body = body.join("\n");
            // `{}` / `{0}` / `{name}` would mean someone meant to format!() into
            // the text. Cypher map literals (`{group_id: $g}`) and map
            // projections (`{.x}`) always hold a `:` or a `.`, so they pass.
            let mut rest = body.as_str();
            while let Some(open) = rest.find('{') {
                let after = &rest[open + 1..];
                let close = after.find('}').unwrap_or(after.len());
                let inner = after[..close].trim();
                assert!(
                    inner.contains(':') || inner.contains('.') || inner.contains('|'),
                    "{file}: `{{{inner}}}` looks like a format! placeholder"
                );
                rest = &after[close.min(after.len())..];
            }
            assert!(!body.contains("{}"), "{file} contains `{{}}`");
            // One statement per file: no `;` separating a second one.
            assert!(
                !body.trim_end().trim_end_matches(';').contains(';'),
                "{file} holds more than one statement"
            );
        }
    }

    /// Heuristic guard for §6 "values always travel as $parameters": outside
    /// this file, every call of neo4rs's `query(...)` (bare or qualified) must
    /// take a `cypher::` constant, never a string built at run time. Method
    /// calls (`.query(` of rusqlite) and `fn query(` definitions are not
    /// neo4rs calls and are ignored.
    #[test]
    fn src_builds_no_cypher_at_run_time() {
        let mut offenders = Vec::new();
        for path in rust_files() {
            if path.ends_with("src/cypher.rs") {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let trimmed = line.trim_start();
                if trimmed.starts_with("//") {
                    continue;
                }
                for bad in ["Query::new(", "neo4rs::Query::from("] {
                    if line.contains(bad) {
                        offenders.push(format!("{}:{}: {bad}", path.display(), n + 1));
                    }
                }
                let mut from = 0;
                while let Some(pos) = line[from..].find("query(") {
                    let at = from + pos;
                    from = at + "query(".len();
                    let before = line[..at].chars().next_back();
                    let is_call = match before {
                        None => true,
                        Some(c) => !(c.is_ascii_alphanumeric() || c == '_' || c == '.'),
                    };
                    if !is_call || line[..at].trim_end().ends_with("fn") {
                        continue;
                    }
                    let arg = line[from..].trim_start();
                    // An argument on the next line: look there.
                    let arg = if arg.is_empty() {
                        text.lines().nth(n + 1).unwrap_or("").trim_start()
                    } else {
                        arg
                    };
                    // A plain identifier is fine when this file binds it
                    // straight from `cypher::` (`for s in cypher::SCHEMA`).
                    let ident: String = arg
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let bound_from_cypher = !ident.is_empty()
                        && arg[ident.len()..].trim_start().starts_with(')')
                        && (text.contains(&format!("for {ident} in cypher::"))
                            || text.contains(&format!("let {ident} = cypher::")));
                    if !arg.starts_with("cypher::") && !bound_from_cypher {
                        offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "Cypher must come from cypher:: constants, never be built at run time:\n{}",
            offenders.join("\n")
        );
    }
}
