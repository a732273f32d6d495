//! Server configuration: one clap struct, each option with an environment
//! variable fallback and a default, validated once at start-up.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::HeaderValue;
use clap::Parser;

use crate::delivery::limits::Limits;
use crate::locale::Locale;

/// Kiji: a GraphQL content API for medically supervised, multilingual columns.
#[derive(Debug, Clone, Parser)]
#[command(name = "kiji", version, about, long_about = None)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "KIJI_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Database to use: a SQLite file (`sqlite://path?mode=rwc`) or PostgreSQL
    /// (`postgres://user@host/db`).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://kiji.db?mode=rwc")]
    pub database_url: String,

    /// Maximum number of pooled database connections.
    #[arg(long, env = "KIJI_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,

    /// Locale used when a request names none (no `locale` argument and no
    /// Accept-Language header).
    #[arg(long, env = "KIJI_DEFAULT_LOCALE", default_value = "ja", value_parser = parse_locale)]
    pub default_locale: Locale,

    /// Locales to try, in order, after the requested ones and before an
    /// entity's source locale (comma-separated, e.g. `en,ja`).
    #[arg(long, env = "KIJI_FALLBACK_LOCALES", value_delimiter = ',', value_parser = parse_locale)]
    pub fallback_locales: Vec<Locale>,

    /// Where readers read an article on the clinic's site, for
    /// `canonicalUrl`, JSON-LD, feeds and the HTML rendition: a URL with
    /// `{slug}` and optionally `{locale}`
    /// (`https://clinic.example/{locale}/columns/{slug}`), or
    /// `LOCALE=URL` for one locale; comma-separated or repeated.
    #[arg(long, env = "KIJI_PUBLIC_URL_TEMPLATE", value_delimiter = ',', value_parser = parse_template)]
    pub public_url_template: Vec<String>,

    /// Where clients reach this API (e.g. `https://api.clinic.example`),
    /// for the links of the sitemap index; by default taken from each
    /// request's `Host` (and `X-Forwarded-Proto`).
    #[arg(long, env = "KIJI_API_URL", value_parser = parse_api_url)]
    pub api_url: Option<String>,

    /// Send partners' webhooks from this instance (instances share the
    /// work); `false` leaves it to others.
    #[arg(long, env = "KIJI_WEBHOOKS", default_value_t = true, action = clap::ArgAction::Set)]
    pub webhooks: bool,

    /// The wait after a webhook's first failed attempt, in milliseconds;
    /// each next wait is four times longer (±25 %), up to six hours.
    #[arg(long, env = "KIJI_WEBHOOK_RETRY_BASE_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_retry_base_ms: u64,

    /// The longest a webhook receiver may take to answer, in milliseconds;
    /// a delivery claimed by an instance that died is sent again after
    /// twice this.
    #[arg(long, env = "KIJI_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=120_000))]
    pub webhook_timeout_ms: u64,

    /// Attempts before a webhook delivery is dead (an ADMIN can replay it).
    #[arg(long, env = "KIJI_WEBHOOK_MAX_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(i32).range(1..=30))]
    pub webhook_max_attempts: i32,

    /// Where this instance keeps its search index: a directory (built from
    /// the database when missing, then kept up to date), or `memory` to
    /// build it at every start. By default, a directory per database under
    /// `kiji-search/` in the working directory.
    #[arg(long, env = "KIJI_SEARCH_INDEX")]
    pub search_index: Option<String>,

    /// Where images' originals and variants are kept: `database` (the
    /// default), or an S3-compatible bucket, `s3://bucket[/prefix]`, for
    /// large libraries. Every instance must name the same.
    #[arg(long, env = "KIJI_MEDIA_STORE", default_value = "database")]
    pub media_store: String,

    /// The S3-compatible service's URL (MinIO, Cloudflare R2, …), addressed
    /// by path; AWS itself when unset.
    #[arg(long, env = "KIJI_MEDIA_STORE_ENDPOINT")]
    pub media_store_endpoint: Option<String>,

    /// The bucket's region; else `AWS_DEFAULT_REGION`, else `us-east-1`.
    #[arg(long, env = "AWS_REGION")]
    pub media_store_region: Option<String>,

    /// The access key id for the bucket.
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub media_store_key_id: Option<String>,

    /// The secret access key for the bucket; better given in the
    /// environment than on a command line others can list.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true, value_parser = parse_secret)]
    pub media_store_secret: Option<Secret>,

    /// Load the bundled sample content when the database holds no articles.
    #[arg(long, env = "KIJI_LOAD_SAMPLE", default_value_t = true, action = clap::ArgAction::Set)]
    pub load_sample: bool,

    /// Longest time one HTTP request may take, in seconds.
    #[arg(long, env = "KIJI_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// On SIGTERM or Ctrl-C, how long in-flight requests may take to finish,
    /// in seconds.
    #[arg(long, env = "KIJI_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,

    /// Log filter in `tracing` syntax, e.g. `info` or `kiji=debug,sqlx=warn`.
    #[arg(long, env = "KIJI_LOG", default_value = "info")]
    pub log: String,

    /// Origins whose pages may call the API from a browser (CORS),
    /// comma-separated, e.g. `https://clinic.example,https://app.example`;
    /// `*` allows any origin. Credentials are never allowed.
    #[arg(long, env = "KIJI_CORS_ORIGINS", value_delimiter = ',', default_value = "*", value_parser = parse_origin)]
    pub cors_origins: Vec<HeaderValue>,

    /// Most requests answered at once; beyond it Kiji answers `503` with
    /// `Retry-After` at once. Health checks and metrics are not counted.
    #[arg(long, env = "KIJI_MAX_IN_FLIGHT", default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_in_flight: u32,

    /// Log format: `text` for people, `json` for log collectors (one JSON
    /// object per line).
    #[arg(long, env = "KIJI_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Run only documents registered with `kiji operations add` (trusted
    /// documents): by their hash, or by their text.
    #[arg(long, env = "KIJI_TRUSTED_DOCUMENTS_ONLY", default_value_t = false, action = clap::ArgAction::Set)]
    pub trusted_documents_only: bool,

    /// Memory for the response cache, in MiB; 0 turns it off.
    #[arg(long, env = "KIJI_RESPONSE_CACHE_MB", default_value_t = 64)]
    pub response_cache_mb: u64,

    /// Memory for parsed documents kept by hash, in MiB, weighed by what
    /// they hold (a ColumnPage query holds about 34 kB parsed): some 450
    /// operations of that size at the default, far more than a
    /// deployment's clients send. Documents seen once do not push out the
    /// ones in use (the cache admits by frequency).
    #[arg(long, env = "KIJI_DOCUMENT_CACHE_MB", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    pub document_cache_mb: u64,

    /// `max-age` of public answers, in seconds (`Cache-Control`); 0 sends
    /// `no-store`.
    #[arg(long, env = "KIJI_CACHE_MAX_AGE", default_value_t = 60)]
    pub cache_max_age: u64,

    /// `stale-while-revalidate` of public answers, in seconds.
    #[arg(long, env = "KIJI_CACHE_STALE_WHILE_REVALIDATE", default_value_t = 300)]
    pub cache_stale_while_revalidate: u64,

    /// How often the response cache reads the change log when nothing woke
    /// it, in milliseconds. PostgreSQL wakes it with `NOTIFY` at once;
    /// this bounds how late it hears of writes it was not told about (a
    /// `kiji import` into the SQLite file, a lost listener).
    #[arg(long, env = "KIJI_CHANGE_POLL_MS", default_value_t = 1000)]
    pub change_poll_ms: u64,

    /// Requests one API key may send per minute (in bursts of as many);
    /// beyond it the answer is `429 RATE_LIMITED` with `Retry-After`. 0
    /// turns the limit off. Requests without a key are bounded by
    /// `--max-in-flight`.
    #[arg(long, env = "KIJI_KEY_RATE_LIMIT", default_value_t = 600)]
    pub key_rate_limit: u32,

    /// Failed authentications (unknown, malformed or revoked keys) one
    /// client address may make per minute, in bursts of as many; past it,
    /// every request from that address that sends a key is answered `429
    /// RATE_LIMITED` with `Retry-After`, without looking the key up.
    /// Requests without a key are not affected. 0 turns the limit off.
    #[arg(long, env = "KIJI_AUTH_FAILURE_LIMIT", default_value_t = 30)]
    pub auth_failure_limit: u32,

    /// Header that carries the client's address, set by the reverse proxy
    /// in front of Kiji (e.g. `x-real-ip`, `cf-connecting-ip`); without it
    /// the TCP peer's address counts. Set it only when every request comes
    /// through that proxy: a client could otherwise choose its address.
    #[arg(long, env = "KIJI_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<axum::http::HeaderName>,

    /// Serve `/metrics` on this address only (e.g. `127.0.0.1:9090`, or a
    /// private interface) instead of beside the API.
    #[arg(long, env = "KIJI_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Require `Authorization: Bearer <this token>` on `/metrics`
    /// (Prometheus: `authorization: { credentials: … }`).
    #[arg(long, env = "KIJI_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// The medical-advertising lint's rules: a YAML file in the form of
    /// the shipped `api/rules/medical-advertising.yaml` (which is used when
    /// this is left out).
    #[arg(long, env = "KIJI_LINT_RULES")]
    pub lint_rules: Option<std::path::PathBuf>,

    /// Limits on the work one GraphQL document may ask for.
    #[command(flatten)]
    pub limits: Limits,
}

