//! DataLoaders: every relation a resolver follows goes through here, so the
//! number of SQL statements for a page does not grow with its content.
//!
//! One [`DbLoader`] serves many key types; async-graphql batches each key
//! type separately. Two shapes of key exist:
//!
//! - [`ChildrenOf<E>`]: rows of table `E` whose parent column is the key —
//!   translations, qualifications, career entries.
//! - article-scoped keys ([`SectionTextsOf`], [`ClaimsOf`], …): everything of
//!   one kind under the given articles, in one statement. Sections nest, so a
//!   per-section key would be batched once per nesting level; keying by
//!   article makes the count independent of depth as well as of size. The
//!   value is one map shared by every article of the batch (ids are unique),
//!   which avoids a second lookup to split rows by article.

mod images;
mod joined;

pub use images::{HeroOf, ImageById, ImageRow, PhotoOf};
pub use joined::{
    CareerOf, CategoryOf, ClaimRows, ClaimRowsOf, ContributorRowsOf, QualificationsOf, SectionRows, SectionTreeOf,
    TagRowsOf, articles_with_texts,
};

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{FromColumns, article_translation, category_translation, supervisor_translation, tag_translation};
use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryTrait};

use crate::store::db::Reader;
use uuid::Uuid;

/// The per-request loader: batches per key type and caches for the request.
pub type RequestLoader = async_graphql::dataloader::DataLoader<DbLoader, async_graphql::dataloader::HashMapCache>;

/// A new loader for one request, and the batches it starts, which the
/// request's own task must run with [`Batches::drive`]. The loader never
/// outlives the request, so it never serves one request's rows to another.
///
/// Why not `tokio::spawn` and the default 1 ms delay: the delay exists so
/// that sibling resolvers can add their keys before a batch runs, and it
/// cost about 1 ms per level of the query (7 ms of an 11 ms article page).
/// Without a delay, a spawned batch can start on another worker thread while
/// the siblings are still adding keys, splitting it in two. Running batches
/// on the request's task, only between polls of the query, gives both: every
/// key a poll registers is in the batch, and no time is spent waiting.
pub fn request_loader(db: Arc<Reader>) -> (RequestLoader, Batches) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let loader = async_graphql::dataloader::DataLoader::with_cache(
        DbLoader::new(db),
        move |batch| {
            // The receiver lives as long as the request; after that nobody
            // waits for the batch.
            let _ = tx.send(batch);
        },
        async_graphql::dataloader::HashMapCache::default(),
    )
    .delay(std::time::Duration::ZERO);
    (loader, Batches(rx))
}

