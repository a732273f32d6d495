//! The change log: every content change appends one row in its own
//! transaction, and a reader that follows positions sees every committed
//! change exactly once, in order, however writers interleave.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use std::sync::Arc;

use api::content::Bundle;
use api::store::changes::{self, Kind, Touched};
use common::{Backend, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

const ARTICLE: &str = r#"
tags:
  - { slug: logged, source_locale: ja, name: { ja: 記録 } }
articles:
  - slug: logged-article
    category: regenerative-medicine
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    tags: [logged]
    contributors: [{ supervisor: shinichi-suita, role: AUTHOR }]
    translations:
      ja: { title: 記録, lead: リード, status: PUBLISHED }
      en: { title: Logged, lead: Lead, status: PUBLISHED }
"#;

async fn every_import_appends_one_change_naming_what_it_touched(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let before = changes::latest(&app.db).await.expect("latest");
    assert!(before > 0, "loading the sample was logged too");
    app.import(&Bundle::from_yaml(ARTICLE).expect("parses"))
        .await
        .expect("imports");
    let logged = changes::after(&app.db, before, 10).await.expect("read");
    assert_eq!(logged.len(), 1, "one change per import");
    let change = &logged[0];
    assert_eq!(change.kind, "IMPORT");
    let entities: Vec<String> = serde_json::from_value(change.entities.clone()).expect("a list");
    let article = entity::article::Entity::find()
        .filter(entity::article::Column::Slug.eq("logged-article"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the article");
    let supervisor = entity::supervisor::Entity::find()
        .filter(entity::supervisor::Column::Slug.eq("shinichi-suita"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the supervisor");
    for expected in [
        changes::entity_key("article", article.id),
        changes::entity_key("category", article.category_id),
        changes::entity_key("supervisor", supervisor.id),
    ] {
        assert!(entities.contains(&expected), "{expected} in {entities:?}");
    }
    assert!(entities.iter().any(|e| e.starts_with("tag:")), "{entities:?}");
    let locales: Vec<String> = serde_json::from_value(change.locales.clone()).expect("a list");
    assert_eq!(locales, ["en", "ja"]);

    // An import that fails writes no change either.
    let failing = r#"
references:
  - { key: one, kind: JOURNAL_ARTICLE, title: One, doi: 10.1000/same }
  - { key: two, kind: JOURNAL_ARTICLE, title: Two, doi: 10.1000/same }
"#;
    assert!(app.import(&Bundle::from_yaml(failing).expect("parses")).await.is_err());
    assert_eq!(
        changes::latest(&app.db).await.expect("latest"),
        change.position,
        "a rolled-back import leaves no change"
    );
}

async fn a_reader_following_positions_never_skips_a_change_of_interleaved_writers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let db = app.db.clone();
    let start = changes::latest(&db).await.expect("latest");

    // An uncommitted change is invisible, and so is everything after it
    // until it commits: the writer holds the append lock (PostgreSQL) or
    // the write lock (SQLite) until then.
    let first = db.begin().await.expect("begin");
    let mut touched = Touched::default();
    touched.entity("article", uuid::Uuid::now_v7());
    let first_position = changes::append(&first, Kind::Import, &touched).await.expect("append");
    assert!(changes::after(&db, start, 100).await.expect("read").is_empty());
    let second = {
        let db = db.clone();
        let touched = touched.clone();
        tokio::spawn(async move {
            let txn = db.begin().await.expect("begin");
            let position = changes::append(&txn, Kind::Import, &touched).await.expect("append");
            txn.commit().await.expect("commit");
            position
        })
    };
    assert!(changes::after(&db, start, 100).await.expect("read").is_empty());
    first.commit().await.expect("commit");
    let second_position = second.await.expect("task");
    assert!(first_position < second_position);
    let seen: Vec<i64> = changes::after(&db, start, 100)
        .await
        .expect("read")
        .iter()
        .map(|c| c.position)
        .collect();
    assert_eq!(seen, [first_position, second_position]);

    // Many writers at once, some rolling back, and a reader following the
    // log as they go: it must see every committed change exactly once.
    let cursor = second_position;
    let writers: Vec<_> = (0..24)
        .map(|i| {
            let db = db.clone();
            let touched = touched.clone();
            tokio::spawn(async move {
                let txn = db.begin().await.expect("begin");
                let position = changes::append(&txn, Kind::Import, &touched).await.expect("append");
                for _ in 0..(i % 5) {
                    tokio::task::yield_now().await;
                }
                if i % 6 == 5 {
                    txn.rollback().await.expect("rollback");
                    None
                } else {
                    txn.commit().await.expect("commit");
                    Some(position)
                }
            })
        })
        .collect();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let db = db.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut cursor = cursor;
            let mut seen = Vec::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                for change in changes::after(&db, cursor, 1000).await.expect("read") {
                    seen.push(change.position);
                    cursor = change.position;
                }
                if finished {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut committed = Vec::new();
    for writer in writers {
        if let Some(position) = writer.await.expect("writer") {
            committed.push(position);
        }
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.expect("reader");
    committed.sort_unstable();
    assert_eq!(seen, committed, "every committed change once, in order");
    assert_eq!(committed.len(), 20);
}

db_tests!(
    every_import_appends_one_change_naming_what_it_touched,
    a_reader_following_positions_never_skips_a_change_of_interleaved_writers,
);
