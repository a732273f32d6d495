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
    let mut db = if plain_on_loopback(url) {
        match pool(url, max_connections, true).await {
            Ok(db) => db,
            // A server that takes only TLS, even from this machine: as asked.
            Err(error) => {
                tracing::info!(%error, "PostgreSQL on this machine refused a connection without TLS; trying with it");
                pool(url, max_connections, false).await?
            }
        }
    } else {
        pool(url, max_connections, false).await?
    };
    db.set_metric_callback(move |info| {
        metrics.db_statement(info.elapsed, info.failed);
        tracing::trace!(sql = %info.statement, elapsed = ?info.elapsed, failed = info.failed, "sql");
    });
    Ok(db)
}

/// Whether `url` names PostgreSQL on this machine and leaves TLS to the
/// driver. sqlx, like libpq, then prefers TLS where the server offers it
/// (Debian's does): on loopback that protects nothing a local reader could
/// not read from either process, and encrypting every statement cost a
/// sixth of Kiji's CPU on a list page (docs/benchmarks.md). A URL or
/// `PGSSLMODE` that names a mode is followed as written.
fn plain_on_loopback(url: &str) -> bool {
    use std::str::FromStr as _;
    // Any TLS setting in the URL (`sslmode`, `ssl-mode`, a certificate),
    // spelled or percent-encoded, or in the environment, is followed as is.
    let lower = url.to_ascii_lowercase();
    let names_tls = lower.contains("ssl") || lower.contains("%73");
    let env_tls = std::env::vars_os().any(|(name, _)| name.to_string_lossy().starts_with("PGSSL"));
    if !lower.starts_with("postgres") || names_tls || env_tls {
        return false;
    }
    let Ok(options) = sea_orm::sqlx::postgres::PgConnectOptions::from_str(url) else {
        return false;
    };
    let host = options.get_host();
    host == "localhost"
        || host.starts_with('/')
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

async fn pool(url: &str, max_connections: u32, plain: bool) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    if plain {
        options.map_sqlx_postgres_opts(|opts| opts.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable));
    }
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings a connection on every acquire by default: a round trip
        // per statement. Only a connection idle long enough for a server
        // or a proxy to have dropped it is worth the ping.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    Database::connect(options).await
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

/// The database as one request reads it.
///
/// On PostgreSQL a query's statements share one pooled connection, taken
/// when the first of them runs and given back when the request ends: sqlx
/// pings a connection each time it goes back to the pool, so every
/// statement on a connection of its own cost two round trips, not one
/// (docs/benchmarks.md, "Where the time goes"). Every read of such a
/// request must go through here: a request that held one connection and
/// waited for a second could wait on others doing the same. Mutations read
/// from the pool (their writes take connections of their own), as does
/// SQLite, whose connections are threads of this process.
pub enum Reader {
    /// Each statement on a connection of the pool.
    Pool(DatabaseConnection),
    /// Every statement on one connection, taken by the first.
    Held {
        /// The pool, for anything but a read.
        db: DatabaseConnection,
        /// Where the connection comes from.
        pool: sea_orm::sqlx::PgPool,
        /// The connection, once taken.
        held: tokio::sync::Mutex<Option<sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>>>,
        /// Where statements are counted, as the pool counts its own.
        metrics: Arc<Metrics>,
    },
}

impl Reader {
    /// A reader for a query, holding one connection where that pays.
    pub fn for_query(db: DatabaseConnection, metrics: Arc<Metrics>) -> Self {
        match db.get_database_backend() {
            // The backend is PostgreSQL, so the pool is one (the call panics
            // only on another backend).
            sea_orm::DbBackend::Postgres => Self::Held {
                pool: db.get_postgres_connection_pool().clone(),
                db,
                held: tokio::sync::Mutex::new(None),
                metrics,
            },
            _ => Self::Pool(db),
        }
    }

    /// A reader on the pool, for a request that also writes.
    pub fn pooled(db: DatabaseConnection) -> Self {
        Self::Pool(db)
    }

    fn db(&self) -> &DatabaseConnection {
        match self {
            Self::Pool(db) | Self::Held { db, .. } => db,
        }
    }
}

