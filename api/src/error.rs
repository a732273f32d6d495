//! The one error type of request handling, and its single mapping onto
//! GraphQL errors with `extensions.code`.
//!
//! async-graphql is built with `custom-error-conversion`, which removes its
//! blanket `From<impl Display>` conversion: a resolver can only return an
//! error through [`Error`], so no error reaches a client without a code, and
//! database errors cannot leak their SQL text by accident.

use std::sync::Arc;

use sea_orm::DbErr;

/// Error codes a client can see in `extensions.code`.
pub mod code {
    /// The request is valid GraphQL but an argument is not acceptable.
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// The document is not syntactically valid GraphQL.
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The document does not validate against the schema.
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The HTTP request itself is malformed (body, content type, method).
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// The request ran past the server's time limit.
    pub const TIMEOUT: &str = "TIMEOUT";
    /// Too many requests are in flight; retry after `Retry-After` seconds.
    pub const OVERLOADED: &str = "OVERLOADED";
    /// The request's API key is missing its token, unknown or revoked.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// The API key may not do this.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// The request started from a revision that is no longer current.
    pub const CONFLICT: &str = "CONFLICT";
    /// The API key sent too many requests; retry after `Retry-After` seconds.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// No such route.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// Something failed on the server; details are only in the server log.
    pub const INTERNAL: &str = "INTERNAL";
}

/// Everything that can go wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client sent an unacceptable value; the message names it. → `BAD_USER_INPUT`
    #[error("{0}")]
    BadUserInput(String),
    /// The caller's role may not do this; the message names the roles that
    /// may. → `FORBIDDEN`
    #[error("{0}")]
    Forbidden(String),
    /// The request names a revision that is not the current one. →
    /// `CONFLICT`, with `currentRevision` in the extensions
    #[error("{message}")]
    Conflict {
        /// What happened, for people.
        message: String,
        /// The article's current revision.
        current_revision: i32,
    },
    /// The database failed; logged with detail, shown as a bare `INTERNAL`.
    #[error("database error: {0}")]
    Database(#[from] Arc<DbErr>),
    /// A server-side invariant failed (e.g. stored content is incomplete). → `INTERNAL`
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        Self::Database(Arc::new(err))
    }
}

impl Error {
    /// A `BAD_USER_INPUT` error.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadUserInput(message.into())
    }

    /// The `extensions.code` this error is shown with.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) => code::BAD_USER_INPUT,
            Self::Forbidden(_) => code::FORBIDDEN,
            Self::Conflict { .. } => code::CONFLICT,
            Self::Database(_) | Self::Internal(_) => code::INTERNAL,
        }
    }
}

impl From<Error> for async_graphql::Error {
    fn from(err: Error) -> Self {
        let message = match &err {
            Error::BadUserInput(message) | Error::Forbidden(message) | Error::Conflict { message, .. } => {
                message.clone()
            }
            Error::Database(_) | Error::Internal(_) => {
                tracing::error!(error = %err, "request failed");
                "internal error".to_owned()
            }
        };
        let mut gql = async_graphql::Error::new(message);
        let extensions = gql.extensions.get_or_insert_with(Default::default);
        extensions.set("code", err.code());
        if let Error::Conflict { current_revision, .. } = &err {
            extensions.set("currentRevision", *current_revision);
        }
        gql
    }
}

/// Result of request-handling code.
pub type Result<T, E = Error> = std::result::Result<T, E>;
