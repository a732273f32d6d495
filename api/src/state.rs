//! The state every handler shares.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::graphql::KijiSchema;
use crate::metrics::Metrics;

/// Shared by all requests; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The GraphQL schema.
    pub schema: KijiSchema,
    /// Process counters.
    pub metrics: Arc<Metrics>,
}
