//! Kiji's server: configuration, the GraphQL schema and its loaders, the
//! HTTP routes, and start-up. `main` and the integration tests build the
//! application the same way, through [`build_state`] and [`app`].

pub mod config;
pub mod content;
pub mod delivery;
pub mod editorial;
pub mod error;
pub mod graphql;
pub mod http;
pub mod locale;
pub mod metrics;
pub mod state;
pub mod store;

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

pub use config::Config;
use content::import::{ImportError, ImportReport};
use graphql::LocaleSettings;
use metrics::Metrics;
use state::AppState;

/// Command line of the `kiji` binary.
#[derive(Debug, Parser)]
#[command(
    name = "kiji",
    version,
    about = "Kiji: a GraphQL content API for medically supervised, multilingual columns"
)]
pub struct Cli {
    /// What to do; without a command, `serve`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server and database options.
    #[command(flatten)]
    pub config: Config,
}

/// Subcommands of `kiji`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Import content (YAML bundles, or Markdown articles ending in `.md`)
    /// into the database, all or nothing. An article that exists already is
    /// saved as its next revision, from the revision the file names.
    Import {
        /// Files to import together.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write one locale of an article's newest revision as Markdown to
    /// standard output, in the form `kiji import` reads back.
    Export {
        /// The article's slug.
        slug: String,
        /// The locale to write.
        #[arg(long)]
        locale: String,
    },
    /// Print the GraphQL schema (SDL) to standard output.
    PrintSchema,
    /// Manage trusted documents (operations registered by their hash).
    Operations {
        /// What to do.
        #[command(subcommand)]
        action: OperationsCommand,
    },
    /// Manage API keys.
    Keys {
        /// What to do.
        #[command(subcommand)]
        action: KeysCommand,
    },
}

/// `kiji keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print its token, once: only its hash is kept.
    Create {
        /// PREVIEW, EDITOR, TRANSLATOR, SUPERVISOR or ADMIN.
        #[arg(long, value_parser = parse_role)]
        role: entity::enums::Role,
        /// Who holds it, e.g. `ios-app` or `column desk`.
        #[arg(long)]
        name: String,
        /// For a SUPERVISOR key: the slug of the physician it signs off for.
        #[arg(long)]
        supervisor: Option<String>,
        /// For a PREVIEW key: the slug of the one article it previews
        /// (every article when left out).
        #[arg(long)]
        article: Option<String>,
    },
    /// List keys: id, token prefix, role, name, created, revoked. No secrets.
    List,
    /// Revoke a key, named by its id or its token prefix.
    Revoke {
        /// The id, or the prefix `keys list` shows.
        key: String,
    },
}

fn parse_role(value: &str) -> Result<entity::enums::Role, String> {
    use sea_orm::Iterable as _;
    entity::enums::Role::iter()
        .find(|role| role.as_str().eq_ignore_ascii_case(value))
        .ok_or_else(|| format!("`{value}` is not a role: PREVIEW, EDITOR, TRANSLATOR, SUPERVISOR or ADMIN"))
}

/// `kiji operations …`
#[derive(Debug, Subcommand)]
pub enum OperationsCommand {
    /// Register GraphQL documents (one per file, as clients send them) and
    /// print each one's SHA-256, the hash clients send.
    Add {
        /// `.graphql` files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List registered documents: hash and name.
    List,
}

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
    /// The lint rules file cannot be used.
    #[error("{0}")]
    Rules(#[from] editorial::lint::RulesError),
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
    let db = store::db::connect(&config.database_url, config.db_max_connections, metrics.clone()).await?;
    store::db::migrate(&db).await?;
    let rules = editorial::lint::Rules::load(config.lint_rules.as_deref())?;
    if config.load_sample
        && let Some(report) = editorial::import::sample_if_empty(&db, &rules, &store::write::Followers::none()).await?
    {
        tracing::info!(?report, "loaded the sample content into the empty database");
    }
    let cache = Arc::new(store::cache::ResponseCache::new(
        config.response_cache_mb.saturating_mul(1024 * 1024),
        metrics.clone(),
    ));
    // The cache reads the change log on a connection of its own, so its
    // reads are not counted with the requests' statements.
    let log = store::db::connect(&config.database_url, 2, Arc::new(Metrics::default())).await?;
    let followers = store::write::Followers::cache(cache.clone(), log.clone());
    let schema = graphql::build_schema(
        db.clone(),
        LocaleSettings {
            default: config.default_locale.clone(),
            fallbacks: config.fallback_locales.clone(),
        },
        rules.clone(),
        followers.clone(),
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
    store::cache::start(
        cache.clone(),
        log.clone(),
        config.database_url.clone(),
        std::time::Duration::from_millis(config.change_poll_ms),
    )
    .await;
    // Its own connection, like the cache's: its reads are not counted with
    // the requests' statements.
    let scheduler = store::db::connect(&config.database_url, 1, Arc::new(Metrics::default())).await?;
    tokio::spawn(publish_scheduled(scheduler, rules, followers.clone()));
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
    })
}

