//! The editorial workflow: an APPROVED state between review and
//! publication, for articles and translations, and which categories are
//! medical (publishing in one needs a physician's sign-off). Categories are
//! medical unless marked otherwise: the safe default for a medical
//! publisher.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::checks::set_allowed;

#[derive(DeriveMigrationName)]
pub struct Migration;

const BEFORE: &[&str] = &["DRAFT", "IN_REVIEW", "PUBLISHED", "ARCHIVED"];
const AFTER: &[&str] = &["DRAFT", "IN_REVIEW", "APPROVED", "PUBLISHED", "ARCHIVED"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        set_allowed(m, "article", "status", BEFORE, AFTER).await?;
        set_allowed(m, "article_translation", "status", BEFORE, AFTER).await?;
        m.alter_table(
            Table::alter()
                .table(Category::Table)
                .add_column(boolean(Category::Medical).default(true))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for table in ["article", "article_translation"] {
            let approved = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT COUNT(*) AS n FROM {table} WHERE status = 'APPROVED'"),
                ))
                .await?
                .map(|row| row.try_get::<i64>("", "n"))
                .transpose()?
                .unwrap_or(0);
            if approved > 0 {
                return Err(DbErr::Migration(format!(
                    "{approved} row(s) of {table} are APPROVED; move them back to IN_REVIEW before going down"
                )));
            }
        }
        m.alter_table(
            Table::alter()
                .table(Category::Table)
                .drop_column(Category::Medical)
                .to_owned(),
        )
        .await?;
        set_allowed(m, "article_translation", "status", AFTER, BEFORE).await?;
        set_allowed(m, "article", "status", AFTER, BEFORE).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Category {
    Table,
    Medical,
}
