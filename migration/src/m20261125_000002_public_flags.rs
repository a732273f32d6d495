//! A `public` flag on categories, tags and supervisors.
//!
//! Taxonomy and people are shown to readers only while a visible article
//! uses them, so a tag made for an unannounced article or a physician
//! engaged for it stays unknown until publication. An editor may mark one
//! public ahead of that (a physician's profile page before the first
//! column, say); this flag records that choice.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One ALTER per table: SQLite adds one column per statement.
        for table in [Flagged::Category, Flagged::Tag, Flagged::Supervisor] {
            m.alter_table(
                Table::alter()
                    .table(table)
                    .add_column(boolean(Flagged::IsPublic).default(false))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [Flagged::Category, Flagged::Tag, Flagged::Supervisor] {
            m.alter_table(Table::alter().table(table).drop_column(Flagged::IsPublic).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Flagged {
    Category,
    Tag,
    Supervisor,
    IsPublic,
}
