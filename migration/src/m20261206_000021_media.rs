//! Images: the stored original (metadata stripped), its alt text and
//! caption per locale, the resized variants made on first request, and an
//! article's hero image.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Media::Table)
                .col(uuid(Media::Id).primary_key())
                .col(string_len(Media::Sha256, 64).unique_key())
                .col(string_len(Media::Format, 8))
                .col(integer(Media::Width))
                .col(integer(Media::Height))
                .col(blob(Media::Bytes))
                .col(string_len(Media::Placeholder, 64))
                .col(double(Media::FocalX).default(0.5))
                .col(double(Media::FocalY).default(0.5))
                .col(timestamp_with_time_zone(Media::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MediaText::Table)
                .col(uuid(MediaText::MediaId))
                .col(string_len(MediaText::Locale, 35))
                .col(text(MediaText::Alt))
                .col(text_null(MediaText::Caption))
                .primary_key(Index::create().col(MediaText::MediaId).col(MediaText::Locale))
                .foreign_key(
                    ForeignKey::create()
                        .from(MediaText::Table, MediaText::MediaId)
                        .to(Media::Table, Media::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MediaVariant::Table)
                .col(uuid(MediaVariant::MediaId))
                .col(integer(MediaVariant::Width))
                .col(string_len(MediaVariant::Format, 8))
                .col(blob(MediaVariant::Bytes))
                .col(string_len(MediaVariant::Etag, 40))
                .primary_key(
                    Index::create()
                        .col(MediaVariant::MediaId)
                        .col(MediaVariant::Width)
                        .col(MediaVariant::Format),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(MediaVariant::Table, MediaVariant::MediaId)
                        .to(Media::Table, Media::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ArticleHero::Table)
                .col(uuid(ArticleHero::ArticleId).primary_key())
                .col(uuid(ArticleHero::MediaId))
                .foreign_key(
                    ForeignKey::create()
                        .from(ArticleHero::Table, ArticleHero::MediaId)
                        .to(Media::Table, Media::Id),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ArticleHero::Table.into_iden(),
            MediaVariant::Table.into_iden(),
            MediaText::Table.into_iden(),
            Media::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Media {
    Table,
    Id,
    Sha256,
    Format,
    Width,
    Height,
    Bytes,
    Placeholder,
    FocalX,
    FocalY,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum MediaText {
    Table,
    MediaId,
    Locale,
    Alt,
    Caption,
}

#[derive(DeriveIden, Clone, Copy)]
enum MediaVariant {
    Table,
    MediaId,
    Width,
    Format,
    Bytes,
    Etag,
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticleHero {
    Table,
    ArticleId,
    MediaId,
}
