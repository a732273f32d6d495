//! GraphQL documents by the SHA-256 of their text: automatic persisted
//! queries (Apollo's protocol), trusted documents registered with
//! `kiji operations add`, and the parsed, checked form of every document
//! Kiji has run, so that a repeated query is parsed and checked once.
//!
//! Apollo's protocol: a client sends `extensions.persistedQuery =
//! {version: 1, sha256Hash}` without the query. If Kiji knows the hash it
//! runs the document; if not, it answers `PersistedQueryNotFound` (message
//! and `extensions.code` `PERSISTED_QUERY_NOT_FOUND`), and the client sends
//! the hash with the query, which registers it. Apollo Client and urql both
//! retry on that message. A hash that does not match the query sent with it
//! is refused (`PersistedQueryMismatch`), so nobody can register a document
//! under another's hash.
//!
//! With `--trusted-documents-only`, only registered documents run: a hash or
//! a query whose hash `kiji operations add` registered.
//!
//! A hash is a secret of whoever registered it: a document an editor's key
//! registered is not run for a request without a key that names only its
//! hash (it answers `PersistedQueryNotFound`, as for an unknown hash), or an
//! outsider who guesses a document's text could learn that an editor sent
//! it. Trusted documents, and documents a request without a key sent in
//! full, are everyone's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::ServerError;
use async_graphql::parser::types::ExecutableDocument;
use entity::trusted_document;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use sha2::{Digest, Sha256};

use crate::error::code;
use crate::graphql::limits::{LimitExceeded, Limits};
use crate::graphql::ordered::Shapes;
use crate::state::CpuPool;

/// Error codes of the persisted-query protocol.
pub mod codes {
    /// The hash is not known; send it again with the query.
    pub const NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    /// The hash is not the SHA-256 of the query sent with it.
    pub const MISMATCH: &str = "PERSISTED_QUERY_MISMATCH";
    /// Only registered documents may run here.
    pub const NOT_TRUSTED: &str = "PERSISTED_QUERY_NOT_TRUSTED";
}

/// Documents with more tokens than this are parsed on the blocking pool,
/// so that a large document cannot hold up the worker threads that answer
/// health checks and small requests; smaller ones parse in microseconds and
/// stay on the request's task.
const INLINE_PARSE_TOKENS: usize = 1_000;

/// A document ready to run: parsed, within the limits, and marked for the
/// ordering writer.
#[derive(Debug)]
pub struct Prepared {
    /// Lower-case hex SHA-256 of `text`.
    pub hash: String,
    /// The document as the client sent it.
    pub text: Arc<str>,
    /// The parsed document.
    pub doc: ExecutableDocument,
    /// Registered with `kiji operations add`: public by its hash, and its
    /// operation names label the metrics.
    trusted: AtomicBool,
    /// Sent in full by a request without a key: public by its hash.
    public: AtomicBool,
}

impl Prepared {
    /// Whether it is a trusted document (as far as this instance knows).
    pub fn trusted(&self) -> bool {
        self.trusted.load(Ordering::Relaxed)
    }

    /// Whether a request without a key may run it by its hash alone.
    fn public(&self) -> bool {
        self.trusted() || self.public.load(Ordering::Relaxed)
    }
}

/// Why a document cannot run.
#[derive(Debug)]
pub enum DocumentError {
    /// The request named neither a query nor a known hash.
    NoQuery,
    /// Protocol, parse or limit errors, shown as request errors.
    Refused(ServerError),
}

/// The lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Documents by hash.
pub struct Documents {
    prepared: moka::sync::Cache<String, Arc<Prepared>>,
    db: DatabaseConnection,
    limits: Limits,
    shapes: Arc<Shapes>,
    heavy: CpuPool,
    trusted_only: bool,
    /// Hashes known to be trusted: read at start, and added to whenever a
    /// lookup finds one. A document sent in full is labelled trusted from
    /// this set alone, so an unseen document costs no statement (a trusted
    /// document registered while the server runs is known from its first
    /// request by hash, or the next start).
    trusted_hashes: std::sync::RwLock<std::collections::HashSet<String>>,
}

impl Documents {
    /// A store keeping up to `capacity_bytes` of documents (by their text
    /// size, times four for the parsed form).
    pub fn new(
        db: DatabaseConnection,
        limits: Limits,
        shapes: Arc<Shapes>,
        heavy: CpuPool,
        trusted_only: bool,
        capacity_bytes: u64,
    ) -> Self {
        let prepared = moka::sync::Cache::builder()
            .weigher(|_: &String, p: &Arc<Prepared>| u32::try_from(p.text.len().saturating_mul(4)).unwrap_or(u32::MAX))
            .max_capacity(capacity_bytes)
            .build();
        Self {
            prepared,
            db,
            limits,
            shapes,
            heavy,
            trusted_only,
            trusted_hashes: std::sync::RwLock::new(std::collections::HashSet::new()),
        }
    }

    /// Reads the hashes of every trusted document.
    pub async fn load_trusted(&self) -> Result<(), DbErr> {
        use sea_orm::QuerySelect;
        let hashes: Vec<String> = trusted_document::Entity::find()
            .select_only()
            .column(trusted_document::Column::Hash)
            .into_tuple()
            .all(&self.db)
            .await?;
        if let Ok(mut known) = self.trusted_hashes.write() {
            known.extend(hashes);
        }
        Ok(())
    }

    fn known_trusted(&self, hash: &str) -> bool {
        self.trusted_hashes.read().is_ok_and(|known| known.contains(hash))
    }

