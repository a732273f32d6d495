//! The change log: one row per content change, appended in the writer's
//! transaction (see `api::changes`).
//!
//! `kind` is a plain string without a CHECK constraint, unlike the enum
//! columns of the content model: the log only grows, new kinds arrive with
//! every feature (publishing, schedules, licences), and SQLite cannot swap
//! a CHECK constraint without rebuilding the table. The Rust enum is the
//! only writer.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Change::Table)
                .col(big_pk_auto(Change::Position))
                .col(timestamp_with_time_zone(Change::At))
                .col(string_len(Change::Kind, 32))
                .col(json(Change::Entities))
                .col(json(Change::Locales))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Change::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Change {
    Table,
    Position,
    At,
    Kind,
    Entities,
    Locales,
}
