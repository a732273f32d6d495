//! What each partner key read, per day: requests and articles served; and
//! feed tokens, keys that only the feed and embed URLs accept.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(UsageDaily::Table)
                .col(date(UsageDaily::Day))
                .col(uuid(UsageDaily::KeyId))
                .col(uuid(UsageDaily::PartnerId))
                .col(big_integer(UsageDaily::Requests).default(0))
                .col(big_integer(UsageDaily::Articles).default(0))
                .primary_key(Index::create().col(UsageDaily::Day).col(UsageDaily::KeyId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApiKey::Table)
                .add_column(boolean(ApiKey::FeedOnly).default(false))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ApiKey::Table)
                .drop_column(ApiKey::FeedOnly)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(UsageDaily::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum UsageDaily {
    Table,
    Day,
    KeyId,
    PartnerId,
    Requests,
    Articles,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKey {
    Table,
    FeedOnly,
}
