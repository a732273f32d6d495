//! The response cache: public answers kept in memory, keyed by everything
//! that decides them, invalidated by the change log — only the entries that
//! show a touched entity.
//!
//! - Key: the document's hash, the operation name, the variables (with
//!   defaults, in canonical JSON), the locales the request asked for (as
//!   parsed from `Accept-Language`, so headers that mean the same share an
//!   entry) and the role (today only the public one is cached).
//! - Value: the answer in bytes, its strong `ETag`, the keys of the entities
//!   it shows (see `graphql::tags`), and its br and gzip encodings, each
//!   made once on first demand: a warm hit sends stored bytes.
//! - Bounded in bytes (moka's weigher); concurrent misses of one key run
//!   the query once (moka's `try_get_with`).
//! - Freshness: a watcher follows the change log from its last position —
//!   woken by `NOTIFY` on PostgreSQL and every second in any case (another
//!   process may write a SQLite file), and brought up to date by every
//!   write in this process before the write returns — and
//!   invalidates the entries holding a touched entity or collection. While
//!   the watcher cannot read the log (listener lost, database down) the
//!   cache is bypassed, so an instance never answers from a cache it cannot
//!   keep fresh. A scheduled publication going live is an entry like any
//!   other, written by the clock job (`store::due`) when it happens.
//! - An answer computed while a change arrived is served but not kept.

use std::collections::HashSet;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderValue;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::change;
use sea_orm::{DatabaseConnection, DbBackend};
use sha2::{Digest, Sha256};

use crate::metrics::Metrics;
use crate::store::changes;
use crate::store::changes::collection_of;

/// A cached answer.
pub struct Cached {
    /// The answer, uncompressed.
    pub body: Bytes,
    /// Base of the strong entity tag: a digest of `body`.
    digest: String,
    /// Surrogate keys: the entities and collections the answer shows.
    pub keys: Arc<[String]>,
    /// The keys as `Surrogate-Key` (space-separated) and `Cache-Tag`
    /// (comma-separated) values, made once: a hit only copies them.
    pub key_headers: Option<(HeaderValue, HeaderValue)>,
    /// Entity tags for identity, br and gzip.
    etags: [HeaderValue; 3],
    brotli: OnceLock<Bytes>,
    gzip: OnceLock<Bytes>,
}

/// A content coding Kiji can send an answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// As is.
    Identity,
    /// `br`
    Brotli,
    /// `gzip`
    Gzip,
}

impl Coding {
    /// The `Content-Encoding` value, if any.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Brotli => Some("br"),
            Coding::Gzip => Some("gzip"),
        }
    }

    /// The best coding `Accept-Encoding` allows for a body of `len` bytes.
    pub fn negotiate(accept_encoding: Option<&str>, len: usize) -> Self {
        if len < 1024 {
            return Coding::Identity;
        }
        let Some(accept) = accept_encoding else {
            return Coding::Identity;
        };
        let allows = |name: &str| {
            accept.split(',').any(|item| {
                let mut parts = item.split(';');
                let coding = parts.next().unwrap_or_default().trim();
                let zero = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                coding.eq_ignore_ascii_case(name) && !zero
            })
        };
        if allows("br") {
            Coding::Brotli
        } else if allows("gzip") {
            Coding::Gzip
        } else {
            Coding::Identity
        }
    }
}

impl Cached {
    /// An answer to keep, with the keys of what it shows.
    pub fn new(body: Vec<u8>, keys: Vec<String>) -> Self {
        let digest = URL_SAFE_NO_PAD.encode(&Sha256::digest(&body)[..18]);
        let etag = |suffix: &str| {
            HeaderValue::from_str(&format!("\"{digest}{suffix}\"")).unwrap_or(HeaderValue::from_static("\"\""))
        };
        let etags = [etag(""), etag("-br"), etag("-gzip")];
        let key_headers = (!keys.is_empty())
            .then(|| {
                Some((
                    HeaderValue::from_str(&keys.join(" ")).ok()?,
                    HeaderValue::from_str(&keys.join(",")).ok()?,
                ))
            })
            .flatten();
        Self {
            body: Bytes::from(body),
            digest,
            keys: keys.into(),
            key_headers,
            etags,
            brotli: OnceLock::new(),
            gzip: OnceLock::new(),
        }
    }

