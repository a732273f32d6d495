//! Section blocks and article intros are stored as `json` (text) rather than
//! `jsonb` on PostgreSQL.
//!
//! Kiji never queries inside them: it reads each whole and decodes it into
//! blocks. `jsonb` made PostgreSQL rebuild the text of every value it sent
//! (`escape_json` was the largest single cost of its side of an article
//! page); `json` sends the stored text as it is. SQLite stores both as text
//! already, so there is nothing to change there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        retype(m, "json").await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        retype(m, "jsonb").await
    }
}

/// Gives both columns the type `ty` on PostgreSQL.
async fn retype(m: &SchemaManager<'_>, ty: &str) -> Result<(), DbErr> {
    if m.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    m.get_connection()
        .execute_unprepared(&format!(
            "ALTER TABLE section_translation ALTER COLUMN blocks TYPE {ty} USING blocks::{ty}; \
             ALTER TABLE article_translation ALTER COLUMN intro TYPE {ty} USING intro::{ty}"
        ))
        .await
        .map(|_| ())
}