/// How often the server looks for scheduled revisions that are due: a
/// revision goes live at most this late. The schedule is in the database,
/// so a restart loses none, and the first look is at start.
const SCHEDULE_POLL: std::time::Duration = std::time::Duration::from_secs(15);

/// Publishes scheduled revisions as they fall due, for the life of the server.
async fn publish_scheduled(
    db: sea_orm::DatabaseConnection,
    rules: Arc<editorial::lint::Rules>,
    followers: store::write::Followers,
) {
    loop {
        match editorial::workflow::publish_due(&db, &rules, &followers, crate::store::clock::stored_now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(published = n, "published scheduled revisions"),
            Err(err) => tracing::warn!(error = %err, "publishing scheduled revisions failed"),
        }
        tokio::time::sleep(SCHEDULE_POLL).await;
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

/// Runs the command line: `serve` (default), `import` or `print-schema`.
pub async fn run(cli: Cli) -> Result<(), StartupError> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::PrintSchema => {
            std::io::stdout().lock().write_all(graphql::sdl().as_bytes())?;
            Ok(())
        }
        Command::Import { files } => {
            init_tracing(&config);
            let report = import_files(&config, &files).await?;
            writeln!(
                std::io::stdout().lock(),
                "imported {} article(s), {} section(s), {} claim(s), {} reference(s), {} supervisor(s); \
                 saved {} new revision(s)",
                report.articles,
                report.sections,
                report.claims,
                report.references,
                report.supervisors,
                report.revisions
            )?;
            // Said, not refused: drafts go in with their findings, for the
            // editors to correct before review (`lint` reads them in full).
            if !report.findings.is_empty() {
                let mut err = std::io::stderr().lock();
                writeln!(err, "the medical-advertising lint found {}:", report.findings.len())?;
                for line in &report.findings {
                    writeln!(err, "  {line}")?;
                }
            }
            Ok(())
        }
        Command::Export { slug, locale } => {
            init_tracing(&config);
            let text = export_markdown(&config, &slug, &locale).await?;
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(())
        }
        Command::Operations { action } => {
            init_tracing(&config);
            operations(&config, action).await
        }
        Command::Keys { action } => {
            init_tracing(&config);
            keys(&config, action).await
        }
        Command::Serve => {
            init_tracing(&config);
            serve(config).await
        }
    }
}