    /// The entity tag of the answer in `coding`, as a header value.
    pub fn etag_header(&self, coding: Coding) -> &HeaderValue {
        match coding {
            Coding::Identity => &self.etags[0],
            Coding::Brotli => &self.etags[1],
            Coding::Gzip => &self.etags[2],
        }
    }

    /// The strong entity tag of the answer in `coding`: each encoding is a
    /// different representation, so each has its own tag.
    pub fn etag(&self, coding: Coding) -> String {
        match coding.header() {
            None => format!("\"{}\"", self.digest),
            Some(name) => format!("\"{}-{name}\"", self.digest),
        }
    }

    /// The answer in `coding`, compressed once and kept.
    pub fn encoded(&self, coding: Coding) -> Bytes {
        match coding {
            Coding::Identity => self.body.clone(),
            Coding::Brotli => self
                .brotli
                .get_or_init(|| {
                    let mut out = Vec::with_capacity(self.body.len() / 4);
                    {
                        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
                        let _ = writer.write_all(&self.body);
                    }
                    // Kept for the entry's life: no spare capacity.
                    out.shrink_to_fit();
                    Bytes::from(out)
                })
                .clone(),
            Coding::Gzip => self
                .gzip
                .get_or_init(|| {
                    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
                    let _ = encoder.write_all(&self.body);
                    let mut out = encoder.finish().unwrap_or_default();
                    out.shrink_to_fit();
                    Bytes::from(out)
                })
                .clone(),
        }
    }

    /// What keeping the answer costs in memory, in bytes, as the response
    /// cache weighs it: the body, its br and gzip encodings (made after the
    /// entry is weighed, on first demand, so reserved here at three
    /// quarters of the body: answers in Japanese compress to about a third
    /// each, in gzip and br together to some 60 %), the keys
    /// and their header values, and the entry itself. `tests/weights.rs`
    /// measures that this covers what an entry really holds.
    pub fn weight(&self) -> u32 {
        let body = self.body.len();
        let keys: usize = self.keys.iter().map(|k| k.len() + size_of::<String>()).sum();
        let headers = self.key_headers.as_ref().map_or(0, |(a, b)| a.len() + b.len());
        u32::try_from(body + body * 3 / 4 + keys + headers + ANSWER_OVERHEAD).unwrap_or(u32::MAX)
    }
}

/// Bytes an entry costs besides its body, encodings and keys: the entry,
/// its tags and header values, and the cache's bookkeeping.
const ANSWER_OVERHEAD: usize = 3072;

/// The cache key of one request.
pub type Key = [u8; 32];

/// Builds a cache key from the parts that decide an answer.
pub fn key(document: &str, operation: Option<&str>, variables: &serde_json::Value, locales: &str, role: &str) -> Key {
    let mut hash = Sha256::new();
    for part in [document, operation.unwrap_or(""), locales, role] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    // serde_json's maps are sorted: this is a canonical form.
    hash.update(serde_json::to_vec(variables).unwrap_or_default());
    hash.finalize().into()
}

/// The response cache of one application.
pub struct ResponseCache {
    entries: moka::future::Cache<Key, Arc<Cached>>,
    /// The change log position the cache reflects.
    applied: AtomicI64,
    /// Whether the watcher could read the log last time it tried.
    fresh: AtomicBool,
    /// Bumped by every invalidation: an answer computed across a bump is
    /// not kept.
    generation: AtomicU64,
    metrics: Arc<Metrics>,
}

