//! The errors of request handling and of importing content, where they
//! meet, and their single mapping onto GraphQL errors with
//! `extensions.code`.
//!
//! async-graphql is built with `custom-error-conversion`, which removes its
//! blanket `From<impl Display>` conversion: a resolver can only return an
//! error through [`Error`], so no error reaches a client without a code, and
//! database errors cannot leak their SQL text by accident.

use std::fmt;
use std::sync::Arc;

use sea_orm::{DbErr, SqlErr};

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
    /// Nothing the caller may see answers to this; said the same whether
    /// or not it exists beyond the caller's reach. → `NOT_FOUND`
    #[error("{0}")]
    NotFound(String),
    /// The request names a revision that is not the current one. →
    /// `CONFLICT`, with `currentRevision` in the extensions
    #[error("{message}")]
    Conflict {
        /// What happened, for people.
        message: String,
        /// The article's current revision.
        current_revision: i32,
    },
    /// Content fails the importer's checks; the error says where. →
    /// `BAD_USER_INPUT`
    #[error("{0}")]
    Content(Box<ImportError>),
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
            Self::BadUserInput(_) | Self::Content(_) => code::BAD_USER_INPUT,
            Self::Forbidden(_) => code::FORBIDDEN,
            Self::NotFound(_) => code::NOT_FOUND,
            Self::Conflict { .. } => code::CONFLICT,
            Self::Database(_) | Self::Internal(_) => code::INTERNAL,
        }
    }
}

impl From<Error> for async_graphql::Error {
    fn from(err: Error) -> Self {
        let message = match &err {
            Error::BadUserInput(message)
            | Error::Forbidden(message)
            | Error::NotFound(message)
            | Error::Conflict { message, .. } => message.clone(),
            Error::Content(err) => err.to_string(),
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

/// Where in content a problem is: a path of steps, outermost first, and the
/// file and line when the content came from a file.
///
/// Shown as `article exosome › section what-is › claim 2`, or with its
/// file as `exosome.en.md line 12 (article exosome › section what-is)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file the content came from.
    pub file: Option<String>,
    /// The 1-based line in `file`.
    pub line: Option<usize>,
    /// The steps from the bundle down to the item.
    pub path: Vec<Step>,
}

/// One step of a [`Location`]'s path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An article, by slug.
    Article(String),
    /// A section, by anchor.
    Section(String),
    /// Anything else, as it is shown (`category x`, `claim 2`, `heading`).
    Part(String),
}

impl Location {
    /// The article `slug`.
    pub fn article(slug: &str) -> Self {
        Self::default().then_step(Step::Article(slug.to_owned()))
    }

    /// A top-level item other than an article, as shown (`tag exosome`).
    pub fn item(name: impl fmt::Display) -> Self {
        Self::default().then(name)
    }

    /// A whole file.
    pub fn file(name: &str) -> Self {
        Self {
            file: Some(name.to_owned()),
            ..Self::default()
        }
    }

    /// This location's section `anchor`.
    pub fn section(&self, anchor: &str) -> Self {
        self.clone().then_step(Step::Section(anchor.to_owned()))
    }

    /// A part inside this location, as shown (`claim 2`, `heading`).
    pub fn then(&self, part: impl fmt::Display) -> Self {
        self.clone().then_step(Step::Part(part.to_string()))
    }

    fn then_step(mut self, step: Step) -> Self {
        self.path.push(step);
        self
    }

    /// The slug of the article this location is in.
    pub fn article_slug(&self) -> Option<&str> {
        self.path.iter().find_map(|step| match step {
            Step::Article(slug) => Some(slug.as_str()),
            _ => None,
        })
    }

    /// The anchor of the innermost section this location is in.
    pub fn section_anchor(&self) -> Option<&str> {
        self.path.iter().rev().find_map(|step| match step {
            Step::Section(anchor) => Some(anchor.as_str()),
            _ => None,
        })
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Article(slug) => write!(f, "article {slug}"),
            Self::Section(anchor) => write!(f, "section {anchor}"),
            Self::Part(part) => f.write_str(part),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut path = String::new();
        for (i, step) in self.path.iter().enumerate() {
            if i > 0 {
                path.push_str(" › ");
            }
            path.push_str(&step.to_string());
        }
        match (&self.file, self.line) {
            (Some(file), Some(line)) if path.is_empty() => write!(f, "{file} line {line}"),
            (Some(file), Some(line)) => write!(f, "{file} line {line} ({path})"),
            (Some(file), None) if path.is_empty() => f.write_str(file),
            (Some(file), None) => write!(f, "{file} ({path})"),
            (None, _) => f.write_str(&path),
        }
    }
}

/// Why an import or a save of content was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The content is malformed at `at`.
    #[error("{at}: {message}")]
    Invalid {
        /// Where the problem is.
        at: Location,
        /// What is wrong.
        message: String,
    },
    /// A request-handling rule refused the content at `at` (a file's
    /// revision is stale, the caller may not change it).
    #[error("{at}: {error}")]
    Refused {
        /// Where the refused content is.
        at: Location,
        /// The rule's error.
        error: Error,
    },
    /// A slug or key is already taken in the database.
    #[error("{what} `{key}` already exists in the database")]
    Conflict {
        /// Kind of item.
        what: &'static str,
        /// The taken slug or key.
        key: String,
    },
    /// The database failed.
    #[error("database error during import: {0}")]
    Database(#[from] DbErr),
    /// More than one problem, each with its place, in the bundle's order.
    #[error("{} problems:\n{}", .0.len(), .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Several(Vec<ImportError>),
}

impl ImportError {
    /// Content malformed at `at`.
    pub fn invalid(at: &Location, message: impl Into<String>) -> Self {
        Self::Invalid {
            at: at.clone(),
            message: message.into(),
        }
    }

    /// Each problem with `place` applied to its location.
    pub fn relocated(self, place: &impl Fn(&mut Location)) -> Self {
        match self {
            Self::Invalid { mut at, message } => {
                place(&mut at);
                Self::Invalid { at, message }
            }
            Self::Refused { mut at, error } => {
                place(&mut at);
                Self::Refused { at, error }
            }
            Self::Several(all) => Self::Several(all.into_iter().map(|e| e.relocated(place)).collect()),
            other => other,
        }
    }
}

impl From<ImportError> for Error {
    fn from(err: ImportError) -> Self {
        match err {
            ImportError::Database(db) => Self::from(db),
            ImportError::Refused {
                error: error @ Error::Database(_),
                ..
            } => error,
            other => Self::Content(Box::new(other)),
        }
    }
}

/// Turns a unique-constraint violation into a client's error, in one
/// place: two writers creating one slug at once meet only at the insert.
pub trait OnConstraint<T> {
    /// `Err(refused())` when the database refused a duplicate; any other
    /// result as an [`Error`].
    fn on_constraint(self, refused: impl FnOnce() -> Error) -> Result<T>;
}

impl<T> OnConstraint<T> for std::result::Result<T, ImportError> {
    fn on_constraint(self, refused: impl FnOnce() -> Error) -> Result<T> {
        match self {
            Err(ImportError::Database(err)) if is_unique_violation(&err) => Err(refused()),
            other => other.map_err(Error::from),
        }
    }
}

impl<T> OnConstraint<T> for std::result::Result<T, DbErr> {
    fn on_constraint(self, refused: impl FnOnce() -> Error) -> Result<T> {
        match self {
            Err(err) if is_unique_violation(&err) => Err(refused()),
            other => other.map_err(Error::from),
        }
    }
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
