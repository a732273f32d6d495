//! Trusted documents: GraphQL operations registered ahead of time with
//! `kiji operations add`, by the SHA-256 of their text (see
//! `api::documents`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TrustedDocument::Table)
                .col(string_len(TrustedDocument::Hash, 64).primary_key())
                .col(string_len_null(TrustedDocument::Name, 200))
                .col(text(TrustedDocument::Document))
                .col(timestamp_with_time_zone(TrustedDocument::CreatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TrustedDocument::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum TrustedDocument {
    Table,
    Hash,
    Name,
    Document,
    CreatedAt,
}
