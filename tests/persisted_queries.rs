//! Automatic persisted queries (Apollo's protocol, as Apollo Client and
//! urql speak it) over GET and POST, and trusted documents.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use api::http::documents::sha256_hex;
use common::{Backend, GqlResponse, TestApp, TestDatabase};
use serde_json::{Value, json};

const QUERY: &str = r#"query Title { article(slug: "exosome-effects-and-side-effects", locale: "en") { title } }"#;
const TITLE: &str = "Exosomes: Effects and Side Effects Explained";

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn get(app: &TestApp, pairs: &[(&str, String)]) -> GqlResponse {
    app.send(app.client.get(format!("{}/graphql", app.base)).query(pairs))
        .await
}

async fn apq_registers_hits_misses_and_refuses_mismatches_over_get_and_post(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let hash = sha256_hex(QUERY);

    // A miss: the hash alone, unknown. Apollo Client and urql look for this
    // message (and code) and retry with the query.
    for miss in [
        app.post(&json!({ "extensions": persisted(&hash) }), &[]).await,
        get(&app, &[("extensions", persisted(&hash).to_string())]).await,
    ] {
        assert_eq!(miss.status, 200, "{}", miss.text);
        assert_eq!(miss.first_message(), "PersistedQueryNotFound");
        assert_eq!(miss.codes(), ["PERSISTED_QUERY_NOT_FOUND"]);
        assert!(miss.body.get("data").is_none());
    }

    // Registration: the hash with the query, answered at once.
    let registered = app
        .post(&json!({ "query": QUERY, "extensions": persisted(&hash) }), &[])
        .await;
    assert_eq!(registered.data()["article"]["title"], TITLE);

    // Hits: the hash alone, over GET (CDN-cacheable) and POST.
    let hit = get(&app, &[("extensions", persisted(&hash).to_string())]).await;
    assert_eq!(hit.data()["article"]["title"], TITLE);
    let hit = app.post(&json!({ "extensions": persisted(&hash) }), &[]).await;
    assert_eq!(hit.data()["article"]["title"], TITLE);
    let upper = app
        .post(&json!({ "extensions": persisted(&hash.to_ascii_uppercase()) }), &[])
        .await;
    assert_eq!(upper.data()["article"]["title"], TITLE, "hex digits in either case");

    // A hash that is not the query's: refused, and nothing registered under it.
    let other = sha256_hex("{ __typename }");
    for mismatch in [
        app.post(&json!({ "query": QUERY, "extensions": persisted(&other) }), &[])
            .await,
        get(
            &app,
            &[
                ("query", QUERY.to_owned()),
                ("extensions", persisted(&other).to_string()),
            ],
        )
        .await,
    ] {
        assert_eq!(mismatch.codes(), ["PERSISTED_QUERY_MISMATCH"], "{}", mismatch.text);
        assert!(mismatch.first_message().starts_with("PersistedQueryMismatch"));
    }
    let still_unknown = app.post(&json!({ "extensions": persisted(&other) }), &[]).await;
    assert_eq!(still_unknown.codes(), ["PERSISTED_QUERY_NOT_FOUND"]);

    // Malformed extensions are bad requests.
    for extensions in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } }),
    ] {
        let response = app.post(&json!({ "extensions": extensions }), &[]).await;
        assert_eq!(response.status, 400, "{}", response.text);
        assert_eq!(response.codes(), ["BAD_REQUEST"]);
    }
}

async fn trusted_documents_only_runs_registered_operations(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| config.trusted_documents_only = true).await else {
        return;
    };
    let ad_hoc = app.post(&json!({ "query": QUERY }), &[]).await;
    assert_eq!(ad_hoc.codes(), ["PERSISTED_QUERY_NOT_TRUSTED"], "{}", ad_hoc.text);
    // APQ cannot register either.
    let hash = sha256_hex(QUERY);
    let apq = app
        .post(&json!({ "query": QUERY, "extensions": persisted(&hash) }), &[])
        .await;
    assert_eq!(apq.codes(), ["PERSISTED_QUERY_NOT_TRUSTED"]);

    let registered = api::http::documents::register(&app.db, "title.graphql", QUERY)
        .await
        .expect("registers");
    assert_eq!(registered, hash);
    let by_hash = app.post(&json!({ "extensions": persisted(&hash) }), &[]).await;
    assert_eq!(by_hash.data()["article"]["title"], TITLE);
    let by_text = app.post(&json!({ "query": QUERY }), &[]).await;
    assert_eq!(by_text.data()["article"]["title"], TITLE);
    let other = app.post(&json!({ "query": "{ categories { slug } }" }), &[]).await;
    assert_eq!(other.codes(), ["PERSISTED_QUERY_NOT_TRUSTED"]);
}

async fn the_operations_command_registers_files_and_lists_them(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("kiji-ops-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("title.graphql");
    std::fs::write(&good, QUERY).expect("write");
    let kiji = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kiji"))
            .args(["--database-url", &database.url, "--log", "warn"])
            .args(args)
            .output()
            .expect("kiji runs")
    };
    let output = kiji(&["operations", "add", good.to_str().expect("path")]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(printed.starts_with(&sha256_hex(QUERY)), "{printed}");
    let listed = kiji(&["operations", "list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&sha256_hex(QUERY)));

    let bad = dir.join("bad.graphql");
    std::fs::write(&bad, "query { unclosed").expect("write");
    let output = kiji(&["operations", "add", bad.to_str().expect("path")]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad.graphql"));
    let _ = std::fs::remove_dir_all(&dir);
}

db_tests!(
    apq_registers_hits_misses_and_refuses_mismatches_over_get_and_post,
    trusted_documents_only_runs_registered_operations,
    the_operations_command_registers_files_and_lists_them,
);
