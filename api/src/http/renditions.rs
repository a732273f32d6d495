//! An article in other formats than a GraphQL answer, each built from a
//! fixed GraphQL query run for the sender (same keys, licences and cache):
//!
//! - `GET /articles/{slug}/jsonld` — schema.org JSON-LD (`jsonLd`);
//!
//! `?locale=` picks the locale, as the `locale` argument does. Answers carry
//! a strong `ETag` of their own bytes and answer `If-None-Match` with 304.

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::graphql::{error_response, run_fixed};
use crate::error::code;
use crate::http::state::AppState;

/// The query behind `/articles/{slug}/jsonld`.
const JSON_LD: &str = "query ArticleJsonLd($slug: String!, $locale: Locale) { \
                       article(slug: $slug, locale: $locale) { jsonLd } }";

/// `?locale=`
#[derive(Debug, serde::Deserialize)]
pub struct LocaleParam {
    locale: Option<String>,
}

/// `GET /articles/{slug}/jsonld`
pub async fn json_ld(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(params): Query<LocaleParam>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let variables = json!({ "slug": slug, "locale": params.locale });
    let answered = run_fixed(&state, &parts.headers, &parts.extensions, JSON_LD, variables).await;
    let (data, inner) = match article_data(answered).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let body = serde_json::to_vec(&data["article"]["jsonLd"]).unwrap_or_default();
    respond(&parts.headers, &inner, "application/ld+json", body)
}

/// The `data` of a fixed query's answer and its headers; the answer's
/// errors as a response of their own (`NOT_FOUND` when the article is
/// not there for this sender).
async fn article_data(answered: Response) -> Result<(Value, HeaderMap), Response> {
    let (parts, body) = answered.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Err(error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                code::INTERNAL,
                "the answer could not be read",
            ));
        }
    };
    let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if let Some(error) = answer["errors"].get(0) {
        let code = error["extensions"]["code"]
            .as_str()
            .unwrap_or(code::INTERNAL)
            .to_owned();
        let status = match code.as_str() {
            "NOT_FOUND" => StatusCode::NOT_FOUND,
            "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
            "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
            "INTERNAL" => StatusCode::INTERNAL_SERVER_ERROR,
            _ if parts.status.is_success() => StatusCode::BAD_REQUEST,
            _ => parts.status,
        };
        let message = error["message"].as_str().unwrap_or("the request failed").to_owned();
        let mut response = error_response(status, &code, &message);
        if let Some(after) = parts.headers.get(header::RETRY_AFTER) {
            response.headers_mut().insert(header::RETRY_AFTER, after.clone());
        }
        return Err(response);
    }
    if answer["data"]["article"].is_null() {
        return Err(error_response(StatusCode::NOT_FOUND, "NOT_FOUND", "no such article"));
    }
    Ok((answer["data"].clone(), parts.headers))
}

/// `body` as `content_type`, with its own strong `ETag`, the caching and
/// `Vary` headers of the answer it was built from, and 304 for a matching
/// `If-None-Match`.
fn respond(request: &HeaderMap, inner: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    let etag = format!("\"{}\"", URL_SAFE_NO_PAD.encode(&Sha256::digest(&body)[..18]));
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Response::new(Body::from(body));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    for name in [
        header::CACHE_CONTROL,
        header::VARY,
        header::HeaderName::from_static("cdn-cache-control"),
        header::HeaderName::from_static("surrogate-key"),
        header::HeaderName::from_static("cache-tag"),
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
    ] {
        if let Some(value) = inner.get(&name) {
            headers.insert(name, value.clone());
        }
    }
    response
}
