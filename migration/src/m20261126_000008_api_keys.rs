//! API keys: random bearer tokens, stored only as their SHA-256, each with
//! one role (DESIGN.md, "Access").

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ApiKey::Table)
                .col(uuid(ApiKey::Id).primary_key())
                .col(string_len(ApiKey::Name, 100))
                .col(
                    string_len(ApiKey::Role, 16)
                        .check(Expr::col(ApiKey::Role).is_in([
                            "PREVIEW",
                            "EDITOR",
                            "TRANSLATOR",
                            "SUPERVISOR",
                            "ADMIN",
                        ]))
                        .to_owned(),
                )
                // Hex SHA-256 of the token: a lookup by equality, never the token.
                .col(string_len_uniq(ApiKey::TokenHash, 64))
                // The token's first characters, so a listing can tell keys apart.
                .col(string_len(ApiKey::Prefix, 16))
                .col(timestamp_with_time_zone(ApiKey::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiKey::RevokedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ApiKey::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKey {
    Table,
    Id,
    Name,
    Role,
    TokenHash,
    Prefix,
    CreatedAt,
    RevokedAt,
}
