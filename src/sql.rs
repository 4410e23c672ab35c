//! Every SQL statement the embedded store runs, loaded from `sql/*.sql` at
//! compile time, as [`crate::cypher`] loads `cypher/`. No statement is ever
//! built by formatting input into a string: values travel as bound `?N`
//! parameters, table and column names are fixed in these files. A test checks
//! that every file in `sql/` is listed here, and that nothing in `src/` passes
//! SQL text built at run time to rusqlite.
//!
//! Each file holds one statement (except `schema.sql`, a script) and starts
//! with `--` comment lines saying what it is for and naming its parameters.

crate::statement_files::statement_files! {
    "sql";
    // --- schema (init / check_schema) ----------------------------------------
    /// Every table and index, as one script (the one multi-statement file).
    SCHEMA => "schema.sql";
    /// Layout version 1 -> 2: `runs.kind`.
    SCHEMA_V2_RUN_KIND => "schema_v2_run_kind.sql";
    SCHEMA_V5_EPISODE_SEAL => "schema_v5_episode_seal.sql";
    SCHEMA_V6_RUN_SOURCES => "schema_v6_run_sources.sql";
    SCHEMA_OBJECT_EXISTS => "schema_object_exists.sql";
    SCHEMA_VERSION_GET => "schema_version_get.sql";
    SCHEMA_VERSION_INSERT => "schema_version_insert.sql";
    SCHEMA_VERSION_SET => "schema_version_set.sql";
    JOURNAL_MODE_WAL => "journal_mode_wal.sql";

    // --- the batch envelope's transaction ---------------------------------------
    TX_BEGIN_IMMEDIATE => "tx_begin_immediate.sql";
    TX_COMMIT => "tx_commit.sql";
    TX_ROLLBACK => "tx_rollback.sql";

    // --- runs ----------------------------------------------------------------
    RUN_UPSERT => "run_upsert.sql";
    RUN_LIST => "run_list.sql";
    RUN_GET => "run_get.sql";
    /// Provenance links of one run per action: what it committed.
    RUN_ACTION_COUNTS => "run_action_counts.sql";

    // --- group revision -------------------------------------------------------
    GROUP_REVISION_GET => "group_revision_get.sql";
    GROUP_REVISION_BUMP => "group_revision_bump.sql";

    // --- episodes --------------------------------------------------------------
    EPISODE_UPSERT => "episode_upsert.sql";
    EPISODE_HISTORY_UPSERT => "episode_history_upsert.sql";
    EPISODE_PRUNE_READ => "episode_prune_read.sql";
    EPISODE_DELETE => "episode_delete.sql";
    EPISODE_LOAD_GROUP => "episode_load_group.sql";
    EPISODE_COUNT_GROUP => "episode_count_group.sql";
    EPISODE_ENTITY_ID_AT => "episode_entity_id_at.sql";

    // --- links -------------------------------------------------------------------
    LINKS_DELETE_SOURCE => "links_delete_source.sql";
    LINKS_DELETE_TARGET => "links_delete_target.sql";
    LINKS_INSERT => "links_insert.sql";
    LINKS_LOAD_GROUP => "links_load_group.sql";
    /// One episode's links both ways (provenance --entity, links).
    LINKS_OF_EPISODE => "links_of_episode.sql";
    /// Layout 4: unresolved links and link names, kept for planning.
    LINKS_DANGLING_DELETE => "links_dangling_delete.sql";
    LINKS_DANGLING_INSERT => "links_dangling_insert.sql";
    LINKS_DANGLING_GROUP => "links_dangling_group.sql";
    LINK_NAMES_DELETE => "link_names_delete.sql";
    LINK_NAMES_UPSERT => "link_names_upsert.sql";
    LINKS_LOAD_STATE => "links_load_state.sql";

    // --- communities -------------------------------------------------------------
    COMMUNITIES_LOAD_GROUP => "communities_load_group.sql";
    COMMUNITY_MEMBERS_LOAD_GROUP => "community_members_load_group.sql";
    COMMUNITY_UPSERT => "community_upsert.sql";
    COMMUNITY_MEMBER_INSERT => "community_member_insert.sql";
    COMMUNITY_MEMBER_DELETE => "community_member_delete.sql";
    COMMUNITY_DELETE => "community_delete.sql";
    COMMUNITY_MEMBERS_DELETE_OF => "community_members_delete_of.sql";
    COMMUNITY_MEMBERS_DROP_PRUNED => "community_members_drop_pruned.sql";
    /// Provenance query over every group.
    EPISODE_QUERY => "episode_query.sql";
    /// Provenance query within one group (index-backed).
    EPISODE_QUERY_GROUP => "episode_query_group.sql";
    /// The same for one (group_id, entity_id): one key lookup.
    EPISODE_QUERY_ENTITY => "episode_query_entity.sql";
    /// The same for the episodes one run last wrote: through episodes_group_run.
    EPISODE_QUERY_RUN => "episode_query_run.sql";
    EPISODE_HISTORY => "episode_history.sql";
    EPISODE_STATUS => "episode_status.sql";
    EPISODE_RAW_GROUP => "episode_raw_group.sql";
    /// The hand-edit check's pages: the first, then each after a key (two
    /// statements so the primary key is sought, never rescanned).
    EPISODE_RAW_PAGE_FIRST => "episode_raw_page_first.sql";
    EPISODE_RAW_PAGE => "episode_raw_page.sql";
    /// The links one run left, for the change feed (`graphseed changes`).
    EPISODE_CHANGES_RUN => "episode_changes_run.sql";

    // --- locks -----------------------------------------------------------------
    LOCK_READ => "lock_read.sql";
    LOCK_WRITE => "lock_write.sql";
    LOCK_RENEW => "lock_renew.sql";
    LOCK_RELEASE => "lock_release.sql";
    LOCK_DELETE => "lock_delete.sql";
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::fs;

    use super::*;
    use crate::statement_files::checks::*;

    const SQL: Dialect = Dialect {
        dir: "sql",
        comment: "--",
        params,
        mention: |p| format!("{p} "),
    };

    #[test]
    fn every_file_in_sql_dir_is_listed_and_vice_versa() {
        assert_dir_is_listed(&SQL, ALL, &[]);
    }

    /// `?N` tokens of a text.
    fn params(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (i, _) in text.match_indices('?') {
            let n: String = text[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !n.is_empty() {
                out.insert(format!("?{n}"));
            }
        }
        out
    }

    #[test]
    fn every_statement_starts_with_a_comment_naming_its_parameters() {
        assert_headers_name_parameters(&SQL, ALL);
    }

    #[test]
    fn no_statement_holds_a_format_placeholder_or_a_second_statement() {
        for (file, text) in ALL {
            let (_, body) = split(&SQL, text);
            let body = body.join("\n");
            // SQL has no braces: any `{` means someone meant to format!() into
            // the text.
            assert!(!body.contains('{'), "{file} holds a `{{`");
            if *file != "schema.sql" {
                assert!(
                    !body.trim_end().trim_end_matches(';').contains(';'),
                    "{file} holds more than one statement"
                );
            }
        }
    }

    /// Whether `arg` is a plain identifier this file binds by iterating a
    /// constant list of `sql::` statements (`for (_, step) in MIGRATIONS`).
    fn bound_from_sql(text: &str, arg: &str) -> bool {
        let ident: String = arg
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() || !arg[ident.len()..].trim_start().starts_with(')') {
            return false;
        }
        let Some(at) = [format!("{ident}) in "), format!("for {ident} in ")]
            .iter()
            .find_map(|p| text.find(p.as_str()).map(|i| i + p.len()))
        else {
            return false;
        };
        let list: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let Some(def) = text.find(&format!("const {list}:")) else {
            return false;
        };
        let def = &text[def..];
        let def = &def[..def.find("];").unwrap_or(def.len())];
        def.contains("sql::") && !def.contains('"')
    }

    /// Heuristic guard for "values always travel as parameters": outside this
    /// file and outside test modules, rusqlite's statement-taking calls get a
    /// `sql::` constant (or, on a prepared statement, its parameters), and no string literal starts like SQL.
    #[test]
    fn src_builds_no_sql_at_run_time() {
        let mut offenders = Vec::new();
        for path in rust_files() {
            // Test modules may plant bad values by hand.
            if path.ends_with("src/sql.rs") || path.ends_with("tests.rs") {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("#[cfg(test)]") {
                    break;
                }
                if line.trim_start().starts_with("//") {
                    continue;
                }
                let at = format!("{}:{}: {}", path.display(), n + 1, line.trim());
                for call in [
                    "prepare_cached(",
                    "prepare(",
                    "execute_batch(",
                    "query_row(",
                ] {
                    let mut from = 0;
                    while let Some(pos) = line[from..].find(call) {
                        from += pos + call.len();
                        if !line[..from - call.len()].ends_with('.') {
                            continue;
                        }
                        let arg = line[from..].trim_start();
                        let arg = if arg.is_empty() {
                            text.lines().nth(n + 1).unwrap_or("").trim_start()
                        } else {
                            arg
                        };
                        // A prepared statement's own calls take parameters.
                        let params = arg.starts_with("params!") || arg.starts_with('[');
                        if !arg.starts_with("sql::") && !params && !bound_from_sql(&text, arg) {
                            offenders.push(at.clone());
                        }
                    }
                }
                for kw in [
                    "SELECT ", "INSERT ", "UPDATE ", "DELETE ", "CREATE ", "PRAGMA ",
                ] {
                    if line.contains(&format!("\"{kw}")) {
                        offenders.push(at.clone());
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "SQL must come from sql:: constants, never be built at run time:\n{}",
            offenders.join("\n")
        );
    }
}
