//! `/graphql/ws`: GraphQL subscriptions over WebSocket, in the
//! `graphql-transport-ws` protocol (and the older `graphql-ws`), through
//! async-graphql's axum integration. The key goes in `connection_init`'s
//! payload, `{"Authorization": "Bearer …"}`: browsers cannot set headers on
//! a WebSocket.

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use serde_json::Value;

use crate::editorial::auth::authenticate;
use crate::http::state::AppState;

/// `GET /graphql/ws`
pub async fn ws(State(state): State<AppState>, protocol: GraphQLProtocol, upgrade: WebSocketUpgrade) -> Response {
    let schema = state.schema.clone();
    let db = state.db.clone();
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| {
        GraphQLWebSocket::new(socket, schema, protocol)
            .on_connection_init(move |payload: Value| async move {
                let authorization = ["Authorization", "authorization"]
                    .iter()
                    .find_map(|name| payload.get(*name).and_then(Value::as_str))
                    .map(|value| value.as_bytes().to_vec());
                let principal = authenticate(&db, authorization.as_deref())
                    .await
                    .map_err(|_| async_graphql::Error::new("UNAUTHENTICATED: the key is not valid"))?;
                let mut data = Data::default();
                data.insert(principal);
                data.insert(crate::graphql::changes::OverWebSocket);
                Ok(data)
            })
            .serve()
    })
}
