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

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{
    article_supervisor, article_tag, article_translation, career_entry, career_entry_translation, category,
    category_translation, claim, claim_reference, claim_translation, qualification, qualification_translation,
    reference, section, section_translation, supervisor, supervisor_translation, tag, tag_translation,
};
use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
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
pub fn request_loader(db: DatabaseConnection) -> (RequestLoader, Batches) {
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
    db: DatabaseConnection,
}

impl DbLoader {
    /// A loader reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// A table whose rows belong to a parent row through one column.
pub trait Child: EntityTrait {
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
    E::Model: Clone + Send + Sync,
{
    type Value = Arc<[E::Model]>;
    type Error = LoadError;

    async fn load(&self, keys: &[ChildrenOf<E>]) -> Result<HashMap<ChildrenOf<E>, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = E::find()
            .filter(E::parent_column().is_in(ids))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
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
child!(qualification, SupervisorId, supervisor_id, position = position);
child!(qualification_translation, QualificationId, qualification_id);
child!(career_entry, SupervisorId, supervisor_id, position = position);
child!(career_entry_translation, CareerEntryId, career_entry_id);

/// All sections of an article, ordered by position (tree order is rebuilt by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SectionsOf(pub Uuid);

/// Translations of every section of an article, by section id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SectionTextsOf(pub Uuid);

/// Claims of every section of an article, by section id, in position order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimsOf(pub Uuid);

/// Translations of every claim of an article, by claim id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimTextsOf(pub Uuid);

/// References cited by every claim of an article, by claim id, in citation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CitationsOf(pub Uuid);

/// Supervisors, authors and reviewers of an article, in listed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContributorsOf(pub Uuid);

/// Tags of an article, in listed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TagsOf(pub Uuid);

/// A category by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CategoryById(pub Uuid);

/// Rows grouped by an owner id, shared by every article of a batch.
pub type Grouped<T> = Arc<HashMap<Uuid, Vec<T>>>;

fn group<T>(rows: impl IntoIterator<Item = T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut out: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        out.entry(key(&row)).or_default().push(row);
    }
    out
}

fn share<K: Copy + Eq + Hash, V: Clone>(keys: &[K], value: V) -> HashMap<K, V> {
    keys.iter().map(|k| (*k, value.clone())).collect()
}

/// `SELECT id FROM section WHERE article_id IN (…)`
fn section_ids_of(articles: Vec<Uuid>) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(section::Column::Id)
        .from(section::Entity)
        .and_where(Expr::col(section::Column::ArticleId).is_in(articles))
        .to_owned()
}

/// `SELECT id FROM claim WHERE section_id IN (SELECT id FROM section WHERE article_id IN (…))`
fn claim_ids_of(articles: Vec<Uuid>) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(claim::Column::Id)
        .from(claim::Entity)
        .and_where(Expr::col(claim::Column::SectionId).in_subquery(section_ids_of(articles)))
        .to_owned()
}

fn ids<K: Copy>(keys: &[K], id: impl Fn(K) -> Uuid) -> Vec<Uuid> {
    keys.iter().map(|k| id(*k)).collect()
}

impl Loader<SectionsOf> for DbLoader {
    type Value = Arc<[section::Model]>;
    type Error = LoadError;

    async fn load(&self, keys: &[SectionsOf]) -> Result<HashMap<SectionsOf, Self::Value>, Self::Error> {
        let rows = section::Entity::find()
            .filter(section::Column::ArticleId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(section::Column::Position)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let mut grouped = group(rows, |s| s.article_id);
        Ok(keys
            .iter()
            .map(|k| (*k, Arc::from(grouped.remove(&k.0).unwrap_or_default())))
            .collect())
    }
}

impl Loader<SectionTextsOf> for DbLoader {
    type Value = Grouped<section_translation::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[SectionTextsOf]) -> Result<HashMap<SectionTextsOf, Self::Value>, Self::Error> {
        let rows = section_translation::Entity::find()
            .filter(Expr::col(section_translation::Column::SectionId).in_subquery(section_ids_of(ids(keys, |k| k.0))))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(share(keys, Arc::new(group(rows, |t| t.section_id))))
    }
}