/// Batches started by a request's loader, waiting to be run.
pub struct Batches(tokio::sync::mpsc::UnboundedReceiver<BoxFuture<'static, ()>>);

impl Batches {
    /// Runs `work` to completion on the current task, running the loader's
    /// batches whenever `work` is waiting.
    pub async fn drive<F: std::future::Future>(mut self, work: F) -> F::Output {
        let mut work = std::pin::pin!(work);
        let mut running = FuturesUnordered::new();
        loop {
            tokio::select! {
                biased;
                output = &mut work => return output,
                Some(batch) = self.0.recv() => running.push(batch),
                Some(()) = running.next(), if !running.is_empty() => {}
            }
        }
    }
}

/// Error type of every loader: cloneable, as async-graphql requires.
pub type LoadError = Arc<DbErr>;

/// Loads content rows in batches.
pub struct DbLoader {
    db: Arc<Reader>,
}

impl DbLoader {
    /// A loader reading through `db`, the request's reader.
    pub fn new(db: Arc<Reader>) -> Self {
        Self { db }
    }
}

/// A table whose rows belong to a parent row through one column.
pub trait Child: EntityTrait<Model: FromColumns> {
    /// The column holding the parent's id.
    fn parent_column() -> Self::Column;
    /// The parent id of a row.
    fn parent_of(row: &Self::Model) -> Uuid;
    /// Order among siblings.
    fn position_of(_row: &Self::Model) -> i32 {
        0
    }
}

/// Rows of `E` belonging to the parent with this id.
pub struct ChildrenOf<E>(pub Uuid, PhantomData<fn() -> E>);

impl<E> ChildrenOf<E> {
    /// Key for the children of `parent`.
    pub fn new(parent: Uuid) -> Self {
        Self(parent, PhantomData)
    }
}

impl<E> Clone for ChildrenOf<E> {
    fn clone(&self) -> Self {
        Self::new(self.0)
    }
}

impl<E> PartialEq for ChildrenOf<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<E> Eq for ChildrenOf<E> {}

impl<E> Hash for ChildrenOf<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl<E> Loader<ChildrenOf<E>> for DbLoader
where
    E: Child + 'static,
    E::Model: FromColumns + Clone + Send + Sync,
{
    type Value = Arc<[E::Model]>;
    type Error = LoadError;

    async fn load(&self, keys: &[ChildrenOf<E>]) -> Result<HashMap<ChildrenOf<E>, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        // `find()` selects every column in `Column::iter()` order: read by
        // position, not by name (see `entity::FromColumns`).
        let select = E::find().filter(E::parent_column().is_in(ids)).into_query();
        let rows = self
            .db
            .query_all(&select)
            .await
            .map_err(Arc::new)?
            .iter()
            .map(|row| E::Model::from_columns(row, 0).map_err(|e| Arc::new(DbErr::from(e))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut grouped: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
        for row in rows {
            grouped.entry(E::parent_of(&row)).or_default().push(row);
        }
        Ok(keys
            .iter()
            .map(|key| {
                let mut rows = grouped.remove(&key.0).unwrap_or_default();
                rows.sort_by_key(E::position_of);
                (key.clone(), Arc::from(rows))
            })
            .collect())
    }
}

macro_rules! child {
    ($module:ident, $column:ident, $field:ident $(, position = $pos:ident)?) => {
        impl Child for $module::Entity {
            fn parent_column() -> Self::Column {
                $module::Column::$column
            }
            fn parent_of(row: &Self::Model) -> Uuid {
                row.$field
            }
            $(fn position_of(row: &Self::Model) -> i32 {
                row.$pos
            })?
        }
    };
}

child!(article_translation, ArticleId, article_id);
child!(category_translation, CategoryId, category_id);
child!(tag_translation, TagId, tag_id);
child!(supervisor_translation, SupervisorId, supervisor_id);

/// An article's translations without their intros, for lists that do not
/// show them: each intro is a JSON array of blocks, the largest column a
/// list would otherwise read and decode for nothing. `intro` reads as
/// empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextsWithoutIntro(pub Uuid);

impl Loader<TextsWithoutIntro> for DbLoader {
    type Value = Arc<[article_translation::Model]>;
    type Error = LoadError;

    async fn load(&self, keys: &[TextsWithoutIntro]) -> Result<HashMap<TextsWithoutIntro, Self::Value>, Self::Error> {
        use sea_orm::sea_query::{Expr, Query};
        use sea_orm::{DbBackend, Iterable};

        let empty = match self.db.get_database_backend() {
            DbBackend::Postgres => "CAST('[]' AS json)",
            _ => "'[]'",
        };
        let mut select = Query::select();
        for column in article_translation::Column::iter() {
            // Every column in `Column::iter()` order, for `FromColumns`.
            match column {
                article_translation::Column::Intro => select.expr(Expr::cust(empty)),
                _ => select.column((article_translation::Entity, column)),
            };
        }
        select
            .from(article_translation::Entity)
            .and_where(article_translation::Column::ArticleId.is_in(keys.iter().map(|k| k.0)));
        let mut grouped: HashMap<Uuid, Vec<article_translation::Model>> = HashMap::new();
        for row in self.db.query_all(&select).await.map_err(Arc::new)? {
            let text = article_translation::Model::from_columns(&row, 0).map_err(|e| Arc::new(DbErr::from(e)))?;
            grouped.entry(text.article_id).or_default().push(text);
        }
        Ok(keys
            .iter()
            .map(|key| (*key, Arc::from(grouped.remove(&key.0).unwrap_or_default())))
            .collect())
    }
}

/// Rows grouped by an owner id, shared by every article of a batch.
pub type Grouped<T> = Arc<HashMap<Uuid, Vec<T>>>;
