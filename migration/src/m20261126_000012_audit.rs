//! The audit trail: which key (or which command on the server) changed,
//! signed off or published what, and when. It only grows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Audit::Table)
                .col(big_integer(Audit::Id).primary_key().auto_increment())
                .col(timestamp_with_time_zone(Audit::At))
                // Null for the command line, which runs on the server itself.
                .col(uuid_null(Audit::KeyId))
                .col(string_len(Audit::Actor, 120))
                .col(string_len(Audit::Action, 40))
                .col(string_len(Audit::Target, 300))
                .col(text(Audit::Detail).default(""))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_at")
                .table(Audit::Table)
                .col(Audit::At)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Audit::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Audit {
    Table,
    Id,
    At,
    KeyId,
    Actor,
    Action,
    Target,
    Detail,
}
