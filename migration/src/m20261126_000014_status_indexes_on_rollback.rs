//! The `(status, …)` indexes that 000006 dropped, put back on the way down.
//!
//! 000006's `down` drops the indexes it made but does not recreate the two
//! its `up` dropped, so rolling back through it and migrating up again
//! failed. A landed migration is not edited; this one recreates them when
//! rolled back (before 000006 is), and drops them again, if a rollback left
//! them, on the way up. On a database migrated forward only, `up` finds
//! nothing to drop.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const REPLACED: [(&str, Article); 2] = [
    ("ix_article_status_published", Article::PublishedAt),
    ("ix_article_status_updated", Article::UpdatedAt),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in REPLACED {
            m.drop_index(Index::drop().name(name).table(Article::Table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, key) in REPLACED {
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

#[derive(DeriveIden, Clone, Copy)]
enum Article {
    Table,
    Id,
    Status,
    PublishedAt,
    UpdatedAt,
}
