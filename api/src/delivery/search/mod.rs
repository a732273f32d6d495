//! Full-text search over published articles: an embedded tantivy index on
//! each instance's local disk (or in memory), built from the database when
//! it is missing and kept fresh by following the change log, as the
//! response cache is.
//!
//! - One document per article and locale the public can read, holding
//!   what a reader of that locale sees (`documents`), analyzed by
//!   `analyzer`: CJK bigrams and stemmed words.
//! - The commit payload records the schema version and the change-log
//!   position the index reflects, so a restart catches up from there and
//!   an index of another version is rebuilt.
//! - A change touching an article replaces its documents with what the
//!   public can read now (nothing, once it is unpublished or archived).
//! - Queries are answered by `query`; a hit's snippet by `snippet`.

pub mod analyzer;
pub mod documents;
pub mod query;
pub mod snippet;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use uuid::Uuid;

use crate::store::changes;

/// Bumped whenever the schema or the analyzer changes: an index written
/// by another version is rebuilt rather than misread.
const VERSION: u32 = 1;

/// Memory the writer may buffer before it writes a segment.
const WRITER_BUDGET: usize = 50 * 1024 * 1024;

/// Articles read from the database per step of a rebuild.
const REBUILD_PAGE: u64 = 500;

/// Why the index could not be opened, built or updated.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The index failed (disk, corrupt files).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The database could not be read.
    #[error("search index: {0}")]
    Database(#[from] DbErr),
    /// The directory could not be made.
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
    /// A blocking task was cancelled.
    #[error("search index: task failed")]
    Task,
}

/// Where the index lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// In memory: rebuilt at every start (tests, small deployments).
    Memory,
    /// In this directory.
    Dir(PathBuf),
}

/// The index's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub article: Field,
    pub locale: Field,
    pub category: Field,
    pub tag: Field,
    pub title: Field,
    pub headings: Field,
    pub lead: Field,
    pub body: Field,
    pub passages: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer::NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        article: builder.add_text_field("article", STRING | STORED),
        locale: builder.add_text_field("locale", STRING | STORED),
        category: builder.add_facet_field("category", FacetOptions::default()),
        tag: builder.add_text_field("tag", STRING),
        title: builder.add_text_field("title", text.clone() | STORED),
        headings: builder.add_text_field("headings", text.clone()),
        lead: builder.add_text_field("lead", text.clone() | STORED),
        body: builder.add_text_field("body", text),
        passages: builder.add_text_field("passages", STORED),
    };
    (builder.build(), fields)
}

/// What the commit payload records.
#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    version: u32,
    position: i64,
}

/// One instance's search index.
pub struct SearchIndex {
    pub(crate) reader: IndexReader,
    writer: Arc<Mutex<IndexWriter>>,
    pub(crate) fields: Fields,
    applied: AtomicI64,
    following: tokio::sync::Mutex<()>,
    /// The response cache, whose search answers each commit drops: the
    /// cache may have applied a change before the index did.
    cache: std::sync::OnceLock<Arc<crate::store::cache::ResponseCache>>,
}

