//! Feed tokens: keys that only the feed and embed URLs accept
//! (`api_key.feed_only`).
//!
//! The column was first added by an edit of the usage migration after that
//! migration had landed, so a database may have it already (migrated by
//! the edited one) or not (migrated before the edit): it is added only
//! where it is missing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.has_column("api_key", "feed_only").await? {
            return Ok(());
        }
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
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKey {
    Table,
    FeedOnly,
}
