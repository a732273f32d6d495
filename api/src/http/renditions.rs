//! An article in other formats than a GraphQL answer, each built from a
//! fixed GraphQL query run for the sender (same keys, licences and cache):
//!
//! - `GET /articles/{slug}/jsonld` — schema.org JSON-LD (`jsonLd`);
//! - `GET /articles/{slug}/embed` — the article as a whole HTML page
//!   (`content::html`) a partner's site can frame, with no script and
//!   nothing fetched from elsewhere;
//! - `GET /feeds/{locale}/atom.xml` and `/feeds/{locale}/feed.json` — the
//!   newest published articles as Atom and JSON Feed 1.1, `?category=` for
//!   one series.
//!
//! Under `/partner/{token}/…` the same routes answer as that partner's
//! feed token (a PARTNER key made for URLs, revocable like any key): feed
//! readers and `<iframe>`s cannot send headers. `?locale=` picks the
//! locale, as the `locale` argument does. Answers carry a strong `ETag` of
//! their own bytes (and feeds `Last-Modified`), and conditional requests
//! get 304.

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

/// The fixed queries the renditions run, trusted like registered ones.
pub fn builtin_documents() -> [String; 3] {
    [JSON_LD.to_owned(), embed_query(), feed_query()]
}

/// The query behind `/articles/{slug}/embed`.
fn embed_query() -> String {
    format!(
        "query ArticleEmbed($slug: String!, $locale: Locale) {{ article(slug: $slug, locale: $locale) {{ {} jsonLd }} }} {}",
        crate::content::html::ARTICLE,
        crate::content::html::FRAGMENTS
    )
}

/// The query behind the feeds.
fn feed_query() -> String {
    format!(
        "query ArticleFeed($locale: Locale, $category: String) {{ \
           articles(first: 20, locale: $locale, filter: {{ category: $category, availableIn: $locale }}) {{ \
             nodes {{ id {} }} }} }} {}",
        crate::content::html::ARTICLE,
        crate::content::html::FRAGMENTS
    )
}

/// `?locale=` and, for feeds, `?category=`.
#[derive(Debug, serde::Deserialize)]
pub struct LocaleParam {
    locale: Option<String>,
    category: Option<String>,
}

/// The request's headers, answering as the feed token in the path when
/// there is one (and as no key otherwise: a key in a header is for
/// `/graphql`, a feed token for these routes alone).
fn as_token(headers: &HeaderMap, token: Option<&str>) -> HeaderMap {
    let mut headers = headers.clone();
    headers.remove(header::AUTHORIZATION);
    if let Some(token) = token
        && let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}"))
    {
        headers.insert(header::AUTHORIZATION, value);
    }
    headers
}

/// `GET /articles/{slug}/embed`
pub async fn embed(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(params): Query<LocaleParam>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    embed_as(&state, &parts.headers, &parts.extensions, &slug, params, false).await
}

/// `GET /partner/{token}/articles/{slug}/embed`
pub async fn partner_embed(
    State(state): State<AppState>,
    Path((token, slug)): Path<(String, String)>,
    Query(params): Query<LocaleParam>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let headers = as_token(&parts.headers, Some(&token));
    embed_as(&state, &headers, &parts.extensions, &slug, params, true).await
}

async fn embed_as(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
    slug: &str,
    params: LocaleParam,
    feed_token: bool,
) -> Response {
    let variables = json!({ "slug": slug, "locale": params.locale });
    let answered = run_fixed(state, headers, extensions, &embed_query(), variables, feed_token).await;
    let (data, inner) = match article_data(answered).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let article = &data["article"];
    let page = crate::content::html::document(article, Some(&article["jsonLd"]));
    let mut response = respond(headers, &inner, "text/html; charset=utf-8", page.into_bytes(), None);
    // Framed by any site; the page itself runs nothing and loads only
    // images. Kiji writes each `<img>` itself, pointing at its `/media/`
    // (relative, or under `--api-url`, which may be any https origin), and
    // every stored text is escaped, so no text can add an image of its own.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src 'self' https:; style-src 'unsafe-inline'; frame-ancestors *",
        ),
    );
    response
}

/// Which feed format.
#[derive(Debug, Clone, Copy)]
enum FeedFormat {
    Atom,
    Json,
}

/// `GET /feeds/{locale}/{file}`
pub async fn feed(
    State(state): State<AppState>,
    Path((locale, file)): Path<(String, String)>,
    Query(params): Query<LocaleParam>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let headers = as_token(&parts.headers, None);
    feed_as(
        &state,
        &headers,
        &parts.extensions,
        &locale,
        &file,
        params.category,
        false,
    )
    .await
}

/// `GET /partner/{token}/feeds/{locale}/{file}`
pub async fn partner_feed(
    State(state): State<AppState>,
    Path((token, locale, file)): Path<(String, String, String)>,
    Query(params): Query<LocaleParam>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let headers = as_token(&parts.headers, Some(&token));
    feed_as(
        &state,
        &headers,
        &parts.extensions,
        &locale,
        &file,
        params.category,
        true,
    )
    .await
}

