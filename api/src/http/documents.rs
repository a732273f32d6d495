//! GraphQL documents by the SHA-256 of their text: automatic persisted
//! queries (Apollo's protocol), trusted documents registered with
//! `kiji operations add`, and the parsed, checked form of every document
//! Kiji has run, so that a repeated query is parsed and checked at most
//! twice (a plain query is kept from its second arrival on).
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
use tokio::sync::Semaphore;

use async_graphql::ServerError;
use async_graphql::parser::types::ExecutableDocument;
use entity::trusted_document;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use sha2::{Digest, Sha256};

use crate::delivery::limits::{LimitExceeded, Limits};
use crate::delivery::ordered::Shapes;
use crate::error::code;

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
    /// How many tokens the text has: what its parsed form's size follows.
    tokens: usize,
    /// Registered with `kiji operations add`: public by its hash, and its
    /// operation names label the metrics.
    trusted: AtomicBool,
    /// Sent in full by a request without a key: public by its hash.
    public: AtomicBool,
}

impl Prepared {
    /// Parses `text` (whose SHA-256 is `hash`), checks it against
    /// `limits` and marks it for the ordering writer.
    pub fn parse(text: String, hash: String, limits: Limits, shapes: &Shapes) -> Result<Self, DocumentError> {
        let tokens = limits.scan(&text).map_err(limit_refused)?.tokens;
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
            tokens,
            trusted: AtomicBool::new(false),
            public: AtomicBool::new(false),
        })
    }

    /// What keeping it costs in memory, in bytes, as the document cache
    /// weighs it (see [`BYTES_PER_TOKEN`]).
    pub fn weight(&self) -> u32 {
        let bytes = PREPARED_OVERHEAD + self.text.len() + self.hash.len() + self.tokens * BYTES_PER_TOKEN;
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }

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

/// Bytes a parsed, checked document holds per token of its text, measured
/// (`tests/weights.rs` keeps this honest): every name, argument and
/// selection becomes a positioned node with its own allocations.
pub const BYTES_PER_TOKEN: usize = 176;

/// Bytes a kept document costs besides its text and tokens: the entry, the
/// `Arc`, the cache's bookkeeping.
const PREPARED_OVERHEAD: usize = 1024;

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
    metrics: Arc<crate::metrics::Metrics>,
    seen: SeenOnce,
}

/// Which documents were seen once, approximately: a Bloom filter over their
/// hashes (TinyLFU's "doorkeeper"). A plain query enters the document cache
/// only on its second arrival, so a flood of documents each sent once
/// (a new comment in every request) costs a parse each and no memory, and
/// never pushes out the documents in use. 128 KiB, cleared after every
/// [`SEEN_RESET`] new documents so it never fills up; a false positive only
/// lets a document in one arrival early.
struct SeenOnce {
    bits: Box<[std::sync::atomic::AtomicU64]>,
    added: std::sync::atomic::AtomicUsize,
}

/// Bits of the doorkeeper.
const SEEN_BITS: usize = 1 << 20;
/// New documents after which the doorkeeper starts afresh: with three bits
/// each, a false positive rate under 1 % until then.
const SEEN_RESET: usize = SEEN_BITS / 16;

