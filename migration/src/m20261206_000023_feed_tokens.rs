//! Feed tokens: keys that only the feed and embed URLs accept
//! (`api_key.feed_only`).
//!
//! The column is added by the usage migration as it last landed, which
//! gained it by an edit after its first landing: a database migrated by the
//! first version lacks it. It is added here only where it is missing, and
//! left on the way down, where the usage migration drops it.

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

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // The usage migration's down drops the column; dropping it here too
        // would make that one fail.
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKey {
    Table,
    FeedOnly,
}