async fn feed_as(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
    locale: &str,
    file: &str,
    category: Option<String>,
    feed_token: bool,
) -> Response {
    let format = match file {
        "atom.xml" => FeedFormat::Atom,
        "feed.json" => FeedFormat::Json,
        _ => return error_response(StatusCode::NOT_FOUND, "NOT_FOUND", "feeds are atom.xml and feed.json"),
    };
    let variables = json!({ "locale": locale, "category": category });
    let answered = run_fixed(state, headers, extensions, &feed_query(), variables, feed_token).await;
    let (parts, body) = answered.into_parts();
    let bytes = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if let Some(error) = answer["errors"].get(0) {
        let code = error["extensions"]["code"]
            .as_str()
            .unwrap_or(code::INTERNAL)
            .to_owned();
        let status = if parts.status.is_success() {
            StatusCode::BAD_REQUEST
        } else {
            parts.status
        };
        return error_response(status, &code, error["message"].as_str().unwrap_or("the request failed"));
    }
    let items = answer["data"]["articles"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // An item leaving the feed (unpublished, licence ended) changes it
    // without a newer `updatedAt`: the latest change counts too.
    let logged = latest_change_time(state).await;
    let updated = items
        .iter()
        .filter_map(|i| i["updatedAt"].as_str())
        .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .chain(logged)
        .max();
    let scope = category.as_deref().unwrap_or("all");
    let (content_type, body) = match format {
        FeedFormat::Atom => (
            "application/atom+xml; charset=utf-8",
            atom(locale, scope, &items, updated),
        ),
        FeedFormat::Json => ("application/feed+json; charset=utf-8", json_feed(locale, scope, &items)),
    };
    respond(headers, &parts.headers, content_type, body.into_bytes(), updated)
}

/// When the latest change was committed.
async fn latest_change_time(state: &AppState) -> Option<chrono::DateTime<chrono::Utc>> {
    let latest = crate::store::changes::latest(&state.db).await.ok()?;
    crate::store::changes::after(&state.db, latest - 1, 1)
        .await
        .ok()?
        .first()
        .map(|c| c.at)
}

/// The feed's id: a tag URI, stable for one series and locale.
fn feed_id(scope: &str, locale: &str) -> String {
    format!(
        "tag:kiji,2026:feed/{}/{}",
        crate::content::html::escape(scope),
        crate::content::html::escape(locale)
    )
}

fn atom(locale: &str, scope: &str, items: &[Value], updated: Option<chrono::DateTime<chrono::Utc>>) -> String {
    use crate::content::html::{escape, fragment};
    use std::fmt::Write as _;
    let updated = updated.unwrap_or(crate::store::clock::EARLIEST).to_rfc3339();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = write!(
        out,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\"><id>{}</id><title>{}</title><updated>{updated}</updated>\
         <author><name>Kiji</name></author><generator>Kiji</generator>",
        escape(locale),
        feed_id(scope, locale),
        escape(&format!("Kiji: {scope} ({locale})")),
    );
    for item in items {
        let text = |key: &str| escape(item[key].as_str().unwrap_or_default());
        let _ = write!(
            out,
            "<entry xml:lang=\"{}\"><id>tag:kiji,2026:article/{}/{}</id><title>{}</title><updated>{}</updated>",
            text("locale"),
            text("id"),
            text("locale"),
            text("title"),
            text("updatedAt"),
        );
        if item["publishedAt"].is_string() {
            let _ = write!(out, "<published>{}</published>", text("publishedAt"));
        }
        if let Some(url) = item["canonicalUrl"].as_str() {
            let _ = write!(
                out,
                "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
                escape(url)
            );
        }
        let _ = write!(
            out,
            "<summary>{}</summary><content type=\"html\">{}</content>",
            text("lead"),
            escape(&fragment(item))
        );
        if item["attribution"].is_string() {
            let _ = write!(out, "<rights>{}</rights>", text("attribution"));
        }
        out.push_str("</entry>");
    }
    out.push_str("</feed>\n");
    out
}

fn json_feed(locale: &str, scope: &str, items: &[Value]) -> String {
    let entries: Vec<Value> = items
        .iter()
        .map(|item| {
            let mut entry = json!({
                "id": format!("tag:kiji,2026:article/{}/{}", item["id"].as_str().unwrap_or_default(), item["locale"].as_str().unwrap_or_default()),
                "title": item["title"],
                "summary": item["lead"],
                "content_html": crate::content::html::fragment(item),
                "date_modified": item["updatedAt"],
                "language": item["locale"],
            });
            if item["publishedAt"].is_string() {
                entry["date_published"] = item["publishedAt"].clone();
            }
            if item["canonicalUrl"].is_string() {
                entry["url"] = item["canonicalUrl"].clone();
            }
            if let Some(attribution) = item["attribution"].as_str() {
                entry["_kiji"] = json!({ "attribution": attribution });
            }
            entry
        })
        .collect();
    json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": format!("Kiji: {scope} ({locale})"),
        "language": locale,
        "items": entries,
    })
    .to_string()
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
    let answered = run_fixed(&state, &parts.headers, &parts.extensions, JSON_LD, variables, false).await;
    let (data, inner) = match article_data(answered).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let body = serde_json::to_vec(&data["article"]["jsonLd"]).unwrap_or_default();
    respond(&parts.headers, &inner, "application/ld+json", body, None)
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

/// `body` as `content_type`, with its own strong `ETag` (and
/// `Last-Modified` when given), the caching and `Vary` headers of the
/// answer it was built from, and 304 for a matching `If-None-Match` (or,
/// without one, an `If-Modified-Since` no earlier than `last_modified`).
pub(crate) fn respond(
    request: &HeaderMap,
    inner: &HeaderMap,
    content_type: &'static str,
    body: Vec<u8>,
    last_modified: Option<chrono::DateTime<chrono::Utc>>,
) -> Response {
    let etag = format!("\"{}\"", URL_SAFE_NO_PAD.encode(&Sha256::digest(&body)[..18]));
    let http_date = |t: chrono::DateTime<chrono::Utc>| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let matches = match request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        Some(tags) => tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag || t == "*"),
        None => request
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            .zip(last_modified)
            .is_some_and(|(since, modified)| modified.timestamp() <= since.timestamp()),
    };
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
    if let Some(value) = last_modified.and_then(|t| HeaderValue::from_str(&http_date(t)).ok()) {
        headers.insert(header::LAST_MODIFIED, value);
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