    /// The document a request runs: its `query`, or the one its
    /// `persistedQuery` hash names. `public`: the request has no key.
    pub async fn resolve(
        &self,
        query: Option<String>,
        hash: Option<String>,
        public: bool,
    ) -> Result<Arc<Prepared>, DocumentError> {
        let hash = hash.map(|h| h.to_ascii_lowercase());
        let Some(text) = query.filter(|q| !q.is_empty()) else {
            let hash = hash.ok_or(DocumentError::NoQuery)?;
            if let Some(found) = self.prepared.get(&hash) {
                if public && !found.public() {
                    // Registered as trusted since a key sent it, perhaps.
                    if self.trusted(&hash).await.map_err(internal)?.is_none() {
                        return Err(refused("PersistedQueryNotFound", codes::NOT_FOUND));
                    }
                    found.trusted.store(true, Ordering::Relaxed);
                }
                return Ok(found);
            }
            return match self.trusted(&hash).await.map_err(internal)? {
                Some(text) => self.prepare(text, hash, true, false).await,
                None => Err(refused("PersistedQueryNotFound", codes::NOT_FOUND)),
            };
        };
        let actual = sha256_hex(&text);
        if hash.as_ref().is_some_and(|h| *h != actual) {
            return Err(refused(
                "PersistedQueryMismatch: `sha256Hash` is not the SHA-256 of the query",
                codes::MISMATCH,
            ));
        }
        if let Some(found) = self.prepared.get(&actual) {
            if public {
                found.public.store(true, Ordering::Relaxed);
            }
            return Ok(found);
        }
        let trusted = self.known_trusted(&actual)
            || (self.trusted_only && self.trusted(&actual).await.map_err(internal)?.is_some());
        if self.trusted_only && !trusted {
            return Err(refused(
                "only registered documents run on this server (see `kiji operations add`)",
                codes::NOT_TRUSTED,
            ));
        }
        self.prepare(text, actual, trusted, public).await
    }

    async fn trusted(&self, hash: &str) -> Result<Option<String>, DbErr> {
        let found = trusted_document::Entity::find_by_id(hash.to_owned())
            .one(&self.db)
            .await?
            .map(|row| row.document);
        if found.is_some()
            && let Ok(mut known) = self.trusted_hashes.write()
        {
            known.insert(hash.to_owned());
        }
        Ok(found)
    }

    /// Checks, parses and marks `text`, and keeps it under `hash`.
    async fn prepare(
        &self,
        text: String,
        hash: String,
        trusted: bool,
        public: bool,
    ) -> Result<Arc<Prepared>, DocumentError> {
        let limits = self.limits;
        let shapes = self.shapes.clone();
        let measure = limits.scan(&text).map_err(limit_refused)?;
        let parse = move |text: String| -> Result<Prepared, DocumentError> {
            let mut doc = async_graphql::parser::parse_query(&text).map_err(|err| {
                let mut err = ServerError::from(err);
                set_code(&mut err, code::GRAPHQL_PARSE_FAILED);
                DocumentError::Refused(err)
            })?;
            limits.check(&doc).map_err(limit_refused)?;
            shapes.mark_abstract(&mut doc);
            Ok(Prepared {
                hash,
                text: Arc::from(text),
                doc,
                trusted: AtomicBool::new(trusted),
                public: AtomicBool::new(public),
            })
        };
        let prepared = if measure.tokens <= INLINE_PARSE_TOKENS {
            parse(text)?
        } else {
            self.heavy
                .run(move || parse(text))
                .await
                .unwrap_or_else(|| Err(internal("a parser thread panicked")))?
        };
        let prepared = Arc::new(prepared);
        self.prepared.insert(prepared.hash.clone(), prepared.clone());
        Ok(prepared)
    }
}

/// Registers `text` as a trusted document named `name`; returns its hash.
/// The document must parse and fit the default limits.
pub async fn register(db: &DatabaseConnection, name: &str, text: &str) -> Result<String, RegisterError> {
    Limits::default().scan(text)?;
    let doc = async_graphql::parser::parse_query(text).map_err(|err| RegisterError::Parse(err.to_string()))?;
    Limits::default().check(&doc)?;
    let hash = sha256_hex(text);
    if trusted_document::Entity::find_by_id(hash.clone())
        .one(db)
        .await?
        .is_none()
    {
        trusted_document::Entity::insert(trusted_document::ActiveModel {
            hash: sea_orm::ActiveValue::Set(hash.clone()),
            name: sea_orm::ActiveValue::Set(Some(name.to_owned())),
            document: sea_orm::ActiveValue::Set(text.to_owned()),
            created_at: sea_orm::ActiveValue::Set(crate::content::import::stored_now()),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(hash)
}

/// Why a document could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// Not GraphQL.
    #[error("not a GraphQL document: {0}")]
    Parse(String),
    /// Over a limit.
    #[error("{0}")]
    Limit(#[from] LimitExceeded),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

fn refused(message: &str, code: &str) -> DocumentError {
    let mut err = ServerError::new(message, None);
    set_code(&mut err, code);
    DocumentError::Refused(err)
}

fn limit_refused(err: LimitExceeded) -> DocumentError {
    refused(&err.to_string(), code::GRAPHQL_VALIDATION_FAILED)
}

fn internal(err: impl std::fmt::Display) -> DocumentError {
    tracing::error!(error = %err, "document lookup failed");
    refused("internal error", code::INTERNAL)
}

/// Sets `extensions.code` unless the error has one.
pub fn set_code(err: &mut ServerError, fallback: &str) {
    let extensions = err.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", fallback);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_lower_case_hex_sha256() {
        assert_eq!(
            sha256_hex("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }
}