impl SeenOnce {
    fn new() -> Self {
        Self {
            bits: (0..SEEN_BITS / 64)
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect(),
            added: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Whether the document with this hex SHA-256 was seen before; records
    /// it as seen.
    fn check_and_set(&self, hash: &str) -> bool {
        let mut before = true;
        // Three independent 32-bit slices of the hash pick the bits.
        for i in 0..3 {
            let Some(slice) = hash.get(i * 8..i * 8 + 8) else {
                return false;
            };
            let Ok(value) = u32::from_str_radix(slice, 16) else {
                return false;
            };
            let bit = value as usize % SEEN_BITS;
            let mask = 1u64 << (bit % 64);
            let old = self.bits[bit / 64].fetch_or(mask, Ordering::Relaxed);
            before &= old & mask != 0;
        }
        if !before && self.added.fetch_add(1, Ordering::Relaxed) >= SEEN_RESET {
            self.added.store(0, Ordering::Relaxed);
            for word in self.bits.iter() {
                word.store(0, Ordering::Relaxed);
            }
        }
        before
    }
}

impl Documents {
    /// A store keeping up to `capacity_bytes` of documents, weighed by what
    /// they hold ([`Prepared::weight`]).
    pub fn new(
        db: DatabaseConnection,
        limits: Limits,
        shapes: Arc<Shapes>,
        heavy: CpuPool,
        trusted_only: bool,
        capacity_bytes: u64,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        let prepared = moka::sync::Cache::builder()
            .weigher(|_: &String, p: &Arc<Prepared>| p.weight())
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
            metrics,
            seen: SeenOnce::new(),
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

    /// Trusts `text`, a document of Kiji's own (the renditions' fixed
    /// queries), so that `--trusted-documents-only` runs it.
    pub fn trust_builtin(&self, text: &str) {
        if let Ok(mut known) = self.trusted_hashes.write() {
            known.insert(sha256_hex(text));
        }
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
                        // Counted as what it is to this client, a miss:
                        // `/metrics` must not tell what keys registered.
                        self.metrics.document_cache(false);
                        return Err(refused("PersistedQueryNotFound", codes::NOT_FOUND));
                    }
                    found.trusted.store(true, Ordering::Relaxed);
                }
                self.metrics.document_cache(true);
                return Ok(found);
            }
            self.metrics.document_cache(false);
            return match self.trusted(&hash).await.map_err(internal)? {
                Some(text) => self.prepare(text, hash, true, false, true).await,
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
        let cached = self.prepared.get(&actual);
        self.metrics.document_cache(cached.is_some());
        if let Some(found) = cached {
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
        // Kept at once when it is trusted or registered by its hash (the
        // client will send the hash alone next); a plain query only once it
        // comes back, so that documents seen once never fill the cache.
        let keep = trusted || hash.is_some() || self.seen.check_and_set(&actual);
        self.prepare(text, actual, trusted, public, keep).await
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
        keep: bool,
    ) -> Result<Arc<Prepared>, DocumentError> {
        let limits = self.limits;
        let shapes = self.shapes.clone();
        let measure = limits.scan(&text).map_err(limit_refused)?;
        let parse = move |text: String| -> Result<Prepared, DocumentError> {
            let prepared = Prepared::parse(text, hash, limits, &shapes)?;
            prepared.trusted.store(trusted, Ordering::Relaxed);
            prepared.public.store(public, Ordering::Relaxed);
            Ok(prepared)
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
        if keep {
            self.prepared.insert(prepared.hash.clone(), prepared.clone());
        }
        Ok(prepared)
    }
}

/// A bounded share of the blocking thread pool for CPU-heavy request work
/// (parsing large documents), so that such work never occupies the worker
/// threads that answer health checks and ordinary requests.
#[derive(Clone)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
}

impl CpuPool {
    /// A pool running at most `size` jobs at once.
    pub fn new(size: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(size.max(1))),
        }
    }

    /// Runs `job` on a blocking thread once a slot is free; `None` if it
    /// panicked. A caller that stops waiting (the request timed out) frees
    /// its slot only when the job ends: the slots bound the CPU in use.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let permit = self.permits.clone().acquire_owned().await.ok()?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .ok()
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
            created_at: sea_orm::ActiveValue::Set(crate::store::clock::stored_now()),
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
    fn the_doorkeeper_lets_a_document_in_on_its_second_arrival() {
        let seen = SeenOnce::new();
        let (a, b) = (sha256_hex("{ a }"), sha256_hex("{ b }"));
        assert!(!seen.check_and_set(&a), "first arrival");
        assert!(seen.check_and_set(&a), "second arrival");
        assert!(!seen.check_and_set(&b), "another document is new");
        let false_positives = (0..10_000)
            .filter(|i| seen.check_and_set(&sha256_hex(&format!("{{ f{i} }}"))))
            .count();
        assert!(
            false_positives < 100,
            "{false_positives} of 10,000 new documents taken as seen"
        );
    }

    #[test]
    fn hashes_are_lower_case_hex_sha256() {
        assert_eq!(
            sha256_hex("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }
}
