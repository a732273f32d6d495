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
        if m.get_database_backend() == DatabaseBackend::Postgres {
            m.get_connection()
                .execute_unprepared(
                    "ALTER TABLE section_translation ALTER COLUMN blocks TYPE json USING blocks::json; \
                     ALTER TABLE article_translation ALTER COLUMN intro TYPE json USING intro::json",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            m.get_connection()
                .execute_unprepared(
                    "ALTER TABLE section_translation ALTER COLUMN blocks TYPE jsonb USING blocks::jsonb; \
                     ALTER TABLE article_translation ALTER COLUMN intro TYPE jsonb USING intro::jsonb",
                )
                .await?;
        }
        Ok(())
    }
}