impl SearchIndex {
    /// Opens the index at `location` (in a directory per version). A
    /// directory another process holds, or one that cannot be read, is not
    /// used: this instance keeps its index in memory instead, and says so.
    pub fn open(location: &Location) -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        let (index, writer) = match location {
            Location::Memory => in_memory(&schema)?,
            Location::Dir(dir) => match on_disk(dir, &schema) {
                Ok(opened) => opened,
                Err(err) => {
                    tracing::warn!(dir = %dir.display(), error = %err, "cannot use the search index directory; keeping the index in memory");
                    in_memory(&schema)?
                }
            },
        };
        let payload: Option<Payload> = index
            .load_metas()?
            .payload
            .and_then(|p| serde_json::from_str(&p).ok())
            .filter(|p: &Payload| p.version == VERSION);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self {
            reader,
            writer: Arc::new(Mutex::new(writer)),
            fields,
            applied: AtomicI64::new(payload.map_or(-1, |p| p.position)),
            following: tokio::sync::Mutex::new(()),
            cache: std::sync::OnceLock::new(),
        })
    }

    /// Has each commit drop `cache`'s answers that list articles (search
    /// answers among them).
    pub fn invalidates(&self, cache: Arc<crate::store::cache::ResponseCache>) {
        let _ = self.cache.set(cache);
    }

    /// The change-log position the index reflects; -1 before it is built.
    pub fn applied(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }

    /// Builds the index from the database when it has never been built
    /// (or was of another version), then catches up with the log.
    pub async fn start(&self, db: &DatabaseConnection) -> Result<(), SearchError> {
        // A log that ends before the index's position is another database
        // under the same name (recreated, or restored from a backup).
        if self.applied() < 0 || self.applied() > changes::latest(db).await? {
            self.rebuild(db).await?;
        }
        self.catch_up(db).await
    }

    /// Replaces the whole index with what the public can read now.
    pub async fn rebuild(&self, db: &DatabaseConnection) -> Result<(), SearchError> {
        let _following = self.following.lock().await;
        let started = std::time::Instant::now();
        // Read first: changes committed while the documents are read come
        // after it and are applied again by the next catch-up (replacing
        // an article's documents twice does no harm).
        let position = changes::latest(db).await?;
        let now = Utc::now();
        self.applied.store(-1, Ordering::Release);
        self.write(|writer| writer.delete_all_documents().map(drop)).await?;
        let mut after = None;
        let mut count = 0usize;
        loop {
            let ids = documents::visible_ids(db, after, REBUILD_PAGE, now).await?;
            let Some(last) = ids.last().copied() else {
                break;
            };
            let docs = documents::load(db, &ids, now).await?;
            count += docs.len();
            let fields = self.fields;
            self.write(move |writer| add_all(writer, fields, &docs)).await?;
            after = Some(last);
        }
        self.commit(position).await?;
        tracing::info!(
            documents = count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "search index built"
        );
        Ok(())
    }

    /// Applies every change after the applied position.
    pub async fn catch_up(&self, db: &DatabaseConnection) -> Result<(), SearchError> {
        let _following = self.following.lock().await;
        loop {
            let batch = changes::after(db, self.applied(), 500).await?;
            let Some(last) = batch.last().map(|c| c.position) else {
                return Ok(());
            };
            let mut ids: Vec<Uuid> = batch
                .iter()
                .flat_map(|c| serde_json::from_value::<Vec<String>>(c.entities.clone()).unwrap_or_default())
                .filter_map(|key| key.strip_prefix("article:").and_then(|id| Uuid::parse_str(id).ok()))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            // Judged at the later of this clock and the change's: a
            // publication the clock job logged is visible at its entry
            // even where this instance's clock runs a little behind.
            let at = batch
                .iter()
                .map(|c| c.at)
                .max()
                .map_or_else(Utc::now, |at| at.max(Utc::now()));
            let docs = documents::load(db, &ids, at).await?;
            let fields = self.fields;
            self.write(move |writer| {
                for id in &ids {
                    writer.delete_term(Term::from_field_text(fields.article, &id.simple().to_string()));
                }
                add_all(writer, fields, &docs)
            })
            .await?;
            self.commit(last).await?;
        }
    }

    /// Runs `f` with the writer on a blocking thread.
    async fn write(
        &self,
        f: impl FnOnce(&mut IndexWriter) -> tantivy::Result<()> + Send + 'static,
    ) -> Result<(), SearchError> {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = writer.lock().map_err(|_| SearchError::Task)?;
            f(&mut writer).map_err(SearchError::from)
        })
        .await
        .map_err(|_| SearchError::Task)?
    }

    /// Commits what was written as reflecting `position`, and shows it to
    /// searches.
    async fn commit(&self, position: i64) -> Result<(), SearchError> {
        let payload = serde_json::to_string(&Payload {
            version: VERSION,
            position,
        })
        .unwrap_or_default();
        self.write(move |writer| {
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit().map(drop)
        })
        .await?;
        self.reader.reload()?;
        if let Some(cache) = self.cache.get() {
            cache.invalidate_collection("articles");
        }
        // A rebuild may move the position back (another database); a
        // catch-up only forward.
        let _ = self.applied.fetch_update(Ordering::AcqRel, Ordering::Acquire, |at| {
            (position > at).then_some(position)
        });
        Ok(())
    }
}

#[async_trait::async_trait]
impl crate::store::write::Follower for SearchIndex {
    async fn follow(&self, db: &DatabaseConnection) -> bool {
        if self.applied() < 0 {
            return false;
        }
        match self.catch_up(db).await {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(error = %err, "cannot bring the search index up to date");
                false
            }
        }
    }
}

fn in_memory(schema: &Schema) -> Result<(Index, IndexWriter), SearchError> {
    let index = Index::create_in_ram(schema.clone());
    register(&index);
    let writer = index.writer_with_num_threads(1, WRITER_BUDGET)?;
    Ok((index, writer))
}

fn on_disk(dir: &Path, schema: &Schema) -> Result<(Index, IndexWriter), SearchError> {
    // One directory per version: an instance of another version on the
    // same machine (a rolling deploy) keeps its own index.
    let dir = dir.join(format!("v{VERSION}"));
    std::fs::create_dir_all(&dir)?;
    let directory = tantivy::directory::MmapDirectory::open(&dir).map_err(tantivy::TantivyError::from)?;
    let index = Index::open_or_create(directory, schema.clone())?;
    register(&index);
    let writer = index.writer_with_num_threads(1, WRITER_BUDGET)?;
    Ok((index, writer))
}

fn register(index: &Index) {
    index.tokenizers().register(analyzer::NAME, analyzer::analyzer());
}

fn add_all(writer: &mut IndexWriter, fields: Fields, docs: &[documents::Doc]) -> tantivy::Result<()> {
    for doc in docs {
        let mut d = TantivyDocument::default();
        d.add_text(fields.article, doc.article.simple().to_string());
        d.add_text(fields.locale, &doc.locale);
        d.add_facet(fields.category, Facet::from_path([doc.category.simple().to_string()]));
        for tag in &doc.tags {
            d.add_text(fields.tag, tag.simple().to_string());
        }
        d.add_text(fields.title, &doc.title);
        d.add_text(fields.lead, &doc.lead);
        for p in &doc.passages {
            d.add_text(fields.headings, &p.heading);
            d.add_text(fields.body, &p.text);
        }
        d.add_text(
            fields.passages,
            serde_json::to_string(&doc.passages).unwrap_or_default(),
        );
        writer.add_document(d)?;
    }
    Ok(())
}

/// Where the index of the database at `database_url` lives by default:
/// a directory per database under `base`, so one checkout pointed at two
/// databases keeps two indexes.
pub fn default_dir(base: &Path, database_url: &str) -> PathBuf {
    use sha2::Digest as _;
    // The password is not part of which database it is.
    let without_password = match (database_url.find("://"), database_url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &database_url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{}{}", &database_url[..scheme + 3], user, &database_url[at..])
        }
        _ => database_url.to_owned(),
    };
    let digest = sha2::Sha256::digest(without_password.as_bytes());
    base.join(hex::encode(&digest[..6]))
}