impl ResponseCache {
    /// A cache of at most `capacity_bytes` (0: no cache).
    pub fn new(capacity_bytes: u64, metrics: Arc<Metrics>) -> Self {
        let entries = moka::future::Cache::builder()
            .max_capacity(capacity_bytes)
            .weigher(|_: &Key, value: &Arc<Cached>| value.weight())
            .support_invalidation_closures()
            // A safety net; freshness comes from the change log.
            .time_to_live(Duration::from_secs(600))
            .build();
        Self {
            entries,
            applied: AtomicI64::new(-1),
            fresh: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            metrics,
        }
    }

    /// Whether answers may be served from and kept in the cache now.
    pub fn usable(&self) -> bool {
        self.fresh.load(Ordering::Acquire) && self.entries.policy().max_capacity().unwrap_or(0) > 0
    }

    /// Drops every answer that shows the collection `name` (`articles`),
    /// and any answer being computed now: for a follower of the log that
    /// moved after the cache did (the search index), so no answer computed
    /// from its older state stays.
    pub fn invalidate_collection(&self, name: &str) {
        self.invalidate(HashSet::from([name.to_owned()]));
    }

    /// Stops serving and keeping answers until the watcher next catches
    /// up with every follower of the log.
    pub fn stop_keeping(&self) {
        self.fresh.store(false, Ordering::Release);
    }

    /// Whether the cache's watcher is following the log (`applied` is
    /// current), whether or not answers are kept.
    pub fn following(&self) -> bool {
        self.fresh.load(Ordering::Acquire)
    }

    /// The current generation; pass it to [`Self::still`] after computing.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether nothing was invalidated since `generation` was read.
    pub fn still(&self, generation: u64) -> bool {
        self.fresh.load(Ordering::Acquire) && self.generation() == generation
    }

    /// The entry for `key`, if any.
    pub async fn get(&self, key: &Key) -> Option<Arc<Cached>> {
        let found = self.entries.get(key).await;
        self.metrics.response_cache(found.is_some());
        found
    }

    /// The entry for `key`, computing it with `compute` on a miss; misses
    /// of one key that arrive together run `compute` once. `compute`
    /// answers `Err` with what to send instead when the answer must not be
    /// kept.
    pub async fn get_with<E: Send + Sync + 'static>(
        &self,
        key: Key,
        compute: impl Future<Output = Result<Arc<Cached>, E>>,
    ) -> Result<Arc<Cached>, Arc<E>> {
        self.entries.try_get_with(key, compute).await
    }

    /// Brings the cache up to date with the log of `db` after a write in
    /// this process committed, before the writer returns (other processes
    /// hear of it by `NOTIFY` or their next poll).
    pub async fn follow(&self, db: &DatabaseConnection) {
        // Not started yet: `start` reads the log itself once it listens, and
        // nothing has been served. Catching up here would race `start` and
        // could empty the cache (bumping its generation) after it began
        // serving. `applied` only ever moves from -1 to a position.
        if self.applied() < 0 {
            return;
        }
        if let Err(err) = self.catch_up(db).await {
            tracing::warn!(error = %err, "cannot read the change log; answering without the response cache");
            self.fresh.store(false, Ordering::Release);
        }
    }

    /// The change log position the cache reflects.
    pub fn applied(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }

    fn invalidate(&self, touched: HashSet<String>) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let touched = Arc::new(touched);
        let result = self
            .entries
            .invalidate_entries_if(move |_, value| value.keys.iter().any(|k| touched.contains(k)));
        if result.is_err() {
            self.entries.invalidate_all();
        }
    }

    fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
    }

    /// Applies every change after the applied position; on the first call,
    /// starts from the latest position with an empty cache.
    async fn catch_up(&self, db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        let applied = self.applied();
        if applied < 0 {
            let latest = changes::latest(db).await?;
            self.invalidate_all();
            self.applied.store(latest, Ordering::Release);
            return Ok(());
        }
        loop {
            let batch = changes::after(db, self.applied(), 500).await?;
            let Some(last) = batch.last().map(|c| c.position) else {
                return Ok(());
            };
            self.invalidate(touched_keys(&batch));
            // `fetch_max`: the watcher and a writer may catch up at once.
            self.applied.fetch_max(last, Ordering::AcqRel);
            self.metrics.change_log_position(last);
        }
    }
}

