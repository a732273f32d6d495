//! Changing the values an enum column's CHECK allows, on both backends.
//!
//! PostgreSQL replaces the constraint. SQLite cannot alter a constraint, so
//! the table is rebuilt the way SQLite documents
//! (<https://sqlite.org/lang_altertable.html#otheralter>): with foreign keys
//! off, so that dropping the old table does not cascade to the rows that
//! refer to it, in a transaction of its own (sea-orm runs SQLite migrations
//! outside one, which is what lets the pragma work). Its indexes are
//! recreated from their stored definitions.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

/// `CHECK ("column" IN ('A', 'B'))`, as SeaQuery writes it.
fn check(column: &str, values: &[&str]) -> String {
    let list: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    format!("CHECK (\"{column}\" IN ({}))", list.join(", "))
}

/// Makes `table.column` accept `to` instead of `from`. Rows must already
/// satisfy `to` (callers going down check that first).
pub async fn set_allowed(
    m: &SchemaManager<'_>,
    table: &str,
    column: &str,
    from: &[&str],
    to: &[&str],
) -> Result<(), DbErr> {
    let db = m.get_connection();
    let backend = db.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        // The constraint was named by PostgreSQL when the column was made;
        // find it by what it checks rather than trusting the name.
        db.execute_unprepared(&format!(
            "DO $$ DECLARE c text; BEGIN \
               FOR c IN SELECT conname FROM pg_constraint \
                 WHERE conrelid = '{table}'::regclass AND contype = 'c' \
                   AND pg_get_constraintdef(oid) LIKE '%{column}%' \
               LOOP EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', c); END LOOP; \
             END $$; \
             ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_check {}",
            check(column, to)
        ))
        .await?;
        return Ok(());
    }
    let stored = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = '{table}'"),
        ))
        .await?
        .ok_or_else(|| DbErr::Migration(format!("no table `{table}`")))?;
    let sql: String = stored.try_get("", "sql")?;
    let (old, new) = (check(column, from), check(column, to));
    if sql.contains(&new) {
        // Done by an earlier run that stopped before recording itself.
        return Ok(());
    }
    if !sql.contains(&old) {
        return Err(DbErr::Migration(format!(
            "the definition of `{table}` lacks `{old}`; it was changed by hand"
        )));
    }
    let mut indexes = Vec::new();
    for row in db
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = '{table}' AND sql IS NOT NULL"),
        ))
        .await?
    {
        indexes.push(format!("{};", row.try_get::<String>("", "sql")?));
    }
    let rebuilt_name = format!("{table}_rebuilt");
    let rebuilt = sql.replace(&old, &new).replacen(
        &format!("CREATE TABLE \"{table}\""),
        &format!("CREATE TABLE \"{rebuilt_name}\""),
        1,
    );
    if !rebuilt.contains(&format!("\"{rebuilt_name}\"")) {
        return Err(DbErr::Migration(format!("unexpected definition of `{table}`")));
    }
    // One batch, so every statement runs on the one connection the pragmas
    // are set on.
    let rebuilt_batch = db
        .execute_unprepared(&format!(
            "PRAGMA foreign_keys = OFF; \
         BEGIN; \
         {rebuilt}; \
         INSERT INTO {rebuilt_name} SELECT * FROM {table}; \
         DROP TABLE {table}; \
         ALTER TABLE {rebuilt_name} RENAME TO {table}; \
         {} \
         COMMIT; \
         PRAGMA foreign_keys = ON;",
            indexes.join(" ")
        ))
        .await;
    if let Err(err) = rebuilt_batch {
        // Leave no connection mid-transaction with foreign keys off.
        let _ = db.execute_unprepared("ROLLBACK; PRAGMA foreign_keys = ON;").await;
        return Err(err);
    }
    Ok(())
}