impl Config {
    /// Configuration for tests and embedding: defaults, with the given database.
    pub fn with_database(database_url: impl Into<String>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.into(),
            db_max_connections: 5,
            default_locale: Locale::trusted("ja"),
            fallback_locales: Vec::new(),
            public_url_template: Vec::new(),
            api_url: None,
            webhooks: true,
            webhook_retry_base_ms: 5000,
            webhook_max_attempts: 8,
            webhook_timeout_ms: 10_000,
            search_index: Some("memory".to_owned()),
            media_store: "database".to_owned(),
            media_store_endpoint: None,
            media_store_region: None,
            media_store_key_id: None,
            media_store_secret: None,
            load_sample: true,
            request_timeout_secs: 30,
            shutdown_grace_secs: 30,
            log: "warn".to_owned(),
            limits: Limits::default(),
            cors_origins: vec![HeaderValue::from_static("*")],
            max_in_flight: 128,
            trusted_documents_only: false,
            response_cache_mb: 64,
            document_cache_mb: 16,
            cache_max_age: 60,
            cache_stale_while_revalidate: 300,
            change_poll_ms: 1000,
            key_rate_limit: 600,
            auth_failure_limit: 30,
            client_ip_header: None,
            metrics_listen: None,
            metrics_token: None,
            lint_rules: None,
            log_format: LogFormat::Text,
        }
    }

    /// The request timeout as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// Where images' bytes are kept (`--media-store`).
    pub fn media_store(&self) -> Result<crate::store::objects::MediaStore, crate::store::objects::ObjectError> {
        use crate::store::objects::{BucketConfig, MediaStore};
        match self.media_store.trim() {
            "" | "database" => Ok(MediaStore::Database),
            url => MediaStore::bucket(&BucketConfig {
                url: url.to_owned(),
                endpoint: self.media_store_endpoint.clone(),
                region: self.media_store_region.clone(),
                key_id: self.media_store_key_id.clone(),
                secret: self.media_store_secret.as_ref().map(|s| s.0.clone()),
            }),
        }
    }

    /// Where this instance keeps its search index.
    pub fn search_location(&self) -> crate::delivery::search::Location {
        use crate::delivery::search::{Location, default_dir};
        match self.search_index.as_deref().map(str::trim) {
            Some("memory") => Location::Memory,
            Some(dir) if !dir.is_empty() => Location::Dir(dir.into()),
            _ => Location::Dir(default_dir(std::path::Path::new("kiji-search"), &self.database_url)),
        }
    }

    /// How this instance sends webhooks.
    pub fn webhook_settings(&self) -> crate::delivery::webhooks::Settings {
        crate::delivery::webhooks::Settings {
            max_attempts: self.webhook_max_attempts,
            retry_base: Duration::from_millis(self.webhook_retry_base_ms),
            timeout: Duration::from_millis(self.webhook_timeout_ms),
            lease: Duration::from_millis(self.webhook_timeout_ms * 2 + 1000),
            ..crate::delivery::webhooks::Settings::default()
        }
    }

    /// The shutdown grace period as a duration.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (with colour only on a terminal).
    Text,
    /// One JSON object per line.
    Json,
}

