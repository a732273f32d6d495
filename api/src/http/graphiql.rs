//! GraphiQL at `/`, served entirely from the binary: the page, React and
//! GraphiQL's production builds (vendored under `api/assets/graphiql/`),
//! so nothing is fetched from another host.
//!
//! Asset URLs carry the GraphiQL version, so they can be cached for a year
//! as immutable; the page itself is small and revalidated. The assets are
//! compressed once, on first request, and served compressed to every client
//! that accepts gzip: compressing a megabyte of JavaScript per request
//! would cost CPU on every cache miss, outside the request limits.

use std::io::Write as _;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::error::code;

/// Version of the vendored GraphiQL; part of every asset URL.
pub const GRAPHIQL_VERSION: &str = "4.1.2";

/// The query GraphiQL opens with: the README's first query.
pub const FIRST_QUERY: &str = r#"{
  article(slug: "exosome-effects-and-side-effects", locale: "en") {
    title
    tableOfContents { heading children { heading } }
  }
}
"#;

/// The vendored files: URL name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
];

/// `GET /`: the GraphiQL page.
pub async fn page() -> Response {
    // JSON is a valid JavaScript string literal; `<` is escaped so the query
    // can never close the script element.
    let query = serde_json::to_string(FIRST_QUERY)
        .unwrap_or_else(|_| "\"\"".to_owned())
        .replace('<', "\\u003c");
    let base = format!("/graphiql/{GRAPHIQL_VERSION}");
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Kiji · GraphiQL</title>
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
  <link rel="stylesheet" href="{base}/graphiql.min.css">
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="{base}/react.production.min.js"></script>
  <script src="{base}/react-dom.production.min.js"></script>
  <script src="{base}/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({{ url: "/graphql" }});
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {{ fetcher, defaultQuery: {query} }})
    );
  </script>
</body>
</html>
"#
    );
    let mut response = Html(html).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The assets gzip-compressed, made once.
fn gzipped(index: usize) -> Option<&'static [u8]> {
    static GZIPPED: OnceLock<Vec<Option<Vec<u8>>>> = OnceLock::new();
    GZIPPED
        .get_or_init(|| {
            ASSETS
                .iter()
                .map(|(_, _, bytes)| {
                    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
                    encoder.write_all(bytes).ok()?;
                    encoder.finish().ok()
                })
                .collect()
        })
        .get(index)?
        .as_deref()
}

/// `GET /graphiql/{version}/{file}`: a vendored asset, cached for a year,
/// gzip-compressed for clients that accept it.
pub async fn asset(Path((version, file)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let found = ASSETS.iter().position(|(name, _, _)| *name == file);
    let Some(index) = found.filter(|_| version == GRAPHIQL_VERSION) else {
        return super::graphql::error_response(StatusCode::NOT_FOUND, code::NOT_FOUND, "no such GraphiQL asset");
    };
    let (_, content_type, bytes) = ASSETS[index];
    let accepts_gzip = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case("gzip") && !refused
        });
    let mut response = match gzipped(index).filter(|_| accepts_gzip) {
        Some(compressed) => {
            let mut response = compressed.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            response
        }
        None => bytes.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}
