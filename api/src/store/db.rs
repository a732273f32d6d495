//! Database connection: SQLite (embedded default) or PostgreSQL, chosen by
//! the URL scheme; migrations run at start-up.

use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::metrics::Metrics;

/// Opens a connection pool and counts every statement it sends in `metrics`.
///
/// SQLite is opened in WAL mode (readers never wait for the writer) with
/// foreign keys enforced and a busy timeout, so concurrent requests queue
/// instead of failing with `SQLITE_BUSY`.
pub async fn connect(url: &str, max_connections: u32, metrics: Arc<Metrics>) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(move |info| {
        metrics.db_statement(info.elapsed, info.failed);
        tracing::trace!(sql = %info.statement, elapsed = ?info.elapsed, failed = info.failed, "sql");
    });
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Connects to `url` and migrates it: how the server and every command
/// open the database.
pub async fn open(url: &str, max_connections: u32, metrics: Arc<Metrics>) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url, max_connections, metrics).await?;
    migrate(&db).await?;
    Ok(db)
}

/// Checks that the database answers, for `/readyz`.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`): a deferred transaction that reads first and
/// writes later fails with `SQLITE_BUSY` when another writer got in between,
/// without waiting out the busy timeout. PostgreSQL locks rows instead.
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
