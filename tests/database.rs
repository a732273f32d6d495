//! The schema itself guards the content: foreign keys, uniqueness and enum
//! values hold on both backends, and SQLite runs in WAL mode.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use common::{Backend, TestApp};
use sea_orm::{ConnectionTrait, Statement};

async fn one_value(app: &TestApp, sql: &str) -> String {
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .expect("query runs")
        .expect("one row");
    row.try_get_by_index::<String>(0)
        .or_else(|_| row.try_get_by_index::<i64>(0).map(|v| v.to_string()))
        .or_else(|_| row.try_get_by_index::<i32>(0).map(|v| v.to_string()))
        .expect("a value")
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_enforced() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    assert_eq!(one_value(&app, "PRAGMA journal_mode").await, "wal");
    assert_eq!(one_value(&app, "PRAGMA foreign_keys").await, "1");
}

async fn constraints_reject_inconsistent_rows(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let attempts = [
        // A section of an article that does not exist.
        "INSERT INTO section (id, article_id, parent_id, position, anchor, level, kind) \
         SELECT id, id, NULL, 0, 'orphan', 2, 'BODY' FROM category LIMIT 1",
        // A second Japanese translation of the same article.
        "INSERT INTO article_translation (article_id, locale, title, lead, intro, status, source_revision, created_at, updated_at) \
         SELECT article_id, locale, title, lead, intro, status, source_revision, created_at, updated_at \
         FROM article_translation WHERE locale = 'ja' LIMIT 1",
        // A slug that is taken.
        "INSERT INTO category (id, slug, position, source_locale, created_at, updated_at) \
         SELECT id, 'anti-aging', 9, source_locale, created_at, updated_at FROM tag LIMIT 1",
        // A status that is not a Status.
        "UPDATE article SET status = 'LIVE'",
        // An evidence level that is not an EvidenceLevel.
        "UPDATE claim SET evidence_level = 'PROBABLY'",
        // A heading level outside h2–h6.
        "UPDATE section SET level = 9",
    ];
    for sql in attempts {
        let result = app.db.execute_unprepared(sql).await;
        assert!(result.is_err(), "the database accepted: {sql}");
    }
}

db_tests!(constraints_reject_inconsistent_rows);

/// Every migration can be undone and redone: an operator rolling back the
/// last k releases and forward again must not meet a migration that fails.
async fn migrations_go_down_and_up_again(backend: Backend) {
    use migration::MigratorTrait;

    let Some(database) = common::TestDatabase::create(backend).await else {
        return;
    };
    let db = sea_orm::Database::connect(&database.url).await.expect("connect");
    migration::Migrator::up(&db, None).await.expect("up");
    let all = migration::Migrator::migrations().len();
    for steps in 1..=all {
        migration::Migrator::down(&db, Some(steps as u32))
            .await
            .unwrap_or_else(|err| panic!("down {steps}: {err}"));
        let applied = migration::Migrator::get_applied_migrations(&db).await.expect("applied");
        assert_eq!(applied.len(), all - steps);
        migration::Migrator::up(&db, None)
            .await
            .unwrap_or_else(|err| panic!("up again after down {steps}: {err}"));
    }
    db.close().await.expect("close");
}

db_tests!(migrations_go_down_and_up_again);
