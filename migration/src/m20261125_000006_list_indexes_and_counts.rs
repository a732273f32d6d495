//! Indexes for lists under the `visible_from` rule, and maintained counts.
//!
//! - A page of a list walks `(published_at, id)` or `(updated_at, id)`
//!   backwards or forwards, optionally within one category, and stops after
//!   a page: with these indexes it reads a page, not the corpus. The
//!   `(status, …)` indexes served the rule before `visible_from` and are
//!   dropped.
//! - `article_count` keeps, per scope (`all`, `category:<uuid>`), how many
//!   articles have a `visible_from`. `totalCount` is that number minus the
//!   few scheduled for later, so it costs the same at any corpus size.
//!   Every writer that sets or clears `visible_from` keeps it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &[Article]); 4] = [
    ("ix_article_published", &[Article::PublishedAt, Article::Id]),
    ("ix_article_updated", &[Article::UpdatedAt, Article::Id]),
    (
        "ix_article_category_published",
        &[Article::CategoryId, Article::PublishedAt, Article::Id],
    ),
    (
        "ix_article_category_updated",
        &[Article::CategoryId, Article::UpdatedAt, Article::Id],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns) in INDEXES {
            let mut index = Index::create().name(name).table(Article::Table).to_owned();
            for column in columns {
                index.col(*column);
            }
            m.create_index(index).await?;
        }
        for name in ["ix_article_status_published", "ix_article_status_updated"] {
            m.drop_index(Index::drop().name(name).table(Article::Table).to_owned())
                .await?;
        }
        m.create_table(
            Table::create()
                .table(ArticleCount::Table)
                .col(string_len(ArticleCount::Scope, 64).primary_key())
                .col(big_integer(ArticleCount::Articles))
                .to_owned(),
        )
        .await?;
        // Existing rows: one count for all, one per category.
        let db = m.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT category_id, COUNT(*) AS n FROM article WHERE visible_from IS NOT NULL GROUP BY category_id",
            ))
            .await?;
        let mut total = 0i64;
        for row in rows {
            let category: uuid::Uuid = row.try_get_by_index(0)?;
            let n: i64 = row.try_get_by_index(1)?;
            total += n;
            insert_count(db, &format!("category:{}", category.simple()), n).await?;
        }
        insert_count(db, "all", total).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ArticleCount::Table).to_owned())
            .await?;
        for (name, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table(Article::Table).to_owned())
                .await?;
        }
        // The indexes `up` replaced, so that `up` can run again.
        for (name, key) in [
            ("ix_article_status_published", Article::PublishedAt),
            ("ix_article_status_updated", Article::UpdatedAt),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(Article::Table)
                    .col(Article::Status)
                    .col(key)
                    .col(Article::Id)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

async fn insert_count<C: ConnectionTrait>(db: &C, scope: &str, n: i64) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(ArticleCount::Table)
        .columns([ArticleCount::Scope, ArticleCount::Articles])
        .values_panic([scope.into(), n.into()])
        .to_owned();
    db.execute(&insert).await.map(|_| ())
}

#[derive(DeriveIden, Clone, Copy)]
enum Article {
    Table,
    Id,
    Status,
    CategoryId,
    PublishedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticleCount {
    Table,
    Scope,
    Articles,
}
