//! GraphQL over HTTP, following the GraphQL-over-HTTP specification
//! (<https://graphql.github.io/graphql-over-http/draft/>):
//!
//! - `POST /graphql` with `Content-Type: application/json`; `GET /graphql`
//!   with `query`, `operationName`, `variables` and `extensions` in the URL,
//!   for queries only (a mutation by GET is `405`).
//! - The response media type is negotiated from `Accept`:
//!   `application/graphql-response+json` or `application/json` (also for a
//!   missing `Accept`, as the specification asks of legacy clients). Neither
//!   acceptable: `406`.
//! - Under `application/graphql-response+json`, a request error (the document
//!   does not parse or validate: no `data` at all) is `400`; under
//!   `application/json` it is `200`, as the specification requires there.
//! - A body that is not a GraphQL request (bad JSON, no `query`, wrong types)
//!   is `400`; a wrong content type is `415`. Every error response carries a
//!   JSON `errors` list with `extensions.code`.
//!
//! async-graphql-axum's extractor answers such mistakes with plain-text
//! bodies and fixed statuses, hence this handler.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{ServerError, Variables};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::Arc;

use super::MAX_BODY_BYTES;
use super::params::{BadRequest, GraphqlParams};
use crate::delivery::locale::from_accept_language;
use crate::delivery::ordered;
use crate::delivery::tags::Tags;
use crate::editorial::auth::{AuthError, Principal, authenticate};
use crate::error::code;
use crate::graphql::AcceptLanguage;
use crate::graphql::node::NodeBudget;
use crate::http::documents::{DocumentError, Prepared, set_code};
use crate::http::state::AppState;
use crate::metrics::Outcome;
use crate::store::cache::{self, Cached, Coding};
use crate::store::db::Reader;
use crate::store::loaders::request_loader;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// Media type of the response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    /// `application/json`: always 200 for well-formed requests.
    Json,
    /// `application/graphql-response+json`: 4xx for request errors.
    GraphqlResponseJson,
}

impl MediaType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Json => APPLICATION_JSON,
            Self::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
        }
    }
}

/// An error response with a JSON `errors` body.
pub(super) fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(APPLICATION_JSON)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body.to_string(),
    )
        .into_response()
}

/// Picks the response media type from `Accept`, or `None` when neither JSON
/// type is acceptable.
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Some(MediaType::Json);
    };
    let Ok(accept) = accept.to_str() else {
        return None;
    };
    if accept.trim().is_empty() {
        return Some(MediaType::Json);
    }
    let mut best: Option<(f32, MediaType)> = None;
    for range in accept.split(',') {
        let mut params = range.split(';');
        let essence = params.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = params
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let media = match essence.as_str() {
            GRAPHQL_RESPONSE_JSON => MediaType::GraphqlResponseJson,
            APPLICATION_JSON | "application/*" | "*/*" => MediaType::Json,
            _ => continue,
        };
        if q <= 0.0 {
            continue;
        }
        // On equal quality the specification's preferred type wins.
        let better = match best {
            None => true,
            Some((best_q, best_media)) => {
                q > best_q || (q == best_q && media == MediaType::GraphqlResponseJson && best_media == MediaType::Json)
            }
        };
        if better {
            best = Some((q, media));
        }
    }
    best.map(|(_, media)| media)
}

