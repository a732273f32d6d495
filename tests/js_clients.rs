//! Apollo Client and urql, installed from the npm registry, fetch an
//! article from Kiji with their own automatic persisted query support and
//! hashed GET requests (`tests/js/apq.cjs`): the first run of each misses,
//! registers the document and is answered; the next is a GET with the hash
//! alone.
//!
//! Needs Node.js and npm. Without them the test is skipped with a notice,
//! except under `CI`, where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use std::process::Command;

use common::{Backend, TestApp};
use serde_json::Value;

const TITLE: &str = "Exosomes: Effects and Side Effects Explained";

fn requests(run: &Value) -> Vec<(String, bool)> {
    run["sent"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap_or_default().to_owned(),
                r["withQuery"] == true,
            )
        })
        .collect()
}

async fn apollo_client_and_urql_use_persisted_queries_over_get(backend: Backend) {
    if !tokio::task::spawn_blocking(common::js::install)
        .await
        .expect("install task")
    {
        return;
    }
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let base = app.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(common::js::dir().join("apq.cjs"))
            .arg(base)
            .output()
    })
    .await
    .expect("client task")
    .expect("node runs");
    assert!(
        output.status.success(),
        "the clients failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");

    for client in ["apollo", "urql"] {
        let run = &report[client];
        assert_eq!(run["titles"], serde_json::json!([TITLE, TITLE]), "{client}: {run}");
        let sent = requests(run);
        // The first launch: a GET with the hash alone, answered
        // PersistedQueryNotFound, then the document with its hash.
        assert_eq!(sent.first(), Some(&("GET".to_owned(), false)), "{client}: {run}");
        assert!(sent[1].1, "{client} sends the document after the miss: {run}");
        // The second launch: one GET with the hash alone, and it is answered.
        assert_eq!(sent.len(), 3, "{client}: {run}");
        assert_eq!(sent[2], ("GET".to_owned(), false), "{client}: {run}");
        // The miss is a request error: 200 as `application/json`, 400 as
        // `application/graphql-response+json` (urql asks for that first).
        let statuses: Vec<u64> = run["sent"]
            .as_array()
            .expect("requests")
            .iter()
            .map(|r| r["status"].as_u64().unwrap_or_default())
            .collect();
        assert!(matches!(statuses[0], 200 | 400), "{client}: {run}");
        assert_eq!(statuses[1..], [200, 200], "{client}: {run}");
    }
}

db_tests!(apollo_client_and_urql_use_persisted_queries_over_get);
