//! Requests built to exhaust the server — fragment fan-out, deep nesting,
//! huge arguments — are answered at once with a coded error, and the server
//! keeps answering everyone else.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use std::time::{Duration, Instant};

use common::{Backend, GqlResponse, TestApp};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Fragments F0…F30, each spreading the next twice: 2³⁰ fields if expanded.
fn fan_out() -> String {
    let mut doc = String::from("query { ...F0 }\n");
    for i in 0..30 {
        doc.push_str(&format!(
            "fragment F{i} on Query {{ ...F{next} ...F{next} }}\n",
            next = i + 1
        ));
    }
    doc.push_str("fragment F30 on Query { __typename }\n");
    doc
}

/// `{ __type(name: [[[…"x"…]]]) { name } }`, `depth` lists deep.
fn deep_list(depth: usize) -> String {
    format!(
        "{{ __type(name: {}\"x\"{}) {{ name }} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// A client that gives up after ten seconds: a hang fails the test instead
/// of stalling the suite. The time a request took is printed, not asserted.
fn patient_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

async fn post_query(app: &TestApp, client: &reqwest::Client, query: &str) -> GqlResponse {
    app.send(
        client
            .post(format!("{}/graphql", app.base))
            .header("content-type", "application/json")
            .body(json!({ "query": query }).to_string()),
    )
    .await
}

async fn hostile_documents_get_coded_errors_while_health_checks_answer(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = patient_client();
    for (name, document) in [("fan-out", fan_out()), ("deep list", deep_list(5_000))] {
        let started = Instant::now();
        let (hostile, health) = tokio::join!(
            post_query(&app, &client, &document),
            client.get(format!("{}/healthz", app.base)).send()
        );
        eprintln!("{name} ({} bytes): answered in {:?}", document.len(), started.elapsed());
        assert_eq!(hostile.status, 200, "{name}: {}", hostile.text);
        assert_eq!(
            hostile.codes(),
            ["GRAPHQL_VALIDATION_FAILED"],
            "{name}: {}",
            hostile.text
        );
        assert!(hostile.first_message().contains("docs/errors.md"), "{}", hostile.text);
        assert!(hostile.body.get("data").is_none(), "a request error has no data");
        assert_eq!(health.expect("/healthz answers").status(), 200);
    }
    // Same limits for GET, and under the GraphQL response type a 400.
    let response = app
        .send(
            client
                .get(format!("{}/graphql", app.base))
                .query(&[("query", deep_list(100))])
                .header("accept", "application/graphql-response+json"),
        )
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.codes(), ["GRAPHQL_VALIDATION_FAILED"]);
    // The server is still whole.
    let ok = app.gql("{ categories { slug } }", json!({})).await;
    assert!(ok.data()["categories"].is_array());
}

async fn tokens_run_together_and_unknown_spreads_are_still_counted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let client = patient_client();
    // 60,000 unknown spreads with no space between them: each is a token
    // and a field, so the document is refused before validation would list
    // one error per spread.
    let spreads = format!("{{ {} }}", "...X".repeat(60_000));
    let response = post_query(&app, &client, &spreads).await;
    assert_eq!(
        response.codes(),
        ["GRAPHQL_VALIDATION_FAILED"],
        "{}",
        &response.text[..300.min(response.text.len())]
    );
    assert!(response.text.len() < 1_000, "one short error, not one per spread");
    let numbers = format!("{{ __type(name: [{}]) {{ name }} }}", "1-".repeat(30_000));
    let response = post_query(&app, &client, &numbers).await;
    assert_eq!(response.codes(), ["GRAPHQL_VALIDATION_FAILED"]);
    assert!(response.first_message().contains("--max-tokens"), "{}", response.text);
}

