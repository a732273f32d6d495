//! The state every handler shares.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;

use crate::auth::{AuthFailures, KeyLimits};
use crate::cache::ResponseCache;
use crate::documents::Documents;
use crate::graphql::KijiSchema;
use crate::graphql::ordered::Shapes;
use crate::metrics::Metrics;

/// Shared by all requests; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Public answers kept in memory, invalidated by the change log.
    pub cache: Arc<ResponseCache>,
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
}

/// A bounded share of the blocking thread pool for CPU-heavy request work
/// (parsing large documents), so that such work never occupies the worker
/// threads that answer health checks and ordinary requests.
#[derive(Clone)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
}

impl CpuPool {
    /// A pool running at most `size` jobs at once.
    pub fn new(size: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(size.max(1))),
        }
    }

    /// Runs `job` on a blocking thread once a slot is free; `None` if it
    /// panicked. A caller that stops waiting (the request timed out) frees
    /// its slot only when the job ends: the slots bound the CPU in use.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let permit = self.permits.clone().acquire_owned().await.ok()?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .ok()
    }
}