impl Loader<ClaimsOf> for DbLoader {
    type Value = Grouped<claim::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[ClaimsOf]) -> Result<HashMap<ClaimsOf, Self::Value>, Self::Error> {
        let rows = claim::Entity::find()
            .filter(Expr::col(claim::Column::SectionId).in_subquery(section_ids_of(ids(keys, |k| k.0))))
            .order_by_asc(claim::Column::Position)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(share(keys, Arc::new(group(rows, |c| c.section_id))))
    }
}

impl Loader<ClaimTextsOf> for DbLoader {
    type Value = Grouped<claim_translation::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[ClaimTextsOf]) -> Result<HashMap<ClaimTextsOf, Self::Value>, Self::Error> {
        let rows = claim_translation::Entity::find()
            .filter(Expr::col(claim_translation::Column::ClaimId).in_subquery(claim_ids_of(ids(keys, |k| k.0))))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(share(keys, Arc::new(group(rows, |t| t.claim_id))))
    }
}

impl Loader<CitationsOf> for DbLoader {
    type Value = Grouped<(claim_reference::Model, reference::Model)>;
    type Error = LoadError;

    async fn load(&self, keys: &[CitationsOf]) -> Result<HashMap<CitationsOf, Self::Value>, Self::Error> {
        let rows = claim_reference::Entity::find()
            .find_also_related(reference::Entity)
            .filter(
                Expr::col((claim_reference::Entity, claim_reference::Column::ClaimId))
                    .in_subquery(claim_ids_of(ids(keys, |k| k.0))),
            )
            .order_by_asc(claim_reference::Column::Position)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        // The foreign key guarantees the reference; an inner-join miss is skipped.
        let pairs = rows.into_iter().filter_map(|(link, r)| r.map(|r| (link, r)));
        Ok(share(keys, Arc::new(group(pairs, |(link, _)| link.claim_id))))
    }
}

impl Loader<ContributorsOf> for DbLoader {
    type Value = Arc<[(article_supervisor::Model, supervisor::Model)]>;
    type Error = LoadError;

    async fn load(&self, keys: &[ContributorsOf]) -> Result<HashMap<ContributorsOf, Self::Value>, Self::Error> {
        let rows = article_supervisor::Entity::find()
            .find_also_related(supervisor::Entity)
            .filter(article_supervisor::Column::ArticleId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(article_supervisor::Column::Position)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let pairs = rows.into_iter().filter_map(|(link, s)| s.map(|s| (link, s)));
        let mut grouped = group(pairs, |(link, _)| link.article_id);
        Ok(keys
            .iter()
            .map(|k| (*k, Arc::from(grouped.remove(&k.0).unwrap_or_default())))
            .collect())
    }
}

impl Loader<TagsOf> for DbLoader {
    type Value = Arc<[tag::Model]>;
    type Error = LoadError;

    async fn load(&self, keys: &[TagsOf]) -> Result<HashMap<TagsOf, Self::Value>, Self::Error> {
        let rows = article_tag::Entity::find()
            .find_also_related(tag::Entity)
            .filter(article_tag::Column::ArticleId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(article_tag::Column::Position)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let pairs = rows.into_iter().filter_map(|(link, t)| t.map(|t| (link.article_id, t)));
        let mut grouped = group(pairs, |(article, _)| *article);
        Ok(keys
            .iter()
            .map(|k| {
                let tags: Vec<tag::Model> = grouped
                    .remove(&k.0)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(_, t)| t)
                    .collect();
                (*k, Arc::from(tags))
            })
            .collect())
    }
}

impl Loader<CategoryById> for DbLoader {
    type Value = category::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[CategoryById]) -> Result<HashMap<CategoryById, Self::Value>, Self::Error> {
        let rows = category::Entity::find()
            .filter(category::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|c| (CategoryById(c.id), c)).collect())
    }
}
