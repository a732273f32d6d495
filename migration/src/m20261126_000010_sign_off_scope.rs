//! What a sign-off covers: the locales the supervisor reviewed in the
//! signed-off revision, and whether that included the claims (which editors
//! may write apart from the reviewed text). Existing sign-offs are taken to
//! cover the article's source locale and not its claims: the narrowest
//! reading, so no name is shown on text nobody said was reviewed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ArticleSupervisor::Table)
                // Comma-separated canonical tags, e.g. `ja` or `en,ja`.
                .add_column(string_len(ArticleSupervisor::SignedOffLocales, 200).default(""))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ArticleSupervisor::Table)
                .add_column(boolean(ArticleSupervisor::SignedOffClaims).default(false))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE article_supervisor SET signed_off_locales = \
                 (SELECT source_locale FROM article WHERE article.id = article_supervisor.article_id) \
                 WHERE signed_off_revision IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [ArticleSupervisor::SignedOffClaims, ArticleSupervisor::SignedOffLocales] {
            m.alter_table(
                Table::alter()
                    .table(ArticleSupervisor::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticleSupervisor {
    Table,
    SignedOffLocales,
    SignedOffClaims,
}
