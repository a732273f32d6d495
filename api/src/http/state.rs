//! The state every handler shares.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;

use crate::delivery::ordered::Shapes;
use crate::editorial::auth::{AuthFailures, KeyLimits};
use crate::graphql::KijiSchema;
use crate::http::documents::Documents;
use crate::metrics::Metrics;
use crate::store::cache::ResponseCache;

/// Shared by all requests; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Public answers kept in memory, invalidated by the change log.
    pub cache: Arc<ResponseCache>,
    /// What a write in this process wakes before it returns.
    pub followers: crate::store::write::Followers,
    /// `Cache-Control` of public answers; `None` sends `no-store`.
    pub caching: Option<axum::http::HeaderValue>,
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The GraphQL schema.
    pub schema: KijiSchema,
    /// Process counters.
    pub metrics: Arc<Metrics>,
    /// Documents by hash: persisted queries, trusted documents, parsed forms.
    pub documents: Arc<Documents>,
    /// The schema's types, for writing answers in the order of the query.
    pub shapes: Arc<Shapes>,
    /// Permits for requests in flight (`--max-in-flight`).
    pub admission: Arc<Semaphore>,
    /// Requests per API key (`--key-rate-limit`).
    pub key_limits: Arc<KeyLimits>,
    /// Failed authentications per client address (`--auth-failure-limit`).
    pub auth_failures: Arc<AuthFailures>,
    /// Where the client's address is read (`--client-ip-header`); the TCP
    /// peer when `None`.
    pub client_ip_header: Option<axum::http::HeaderName>,
    /// Where articles are read (`--public-url-template`).
    pub urls: crate::content::urls::PublicUrls,
    /// Sitemaps built at the current change-log position.
    pub sitemaps: Arc<crate::delivery::sitemap::Built>,
    /// Where images' bytes are kept (`--media-store`).
    pub media_store: crate::store::objects::MediaStore,
    /// What partner keys read, per key and day.
    pub usage: Arc<crate::store::usage::Usage>,
}
