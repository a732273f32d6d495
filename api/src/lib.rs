//! Kiji's server: configuration, the GraphQL schema and its loaders, the
//! HTTP routes, and start-up. `main` and the integration tests build the
//! application the same way, through [`build_state`] and [`app`].

pub mod cli;
pub mod config;
pub mod content;
pub mod delivery;
pub mod editorial;
pub mod error;
pub mod graphql;
pub mod http;
pub mod locale;
pub mod metrics;
pub mod store;

use std::io::Write as _;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

pub use config::Config;
use error::ImportError;
use graphql::LocaleSettings;
use http::state::AppState;
use metrics::Metrics;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// Content could not be imported.
    #[error("import: {0}")]
    Import(#[from] ImportError),
    /// A file could not be read or the address could not be bound.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A key could not be created or revoked.
    #[error("keys: {0}")]
    Keys(#[from] editorial::auth::KeyError),
    /// A partner or licence could not be created or changed.
    #[error("{0}")]
    Partners(#[from] error::Error),
    /// The lint rules file cannot be used.
    #[error("{0}")]
    Rules(#[from] editorial::lint::RulesError),
    /// The search index could not be opened or built.
    #[error("{0}")]
    Search(#[from] delivery::search::SearchError),
    /// The media store (`--media-store`) cannot be used.
    #[error("{0}")]
    Media(#[from] store::objects::ObjectError),
    /// A content file is not valid YAML.
    #[error("{file}: {message}")]
    Content {
        /// The file.
        file: String,
        /// The parse error.
        message: String,
    },
}

/// Connects to the database, migrates it, loads the sample content into an
/// empty database (when configured), and builds the shared state.
pub async fn build_state(config: &Config) -> Result<AppState, StartupError> {
    let metrics = Arc::new(Metrics::default());
    let db = store::db::open(&config.database_url, config.db_max_connections, metrics.clone()).await?;
    let rules = editorial::lint::Rules::load(config.lint_rules.as_deref())?;
    if config.load_sample
        && let Some(report) = editorial::import::sample_if_empty(&db, &rules, &store::write::Followers::none()).await?
    {
        tracing::info!(?report, "loaded the sample content into the empty database");
    }
    // Checked when the option was read: a value that no longer parses here
    // would be a bug, reported rather than ignored.
    let urls = content::urls::PublicUrls::parse(&config.public_url_template).map_err(error::Error::bad_input)?;
    let cache = Arc::new(store::cache::ResponseCache::new(
        config.response_cache_mb.saturating_mul(1024 * 1024),
        metrics.clone(),
    ));
    // The cache reads the change log on a connection of its own, so its
    // reads are not counted with the requests' statements.
    let log = store::db::connect(&config.database_url, 2, Arc::new(Metrics::default())).await?;
    // The search index, like the cache, reads the log and the content on a
    // connection of its own; it is built (or caught up) before serving.
    let search_db = store::db::connect(&config.database_url, 2, Arc::new(Metrics::default())).await?;
    let search = Arc::new(delivery::search::SearchIndex::open(&config.search_location())?);
    search.start(&search_db).await?;
    search.invalidates(cache.clone());
    // Woken in this order: the index before the cache, so that no answer
    // computed after the cache dropped it comes from a stale index.
    let followers = store::write::Followers::none()
        .and(search.clone(), search_db.clone())
        .and(cache.clone(), log.clone());
    let media_store = config.media_store()?;
    let schema = graphql::build_schema(
        db.clone(),
        LocaleSettings {
            default: config.default_locale.clone(),
            fallbacks: config.fallback_locales.clone(),
        },
        rules.clone(),
        followers.clone(),
        urls.clone(),
        search.clone(),
        graphql::image::Images {
            base: graphql::image::ApiBase(config.api_url.clone()),
            store: media_store.clone(),
        },
    );
    let shapes = Arc::new(delivery::ordered::Shapes::from_sdl(&schema.sdl()));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let documents = Arc::new(http::documents::Documents::new(
        db.clone(),
        config.limits,
        shapes.clone(),
        http::documents::CpuPool::new(cores),
        config.trusted_documents_only,
        config.document_cache_mb.saturating_mul(1024 * 1024),
        metrics.clone(),
    ));
    documents.load_trusted().await?;
    for text in http::renditions::builtin_documents() {
        documents.trust_builtin(&text);
    }
    store::cache::start(
        cache.clone(),
        log.clone(),
        config.database_url.clone(),
        std::time::Duration::from_millis(config.change_poll_ms),
        store::write::Followers::none().and(search, search_db),
    )
    .await;
    // Its own connection, like the cache's: its reads are not counted with
    // the requests' statements.
    let scheduler = store::db::connect(&config.database_url, 1, Arc::new(Metrics::default())).await?;
    tokio::spawn(publish_scheduled(scheduler, rules, followers.clone()));
    let usage = Arc::new(store::usage::Usage::default());
    tokio::spawn(store::usage::keep_writing(usage.clone(), db.clone()));
    if config.webhooks {
        // Endpoints' deliveries are written side by side, and sent beside.
        let outbox = store::db::connect(
            &config.database_url,
            delivery::webhooks::ENQUEUE_AT_ONCE as u32 + 2,
            Arc::new(Metrics::default()),
        )
        .await?;
        let worker =
            delivery::webhooks::Worker::new(outbox, config.webhook_settings()).map_err(std::io::Error::other)?;
        tokio::spawn(worker.run());
    }
    Ok(AppState {
        cache,
        followers,
        caching: http_caching(config),
        db,
        schema,
        documents,
        shapes,
        metrics,
        admission: Arc::new(tokio::sync::Semaphore::new(config.max_in_flight as usize)),
        key_limits: Arc::new(editorial::auth::KeyLimits::new(config.key_rate_limit)),
        auth_failures: Arc::new(editorial::auth::AuthFailures::new(config.auth_failure_limit)),
        client_ip_header: config.client_ip_header.clone(),
        usage,
        urls,
        sitemaps: Arc::new(delivery::sitemap::Built::new(config.api_url.clone())),
        media_store,
    })
}

/// The longest the server waits between looks at the schedule. It wakes
/// when the next known change falls due; the look at least this often
/// finds what another instance scheduled meanwhile. The schedule is in the
/// database, so a restart loses none, and the first look is at start.
const SCHEDULE_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Publishes scheduled revisions as they fall due, and logs the changes the
/// clock makes (`store::due`), for the life of the server.
async fn publish_scheduled(
    db: sea_orm::DatabaseConnection,
    rules: Arc<editorial::lint::Rules>,
    followers: store::write::Followers,
) {
    loop {
        let now = crate::store::clock::stored_now();
        match editorial::workflow::publish_due(&db, &rules, &followers, now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(published = n, "published scheduled revisions"),
            Err(err) => tracing::warn!(error = %err, "publishing scheduled revisions failed"),
        }
        match store::due::log_due(&db, &followers, now).await {
            Ok(logged) if logged == store::due::Logged::default() => {}
            Ok(logged) => tracing::info!(?logged, "logged the changes the clock made"),
            Err(err) => tracing::warn!(error = %err, "logging the changes the clock made failed"),
        }
        let next = store::due::next_due(&db, now).await.ok().flatten();
        let wait = next
            .and_then(|at| (at - chrono::Utc::now()).to_std().ok())
            .map_or(SCHEDULE_POLL, |d| d.min(SCHEDULE_POLL));
        tokio::time::sleep(wait).await;
    }
}

/// The `Cache-Control` of public answers.
fn http_caching(config: &Config) -> Option<axum::http::HeaderValue> {
    if config.cache_max_age == 0 {
        return None;
    }
    axum::http::HeaderValue::from_str(&format!(
        "public, max-age={}, stale-while-revalidate={}",
        config.cache_max_age, config.cache_stale_while_revalidate
    ))
    .ok()
}

/// The HTTP application for `state`.
pub fn app(state: AppState, config: &Config) -> Router {
    http::router(state, config)
}

/// Logs to stderr, as the configuration says.
pub(crate) fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    // A second initialisation (tests, embedding) keeps the first subscriber.
    // Logs go to stderr; stdout carries only what the commands print. Colour
    // only on a terminal: escapes in a log file are noise.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match config.log_format {
        config::LogFormat::Text => builder.try_init(),
        config::LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Serves until SIGTERM or Ctrl-C, then lets requests in flight finish for
/// up to the configured grace period.
pub(crate) async fn serve(config: Config) -> Result<(), StartupError> {
    let state = build_state(&config).await?;
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let backend = if config.database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    tracing::info!(%addr, backend, "listening");
    // Not println!: a closed stdout (a supervisor that stopped reading) must
    // not bring the server down.
    let _ = writeln!(
        std::io::stdout().lock(),
        "Kiji is running on {backend}.\n  GraphiQL: http://{addr}/\n  GraphQL:  http://{addr}/graphql"
    );

    if let Some(at) = config.metrics_listen {
        let metrics = TcpListener::bind(at).await?;
        tracing::info!(addr = %metrics.local_addr()?, "metrics listening");
        let router = http::metrics_router(&state, &config);
        tokio::spawn(async move {
            if let Err(err) = axum::serve(metrics, router).await {
                tracing::error!(error = %err, "the metrics listener stopped");
            }
        });
    }
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    // The peer's address feeds the failed-authentication limit.
    // Kept for the end: what partners read since the last write of it.
    let usage = (state.usage.clone(), state.db.clone());
    let service = app(state, &config).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        let _ = stop_tx.send(true);
    });
    let grace = config.shutdown_grace();
    tokio::select! {
        result = server => result?,
        () = async {
            let _ = stop_rx.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(?grace, "requests still in flight after the grace period; exiting");
        }
    }
    if let Err(err) = usage.0.flush(&usage.1).await {
        tracing::warn!(error = %err, "writing partner usage at shutdown failed");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
