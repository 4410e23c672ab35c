//! Links between episodes (issue 14), end to end through the real binary on
//! both stores: every link form becomes an edge, resolution rules, ambiguity,
//! dangling links, a renamed target, a removed link, an unchanged reseed, and
//! a link to an episode written in a later batch of the same run; and the
//! hot path: a plain seed reads again only the unchanged files whose links
//! may resolve differently (a target added, renamed, retitled, re-aliased).

use graphseed::links::LinkKind;
use graphseed::stores::StoredLink;
use serde_json::Value;

use crate::on_both_stores;
use crate::support::workspace::Ws;

on_both_stores!(
    every_link_form_becomes_an_edge,
    ambiguous_and_dangling_links_are_reported_and_strict_refuses_them,
    a_renamed_target_leaves_its_incoming_links_dangling,
    a_removed_link_is_gone_and_an_unchanged_reseed_writes_nothing,
    a_link_to_an_episode_written_in_a_later_batch_lands_in_the_same_run,
    stdin_items_resolve_their_declared_link_fields,
    adding_a_file_a_stored_dangling_link_names_reads_only_that_link_s_file,
    a_title_or_alias_change_resolves_links_without_force,
    unresolved_links_are_stored_with_their_episode_and_go_with_it,
    episodes_written_before_link_facts_were_stored_are_read_once,
    a_partial_link_state_holds_the_listed_and_the_unresolved,
    an_ambiguous_link_resolves_once_a_rival_goes_in_a_group_without_edges,
);

fn stored_links(ws: &Ws) -> Vec<(String, String, &'static str, u32)> {
    ws.links_of(&ws.group)
        .into_iter()
        .map(
            |StoredLink {
                 source,
                 target,
                 kind,
                 count,
             }| (source.to_string(), target.to_string(), kind.as_str(), count),
        )
        .collect()
}

fn l(
    source: &str,
    target: &str,
    kind: LinkKind,
    count: u32,
) -> (String, String, &'static str, u32) {
    (source.into(), target.into(), kind.as_str(), count)
}

