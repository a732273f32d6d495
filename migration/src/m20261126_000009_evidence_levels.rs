//! Two more evidence levels: NARRATIVE_REVIEW (a review that does not
//! search and weigh the literature systematically) and REGULATORY (a
//! statute or official notice: a legal fact, not clinical evidence).
//!
//! Only the CHECK on `claim.evidence_level` changes. PostgreSQL replaces the
//! constraint. SQLite cannot alter a constraint, so `claim` is rebuilt the
//! way SQLite documents (<https://sqlite.org/lang_altertable.html#otheralter>):
//! with foreign keys off, so that dropping the old table does not cascade to
//! the claims' texts and citations, in a transaction of its own (sea-orm
//! runs SQLite migrations outside one, which is what lets the pragma work).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

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

/// `CHECK ("evidence_level" IN ('A', 'B'))`, as SeaQuery writes it.
fn check(levels: &[&str]) -> String {
    let list: Vec<String> = levels.iter().map(|l| format!("'{l}'")).collect();
    format!("CHECK (\"evidence_level\" IN ({}))", list.join(", "))
}

async fn set_levels(m: &SchemaManager<'_>, from: &[&str], to: &[&str]) -> Result<(), DbErr> {
    let db = m.get_connection();
    let backend = db.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        // The constraint was named by PostgreSQL when the column was made;
        // find it by what it checks rather than trusting the name.
        db.execute_unprepared(&format!(
            "DO $$ DECLARE c text; BEGIN \
               FOR c IN SELECT conname FROM pg_constraint \
                 WHERE conrelid = 'claim'::regclass AND contype = 'c' \
                   AND pg_get_constraintdef(oid) LIKE '%evidence_level%' \
               LOOP EXECUTE format('ALTER TABLE claim DROP CONSTRAINT %I', c); END LOOP; \
             END $$; \
             ALTER TABLE claim ADD CONSTRAINT claim_evidence_level_check {}",
            check(to)
        ))
        .await?;
        return Ok(());
    }
    let table = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'claim'",
        ))
        .await?
        .ok_or_else(|| DbErr::Migration("no table `claim`".into()))?;
    let sql: String = table.try_get("", "sql")?;
    let (old, new) = (check(from), check(to));
    if !sql.contains(&old) {
        return Err(DbErr::Migration(format!(
            "the definition of `claim` lacks `{old}`; it was changed by hand"
        )));
    }
    let mut indexes = Vec::new();
    for row in db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'claim' AND sql IS NOT NULL",
        ))
        .await?
    {
        indexes.push(format!("{};", row.try_get::<String>("", "sql")?));
    }
    // One batch, so every statement runs on the one connection the pragmas
    // are set on.
    let rebuilt = sql
        .replace(&old, &new)
        .replacen("CREATE TABLE \"claim\"", "CREATE TABLE \"claim_rebuilt\"", 1);
    if !rebuilt.contains("\"claim_rebuilt\"") {
        return Err(DbErr::Migration("unexpected definition of `claim`".into()));
    }
    db.execute_unprepared(&format!(
        "PRAGMA foreign_keys = OFF; \
         BEGIN; \
         {rebuilt}; \
         INSERT INTO claim_rebuilt SELECT * FROM claim; \
         DROP TABLE claim; \
         ALTER TABLE claim_rebuilt RENAME TO claim; \
         {} \
         COMMIT; \
         PRAGMA foreign_keys = ON;",
        indexes.join(" ")
    ))
    .await?;
    Ok(())
}