/// The client's address: from `--client-ip-header` when the operator set
/// one, else the TCP peer; the unspecified address when neither is known
/// (an embedding that serves without connection info), so such clients
/// share one limit rather than escape it.
fn client_address(state: &AppState, headers: &HeaderMap, extensions: &axum::http::Extensions) -> std::net::IpAddr {
    // The last address of a list is the one the operator's proxy added
    // (`X-Forwarded-For`); the ones before it are the client's to write.
    let from_header = state.client_ip_header.as_ref().and_then(|name| {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .rsplit(',')
            .next()?
            .trim()
            .parse()
            .ok()
    });
    from_header
        .or_else(|| {
            extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip())
        })
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// `POST /graphql`
pub async fn post(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let client = client_address(&state, &parts.headers, &parts.extensions);
    let headers = parts.headers;
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let multipart = essence == "multipart/form-data";
    let limit = if multipart {
        // Only a key that may upload is let past the JSON body's limit.
        if let Err(response) = super::uploads::may_upload(&state, &headers).await {
            return response;
        }
        super::uploads::MAX_REQUEST_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let body = match read_body(&headers, body, limit).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    if multipart {
        return match super::uploads::params(&content_type, &body).await {
            Ok(params) => execute(&state, &headers, client, media, params, false, false).await,
            Err(message) => error_response(StatusCode::BAD_REQUEST, code::BAD_REQUEST, &message),
        };
    }
    if essence != APPLICATION_JSON {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::BAD_REQUEST,
            "send the GraphQL request as `Content-Type: application/json` (or `multipart/form-data` with files)",
        );
    }
    let params = match serde_json::from_slice::<Value>(&body) {
        Ok(json) => GraphqlParams::from_json(json),
        Err(err) => Err(BadRequest(format!("the request body is not valid JSON ({err})"))),
    };
    match params {
        Ok(params) => execute(&state, &headers, client, media, params, false, false).await,
        Err(BadRequest(message)) => error_response(StatusCode::BAD_REQUEST, code::BAD_REQUEST, &message),
    }
}

/// Reads a request body of at most `limit` bytes. A declared length
/// over the limit is refused before reading anything, so the client gets its
/// answer at once instead of after sending (or timing out on) the whole body.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Response> {
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            code::BAD_REQUEST,
            &format!("the request body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|err| {
        let over_limit =
            std::error::Error::source(&err).is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
        if over_limit {
            too_large()
        } else {
            error_response(
                StatusCode::BAD_REQUEST,
                code::BAD_REQUEST,
                "the request body could not be read",
            )
        }
    })
}

/// Runs the fixed query `query` with `variables` for the sender of
/// `headers`, as `GET /graphql` would (the same keys, limits and response
/// cache): what the routes that answer in other formats (JSON-LD, HTML,
/// feeds) are built on. Answers in identity coding.
pub(super) async fn run_fixed(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
    query: &str,
    variables: Value,
    feed_token: bool,
) -> Response {
    let client = client_address(state, headers, extensions);
    let mut headers = headers.clone();
    headers.remove(header::ACCEPT_ENCODING);
    headers.remove(header::IF_NONE_MATCH);
    headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    let params = GraphqlParams {
        query: Some(query.to_owned()),
        operation_name: None,
        variables: Some(variables),
        persisted_hash: None,
        uploads: Vec::new(),
    };
    execute(state, &headers, client, MediaType::Json, params, true, feed_token).await
}

/// `GET /graphql`
pub async fn get(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let client = client_address(&state, &parts.headers, &parts.extensions);
    let (headers, uri): (HeaderMap, Uri) = (parts.headers, parts.uri);
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    match GraphqlParams::from_url(&uri) {
        Ok(params) => execute(&state, &headers, client, media, params, true, false).await,
        Err(BadRequest(message)) => error_response(StatusCode::BAD_REQUEST, code::BAD_REQUEST, &message),
    }
}

