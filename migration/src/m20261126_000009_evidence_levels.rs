//! Two more evidence levels: NARRATIVE_REVIEW (a review that does not
//! search and weigh the literature systematically) and REGULATORY (a
//! statute or official notice: a legal fact, not clinical evidence).
//!
//! Only the CHECK on `claim.evidence_level` changes (see `checks`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

const BEFORE: &[&str] = &[
    "GUIDELINE",
    "SYSTEMATIC_REVIEW",
    "CLINICAL",
    "PRECLINICAL",
    "EXPERT_OPINION",
    "UNSUPPORTED",
];
const AFTER: &[&str] = &[
    "GUIDELINE",
    "SYSTEMATIC_REVIEW",
    "CLINICAL",
    "PRECLINICAL",
    "NARRATIVE_REVIEW",
    "EXPERT_OPINION",
    "UNSUPPORTED",
    "REGULATORY",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        set_levels(m, BEFORE, AFTER).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let in_use = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM claim WHERE evidence_level IN ('NARRATIVE_REVIEW', 'REGULATORY')",
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        if in_use > 0 {
            return Err(DbErr::Migration(format!(
                "{in_use} claim(s) use NARRATIVE_REVIEW or REGULATORY; give them another level before going down"
            )));
        }
        set_levels(m, AFTER, BEFORE).await
    }
}

async fn set_levels(m: &SchemaManager<'_>, from: &[&str], to: &[&str]) -> Result<(), DbErr> {
    crate::checks::set_allowed(m, "claim", "evidence_level", from, to).await
}
