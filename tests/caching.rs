//! HTTP caching of public answers (validators, `Cache-Control`, surrogate
//! keys) and the response cache: never stale after a change, one execution
//! for concurrent misses, and fresh across instances on one database.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use std::time::Duration;

use api::content::Bundle;
use api::store::changes;
use common::{ARTICLE_PAGE, Backend, TestApp, TestDatabase};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const COLUMN: &str = "exosome-effects-and-side-effects";

fn page_body(locale: &str) -> String {
    json!({ "query": ARTICLE_PAGE, "variables": { "slug": COLUMN, "locale": locale } }).to_string()
}

async fn post_raw(app: &TestApp, body: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::builder()
        .no_brotli()
        .no_gzip()
        .build()
        .expect("client")
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("answered")
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn public_answers_carry_validators_and_a_304_on_a_match(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let body = page_body("ja");
    let first = post_raw(&app, &body, &[]).await;
    assert_eq!(first.status(), 200);
    let etag = header(&first, "etag");
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "a strong entity tag: {etag}"
    );
    assert_eq!(
        header(&first, "cache-control"),
        "public, max-age=60, stale-while-revalidate=300"
    );
    let vary = header(&first, "vary").to_ascii_lowercase();
    for part in ["accept", "accept-language", "accept-encoding", "authorization"] {
        assert!(vary.split(", ").any(|v| v == part), "{part} in {vary}");
    }
    let full = first.bytes().await.expect("body");

    let again = post_raw(&app, &body, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag"), etag);
    assert!(again.bytes().await.expect("body").is_empty());
    let other = post_raw(&app, &body, &[("if-none-match", "\"something-else\"")]).await;
    assert_eq!(other.status(), 200);
    assert_eq!(other.bytes().await.expect("body"), full, "the same answer");

    // Each encoding is its own representation, with its own tag.
    let brotli = post_raw(&app, &body, &[("accept-encoding", "br")]).await;
    assert_eq!(header(&brotli, "content-encoding"), "br");
    let brotli_tag = header(&brotli, "etag");
    assert_ne!(brotli_tag, etag);
    let matched = post_raw(
        &app,
        &body,
        &[("accept-encoding", "br"), ("if-none-match", &brotli_tag)],
    )
    .await;
    assert_eq!(matched.status(), 304);

    // Errors and partial answers are never stored.
    let error = post_raw(&app, r#"{"query":"{ nope }"}"#, &[]).await;
    assert_eq!(header(&error, "cache-control"), "no-store");
    assert!(error.headers().get("etag").is_none());
    let partial = post_raw(
        &app,
        &json!({ "query": "query($s: String!) { article(slug: $s) { title } categories { slug } }", "variables": { "s": "x".repeat(300) } }).to_string(),
        &[],
    )
    .await;
    assert_eq!(header(&partial, "cache-control"), "no-store");
}

async fn surrogate_keys_name_every_entity_in_the_answer(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let response = post_raw(&app, &page_body("ja"), &[]).await;
    let keys: Vec<String> = header(&response, "surrogate-key")
        .split(' ')
        .map(str::to_owned)
        .collect();
    let tags: Vec<String> = header(&response, "cache-tag").split(',').map(str::to_owned).collect();
    assert_eq!(keys, tags, "the same keys for Fastly-style and Cloudflare-style CDNs");

    let article = entity::article::Entity::find()
        .filter(entity::article::Column::Slug.eq(COLUMN))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the column");
    let mut expected = vec![
        changes::entity_key("article", article.id),
        changes::entity_key("category", article.category_id),
    ];
    for link in entity::article_tag::Entity::find()
        .filter(entity::article_tag::Column::ArticleId.eq(article.id))
        .all(&app.db)
        .await
        .expect("tags")
    {
        expected.push(changes::entity_key("tag", link.tag_id));
    }
    for link in entity::article_supervisor::Entity::find()
        .filter(entity::article_supervisor::Column::ArticleId.eq(article.id))
        .all(&app.db)
        .await
        .expect("contributors")
    {
        expected.push(changes::entity_key("supervisor", link.supervisor_id));
    }
    let references = entity::reference::Entity::find()
        .all(&app.db)
        .await
        .expect("references");
    let cited: Vec<String> = references
        .iter()
        .map(|r| changes::entity_key("reference", r.id))
        .filter(|key| keys.contains(key))
        .collect();
    assert!(cited.len() >= 10, "the column cites its references: {cited:?}");
    for key in &expected {
        assert!(keys.contains(key), "{key} in {keys:?}");
    }
    assert!(
        keys.contains(&"articles".to_owned()),
        "article(slug:) depends on which articles exist"
    );

    let list = post_raw(&app, r#"{"query":"{ articles { edges { node { slug } } } }"}"#, &[]).await;
    let list_keys = header(&list, "surrogate-key");
    assert!(list_keys.split(' ').any(|k| k == "articles"), "{list_keys}");
    assert!(list_keys.contains(&changes::entity_key("article", article.id)));
}

const LIST: &str =
    r#"query($category: String) { articles(filter: { category: $category }) { totalCount edges { node { slug } } } }"#;

async fn count(app: &TestApp) -> i64 {
    let response = app.gql(LIST, json!({ "category": "regenerative-medicine" })).await;
    response.data()["articles"]["totalCount"].as_i64().expect("a count")
}

async fn no_stale_answer_after_a_change_returns(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let before = count(&app).await;
    let hits = app.metric(r#"kiji_response_cache_lookups_total{result="hit"}"#).await;
    assert_eq!(count(&app).await, before);
    assert_eq!(
        app.metric(r#"kiji_response_cache_lookups_total{result="hit"}"#).await,
        hits + 1.0,
        "the second read is a cache hit"
    );
    let missing = app
        .gql(
            r#"{ article(slug: "fresh-column") { title } tags { slug } }"#,
            json!({}),
        )
        .await;
    assert_eq!(missing.data()["article"], Value::Null);
    assert!(!missing.text.contains("fresh-topic"));

    let fresh = r#"
tags:
  - { slug: fresh-topic, source_locale: ja, name: { ja: 新着 } }
articles:
  - slug: fresh-column
    category: regenerative-medicine
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-06-01T00:00:00Z
    tags: [fresh-topic]
    translations: { ja: { title: 新着記事, lead: リード, status: PUBLISHED } }
"#;
    app.import(&Bundle::from_yaml(fresh).expect("parses"))
        .await
        .expect("imports");
    // Right after the write returns, every answer that shows what it
    // touched is fresh: the list, the missing article, the tags.
    assert_eq!(count(&app).await, before + 1);
    let found = app
        .gql(
            r#"{ article(slug: "fresh-column") { title } tags { slug } }"#,
            json!({}),
        )
        .await;
    assert_eq!(found.data()["article"]["title"], "新着記事");
    assert!(found.text.contains("fresh-topic"));
}

async fn concurrent_misses_of_one_answer_run_it_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // One execution of the page, measured on its own (English).
    let before = app.statements().await;
    let alone = post_raw(&app, &page_body("en"), &[]).await;
    assert_eq!(alone.status(), 200);
    let one = app.statements().await - before;
    // Eight at once of the same page in Japanese: a cold key.
    let before = app.statements().await;
    let body = page_body("ja");
    let answers = futures_util::future::join_all((0..8).map(|_| post_raw(&app, &body, &[]))).await;
    let spent = app.statements().await - before;
    let mut bodies = Vec::new();
    for answer in answers {
        assert_eq!(answer.status(), 200);
        bodies.push(answer.bytes().await.expect("body"));
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(spent, one, "eight concurrent misses, one execution ({one} statements)");
}

/// Runs `kiji import FILE` against `url` in a process of its own.
fn import_elsewhere(url: &str, yaml: &str) {
    let file = std::env::temp_dir().join(format!("kiji-cache-{}.yaml", uuid::Uuid::now_v7().simple()));
    std::fs::write(&file, yaml).expect("write");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kiji"))
        .args(["--database-url", url, "--log", "warn", "import"])
        .arg(&file)
        .output()
        .expect("kiji runs");
    let _ = std::fs::remove_file(&file);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Waits until `app`'s response cache has applied the latest change, as
/// its `/metrics` report it (each look is a round trip; no timer).
async fn heard_of_latest(app: &TestApp) {
    let latest = changes::latest(&app.db).await.expect("latest") as f64;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while app.metric("kiji_change_log_position ").await < latest {
        assert!(
            std::time::Instant::now() < deadline,
            "the instance never applied change {latest}"
        );
    }
}

fn tagged(slug: &str) -> String {
    format!(
        "tags:\n  - {{ slug: {slug}, source_locale: ja, name: {{ ja: 話題 }} }}\n\
         articles:\n  - slug: {slug}-article\n    category: regenerative-medicine\n    source_locale: ja\n    \
         status: PUBLISHED\n    published_at: 2025-06-01T00:00:00Z\n    tags: [{slug}]\n    \
         translations: {{ ja: {{ title: 記事, lead: リード, status: PUBLISHED }} }}\n"
    )
}

async fn an_instance_hears_of_changes_made_elsewhere_even_after_losing_its_listener(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    // On PostgreSQL the instance polls once an hour: only NOTIFY can wake
    // it. SQLite has no NOTIFY; another process's write is found by polling.
    let poll = match backend {
        Backend::Postgres => 3_600_000,
        Backend::Sqlite => 50,
    };
    let app = TestApp::spawn_on(&database.url, |config| config.change_poll_ms = poll).await;
    let tags = || async { app.gql("{ tags { slug } }", json!({})).await.text };
    assert!(!tags().await.contains("elsewhere-one"));
    tags().await;
    import_elsewhere(&database.url, &tagged("elsewhere-one"));
    heard_of_latest(&app).await;
    assert!(tags().await.contains("elsewhere-one"), "fresh after the change");

    if backend == Backend::Postgres {
        // Cut the instance's LISTEN connection, then change content while
        // it is gone: it reconnects, reads the log, and serves fresh.
        app.db
            .execute_unprepared(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = 'kiji-listener' AND datname = current_database()",
            )
            .await
            .expect("terminate the listener");
        import_elsewhere(&database.url, &tagged("elsewhere-two"));
        heard_of_latest(&app).await;
        assert!(tags().await.contains("elsewhere-two"), "fresh after a lost listener");
    }
}

use sea_orm::ConnectionTrait as _;

/// A flood of documents each seen once (every request with a comment of
/// its own) fills the document cache to its bound, but does not push out
/// the document clients keep sending: it is still parsed only once.
async fn documents_seen_once_do_not_push_out_the_ones_in_use(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.document_cache_mb = 1;
        config.response_cache_mb = 0;
    })
    .await
    else {
        return;
    };
    let hot = page_body("ja");
    let hits = || app.metric("kiji_document_cache_lookups_total{result=\"hit\"}");
    // A document is kept from its second arrival on: the first is not
    // remembered at all.
    let start = hits().await;
    assert_eq!(post_raw(&app, &hot, &[]).await.status(), 200);
    assert_eq!(post_raw(&app, &hot, &[]).await.status(), 200);
    assert_eq!(
        hits().await,
        start,
        "sent twice, parsed twice: not kept after one arrival"
    );
    assert_eq!(post_raw(&app, &hot, &[]).await.status(), 200);
    assert_eq!(hits().await, start + 1.0, "kept from its second arrival");
    for _ in 0..20 {
        assert_eq!(post_raw(&app, &hot, &[]).await.status(), 200);
    }
    // Several times the cache's megabyte of documents seen once.
    for i in 0..600 {
        let once = json!({ "query": format!("# {i}\nquery Once{i} {{ article(slug: \"s{i}\") {{ title lead slug locale }} }}") });
        assert_eq!(post_raw(&app, &once.to_string(), &[]).await.status(), 200);
    }
    let before = hits().await;
    assert_eq!(post_raw(&app, &hot, &[]).await.status(), 200);
    assert_eq!(hits().await, before + 1.0, "the document in use was kept");
}

db_tests!(
    documents_seen_once_do_not_push_out_the_ones_in_use,
    public_answers_carry_validators_and_a_304_on_a_match,
    surrogate_keys_name_every_entity_in_the_answer,
    no_stale_answer_after_a_change_returns,
    concurrent_misses_of_one_answer_run_it_once,
    an_instance_hears_of_changes_made_elsewhere_even_after_losing_its_listener,
);
