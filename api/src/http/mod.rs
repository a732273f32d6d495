//! HTTP routes: GraphQL and GraphiQL, health checks, metrics.

mod graphql;
mod health;

use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::error::code;
use crate::state::AppState;

/// Largest accepted GraphQL request body: documents are small, and a large
/// body is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The application's router.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    Router::new()
        .route("/", get(graphiql))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .layer(middleware::from_fn_with_state(request_timeout, time_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn graphiql() -> Html<String> {
    Html(
        async_graphql::http::GraphiQLSource::build()
            .endpoint("/graphql")
            .title("Kiji")
            .finish(),
    )
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> Response {
    graphql::error_response(
        StatusCode::NOT_FOUND,
        code::NOT_FOUND,
        "no such route; GraphQL is served at /graphql",
    )
}

/// Cuts a request off after `limit` with a JSON error (tower-http's timeout
/// answers with an empty body).
async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(?limit, "request timed out");
            graphql::error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                code::TIMEOUT,
                "the request took too long and was stopped",
            )
        }
    }
}

async fn count_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    state.metrics.http_request();
    next.run(request).await
}
