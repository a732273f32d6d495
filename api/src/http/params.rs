//! The parts of a GraphQL-over-HTTP request (JSON body, GET query string,
//! or a multipart request's operation), checked before anything runs.

use axum::http::Uri;
use serde_json::{Map, Value};

/// The parts of a GraphQL-over-HTTP request.
pub(super) struct GraphqlParams {
    /// The document; absent when a persisted-query hash names it.
    pub(super) query: Option<String>,
    /// The operation to run, when the document holds several.
    pub(super) operation_name: Option<String>,
    /// The variables, a JSON object.
    pub(super) variables: Option<Value>,
    /// `extensions.persistedQuery.sha256Hash`, when the client sent one.
    pub(super) persisted_hash: Option<String>,
    /// Files of a multipart request (`super::uploads`), which `variables`
    /// name by index.
    pub(super) uploads: Vec<async_graphql::UploadValue>,
}

/// The hash of Apollo's `persistedQuery` extension:
/// `{"version": 1, "sha256Hash": "<64 hex digits>"}`.
fn persisted_query(extension: Option<Value>) -> Result<Option<String>, BadRequest> {
    let Some(extension) = extension.filter(|e| !e.is_null()) else {
        return Ok(None);
    };
    if extension.get("version") != Some(&Value::from(1)) {
        return Err(BadRequest("`persistedQuery.version` must be 1".into()));
    }
    match extension.get("sha256Hash") {
        Some(Value::String(hash)) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(Some(hash.clone()))
        }
        _ => Err(BadRequest(
            "`persistedQuery.sha256Hash` must be 64 hexadecimal digits".into(),
        )),
    }
}

/// A request that is not a GraphQL request: 400 with a reason.
pub(super) struct BadRequest(pub(super) String);

impl GraphqlParams {
    /// The parts of a JSON request body.
    pub(super) fn from_json(body: Value) -> Result<Self, BadRequest> {
        let mut object = match body {
            Value::Object(object) => object,
            Value::Array(_) => {
                return Err(BadRequest(
                    "batched requests are not supported; send one request per POST".into(),
                ));
            }
            _ => {
                return Err(BadRequest(
                    "the request body must be a JSON object with a `query`".into(),
                ));
            }
        };
        let query = match object.remove("query") {
            Some(Value::String(query)) => Some(query),
            None | Some(Value::Null) => None,
            Some(_) => return Err(BadRequest("`query` must be a string".into())),
        };
        let operation_name = match object.remove("operationName") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name),
            Some(_) => return Err(BadRequest("`operationName` must be a string or null".into())),
        };
        let variables = match object.remove("variables") {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => Some(v),
            Some(_) => return Err(BadRequest("`variables` must be an object or null".into())),
        };
        let persisted_hash = match object.remove("extensions") {
            None | Some(Value::Null) => None,
            Some(Value::Object(mut extensions)) => persisted_query(extensions.remove("persistedQuery"))?,
            Some(_) => return Err(BadRequest("`extensions` must be an object or null".into())),
        };
        if query.is_none() && persisted_hash.is_none() {
            return Err(BadRequest("the request has no `query`".into()));
        }
        Ok(Self {
            query,
            operation_name,
            variables,
            persisted_hash,
            uploads: Vec::new(),
        })
    }

    /// A multipart request's operation and its files.
    pub(super) fn with_uploads(
        query: String,
        operation_name: Option<String>,
        variables: Value,
        uploads: Vec<async_graphql::UploadValue>,
    ) -> Self {
        Self {
            query: Some(query),
            operation_name,
            variables: Some(variables),
            persisted_hash: None,
            uploads,
        }
    }

    /// The parts of a GET request's query string.
    pub(super) fn from_url(uri: &Uri) -> Result<Self, BadRequest> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or(""))
            .map_err(|_| BadRequest("the URL query string is malformed".into()))?;
        let mut object = Map::new();
        for (key, value) in pairs {
            let value = match key.as_str() {
                "variables" | "extensions" => serde_json::from_str(&value)
                    .map_err(|_| BadRequest(format!("`{key}` in the URL must be JSON-encoded")))?,
                _ => Value::String(value),
            };
            object.insert(key, value);
        }
        Self::from_json(Value::Object(object))
    }
}
