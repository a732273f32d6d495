//! `GET /sitemap.xml` (a sitemap index) and `GET /sitemaps/{locale}-{page}.xml`
//! (`delivery::sitemap`), public, with a strong `ETag`, 304 on
//! `If-None-Match`, the public `Cache-Control` and the `articles`
//! surrogate key. A built file is kept until the change log moves (any
//! change may add, drop or re-date a URL), so crawlers asking again get
//! stored bytes.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::delivery::sitemap;
use crate::error::code;
use crate::http::state::AppState;

/// The API's own address as the request reached it.
fn base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(base) = state.sitemaps.base() {
        return base.to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

fn not_found(message: &str) -> Response {
    super::graphql::error_response(StatusCode::NOT_FOUND, code::NOT_FOUND, message)
}

fn failed(err: &sea_orm::DbErr) -> Response {
    tracing::error!(error = %err, "building a sitemap failed");
    super::graphql::error_response(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL, "internal error")
}

/// Answers with the file at `key`, built by `build` unless a copy made at
/// the current change-log position is kept.
async fn answer<F>(state: &AppState, headers: &HeaderMap, key: String, build: F) -> Response
where
    F: Future<Output = Result<Option<String>, sea_orm::DbErr>>,
{
    let position = state.cache.applied();
    let fresh = state.cache.following();
    let kept = state
        .sitemaps
        .get(&key)
        .filter(|(at, _)| fresh && position >= 0 && *at == position);
    let body = match kept {
        Some((_, body)) => body,
        None => match build.await {
            Ok(Some(xml)) => {
                let body = Arc::new(xml.into_bytes());
                if position >= 0 {
                    state.sitemaps.keep(key, position, body.clone());
                }
                body
            }
            Ok(None) => {
                return not_found("no such sitemap (sitemaps list the URLs `--public-url-template` gives)");
            }
            Err(err) => return failed(&err),
        },
    };
    let mut inner = HeaderMap::new();
    inner.insert(
        header::CACHE_CONTROL,
        state.caching.clone().unwrap_or(HeaderValue::from_static("no-store")),
    );
    inner.insert("surrogate-key", HeaderValue::from_static("articles"));
    if state.sitemaps.base().is_none() {
        // The index's links come from the request's Host: a shared cache
        // must not give one host's links to another.
        inner.insert(header::VARY, HeaderValue::from_static("host, x-forwarded-proto"));
    }
    inner.insert("cache-tag", HeaderValue::from_static("articles"));
    super::renditions::respond(headers, &inner, "application/xml; charset=utf-8", body.to_vec(), None)
}

/// `GET /sitemap.xml`
pub async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = base(&state, &headers);
    let key = format!("index {base}");
    let build = async {
        let files = sitemap::files(&state.db, &state.urls, chrono::Utc::now()).await?;
        // An index names at least one sitemap (the protocol's schema).
        Ok((!files.is_empty()).then(|| sitemap::index_xml(&base, &files)))
    };
    answer(&state, &headers, key, build).await
}

/// `GET /sitemaps/{locale}-{page}.xml`
pub async fn file(State(state): State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let parsed = file
        .strip_suffix(".xml")
        .and_then(|stem| stem.rsplit_once('-'))
        .and_then(|(locale, page)| Some((crate::locale::Locale::parse(locale).ok()?, page.parse::<u64>().ok()?)));
    let Some((locale, page)) = parsed else {
        return not_found("no such sitemap: the files are /sitemaps/{locale}-{page}.xml");
    };
    let key = format!("file {} {page}", locale.as_str());
    let build = sitemap::locale_xml(&state.db, &state.urls, locale.as_str(), page, chrono::Utc::now());
    answer(&state, &headers, key, build).await
}