/// Runs `stmt` on the held connection, taking it first if need be.
async fn on_held(
    pool: &sea_orm::sqlx::PgPool,
    held: &tokio::sync::Mutex<Option<sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>>>,
    metrics: &Metrics,
    stmt: sea_orm::Statement,
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    use sea_orm::sqlx::Executor as _;
    let mut held = held.lock().await;
    let conn = match &mut *held {
        Some(conn) => conn,
        slot @ None => slot.insert(
            pool.acquire()
                .await
                .map_err(|err| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(Arc::new(err))))?,
        ),
    };
    let values = stmt.values.unwrap_or(sea_orm::sea_query::Values(Vec::new()));
    let query = sea_orm::sqlx::query_with(
        sea_orm::sqlx::AssertSqlSafe(stmt.sql.as_str()),
        sea_query_sqlx::SqlxValues(values),
    );
    let started = std::time::Instant::now();
    let rows = conn.fetch_all(query).await;
    metrics.db_statement(started.elapsed(), rows.is_err());
    tracing::trace!(sql = %stmt.sql, elapsed = ?started.elapsed(), "sql");
    // A connection that failed for any reason but the statement itself (the
    // server restarted, the socket broke) is closed, not kept for the
    // request's next statement, which takes a fresh one.
    if let Err(err) = &rows
        && !matches!(err, sea_orm::sqlx::Error::Database(_))
        && let Some(mut broken) = held.take()
    {
        broken.close_on_drop();
    }
    rows.map(|rows| rows.into_iter().map(sea_orm::QueryResult::from).collect())
        .map_err(|err| DbErr::Query(sea_orm::RuntimeErr::SqlxError(Arc::new(err))))
}

#[async_trait::async_trait]
impl sea_orm::ConnectionTrait for Reader {
    fn get_database_backend(&self) -> sea_orm::DbBackend {
        self.db().get_database_backend()
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, DbErr> {
        match self {
            Self::Pool(db) => db.execute_raw(stmt).await,
            // A write while holding a connection would wait for a second.
            Self::Held { .. } => Err(DbErr::Custom("a query's reader does not write".into())),
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        match self {
            Self::Pool(db) => db.execute_unprepared(sql).await,
            Self::Held { .. } => Err(DbErr::Custom("a query's reader does not write".into())),
        }
    }

    async fn query_one_raw(&self, stmt: sea_orm::Statement) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        match self {
            Self::Pool(db) => db.query_one_raw(stmt).await,
            Self::Held {
                pool, held, metrics, ..
            } => Ok(on_held(pool, held, metrics, stmt).await?.into_iter().next()),
        }
    }

    async fn query_all_raw(&self, stmt: sea_orm::Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        match self {
            Self::Pool(db) => db.query_all_raw(stmt).await,
            Self::Held {
                pool, held, metrics, ..
            } => on_held(pool, held, metrics, stmt).await,
        }
    }

    fn support_returning(&self) -> bool {
        self.db().support_returning()
    }
}

#[cfg(test)]
mod tests {
    use super::plain_on_loopback;

    #[test]
    fn tls_is_left_out_only_on_this_machine_and_only_when_nobody_asked() {
        assert!(plain_on_loopback("postgres://postgres@127.0.0.1:5432/kiji"));
        assert!(plain_on_loopback("postgresql://kiji@localhost/kiji"));
        assert!(plain_on_loopback("postgres://kiji@[::1]:5432/kiji"));
        assert!(!plain_on_loopback("postgres://kiji@db.example.org/kiji"));
        assert!(!plain_on_loopback("postgres://kiji@10.0.0.5/kiji"));
        assert!(!plain_on_loopback("postgres://kiji@127.0.0.1/kiji?sslmode=require"));
        assert!(!plain_on_loopback("postgres://kiji@127.0.0.1/kiji?sslmode=prefer"));
        assert!(!plain_on_loopback(
            "postgres://kiji@127.0.0.1/kiji?ssl-mode=verify-full"
        ));
        assert!(!plain_on_loopback("postgres://kiji@127.0.0.1/kiji?%73slmode=require"));
        assert!(!plain_on_loopback(
            "postgres://kiji@localhost/kiji?sslrootcert=/etc/ca.pem"
        ));
        assert!(!plain_on_loopback("sqlite://kiji.db?mode=rwc"));
    }
}