async fn the_hidden_type_key_is_reserved_and_never_shown(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let reserved = app.gql("{ __kijiType: __typename }", json!({})).await;
    assert_eq!(reserved.codes(), ["GRAPHQL_VALIDATION_FAILED"]);
    // An interface field with no selection is still a validation error.
    let bare = app.gql(r#"{ node(id: "QXJ0aWNsZTowMTlh") }"#, json!({})).await;
    assert_eq!(bare.codes(), ["GRAPHQL_VALIDATION_FAILED"], "{}", bare.text);
    // A default-valued @include keeps the field, in order, without the key.
    let response = app
        .gql(
            r#"query($full: Boolean = true) { article(slug: "exosome-effects-and-side-effects") @include(if: $full) {
                sections { blocks { ... on ParagraphBlock { text } __typename } heading } slug } }"#,
            json!({}),
        )
        .await;
    let text = &response.text;
    assert!(text.contains(r#"{"article":{"sections":[{"blocks":["#), "{text}");
    assert!(!text.contains("__kijiType"), "{text}");
}

async fn deeply_nested_variables_are_a_bad_request(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let value = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
    let body = format!(r#"{{"query":"query($v: [Int]) {{ categories {{ slug }} }}","variables":{{"v":{value}}}}}"#);
    let response = app
        .send(
            patient_client()
                .post(format!("{}/graphql", app.base))
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
    assert_eq!(response.status, 400, "{}", response.text);
    assert_eq!(response.codes(), ["BAD_REQUEST"]);
}

async fn string_arguments_have_length_limits(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let long = "a".repeat(200_000);
    for query in [
        "query($s: String!) { article(slug: $s) { title } }",
        "query($s: String!) { supervisor(slug: $s) { name } }",
        "query($s: String!) { articles(after: $s) { totalCount } }",
        "query($s: String!) { articles(filter: { tag: $s }) { totalCount } }",
        "query($s: Locale!) { categories(locale: $s) { slug } }",
    ] {
        let response = app.gql(query, json!({ "s": long })).await;
        assert_eq!(response.codes(), ["BAD_USER_INPUT"], "{query}: {}", response.text);
        assert!(
            response.text.len() < 2_000,
            "the error does not echo the value: {}",
            response.text.len()
        );
    }
    let at_limit = app
        .gql(
            "query($s: String!) { article(slug: $s) { title } }",
            json!({ "s": "a".repeat(200) }),
        )
        .await;
    assert_eq!(
        at_limit.data()["article"],
        Value::Null,
        "200 characters is a slug that may exist"
    );
}

async fn answers_keep_the_order_of_the_selection_set(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let response = app
        .gql(
            r#"{ article(slug: "exosome-effects-and-side-effects") { title slug id } z: categories { slug } a: tags { slug } }"#,
            json!({}),
        )
        .await;
    let text = &response.text;
    let at = |key: &str| {
        text.find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} in {text}"))
    };
    assert!(at("title") < at("slug") && at("slug") < at("id"), "{text}");
    assert!(at("article") < at("z") && at("z") < at("a"), "{text}");

    // Fields that wait on the database before fields that do not, and
    // blocks of a union whose fragments list the same fields in other orders.
    let response = app
        .gql(
            r#"{ article(slug: "exosome-effects-and-side-effects") {
                contributors { supervisor { career { text } name } role }
                category { name }
                slug
                sections { children { anchor } claims { text } blocks {
                    ... on NoteBlock { text tone }
                    ... on ParagraphBlock { text }
                    ... on ListBlock { items { text } ordered }
                    __typename
                } heading }
            } }"#,
            json!({}),
        )
        .await;
    let text = &response.text;
    let order = ["\"contributors\":", "\"category\":", "\"slug\":", "\"sections\":"];
    let positions: Vec<usize> = order
        .iter()
        .map(|k| text.find(k).unwrap_or_else(|| panic!("{k} in {text}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    for pattern in [
        r#"{"supervisor":{"career":["#,
        r#"],"name":"#,
        r#"{"children":["#,
        r#"],"claims":["#,
        r#","__typename":"ListBlock"}"#,
        r#"{"items":[{"text":"#,
        r#"],"ordered":"#,
    ] {
        assert!(text.contains(pattern), "{pattern} in {text}");
    }
    assert!(!text.contains("__kijiType"), "the hidden type key is left out");
    for wrong in [r#"{"role":"#, r#"{"heading":"#, r#"{"ordered":"#] {
        assert!(!text.contains(wrong), "{wrong} first in {text}");
    }
}

/// A random document: brackets of every kind nested up to thousands deep,
/// around names, strings, numbers and fragments, well-formed or not.
fn nested_document() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "a",
        "__typename",
        "\"s\"",
        "1",
        "-2.5e3",
        "$v",
        "...F",
        "@skip(if: true)",
        ":",
        "=",
        "!",
        "|",
        "&",
        "#c\n",
        "\"\"\"b\"\"\"",
        "query",
        "fragment F on Query",
        "article(slug: ",
        "null",
    ]);
    let open = prop::sample::select(vec!["{", "[", "("]);
    (
        prop::collection::vec((open, token.clone()), 0..64),
        1..3_000usize,
        prop::collection::vec(token, 0..32),
        any::<bool>(),
    )
        .prop_map(|(prefix, depth, tail, balanced)| {
            let mut doc = String::new();
            for (open, token) in &prefix {
                doc.push_str(open);
                doc.push_str(token);
                doc.push(' ');
            }
            doc.push_str(&"{a ".repeat(depth / 3));
            doc.push_str(&"[".repeat(depth - depth / 3));
            doc.push_str(&tail.join(" "));
            if balanced {
                doc.push_str(&"]".repeat(depth - depth / 3));
                doc.push_str(&"}".repeat(depth / 3));
            }
            doc
        })
}

fn random_nested_documents_never_crash_the_server(backend: Backend) {
    let strategy = (nested_document(), 0..2_000usize);
    common::property(backend, 48, strategy, async |app, _, (document, value_depth)| {
        let variables = format!("{}1{}", "[".repeat(value_depth), "]".repeat(value_depth));
        let body = format!(
            r#"{{"query":{},"variables":{{"v":{variables}}}}}"#,
            Value::String(document)
        );
        let client = patient_client();
        let response = app
            .send(
                client
                    .post(format!("{}/graphql", app.base))
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        assert!(matches!(response.status, 200 | 400 | 413), "{}", response.text);
        assert!(!response.codes().is_empty(), "an error with a code: {}", response.text);
        assert!(
            !response.codes().iter().any(|c| c == "INTERNAL" || c == "<none>"),
            "{}",
            response.text
        );
        let health = client.get(format!("{}/healthz", app.base)).send().await;
        assert_eq!(health.expect("the server is up").status(), 200);
    });
}

db_tests!(
    hostile_documents_get_coded_errors_while_health_checks_answer,
    deeply_nested_variables_are_a_bad_request,
    string_arguments_have_length_limits,
    tokens_run_together_and_unknown_spreads_are_still_counted,
    the_hidden_type_key_is_reserved_and_never_shown,
    answers_keep_the_order_of_the_selection_set,
);

db_properties!(random_nested_documents_never_crash_the_server);