async fn import_files(config: &Config, files: &[PathBuf]) -> Result<ImportReport, StartupError> {
    let mut bundle = content::Bundle::default();
    let mut markdown = Vec::new();
    // Which file defined each slug and key, to name both files of a duplicate.
    let mut defined: std::collections::HashMap<(&'static str, String), String> = std::collections::HashMap::new();
    for file in files {
        let text = tokio::fs::read_to_string(file).await?;
        let name = file.display().to_string();
        if file.extension().is_some_and(|e| e.eq_ignore_ascii_case("md")) {
            let read = content::markdown::from_markdown(&text).map_err(|errors| StartupError::Content {
                file: name.clone(),
                message: lines(&errors),
            })?;
            markdown.push((name, read));
            continue;
        }
        let part = content::Bundle::from_yaml(&text).map_err(|err| StartupError::Content {
            file: name.clone(),
            message: err.to_string(),
        })?;
        for key in part.keys() {
            if let Some(first) = defined.get(&key) {
                return Err(StartupError::Content {
                    file: name,
                    message: format!("{} `{}` is defined in {first} too", key.0, key.1),
                });
            }
            defined.insert(key, name.clone());
        }
        bundle.extend(part);
    }
    let metrics = Arc::new(Metrics::default());
    let db = store::db::connect(&config.database_url, 1, metrics).await?;
    store::db::migrate(&db).await?;
    let rules = editorial::lint::Rules::load(config.lint_rules.as_deref())?;
    Ok(editorial::import::import_files(&db, bundle, markdown, &rules, &store::write::Followers::none()).await?)
}

/// One problem per line, for the terminal.
fn lines(errors: &[content::markdown::LineError]) -> String {
    errors.iter().map(|e| format!("\n  {e}")).collect::<Vec<_>>().concat()
}

async fn export_markdown(config: &Config, slug: &str, locale: &str) -> Result<String, StartupError> {
    let metrics = Arc::new(Metrics::default());
    let db = store::db::connect(&config.database_url, 1, metrics).await?;
    store::db::migrate(&db).await?;
    editorial::import::export_markdown(&db, slug, locale)
        .await
        .map_err(|err| StartupError::Content {
            file: slug.to_owned(),
            message: err.to_string(),
        })
}

async fn keys(config: &Config, action: KeysCommand) -> Result<(), StartupError> {
    let metrics = Arc::new(Metrics::default());
    let db = store::db::connect(&config.database_url, 1, metrics).await?;
    store::db::migrate(&db).await?;
    let mut out = std::io::stdout().lock();
    let show = |key: &entity::api_key::Model| {
        let revoked = key.revoked_at.map(|at| format!("revoked {}", at.to_rfc3339()));
        format!(
            "{}  {}…  {:<10}  {}  created {}{}",
            key.id,
            key.prefix,
            key.role.as_str(),
            key.name,
            key.created_at.to_rfc3339(),
            revoked.map(|r| format!("  {r}")).unwrap_or_default()
        )
    };
    match action {
        KeysCommand::Create {
            role,
            name,
            supervisor,
            article,
        } => {
            let (key, token) =
                editorial::auth::create_key_with(&db, role, &name, supervisor.as_deref(), article.as_deref()).await?;
            writeln!(out, "{}", show(&key))?;
            writeln!(
                out,
                "token (shown only now; send it as `Authorization: Bearer <token>`):"
            )?;
            writeln!(out, "{token}")?;
        }
        KeysCommand::List => {
            for key in editorial::auth::list_keys(&db).await? {
                writeln!(out, "{}", show(&key))?;
            }
        }
        KeysCommand::Revoke { key } => {
            let key = editorial::auth::revoke_key(&db, &key).await?;
            writeln!(out, "{}", show(&key))?;
        }
    }
    Ok(())
}

async fn operations(config: &Config, action: OperationsCommand) -> Result<(), StartupError> {
    let metrics = Arc::new(Metrics::default());
    let db = store::db::connect(&config.database_url, 1, metrics).await?;
    store::db::migrate(&db).await?;
    let mut out = std::io::stdout().lock();
    match action {
        OperationsCommand::Add { files } => {
            for file in files {
                let text = std::fs::read_to_string(&file)?;
                let name = file.display().to_string();
                let hash = http::documents::register(&db, &name, &text)
                    .await
                    .map_err(|err| StartupError::Content {
                        file: name.clone(),
                        message: err.to_string(),
                    })?;
                writeln!(out, "{hash}  {name}")?;
            }
        }
        OperationsCommand::List => {
            use sea_orm::{EntityTrait, QueryOrder};
            let rows = entity::trusted_document::Entity::find()
                .order_by_asc(entity::trusted_document::Column::CreatedAt)
                .all(&db)
                .await?;
            for row in rows {
                writeln!(out, "{}  {}", row.hash, row.name.unwrap_or_default())?;
            }
        }
    }
    Ok(())
}

fn init_tracing(config: &Config) {
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
async fn serve(config: Config) -> Result<(), StartupError> {
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
