//! `article.visible_from`: when an article becomes public, or null if it
//! cannot (not published, or no published translation).
//!
//! Readers then decide visibility with one indexed comparison,
//! `visible_from <= now`, instead of checking the status, the publication
//! time and a correlated `EXISTS` on the translations for every article a
//! list or a count touches. Every writer of articles and translations keeps
//! it (see `api::graphql::visibility::visible_from`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Article::Table)
                .add_column(timestamp_with_time_zone_null(Article::VisibleFrom))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE article SET visible_from = published_at \
                 WHERE status = 'PUBLISHED' AND EXISTS (SELECT 1 FROM article_translation \
                 WHERE article_translation.article_id = article.id AND article_translation.status = 'PUBLISHED')",
            )
            .await?;
        m.create_index(
            Index::create()
                .name("ix_article_visible_from")
                .table(Article::Table)
                .col(Article::VisibleFrom)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_article_category_visible_from")
                .table(Article::Table)
                .col(Article::CategoryId)
                .col(Article::VisibleFrom)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_article_category_visible_from", "ix_article_visible_from"] {
            m.drop_index(Index::drop().name(name).table(Article::Table).to_owned())
                .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Article::Table)
                .drop_column(Article::VisibleFrom)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Article {
    Table,
    CategoryId,
    VisibleFrom,
}
