//! GraphQL multipart requests (the `multipart/form-data` convention of
//! graphql-multipart-request-spec, which async-graphql parses): one
//! operation with its files, for `uploadImage`.

use async_graphql::parser::types::{ExecutableDocument, Selection};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use entity::enums::Role;
use serde_json::Value;

use crate::editorial::auth::{Principal, authenticate};
use crate::error::code;
use crate::http::state::AppState;

use super::params::GraphqlParams;

/// Largest multipart request: one image and its operation.
pub const MAX_REQUEST_BYTES: usize = crate::content::media::MAX_BYTES + 1024 * 1024;

/// How async-graphql names a file in `variables`.
const FILE_PREFIX: &str = "#__graphql_file__:";

/// Whether the request's key may upload (EDITOR or ADMIN), checked before
/// its body is read: nobody else may send a body this large.
pub(super) async fn may_upload(state: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    let mut sent = headers.get_all(header::AUTHORIZATION).iter();
    let authorization = match (sent.next(), sent.next()) {
        (Some(value), None) => Some(value.as_bytes()),
        _ => None,
    };
    match authenticate(&state.db, authorization).await {
        Ok(Principal::Key {
            role: Role::Editor | Role::Admin,
            ..
        }) => Ok(()),
        _ => Err(super::graphql::error_response(
            StatusCode::FORBIDDEN,
            code::FORBIDDEN,
            "only an EDITOR or ADMIN key may send files (a multipart request)",
        )),
    }
}

/// The operation and files of a multipart request, or why it cannot be run.
pub(super) async fn params(content_type: &str, body: &Bytes) -> Result<GraphqlParams, String> {
    let options = async_graphql::http::MultipartOptions::default()
        .max_file_size(crate::content::media::MAX_BYTES)
        .max_num_files(1);
    let batch = async_graphql::http::receive_batch_body(Some(content_type), body.as_ref(), options)
        .await
        .map_err(|err| format!("the multipart request cannot be read: {err}"))?;
    let mut request = match batch {
        async_graphql::BatchRequest::Single(request) => request,
        async_graphql::BatchRequest::Batch(_) => {
            return Err("batched requests are not supported; send one operation per request".into());
        }
    };
    let variables = serde_json::to_value(&request.variables).map_err(|err| err.to_string())?;
    let uploads = std::mem::take(&mut request.uploads);
    Ok(GraphqlParams::with_uploads(
        request.query,
        request.operation_name,
        variables,
        uploads,
    ))
}

/// Refuses a request that names a file it did not send, in its variables
/// (defaults included) or in any literal of the document: async-graphql's
/// `Upload` scalar trusts such names (and panics on a malformed one), so a
/// forged one must not reach it. The document is read parsed, so no
/// spelling (`\u0023…`) gets past.
pub(super) fn check_file_references(
    document: &ExecutableDocument,
    variables: &Value,
    files: usize,
) -> Result<(), String> {
    check_values(variables, files)?;
    // A literal's variables read as null: only what is written counts.
    macro_rules! check_arguments {
        ($arguments:expr) => {
            for (_, value) in $arguments {
                let written = value
                    .node
                    .clone()
                    .into_const_with(|_| Ok::<_, std::convert::Infallible>(async_graphql::Value::Null))
                    .unwrap_or_default();
                check_values(&written.into_json().unwrap_or_default(), files)?;
            }
        };
    }
    let mut sets = Vec::new();
    for (_, operation) in document.operations.iter() {
        for variable in &operation.node.variable_definitions {
            if let Some(default) = &variable.node.default_value {
                check_values(&default.node.clone().into_json().unwrap_or_default(), files)?;
            }
        }
        for directive in &operation.node.directives {
            check_arguments!(&directive.node.arguments);
        }
        sets.push(&operation.node.selection_set.node);
    }
    for fragment in document.fragments.values() {
        for directive in &fragment.node.directives {
            check_arguments!(&directive.node.arguments);
        }
        sets.push(&fragment.node.selection_set.node);
    }
    while let Some(set) = sets.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    check_arguments!(&field.node.arguments);
                    for directive in &field.node.directives {
                        check_arguments!(&directive.node.arguments);
                    }
                    sets.push(&field.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    for directive in &spread.node.directives {
                        check_arguments!(&directive.node.arguments);
                    }
                }
                Selection::InlineFragment(inline) => {
                    for directive in &inline.node.directives {
                        check_arguments!(&directive.node.arguments);
                    }
                    sets.push(&inline.node.selection_set.node);
                }
            }
        }
    }
    Ok(())
}

fn check_values(variables: &Value, files: usize) -> Result<(), String> {
    match variables {
        Value::String(s) => match s.strip_prefix(FILE_PREFIX) {
            Some(index) if index.parse::<usize>().is_ok_and(|i| i < files) => Ok(()),
            Some(_) => Err("a variable names a file the request did not send".into()),
            None => Ok(()),
        },
        Value::Array(items) => items.iter().try_for_each(|v| check_values(v, files)),
        Value::Object(map) => map.values().try_for_each(|v| check_values(v, files)),
        _ => Ok(()),
    }
}