fn not_acceptable() -> Response {
    error_response(
        StatusCode::NOT_ACCEPTABLE,
        code::BAD_REQUEST,
        "accept `application/graphql-response+json` or `application/json`",
    )
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    client: std::net::IpAddr,
    media: MediaType,
    params: GraphqlParams,
    is_get: bool,
    feed_token: bool,
) -> Response {
    // Two `Authorization` headers are ambiguous: neither is taken.
    let mut sent = headers.get_all(header::AUTHORIZATION).iter();
    let authorization = match (sent.next(), sent.next()) {
        (Some(_), Some(_)) => return refused(&AuthError::Invalid),
        (first, None) => first.map(HeaderValue::as_bytes),
        (None, Some(_)) => None,
    };
    if let Some(presented) = authorization
        && let Err(err) = state.auth_failures.check(client, presented)
    {
        return refused(&err);
    }
    let principal = match authenticate(&state.db, authorization).await {
        Ok(principal) => {
            if let Some(presented) = authorization {
                state.auth_failures.succeeded(presented);
            }
            principal
        }
        Err(AuthError::Invalid) => {
            return refused(&state.auth_failures.failed(client).err().unwrap_or(AuthError::Invalid));
        }
        Err(err) => return refused(&err),
    };
    // A feed token opens feed and embed URLs and nothing else; those URLs
    // take nothing else.
    if principal.feed_only() != feed_token {
        return refused(&state.auth_failures.failed(client).err().unwrap_or(AuthError::Invalid));
    }
    if let Err(err) = state.key_limits.check(&principal) {
        return refused(&err);
    }
    let mut timer = state.metrics.graphql_timer();
    let prepared = match state
        .documents
        .resolve(params.query, params.persisted_hash, principal.is_public())
        .await
    {
        Ok(prepared) => prepared,
        Err(DocumentError::NoQuery) => {
            timer.finish(Outcome::rejected, 1);
            return error_response(StatusCode::BAD_REQUEST, code::BAD_REQUEST, "the request has no `query`");
        }
        Err(DocumentError::Refused(err)) => {
            timer.finish(Outcome::rejected, 1);
            return respond_errors(media, &[err]);
        }
    };
    let doc = &prepared.doc;
    // Only a trusted document's operations become metrics labels: their
    // names are the operator's, few, and say nothing of what editors send.
    // Everything else is counted under one label.
    if prepared.trusted() {
        let defined = match (&doc.operations, params.operation_name.as_deref()) {
            (DocumentOperations::Multiple(ops), Some(name)) => ops.contains_key(name).then_some(name),
            (DocumentOperations::Multiple(_), None) => single_operation_name(doc),
            (DocumentOperations::Single(_), _) => None,
        };
        timer.operation(defined.unwrap_or("anonymous"));
    }
    if is_get && selected_operation_type(doc, params.operation_name.as_deref()) == Some(OperationType::Mutation) {
        timer.finish(Outcome::rejected, 1);
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            code::BAD_REQUEST,
            "mutations must be sent with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }

    let mut variables = params.variables.unwrap_or_else(|| Value::Object(Map::new()));
    ordered::with_defaults(doc, params.operation_name.as_deref(), &mut variables);
    if let Err(message) = super::uploads::check_file_references(doc, &variables, params.uploads.len()) {
        return error_response(StatusCode::BAD_REQUEST, code::BAD_REQUEST, &message);
    }
    let uploads = params.uploads;
    let accept_language = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(from_accept_language)
        .unwrap_or_default();
    let operation = params.operation_name.as_deref();
    let is_query = selected_operation_type(doc, operation) == Some(OperationType::Query);
    if !principal.is_public() {
        // Keyed answers may hold drafts: never cached, never shared.
        let partner = match &principal {
            Principal::Key {
                id,
                partner: Some(partner),
                ..
            } => Some((*id, *partner)),
            _ => None,
        };
        let answer = run(
            state,
            &prepared,
            operation,
            variables,
            accept_language,
            principal,
            uploads,
        )
        .await;
        if let Some((key, partner)) = partner {
            let articles = match &answer {
                Answer::Data { keys, .. } => keys.iter().filter(|k| k.starts_with("article:")).count(),
                _ => 0,
            };
            state.usage.record(key, partner, articles);
            state.metrics.partner_request(partner, articles);
        }
        return answered_privately(media, timer, answer);
    }
    if !(is_query && state.cache.usable()) {
        let answer = run(
            state,
            &prepared,
            operation,
            variables,
            accept_language,
            principal,
            Vec::new(),
        )
        .await;
        return answered(state, headers, media, timer, &answer);
    }
    let locales: Vec<&str> = accept_language.iter().map(|l| l.as_str()).collect();
    let key = cache::key(&prepared.hash, operation, &variables, &locales.join(","), "public");
    if let Some(hit) = state.cache.get(&key).await {
        timer.finish(Outcome::ok, 0);
        return respond_cached(state, headers, media, &hit);
    }
    let generation = state.cache.generation();
    let computed = state
        .cache
        .get_with(key, async {
            match run(
                state,
                &prepared,
                operation,
                variables,
                accept_language,
                Principal::Public,
                Vec::new(),
            )
            .await
            {
                // Only whole answers computed without a change arriving
                // meanwhile are kept.
                Answer::Data { body, errors: 0, keys } if state.cache.still(generation) => {
                    Ok(Arc::new(Cached::new(body, keys)))
                }
                other => Err(other),
            }
        })
        .await;
    match computed {
        Ok(cached) => {
            timer.finish(Outcome::ok, 0);
            respond_cached(state, headers, media, &cached)
        }
        Err(answer) => answered(state, headers, media, timer, &answer),
    }
}

/// The answer to credentials that were refused.
fn refused(err: &AuthError) -> Response {
    match err {
        AuthError::Invalid => {
            let mut response = error_response(StatusCode::UNAUTHORIZED, code::UNAUTHENTICATED, &err.to_string());
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
        AuthError::RateLimited { retry_after } => {
            let mut response = error_response(StatusCode::TOO_MANY_REQUESTS, code::RATE_LIMITED, &err.to_string());
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            response
        }
        AuthError::Database(_) => {
            tracing::error!(error = %err, "could not check an API key");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL, "internal error")
        }
    }
}

/// Sends an answer for a key: `no-store`, whatever it holds.
fn answered_privately(media: MediaType, timer: crate::metrics::GraphqlTimer<'_>, answer: Answer) -> Response {
    match answer {
        Answer::RequestError(errors) => {
            timer.finish(Outcome::rejected, errors.len());
            respond_errors(media, &errors)
        }
        Answer::Data { body, errors, .. } => {
            timer.finish(if errors == 0 { Outcome::ok } else { Outcome::partial }, errors);
            let mut response = respond(media, body, false);
            // Drafts: no shared cache may keep this, whatever it is told
            // for public answers (a CDN honours its own header first).
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            headers.insert("cdn-cache-control", HeaderValue::from_static("no-store"));
            response
        }
        Answer::Failed => error_response(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL, "internal error"),
    }
}

/// Sends an answer that is not (or not yet) in the cache.
fn answered(
    state: &AppState,
    headers: &HeaderMap,
    media: MediaType,
    timer: crate::metrics::GraphqlTimer<'_>,
    answer: &Answer,
) -> Response {
    match answer {
        Answer::RequestError(errors) => {
            timer.finish(Outcome::rejected, errors.len());
            respond_errors(media, errors)
        }
        Answer::Data { body, errors: 0, keys } => {
            timer.finish(Outcome::ok, 0);
            respond_cached(state, headers, media, &Cached::new(body.clone(), keys.clone()))
        }
        Answer::Data { body, errors, .. } => {
            timer.finish(Outcome::partial, *errors);
            respond(media, body.clone(), false)
        }
        Answer::Failed => error_response(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL, "internal error"),
    }
}

/// Sends a whole public answer with its validators and caching headers:
/// a strong `ETag` per encoding (and `304` when the client has it),
/// `Cache-Control`, `Vary`, and the surrogate keys a CDN purges by.
fn respond_cached(state: &AppState, headers: &HeaderMap, media: MediaType, cached: &Cached) -> Response {
    let accept_encoding = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok());
    let coding = Coding::negotiate(accept_encoding, cached.body.len());
    let etag = cached.etag_header(coding);
    let not_modified = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag.as_bytes() == etag.as_bytes() || tag == "*");
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = (StatusCode::OK, cached.encoded(coding)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(media.as_str()));
        if let Some(name) = coding.header() {
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
        }
        response
    };
    let out = response.headers_mut();
    out.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language, Accept-Encoding, Authorization"),
    );
    out.insert(header::ETAG, etag.clone());
    out.insert(
        header::CACHE_CONTROL,
        state
            .caching
            .clone()
            .unwrap_or_else(|| HeaderValue::from_static("no-store")),
    );
    if let Some((surrogate_key, cache_tag)) = &cached.key_headers {
        out.insert("surrogate-key", surrogate_key.clone());
        out.insert("cache-tag", cache_tag.clone());
    }
    response
}