fn warnings(json: &Value) -> Vec<String> {
    json["links"]["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("no links.warnings in {json:#}"))
        .iter()
        .map(|w| {
            format!(
                "{}:{}:{} {} {}",
                w["path"].as_str().unwrap(),
                w["line"],
                w["column"],
                w["target"].as_str().unwrap(),
                w["candidates"]
            )
        })
        .collect()
}

/// A small knowledge base that uses every form.
fn write_kb(ws: &Ws) {
    ws.write(
        "notes/index.md",
        "\
---
title: Index
owner: \"[Alice](../people/alice.md)\"
related: [\"[[Atlas]]\", \"../projects/atlas.md\"]
---
# Index

See [Atlas](../projects/atlas.md#Goals), [[Alice|our Alice]], [[Atlas#Goals]],
[[Atlas#^block-1]], the [plan][p] and [[People Directory]].

![[Atlas]] ![diagram](diagram.png) [web](https://example.org)

`[[Code Span]]` is not a link, nor is this:

```
[[Fenced]]
```

[p]: ../projects/Project%20Plan.md \"Plan\"
",
    );
    ws.write(
        "projects/atlas.md",
        "---\ntitle: Atlas\n---\nBack to [[index]].\n",
    );
    ws.write("projects/Project Plan.md", "# Plan\n");
    ws.write(
        "people/alice.md",
        "---\naliases: [People Directory]\n---\n# Alice\n",
    );
    ws.write(
        "people/team.json",
        r#"[{"id": "bob", "links": ["people_alice", "../projects/atlas.md"]},
            {"id": "carol", "related": "[[Index]]"}]"#,
    );
    ws.write(
        "people/more.yaml",
        "- id: dave\n  related:\n    - people_bob\n",
    );
    ws.write(
        "people/log.jsonl",
        "{\"id\": \"erin\", \"links\": [\"Project Plan\"]}\n",
    );
}

fn every_link_form_becomes_an_edge(ws: &Ws) {
    use LinkKind::*;
    write_kb(ws);
    let json = ws.seed_ok(&[]);
    assert_eq!(json["links"]["dangling"], 0, "{json:#}");
    assert_eq!(json["links"]["ambiguous"], 0, "{json:#}");
    assert_eq!(json["links"]["external"], 1, "{json:#}");
    assert_eq!(json["links"]["assets"], 1, "{json:#}");
    let mut want = vec![
        // Front matter: a Markdown link, a wikilink, a bare path.
        l("notes_index", "people_alice", Frontmatter, 1),
        l("notes_index", "projects_atlas", Frontmatter, 2),
        // Body: path with anchor; wikilinks by alias text, heading, block.
        l("notes_index", "projects_atlas", Markdown, 1),
        l("notes_index", "people_alice", Wikilink, 2),
        l("notes_index", "projects_atlas", Wikilink, 2),
        l("notes_index", "projects_atlas", Embed, 1),
        // A reference definition with a %20-encoded name.
        l("notes_index", "projects_project_plan", Reference, 1),
        l("projects_atlas", "notes_index", Wikilink, 1),
        // Declared fields of JSON, YAML and JSONL items.
        l("people_bob", "people_alice", Field, 1),
        l("people_bob", "projects_atlas", Field, 1),
        l("people_carol", "notes_index", Field, 1),
        l("people_dave", "people_bob", Field, 1),
        l("people_erin", "projects_project_plan", Field, 1),
    ];
    want.sort();
    assert_eq!(stored_links(ws), want);

    // `graphseed links` and `provenance --entity` show them both ways.
    let shown: Value =
        serde_json::from_str(&ws.ok(&["links", "--json", "projects_atlas"])).unwrap();
    assert_eq!(
        shown["outgoing"],
        serde_json::json!([{"entity_id": "notes_index", "kind": "wikilink", "count": 1}])
    );
    let from: Vec<&str> = shown["incoming"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["entity_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        from,
        [
            "notes_index",
            "notes_index",
            "notes_index",
            "notes_index",
            "people_bob"
        ]
    );
    let human = ws.ok(&["links", "people_alice"]);
    assert!(human.contains("linked from (3):"), "{human}");
    let prov: Value =
        serde_json::from_str(&ws.ok(&["provenance", "--json", "--entity", "people_alice"]))
            .unwrap();
    assert_eq!(
        prov["links"]["incoming"].as_array().unwrap().len(),
        3,
        "{prov:#}"
    );
    let missing = ws.run(&["links", "nobody"]);
    assert_ne!(missing.status.code(), Some(0));

    // The recorded graph_signature covers the links: verify recomputes it
    // from the stored episodes and links, and finds nothing.
    let verify = ws.run(&["verify"]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

fn ambiguous_and_dangling_links_are_reported_and_strict_refuses_them(ws: &Ws) {
    ws.write("guides/setup.md", "# Setup guide\n");
    ws.write("ops/setup.md", "# Setup runbook\n");
    ws.write(
        "notes/a.md",
        "Read [[setup]], then [x](nope.md)\nand [[guides/setup]].\n",
    );
    let strict = ws.seed(&["--strict-links"]);
    assert_ne!(strict.0, 0, "{:#}", strict.1);
    assert!(ws.episodes().is_empty(), "strict links wrote something");
    let errors: Vec<String> = strict.1["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}:{} {}",
                e["path"].as_str().unwrap(),
                e["line"],
                e["column"],
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            "src/notes/a.md:1:6 link \"setup\" is ambiguous: it may name guides_setup, ops_setup",
            "src/notes/a.md:1:22 link \"nope.md\" resolves to no episode",
        ]
    );

    // People read them on stderr.
    let plan = ws.run(&["plan"]);
    let stderr = String::from_utf8_lossy(&plan.stderr);
    assert!(
        stderr.contains("warning: src/notes/a.md:1:22: link \"nope.md\" resolves to no episode"),
        "{stderr}"
    );
    let (code, json, stderr) = ws.seed(&[]);
    assert_eq!(code, 0, "{json:#}\n{stderr}");
    assert_eq!(
        warnings(&json),
        [
            "src/notes/a.md:1:6 setup [\"guides_setup\",\"ops_setup\"]",
            "src/notes/a.md:1:22 nope.md []",
        ]
    );
    // verify reports them, from the files, with where they are.
    let verify = ws.run(&["verify", "--json"]);
    assert_ne!(verify.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap();
    let kinds: Vec<String> = report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("{report:#}"))
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["kind"].as_str().unwrap(),
                f["path"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "ambiguous_link src/notes/a.md:1:6",
            "dangling_link src/notes/a.md:1:22"
        ]
    );
    // The folder settles it; the rest link nothing.
    assert_eq!(
        stored_links(ws),
        [l("notes_a", "guides_setup", LinkKind::Wikilink, 1)]
    );
    // The run record counts them.
    let run = ws.runs().into_iter().next().unwrap();
    assert_eq!(
        run.counts.get("links_dangling"),
        Some(&1),
        "{:?}",
        run.counts
    );
    assert_eq!(
        run.counts.get("links_ambiguous"),
        Some(&1),
        "{:?}",
        run.counts
    );
}

fn a_renamed_target_leaves_its_incoming_links_dangling(ws: &Ws) {
    ws.write("notes/a.md", "See [b](b.md) and [[B Title]].\n");
    ws.write("notes/b.md", "---\ntitle: B Title\n---\nbody\n");
    ws.write("notes/c.md", "Also [[b]].\n");
    ws.write("notes/d.md", "Links to nothing.\n");
    ws.seed_ok(&[]);
    assert_eq!(stored_links(ws).len(), 3);

    std::fs::rename(ws.root().join("notes/b.md"), ws.root().join("notes/b2.md")).unwrap();
    let json = ws.seed_ok(&["--prune"]);
    // The files that linked to b were read again for their links (d, which
    // does not link to it, was not): the path and the stem break, the title
    // follows the file.
    assert_eq!(json["files"]["parsed"], 3, "b2, a and c: {json:#}");
    assert_eq!(
        warnings(&json),
        ["src/notes/a.md:1:5 b.md []", "src/notes/c.md:1:6 b []"]
    );
    assert_eq!(json["links"]["relinked"], 2, "{json:#}");
    assert_eq!(
        stored_links(ws),
        [l("notes_a", "notes_b2", LinkKind::Wikilink, 1)]
    );
}

fn a_removed_link_is_gone_and_an_unchanged_reseed_writes_nothing(ws: &Ws) {
    ws.write("notes/a.md", "[[b]] and [[c]]\n");
    ws.write("notes/b.md", "b\n");
    ws.write("notes/c.md", "c\n");
    ws.seed_ok(&[]);
    assert_eq!(stored_links(ws).len(), 2);

    let revision = ws.revision();
    let again = ws.seed_ok(&[]);
    assert_eq!(again["status"], "unchanged", "{again:#}");
    assert_eq!(again["files"]["parsed"], 0);
    assert_eq!(ws.revision(), revision, "an unchanged reseed wrote");
    assert_eq!(stored_links(ws).len(), 2);

    ws.write("notes/a.md", "[[b]] only\n");
    ws.seed_ok(&[]);
    assert_eq!(
        stored_links(ws),
        [l("notes_a", "notes_b", LinkKind::Wikilink, 1)]
    );

    // Pruning the target takes the edge along.
    ws.remove("notes/b.md");
    let json = ws.seed_ok(&["--prune"]);
    assert_eq!(warnings(&json), ["src/notes/a.md:1:1 b []"]);
    assert!(stored_links(ws).is_empty());
}

fn a_link_to_an_episode_written_in_a_later_batch_lands_in_the_same_run(ws: &Ws) {
    // One episode per batch: `a` is written before `z` exists.
    ws.write("a/a.md", "[[z]]\n");
    ws.write("m/m.md", "m\n");
    ws.write("z/z.md", "[[a]]\n");
    let json = ws.seed_ok(&["--batch-size", "1"]);
    assert_eq!(json["links"]["dangling"], 0, "{json:#}");
    assert_eq!(
        stored_links(ws),
        [
            l("a_a", "z_z", LinkKind::Wikilink, 1),
            l("z_z", "a_a", LinkKind::Wikilink, 1),
        ]
    );
}

fn stdin_items_resolve_their_declared_link_fields(ws: &Ws) {
    ws.write("notes/b.md", "---\ntitle: Bee\n---\nb\n");
    ws.seed_ok(&[]);
    let out = ws
        .cmd()
        .args(["seed", "--json", "--stdin", "--source", "agent_memory"])
        .write_stdin(
            "{\"id\": \"gen-a\", \"links\": [\"notes_b\", \"gen-b\"]}\n\
             {\"id\": \"gen-b\", \"related\": [\"[[notes_b]]\", \"[[Nowhere]]\"]}\n",
        )
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.success(), "{json:#}");
    assert_eq!(json["links"]["dangling"], 1, "{json:#}");
    assert_eq!(warnings(&json), ["<stdin>:2:45 Nowhere []"], "{json:#}");
    let mut got = stored_links(ws);
    got.sort();
    assert_eq!(
        got,
        [
            l("gen_a", "gen_b", LinkKind::Field, 1),
            l("gen_a", "notes_b", LinkKind::Field, 1),
            l("gen_b", "notes_b", LinkKind::Field, 1),
        ]
    );
}

/// The files `plan --json` would parse, and its link summary.
fn plan_json(ws: &Ws) -> Value {
    let out = ws.run(&["plan", "--json"]);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("plan --json: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn adding_a_file_a_stored_dangling_link_names_reads_only_that_link_s_file(ws: &Ws) {
    ws.write("notes/a.md", "See [[Nope]] and [n](../other/nope.md).\n");
    for i in 0..5 {
        ws.write(&format!("notes/x{i}.md"), format!("[[x{}]]\n", (i + 1) % 5));
    }
    let first = ws.seed_ok(&[]);
    assert_eq!(first["links"]["dangling"], 2, "{first:#}");
    assert_eq!(stored_links(ws).len(), 5);

    // A file the stored dangling links name: only it and `a` are read.
    ws.write("other/nope.md", "here\n");
    let plan = plan_json(ws);
    assert_eq!(plan["files"]["parsed"], 2, "{plan:#}");
    assert_eq!(plan["links"]["relinked"], 1, "{plan:#}");
    let json = ws.seed_ok(&[]);
    assert_eq!(json["files"]["parsed"], 2, "{json:#}");
    // seen = unchanged + parsed: `a`, read for its links, is not unchanged.
    assert_eq!(json["files"]["seen"], 7, "{json:#}");
    assert_eq!(json["files"]["unchanged"], 5, "{json:#}");
    assert_eq!(json["counts"]["links_relinked"], 1, "{json:#}");
    assert!(json["counts"].get("links_dangling").is_none(), "{json:#}");
    let run = ws.runs().into_iter().next().unwrap();
    assert_eq!(run.counts.get("links_relinked"), Some(&1), "{run:?}");
    let to_nope: Vec<_> = stored_links(ws)
        .into_iter()
        .filter(|(_, t, _, _)| t == "other_nope")
        .collect();
    assert_eq!(
        to_nope,
        [
            l("notes_a", "other_nope", LinkKind::Markdown, 1),
            l("notes_a", "other_nope", LinkKind::Wikilink, 1),
        ]
    );

    // Unchanged: nothing read, nothing written, links included.
    let revision = ws.revision();
    let again = ws.seed_ok(&[]);
    assert_eq!(again["status"], "unchanged", "{again:#}");
    assert_eq!(again["files"]["parsed"], 0);
    assert_eq!(ws.revision(), revision, "an unchanged reseed wrote");
    assert_eq!(stored_links(ws).len(), 7);
}

fn a_title_or_alias_change_resolves_links_without_force(ws: &Ws) {
    ws.write("notes/a.md", "[[Old Title]], [[ATL]] and [[Zed]]\n");
    ws.write(
        "notes/b.md",
        "---\ntitle: Old Title\naliases: [ATL]\n---\nb\n",
    );
    ws.write("notes/c.md", "c\n");
    ws.write("notes/d.md", "d\n");
    ws.seed_ok(&[]);
    assert_eq!(
        stored_links(ws),
        [l("notes_a", "notes_b", LinkKind::Wikilink, 2)]
    );

    // Editing the linking note keeps its links to b's title and alias,
    // which b's (unread) file holds.
    ws.write("notes/a.md", "[[Old Title]], [[ATL]] and [[Zed]]!\n");
    let json = ws.seed_ok(&[]);
    assert_eq!(json["files"]["parsed"], 1, "{json:#}");
    assert_eq!(
        stored_links(ws),
        [l("notes_a", "notes_b", LinkKind::Wikilink, 2)]
    );

    // b is retitled and c takes the alias `Zed`: a plain seed reads a again
    // (not d) and its links follow.
    ws.write(
        "notes/b.md",
        "---\ntitle: New Title\naliases: [ATL]\n---\nb\n",
    );
    ws.write("notes/c.md", "---\naliases: [Zed]\n---\nc\n");
    let json = ws.seed_ok(&[]);
    assert_eq!(json["files"]["parsed"], 3, "b, c and a: {json:#}");
    assert_eq!(
        warnings(&json),
        ["src/notes/a.md:1:1 Old Title []"],
        "{json:#}"
    );
    assert_eq!(
        stored_links(ws),
        [
            l("notes_a", "notes_b", LinkKind::Wikilink, 1),
            l("notes_a", "notes_c", LinkKind::Wikilink, 1),
        ]
    );
    // What --force would make of the same files is what is stored.
    let forced = ws.seed_ok(&["--force"]);
    assert_eq!(
        forced["graph_signature"], json["graph_signature"],
        "{forced:#}"
    );
}

fn unresolved_links_are_stored_with_their_episode_and_go_with_it(ws: &Ws) {
    ws.write("notes/a.md", "x\n\nsee [[Nope#Part]] and [b](b.md)\n");
    ws.write("notes/b.md", "b\n");
    ws.seed_ok(&[]);
    let dangling = |ws: &Ws| -> Vec<(String, String)> {
        ws.with_store(async |s| {
            use graphseed::stores::prelude::*;
            s.load_link_state(&ws.group, &graphseed::links::StateWanted::All)
                .await
                .unwrap()
        })
        .into_iter()
        .flat_map(|st| {
            let id = st.entity_id().to_string();
            st.facts
                .unwrap()
                .unresolved
                .iter()
                .map(|l| (id.clone(), graphseed::links::state::encode(l)))
                .collect::<Vec<_>>()
        })
        .collect()
    };
    assert_eq!(
        dangling(ws),
        [(
            "notes_a".to_string(),
            "wikilink 3:5 Nope\u{1f}Part".to_string()
        )]
    );
    if ws.backend != crate::support::workspace::Backend::Sqlite {
        // The ready query reads them without a file.
        let rows = crate::support::neo4j::rows(
            &ws.uri,
            &ws.group,
            graphseed::cypher::LINKS_DANGLING,
            vec![],
        );
        let got: Vec<(String, String, String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.get("entity_id").unwrap(),
                    r.get("kind").unwrap(),
                    r.get("at").unwrap(),
                    r.get("target").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [(
                "notes_a".into(),
                "wikilink".into(),
                "3:5".into(),
                "Nope".into()
            )]
        );
    }
    // Fixed in the file: gone from the store.
    ws.write("notes/a.md", "x\n\nsee [b](b.md)\n");
    ws.seed_ok(&[]);
    assert!(dangling(ws).is_empty());
    // Pruned with its episode.
    ws.write("notes/a.md", "[[Nope]]\n");
    ws.seed_ok(&[]);
    assert_eq!(dangling(ws).len(), 1);
    ws.remove("notes/a.md");
    ws.seed_ok(&["--prune"]);
    assert!(dangling(ws).is_empty());
}

/// A plan that needs only some episodes' link state reads those, those with
/// unresolved links, and no other, in entity_id order, on either store.
fn a_partial_link_state_holds_the_listed_and_the_unresolved(ws: &Ws) {
    use graphseed::links::StateWanted;
    ws.write("notes/a.md", "x\n\nsee [[Nope]]\n");
    ws.write("notes/b.md", "---\naliases: [bee]\n---\nb\n");
    ws.write("notes/c.md", "c\n");
    ws.write("notes/d.md", "d\n");
    // A first seed has no state to read.
    let (code, _, stderr) = ws.seed(&["-vv"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("loaded the link names"), "{stderr}");
    // A reseed that changed `c` reads its state and `a`'s (a dangling link).
    ws.write("notes/c.md", "c, again\n");
    let (code, _, stderr) = ws.seed(&["-vv"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("loaded the link names of 2 stored episodes (those this plan may concern)"),
        "{stderr}"
    );
    let ids = |wanted: StateWanted| -> Vec<String> {
        ws.with_store(async |s| {
            use graphseed::stores::prelude::*;
            s.load_link_state(&ws.group, &wanted).await.unwrap()
        })
        .iter()
        .map(|st| st.entity_id().to_string())
        .collect()
    };
    assert_eq!(
        ids(StateWanted::All),
        ["notes_a", "notes_b", "notes_c", "notes_d"]
    );
    assert_eq!(
        ids(StateWanted::Some(vec!["notes_d".into()])),
        ["notes_a", "notes_d"]
    );
    assert_eq!(ids(StateWanted::Some(Vec::new())), ["notes_a"]);
    // Facts never stored: held, whoever is listed.
    forget_link_facts(ws);
    assert_eq!(
        ids(StateWanted::Some(Vec::new())),
        ["notes_a", "notes_b", "notes_c", "notes_d"]
    );
}

/// A group with no stored edge reads only some episodes' link state; a
/// link read again must still resolve against every episode's name: here
/// to `x`, by the title it shared with `y` until `y` went.
fn an_ambiguous_link_resolves_once_a_rival_goes_in_a_group_without_edges(ws: &Ws) {
    ws.write("notes/a.md", "a\n\nsee [[Dup]]\n");
    ws.write("notes/x.md", "---\ntitle: Dup\n---\nx\n");
    ws.write("notes/y.md", "---\ntitle: Dup\n---\ny\n");
    ws.write("notes/c.md", "c\n");
    ws.seed_ok(&[]);
    assert!(stored_links(ws).is_empty(), "ambiguous: no edge");
    ws.remove("notes/y.md");
    ws.seed_ok(&["--prune"]);
    assert_eq!(
        stored_links(ws),
        [("notes_a".into(), "notes_x".into(), "wikilink", 1)]
    );
}

/// What an older graphseed left: edges, but no link facts.
fn forget_link_facts(ws: &Ws) {
    use crate::support::workspace::{Backend, block_on};
    match ws.backend {
        Backend::Neo4j | Backend::Neo4jRouting => block_on(async {
            let g = crate::support::neo4j::graph(&ws.uri).await;
            g.run(
                neo4rs::query(
                    "MATCH (e:Episode {group_id: $g}) REMOVE e.link_aliases, e.link_key, e.links_dangling",
                )
                .param("g", ws.group.clone()),
            )
            .await
            .unwrap();
        }),
        Backend::Sqlite => {
            let c = rusqlite::Connection::open(ws.path().join("graph.db")).unwrap();
            c.execute_batch("DELETE FROM link_names; DELETE FROM links_dangling;")
                .unwrap();
        }
    }
}

fn episodes_written_before_link_facts_were_stored_are_read_once(ws: &Ws) {
    ws.write("notes/a.md", "[[b]] and [[Nope]]\n");
    ws.write("notes/b.md", "b\n");
    ws.write("notes/c.md", "c\n");
    ws.seed_ok(&[]);
    forget_link_facts(ws);
    // Nothing changed: nothing is read, facts or not.
    assert_eq!(ws.seed_ok(&[])["files"]["parsed"], 0);

    // The next seed that parses anything reads every file once more and
    // stores their facts (the edges stay what they were)...
    ws.write("notes/d.md", "d\n");
    let json = ws.seed_ok(&[]);
    assert_eq!(json["files"]["parsed"], 4, "{json:#}");
    assert_eq!(json["links"]["relinked"], 3, "{json:#}");
    assert_eq!(
        stored_links(ws),
        [l("notes_a", "notes_b", LinkKind::Wikilink, 1)]
    );
    // ... and from then on only what it must.
    ws.write("notes/e.md", "e\n");
    let json = ws.seed_ok(&[]);
    assert_eq!(json["files"]["parsed"], 1, "{json:#}");
    ws.write("notes/nope.md", "here\n");
    let json = ws.seed_ok(&[]);
    assert_eq!(json["files"]["parsed"], 2, "nope and a: {json:#}");
}

/// A plan with megabytes of titles writes the names waiting for link
/// resolution to an unnamed temporary file and reads them back when
/// something links; with no temporary directory to write in, they stay in
/// memory. The same plan either way, and the link resolves by title.
#[test]
fn names_written_out_or_kept_resolve_the_same_links() {
    let Some(ws) = Ws::new(crate::support::workspace::Backend::Sqlite, "names_out") else {
        return;
    };
    // 60,000 titles of about 100 bytes: past the four megabytes held.
    let pad = "n".repeat(90);
    let mut items = String::new();
    for i in 0..60_000 {
        items.push_str(&format!(
            "{{\"id\":\"e{i}\",\"title\":\"T{i:05} {pad}\"}}\n"
        ));
    }
    ws.write("items/all.jsonl", items);
    ws.write("notes/last.md", format!("[[T59999 {pad}]]\n"));
    let tmp = tempfile::tempdir().unwrap();
    let plan = |tmpdir: &std::path::Path| {
        let out = ws
            .cmd()
            .env("TMPDIR", tmpdir)
            .args(["plan", "--json"])
            .output()
            .unwrap();
        // 3: changes pending, every item being new.
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let written_out = plan(tmp.path());
    let kept = plan(&tmp.path().join("nowhere"));
    assert!(written_out == kept, "the same plan with the names kept");
    let json: Value = serde_json::from_slice(&written_out).unwrap();
    assert_eq!(json["links"]["edges"], 1, "{}", json["links"]);
    assert_eq!(json["links"]["dangling"], 0, "{}", json["links"]);
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing left in TMPDIR"
    );
}
