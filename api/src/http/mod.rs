//! HTTP routes: GraphQL and GraphiQL, health checks, metrics; and the
//! layers every answer goes through: CORS, compression, the time limit.

pub mod documents;
mod graphiql;
mod graphql;
mod health;
mod media;
mod params;
pub mod renditions;
pub mod sitemaps;
pub mod state;
mod subscriptions;
mod uploads;

pub use graphiql::FIRST_QUERY;

use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate as _, SizeAbove};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::config::Config;

use crate::error::code;
use crate::http::state::AppState;

/// Largest accepted GraphQL request body: documents are small, and a large
/// body is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Responses smaller than this are sent as they are: compressing them
/// costs more than the bytes it saves.
const COMPRESS_ABOVE_BYTES: u16 = 1024;

/// The application's router. `/metrics` is on it unless `--metrics-listen`
/// puts it on an address of its own ([`metrics_router`]).
pub fn router(state: AppState, config: &Config) -> Router {
    let mut routes = Router::new()
        .route("/", get(graphiql::page))
        .route("/graphiql/{version}/{file}", get(graphiql::asset))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(subscriptions::ws))
        .route("/articles/{slug}/jsonld", get(renditions::json_ld))
        .route("/articles/{slug}/embed", get(renditions::embed))
        .route("/feeds/{locale}/{file}", get(renditions::feed))
        .route("/partner/{token}/articles/{slug}/embed", get(renditions::partner_embed))
        .route("/partner/{token}/feeds/{locale}/{file}", get(renditions::partner_feed))
        .route("/media/{id}/{file}", get(media::variant))
        .route("/sitemap.xml", get(sitemaps::index))
        .route("/sitemaps/{file}", get(sitemaps::file))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));
    if config.metrics_listen.is_none() {
        routes = routes.route("/metrics", get(metrics).with_state(MetricsAccess::of(&state, config)));
    }
    routes
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(config.request_timeout(), time_limit))
        .layer(
            CompressionLayer::new()
                .br(true)
                .gzip(true)
                // GraphiQL's scripts and styles are compressed once by
                // their handler, not on every request here.
                .compress_when(
                    SizeAbove::new(COMPRESS_ABOVE_BYTES)
                        .and(NotForContentType::IMAGES)
                        .and(NotForContentType::const_new("text/javascript"))
                        .and(NotForContentType::const_new("text/css")),
                ),
        )
        .layer(middleware::from_fn_with_state(state.clone(), admit))
        .layer(cors(&config.cors_origins))
        // Server errors are logged where they arise, with their cause; a
        // burst of 503 OVERLOADED must not flood the log at ERROR.
        .layer(TraceLayer::new_for_http().on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)))
        .with_state(state)
}

/// CORS for public reads: any origin by default, or only the configured
/// ones; never credentials (Kiji authenticates with bearer keys, not
/// cookies). Preflights are answered here and cached by browsers for a day.
fn cors(origins: &[HeaderValue]) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::AUTHORIZATION,
            header::IF_NONE_MATCH,
        ])
        .expose_headers([header::ETAG, header::RETRY_AFTER, header::CONTENT_LANGUAGE])
        .max_age(Duration::from_secs(24 * 60 * 60));
    if origins.is_empty() || origins.iter().any(|o| o == "*") {
        layer.allow_origin(AllowOrigin::any())
    } else {
        layer.allow_origin(AllowOrigin::list(origins.iter().cloned()))
    }
}

/// `/metrics` alone, for `--metrics-listen`.
pub fn metrics_router(state: &AppState, config: &Config) -> Router {
    Router::new()
        .route("/metrics", get(metrics).with_state(MetricsAccess::of(state, config)))
        .fallback(not_found)
}

/// What `/metrics` needs: the counters, and the token it asks for.
#[derive(Clone)]
struct MetricsAccess {
    metrics: std::sync::Arc<crate::metrics::Metrics>,
    token: Option<std::sync::Arc<str>>,
}

impl MetricsAccess {
    fn of(state: &AppState, config: &Config) -> Self {
        Self {
            metrics: state.metrics.clone(),
            token: config.metrics_token.as_deref().map(std::sync::Arc::from),
        }
    }
}

async fn metrics(State(access): State<MetricsAccess>, headers: axum::http::HeaderMap) -> Response {
    if let Some(token) = &access.token {
        use subtle::ConstantTimeEq as _;
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let same: bool = sent.as_bytes().ct_eq(token.as_bytes()).into();
        if !same {
            let mut response = graphql::error_response(
                StatusCode::UNAUTHORIZED,
                code::UNAUTHENTICATED,
                "/metrics needs `Authorization: Bearer <the --metrics-token>`",
            );
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        access.metrics.render(),
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

/// Counts every request and admits at most `--max-in-flight` at once
/// (health checks and metrics exempt). Beyond that, the answer is `503` with
/// `Retry-After` at once: a burst is turned away in microseconds instead of
/// queueing ever deeper, holding memory and answering late.
async fn admit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    state.metrics.http_request();
    if matches!(request.uri().path(), "/healthz" | "/readyz" | "/metrics") {
        return next.run(request).await;
    }
    let Ok(_permit) = state.admission.clone().try_acquire_owned() else {
        state.metrics.overloaded();
        let mut response = graphql::error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            code::OVERLOADED,
            "too many requests in flight; retry after the time in Retry-After",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    let _counted = state.metrics.in_flight();
    next.run(request).await
}
