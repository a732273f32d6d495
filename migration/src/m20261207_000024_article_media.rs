//! Which images an article's text shows, per locale: derived from the
//! image blocks of its intro and sections whenever they are written, so
//! publishing can check their alt text and an alt-text change can find the
//! articles it touches without reading every block.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ArticleMedia::Table)
                .col(uuid(ArticleMedia::ArticleId))
                .col(string(ArticleMedia::Locale))
                .col(uuid(ArticleMedia::MediaId))
                .primary_key(
                    Index::create()
                        .col(ArticleMedia::ArticleId)
                        .col(ArticleMedia::Locale)
                        .col(ArticleMedia::MediaId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ArticleMedia::Table, ArticleMedia::ArticleId)
                        .to(Article::Table, Article::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ArticleMedia::Table, ArticleMedia::MediaId)
                        .to(Media::Table, Media::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_article_media_media")
                .table(ArticleMedia::Table)
                .col(ArticleMedia::MediaId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ArticleMedia::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticleMedia {
    Table,
    ArticleId,
    Locale,
    MediaId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Article {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Media {
    Table,
    Id,
}