/// What running a document produced.
enum Answer {
    /// The document could not run (no `data` entry): these errors.
    RequestError(Vec<ServerError>),
    /// An answer with `data`, written in query order, how many errors it
    /// lists, and the keys of what it shows.
    Data {
        body: Vec<u8>,
        errors: usize,
        keys: Vec<String>,
    },
    /// The answer could not be written (logged).
    Failed,
}

/// Whether the operation to run reads only (a mutation's reads use the
/// pool, beside the connections its writes take).
fn is_query(doc: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let operation = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.is_some_and(|op| op.node.ty == OperationType::Query)
}

/// Runs `prepared` with a fresh loader and writes the answer.
async fn run(
    state: &AppState,
    prepared: &Prepared,
    operation_name: Option<&str>,
    variables: Value,
    accept_language: Vec<crate::locale::Locale>,
    principal: Principal,
    uploads: Vec<async_graphql::UploadValue>,
) -> Answer {
    // async-graphql consumes its copy; the writer orders the answer by ours.
    let mut request = async_graphql::Request::new(&*prepared.text);
    request.set_parsed_query(prepared.doc.clone());
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    request = request.variables(Variables::from_json(variables.clone()));
    request.uploads = uploads;
    // Only the public's queries hold a connection: they are short, and
    // many. A key's query can run long (lint work over a thousand
    // articles), and ten such would hold the whole pool.
    let reader = Arc::new(if principal.is_public() && is_query(&prepared.doc, operation_name) {
        Reader::for_query(state.db.clone(), state.metrics.clone())
    } else {
        Reader::pooled(state.db.clone())
    });
    let (loader, batches) = request_loader(reader.clone());
    let tags = Arc::new(Tags::default());
    let request = request
        .data(reader)
        .data(loader)
        .data(AcceptLanguage(accept_language))
        .data(NodeBudget::default())
        .data(principal)
        .data(crate::graphql::LicenceCell::default())
        .data(tags.clone());

    let mut response = batches.drive(state.schema.execute(request)).await;
    let request_error = !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    for err in &mut response.errors {
        let fallback = if err.path.is_empty() {
            code::GRAPHQL_VALIDATION_FAILED
        } else {
            // Field errors without a code come from async-graphql coercing an
            // argument (our resolvers always set one).
            code::BAD_USER_INPUT
        };
        set_code(err, fallback);
    }
    truncate_errors(&mut response.errors);
    if request_error {
        return Answer::RequestError(response.errors);
    }
    // Straight from async-graphql's values to bytes, in the order of the
    // selection set (see `graphql::ordered`).
    match ordered::write_response(&state.shapes, &prepared.doc, operation_name, &variables, &response) {
        Ok(body) => Answer::Data {
            body,
            errors: response.errors.len(),
            keys: tags.keys(),
        },
        Err(err) => {
            tracing::error!(error = %err, "response could not be serialized");
            Answer::Failed
        }
    }
}