/// `*`, or an origin: scheme, host and optional port, nothing more.
fn parse_origin(value: &str) -> Result<HeaderValue, String> {
    let value = value.trim();
    let is_origin = value == "*"
        || value.split_once("://").is_some_and(|(scheme, rest)| {
            matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains(['/', '?', '#', ' '])
        });
    if !is_origin {
        return Err(format!(
            "`{value}` is not an origin such as `https://clinic.example` (or `*`)"
        ));
    }
    HeaderValue::from_str(value).map_err(|err| err.to_string())
}

fn parse_template(value: &str) -> Result<String, String> {
    crate::content::urls::PublicUrls::parse(&[value.to_owned()])?;
    Ok(value.to_owned())
}

fn parse_api_url(value: &str) -> Result<String, String> {
    let value = value.trim().trim_end_matches('/');
    let ok = (value.starts_with("https://") || value.starts_with("http://"))
        && value.len() <= 200
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "`{value}` is not an http(s) URL, e.g. `https://api.clinic.example`"
        ))
    }
}

fn parse_locale(value: &str) -> Result<Locale, String> {
    Locale::parse(value).map_err(|err| err.to_string())
}

/// A secret from the command line or environment, never printed, even
/// where the configuration is (`Debug`).
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

fn parse_secret(value: &str) -> Result<Secret, String> {
    Ok(Secret(value.to_owned()))
}
