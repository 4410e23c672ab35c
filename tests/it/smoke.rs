//! Smoke tests of the real-Neo4j test setup through neo4rs, independent of graphseed's
//! own code: if these fail, the harness, the server or the driver is broken, not the CLI.
//!
//! They pin down the driver behaviour graphseed relies on: one big list-of-maps
//! parameter for UNWIND batches, streaming many rows back, zoned DATETIME values that
//! round-trip through chrono without moving the instant or losing the offset, and
//! the server being the Neo4j line we target.

use chrono::{DateTime, FixedOffset};
use neo4rs::{BoltMap, BoltString, BoltType, Graph, query};

use crate::support::neo4j;

const ROWS: i64 = 10_000;

async fn delete_group(graph: &Graph, label: &str, group: &str) {
    // Labels cannot be parameters; `label` is always a constant of this file.
    graph
        .run(
            query(&format!(
                "MATCH (n:{label} {{group_id: $g}}) DETACH DELETE n"
            ))
            .param("g", group),
        )
        .await
        .expect("clean up test nodes");
}

fn row_map(group: &str, key: i64) -> BoltType {
    let map: BoltMap = [
        ("group_id", BoltType::from(group)),
        ("key", BoltType::from(key)),
        ("value", BoltType::from(format!("value-{key:05}"))),
        ("num", BoltType::from(key * 7 - 3)),
    ]
    .into_iter()
    .map(|(k, v)| (BoltString::from(k), v))
    .collect();
    BoltType::Map(map)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_unwind_merge_10k_rows_and_stream_back() {
    let Some(uri) = neo4j::neo4j_uri() else {
        return;
    };
    let graph = neo4j::graph(&uri).await;
    let group = neo4j::unique_group("smoke_bulk");

    // IF NOT EXISTS: every test run (and a reused NEO4J_TEST_URI server) shares it.
    graph
        .run(query(
            "CREATE CONSTRAINT smoke_item_group_key IF NOT EXISTS \
             FOR (n:SmokeItem) REQUIRE (n.group_id, n.key) IS UNIQUE",
        ))
        .await
        .expect("create uniqueness constraint");

    // One parameter holding all 10,000 maps, built with FromIterator.
    let rows: BoltType = (0..ROWS).map(|i| row_map(&group, i)).collect();
    let write = query(
        "UNWIND $rows AS row \
         MERGE (n:SmokeItem {group_id: row.group_id, key: row.key}) \
         SET n.value = row.value, n.num = row.num",
    )
    .param("rows", rows);
    let t0 = std::time::Instant::now();
    let mut txn = graph.start_txn().await.expect("begin");
    txn.run(write).await.expect("UNWIND MERGE");
    txn.commit().await.expect("commit");
    eprintln!(
        "UNWIND-MERGE of {ROWS} rows took {:.2}s",
        t0.elapsed().as_secs_f64()
    );

    // MERGE again with the same keys: the constraint makes it a match, not a create.
    let again: BoltType = (0..10).map(|i| row_map(&group, i)).collect();
    graph
        .run(
            query("UNWIND $rows AS row MERGE (n:SmokeItem {group_id: row.group_id, key: row.key})")
                .param("rows", again),
        )
        .await
        .expect("second MERGE");

    let mut stream = graph
        .execute(
            query(
                "MATCH (n:SmokeItem {group_id: $g}) \
                 RETURN n.key AS key, n.value AS value, n.num AS num ORDER BY key",
            )
            .param("g", group.as_str()),
        )
        .await
        .expect("read back");
    let mut expected = 0i64;
    while let Some(row) = stream.next().await.expect("next row") {
        let key: i64 = row.get("key").expect("key");
        let value: String = row.get("value").expect("value");
        let num: i64 = row.get("num").expect("num");
        assert_eq!(key, expected, "rows out of order or missing");
        assert_eq!(value, format!("value-{expected:05}"));
        assert_eq!(num, expected * 7 - 3);
        expected += 1;
    }
    assert_eq!(expected, ROWS, "row count");

    delete_group(&graph, "SmokeItem", &group).await;
    let mut left = graph
        .execute(
            query("MATCH (n:SmokeItem {group_id: $g}) RETURN count(n) AS c")
                .param("g", group.as_str()),
        )
        .await
        .expect("count after cleanup");
    let row = left.next().await.expect("row").expect("one row");
    assert_eq!(row.get::<i64>("c").expect("c"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_zoned_datetime_round_trips_through_chrono() {
    let Some(uri) = neo4j::neo4j_uri() else {
        return;
    };
    let graph = neo4j::graph(&uri).await;
    let group = neo4j::unique_group("smoke_datetime");

    let cases = [
        "2024-01-30T12:00:00.123456+00:00",
        "2024-01-30T12:00:00.123456+05:30",
        "1999-12-31T23:59:59.999999999-08:00",
    ];
    for (i, text) in cases.iter().enumerate() {
        let sent = DateTime::parse_from_rfc3339(text).expect("test datetime");
        // Written as a parameter, stored, read back; and also parsed by Cypher itself,
        // so a symmetric encode/decode bug in the driver cannot hide a shifted value.
        graph
            .run(
                query(
                    "CREATE (n:SmokeTime {group_id: $g, i: $i, at: $at, \
                     parsed: datetime($text)})",
                )
                .param("g", group.as_str())
                .param("i", i as i64)
                .param("at", sent)
                .param("text", *text),
            )
            .await
            .expect("store datetime");
        let mut rows = graph
            .execute(
                query(
                    "MATCH (n:SmokeTime {group_id: $g, i: $i}) \
                     RETURN n.at AS at, n.parsed AS parsed, toString(n.at) AS at_text, \
                     n.at = n.parsed AS same",
                )
                .param("g", group.as_str())
                .param("i", i as i64),
            )
            .await
            .expect("read datetime");
        let row = rows.next().await.expect("row").expect("one row");
        for column in ["at", "parsed"] {
            let got: DateTime<FixedOffset> = row.get(column).expect(column);
            assert_eq!(got, sent, "{column}: instant differs for {text}");
            assert_eq!(
                got.offset(),
                sent.offset(),
                "{column}: offset differs for {text}"
            );
            assert_eq!(got.to_rfc3339(), sent.to_rfc3339(), "{column}: {text}");
        }
        assert!(
            row.get::<bool>("same").expect("same"),
            "Neo4j sees the parameter and datetime({text}) as different instants"
        );
        let at_text: String = row.get("at_text").expect("at_text");
        let server_view = DateTime::parse_from_rfc3339(&at_text)
            .unwrap_or_else(|e| panic!("server text {at_text}: {e}"));
        assert_eq!(server_view, sent, "server-side text {at_text} vs {text}");
        assert_eq!(
            server_view.offset(),
            sent.offset(),
            "server-side offset {at_text}"
        );
    }

    delete_group(&graph, "SmokeTime", &group).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_server_is_expected_neo4j_version() {
    let Some(uri) = neo4j::neo4j_uri() else {
        return;
    };
    let graph = neo4j::graph(&uri).await;
    let mut rows = graph
        .execute(query(
            "CALL dbms.components() YIELD name, versions, edition \
             RETURN name, versions[0] AS version, edition",
        ))
        .await
        .expect("dbms.components");
    let row = rows.next().await.expect("row").expect("one row");
    let name: String = row.get("name").expect("name");
    let version: String = row.get("version").expect("version");
    let edition: String = row.get("edition").expect("edition");
    eprintln!("Neo4j server at {uri}: {name} {version} ({edition})");
    // The release line the launcher was asked for (NEO4J_TEST_SERIES).
    let expect = std::env::var("GRAPHSEED_EXPECT_NEO4J").unwrap_or_else(|_| neo4j::wanted_series());
    assert!(
        version.starts_with(&expect),
        "Neo4j {version} at {uri}, expected {expect}.x (set GRAPHSEED_EXPECT_NEO4J to change)"
    );
}