/// The name of the only operation of a document, when it has one.
fn single_operation_name(doc: &ExecutableDocument) -> Option<&str> {
    match &doc.operations {
        DocumentOperations::Multiple(ops) if ops.len() == 1 => ops.keys().next().map(|name| name.as_str()),
        _ => None,
    }
}

/// Most errors one answer lists: a document with thousands of mistakes
/// gets the first ones and a count, not megabytes.
const MAX_ERRORS: usize = 50;

fn truncate_errors(errors: &mut Vec<ServerError>) {
    if errors.len() <= MAX_ERRORS {
        return;
    }
    let more = errors.len() - MAX_ERRORS;
    errors.truncate(MAX_ERRORS);
    let mut last = ServerError::new(format!("…and {more} more errors"), None);
    set_code(&mut last, code::GRAPHQL_VALIDATION_FAILED);
    errors.push(last);
}

/// The type of the operation a request would run, if it can be told.
fn selected_operation_type(doc: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    ordered::operation(doc, name).map(|op| op.ty)
}

/// A request error: no `data` entry at all, only `errors`.
fn respond_errors(media: MediaType, errors: &[ServerError]) -> Response {
    #[derive(serde::Serialize)]
    struct Body<'a> {
        errors: &'a [ServerError],
    }
    match serde_json::to_vec(&Body { errors }) {
        Ok(body) => respond(media, body, true),
        Err(_) => error_response(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL, "internal error"),
    }
}

/// Sends an answer that must not be cached: errors, partial answers.
fn respond(media: MediaType, body: Vec<u8>, request_error: bool) -> Response {
    let status = if request_error && media == MediaType::GraphqlResponseJson {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media.as_str()));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The body depends on both: caches must key on them.
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language, Authorization"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<MediaType> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        negotiate(&headers)
    }

    #[test]
    fn accept_negotiation_follows_quality_and_prefers_the_graphql_type_on_ties() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(MediaType::Json));
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Some(MediaType::GraphqlResponseJson)
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json"),
            Some(MediaType::GraphqlResponseJson)
        );
        assert_eq!(
            accept("application/graphql-response+json;q=0.5, application/json"),
            Some(MediaType::Json)
        );
        assert_eq!(accept("*/*"), Some(MediaType::Json));
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json;q=0"), None);
    }
}
