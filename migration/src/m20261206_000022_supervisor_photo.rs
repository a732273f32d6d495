//! A physician's portrait as an image (with alt text per locale), beside
//! the older `photo_url`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SupervisorPhoto::Table)
                .col(uuid(SupervisorPhoto::SupervisorId).primary_key())
                .col(uuid(SupervisorPhoto::MediaId))
                .foreign_key(
                    ForeignKey::create()
                        .from(SupervisorPhoto::Table, SupervisorPhoto::MediaId)
                        .to(Media::Table, Media::Id),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SupervisorPhoto::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum SupervisorPhoto {
    Table,
    SupervisorId,
    MediaId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Media {
    Table,
    Id,
}