/// The key of every answer that reads the change feed.
pub const FEED: &str = "changes";

/// The cache keys a batch of changes touches: each entity and its
/// collection.
fn touched_keys(batch: &[change::Model]) -> HashSet<String> {
    let mut keys = HashSet::new();
    // Every change is an event of the change feed, whoever reads it.
    if !batch.is_empty() {
        keys.insert(FEED.to_owned());
    }
    for change in batch {
        let entities: Vec<String> = serde_json::from_value(change.entities.clone()).unwrap_or_default();
        for entity in entities {
            if let Some(collection) = entity.split(':').next().and_then(collection_of) {
                keys.insert(collection.to_owned());
            }
            keys.insert(entity);
        }
    }
    keys
}

/// Starts keeping `cache` in step with the change log of `db`: listens
/// and reads the log once before returning (so the cache is usable from
/// the first request), then goes on in a task until the process ends. On
/// PostgreSQL, `url` is used for a `LISTEN` connection of its own. The
/// other followers in `also` are woken with the cache, so what wakes it
/// (a notification, the poll) brings them up to date too.
pub async fn start(
    cache: Arc<ResponseCache>,
    db: DatabaseConnection,
    url: String,
    poll: Duration,
    also: super::write::Followers,
) {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let listener = if postgres { listen(&url).await } else { None };
    let caught_up = cache.catch_up(&db).await.is_ok();
    cache
        .fresh
        .store(caught_up && (!postgres || listener.is_some()), Ordering::Release);
    tokio::spawn(watch(cache, db, url, poll, listener, also));
}

async fn watch(
    cache: Arc<ResponseCache>,
    db: DatabaseConnection,
    url: String,
    poll: Duration,
    mut listener: Option<sea_orm::sqlx::postgres::PgListener>,
    also: super::write::Followers,
) {
    loop {
        if db.get_database_backend() == DbBackend::Postgres && listener.is_none() {
            listener = listen(&url).await;
        }
        // The others first: an answer computed from them after the cache
        // dropped it must not be computed from what they had not yet read.
        let others = also.wake().await;
        let caught_up = cache.catch_up(&db).await;
        let healthy =
            others && caught_up.is_ok() && (db.get_database_backend() != DbBackend::Postgres || listener.is_some());
        if let Err(err) = &caught_up {
            tracing::warn!(error = %err, "cannot read the change log; answering without the response cache");
        }
        cache.fresh.store(healthy, Ordering::Release);
        tokio::select! {
            notified = async {
                match listener.as_mut() {
                    Some(l) => l.try_recv().await.map(|n| n.is_some()),
                    None => std::future::pending().await,
                }
            } => {
                if !matches!(notified, Ok(true)) {
                    // The connection is gone: notifications may have been
                    // lost. Stop using the cache until a new listener is up
                    // and the log has been read again (in that order, so
                    // that no change falls between the two).
                    tracing::warn!(error = ?notified.err(), "change listener lost; reconnecting");
                    cache.fresh.store(false, Ordering::Release);
                    listener = None;
                }
            }
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// A `LISTEN kiji_changes` connection, named so operators (and tests) can
/// find it in `pg_stat_activity`.
async fn listen(url: &str) -> Option<sea_orm::sqlx::postgres::PgListener> {
    use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
    let options: PgConnectOptions = url.parse().ok()?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options.application_name("kiji-listener"));
    let mut listener = match PgListener::connect_with(&pool).await {
        Ok(listener) => listener,
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for changes");
            return None;
        }
    };
    listener.ignore_pool_close_event(true);
    match listener.listen(changes::CHANNEL).await {
        Ok(()) => Some(listener),
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for changes");
            None
        }
    }
}
