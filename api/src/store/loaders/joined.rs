//! Loaders that bring a row together with its texts (and, for claims, its
//! citations) in one statement, with `LEFT JOIN`s: a page then costs one
//! statement per kind of thing it shows, not two.
//!
//! Rows are selected with every column named `{prefix}{column}` — the
//! naming SeaORM's own joins use, which keeps the SQL readable — and
//! decoded by position (`entity::FromColumns`): each model's columns start
//! where the one before it ends. A joined row
//! repeats its parent once per child; the loaders fold them back.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::FromColumns;
use entity::{
    article, article_supervisor, article_tag, article_translation, career_entry, career_entry_translation, category,
    category_translation, claim, claim_reference, claim_translation, qualification, qualification_translation,
    reference, section, section_translation, supervisor, supervisor_translation, tag, tag_translation,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, IdenStatic, Iterable, QueryResult, TryGetError};
use uuid::Uuid;

use super::{DbLoader, Grouped, LoadError};

/// Selects every column of `E`, each named `{prefix}{column}`.
fn select_all<E: EntityTrait>(select: &mut SelectStatement, prefix: &str) {
    for column in E::Column::iter() {
        select.expr_as(
            Expr::col((E::default(), column)),
            Alias::new(format!("{prefix}{}", column.as_str())),
        );
    }
}

/// The row of `E` in the columns from `at`, `None` when a `LEFT JOIN`
/// found none.
fn optional<E: EntityTrait>(row: &QueryResult, at: usize) -> Result<Option<E::Model>, DbErr>
where
    E::Model: FromColumns,
{
    match E::Model::from_columns(row, at) {
        Ok(model) => Ok(Some(model)),
        Err(TryGetError::Null(_)) => Ok(None),
        Err(TryGetError::DbErr(err)) => Err(err),
    }
}

/// The row of `E` in the columns from `at`.
fn required<E: EntityTrait>(row: &QueryResult, at: usize) -> Result<E::Model, DbErr>
where
    E::Model: FromColumns,
{
    Ok(E::Model::from_columns(row, at)?)
}

/// How many columns `select_all::<E>` selects.
fn width<E: EntityTrait>() -> usize
where
    E::Model: FromColumns,
{
    <E::Model as FromColumns>::COLUMNS
}

impl DbLoader {
    /// The rows `select` reads, through the request's reader.
    pub(super) async fn rows(&self, select: &SelectStatement) -> Result<Vec<QueryResult>, LoadError> {
        let statement = self.db.get_database_backend().build(select);
        self.db.query_all_raw(statement).await.map_err(Arc::new)
    }
}

/// `SELECT id FROM section WHERE article_id IN (…)`
fn section_ids_of(articles: Vec<Uuid>) -> SelectStatement {
    Query::select()
        .column(section::Column::Id)
        .from(section::Entity)
        .and_where(Expr::col(section::Column::ArticleId).is_in(articles))
        .to_owned()
}

/// An article's sections (in position order) and their texts.
#[derive(Debug, Clone, Default)]
pub struct SectionRows {
    /// Every section of the article.
    pub sections: Arc<[section::Model]>,
    /// Texts by section id.
    pub texts: Grouped<Arc<section_translation::Model>>,
}

/// The sections of an article, with their texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SectionTreeOf(pub Uuid);

impl Loader<SectionTreeOf> for DbLoader {
    type Value = SectionRows;
    type Error = LoadError;

    async fn load(&self, keys: &[SectionTreeOf]) -> Result<HashMap<SectionTreeOf, Self::Value>, Self::Error> {
        let mut select = Query::select();
        select_all::<section::Entity>(&mut select, "A_");
        select_all::<section_translation::Entity>(&mut select, "B_");
        select
            .from(section::Entity)
            .left_join(
                section_translation::Entity,
                Expr::col((section_translation::Entity, section_translation::Column::SectionId))
                    .equals((section::Entity, section::Column::Id)),
            )
            .and_where(Expr::col((section::Entity, section::Column::ArticleId)).is_in(keys.iter().map(|k| k.0)))
            .order_by((section::Entity, section::Column::Position), Order::Asc)
            .order_by((section::Entity, section::Column::Id), Order::Asc);
        let mut sections: HashMap<Uuid, Vec<section::Model>> = HashMap::new();
        let mut texts: HashMap<Uuid, Vec<Arc<section_translation::Model>>> = HashMap::new();
        let mut last: Option<Uuid> = None;
        for row in self.rows(&select).await? {
            // A section's rows are adjacent (one per text): decode it once
            // (`section.id` leads its columns).
            let id: Uuid = row.try_get_by_index(0).map_err(Arc::new)?;
            if last != Some(id) {
                let section = required::<section::Entity>(&row, 0).map_err(Arc::new)?;
                sections.entry(section.article_id).or_default().push(section);
                last = Some(id);
            }
            if let Some(text) =
                optional::<section_translation::Entity>(&row, width::<section::Entity>()).map_err(Arc::new)?
            {
                texts.entry(id).or_default().push(Arc::new(text));
            }
        }
        let texts: Grouped<Arc<section_translation::Model>> = Arc::new(texts);
        Ok(keys
            .iter()
            .map(|k| {
                let rows = SectionRows {
                    sections: Arc::from(sections.remove(&k.0).unwrap_or_default()),
                    texts: texts.clone(),
                };
                (*k, rows)
            })
            .collect())
    }
}

/// The claims of articles, with their texts and citations. One value is
/// shared by every article of a batch (ids are unique).
#[derive(Debug, Clone, Default)]
pub struct ClaimRows {
    /// Claims by section id, in position order.
    pub claims: Grouped<claim::Model>,
    /// Texts by claim id.
    pub texts: Grouped<Arc<claim_translation::Model>>,
    /// Cited references by claim id, in citation order.
    pub citations: Grouped<(claim_reference::Model, Arc<reference::Model>)>,
}

/// The claims of an article, with their texts and citations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimRowsOf(pub Uuid);

impl Loader<ClaimRowsOf> for DbLoader {
    type Value = ClaimRows;
    type Error = LoadError;

    async fn load(&self, keys: &[ClaimRowsOf]) -> Result<HashMap<ClaimRowsOf, Self::Value>, Self::Error> {
        let mut select = Query::select();
        select_all::<claim::Entity>(&mut select, "A_");
        select_all::<claim_translation::Entity>(&mut select, "B_");
        select_all::<claim_reference::Entity>(&mut select, "C_");
        select_all::<reference::Entity>(&mut select, "D_");
        select
            .from(claim::Entity)
            .left_join(
                claim_translation::Entity,
                Expr::col((claim_translation::Entity, claim_translation::Column::ClaimId))
                    .equals((claim::Entity, claim::Column::Id)),
            )
            .left_join(
                claim_reference::Entity,
                Expr::col((claim_reference::Entity, claim_reference::Column::ClaimId))
                    .equals((claim::Entity, claim::Column::Id)),
            )
            .left_join(
                reference::Entity,
                Expr::col((reference::Entity, reference::Column::Id))
                    .equals((claim_reference::Entity, claim_reference::Column::ReferenceId)),
            )
            .and_where(
                Expr::col((claim::Entity, claim::Column::SectionId))
                    .in_subquery(section_ids_of(keys.iter().map(|k| k.0).collect())),
            )
            .order_by((claim::Entity, claim::Column::Position), Order::Asc)
            .order_by((claim::Entity, claim::Column::Id), Order::Asc)
            .order_by((claim_reference::Entity, claim_reference::Column::Position), Order::Asc);
        let mut claims: HashMap<Uuid, Vec<claim::Model>> = HashMap::new();
        let mut texts: HashMap<Uuid, Vec<Arc<claim_translation::Model>>> = HashMap::new();
        let mut citations: HashMap<Uuid, Vec<(claim_reference::Model, Arc<reference::Model>)>> = HashMap::new();
        let mut seen: HashSet<Uuid> = HashSet::new();
        let mut references: HashMap<Uuid, Arc<reference::Model>> = HashMap::new();
        // Where each model's columns start: claim, text, citation, reference.
        let text_at = width::<claim::Entity>();
        let link_at = text_at + width::<claim_translation::Entity>();
        let cited_at = link_at + width::<claim_reference::Entity>();
        for row in self.rows(&select).await? {
            // A claim repeats once per text and citation, and a reference
            // once per claim citing it: each is decoded the first time only
            // (`claim.id`, `claim_translation.locale` and `reference.id` are
            // the first, second and first of their columns).
            let claim_id: Uuid = row.try_get_by_index(0).map_err(Arc::new)?;
            if seen.insert(claim_id) {
                let claim = required::<claim::Entity>(&row, 0).map_err(Arc::new)?;
                claims.entry(claim.section_id).or_default().push(claim);
            }
            if let Some(locale) = row.try_get_by_index::<Option<String>>(text_at + 1).map_err(Arc::new)? {
                let list = texts.entry(claim_id).or_default();
                if !list.iter().any(|t| t.locale == locale) {
                    list.push(Arc::new(
                        required::<claim_translation::Entity>(&row, text_at).map_err(Arc::new)?,
                    ));
                }
            }
            if let Some(reference_id) = row.try_get_by_index::<Option<Uuid>>(cited_at).map_err(Arc::new)? {
                let list = citations.entry(claim_id).or_default();
                if !list.iter().any(|(_, cited)| cited.id == reference_id) {
                    let link = required::<claim_reference::Entity>(&row, link_at).map_err(Arc::new)?;
                    let cited = match references.get(&reference_id) {
                        Some(cited) => cited.clone(),
                        None => {
                            let cited = Arc::new(required::<reference::Entity>(&row, cited_at).map_err(Arc::new)?);
                            references.insert(reference_id, cited.clone());
                            cited
                        }
                    };
                    list.push((link, cited));
                }
            }
        }
        let value = ClaimRows {
            claims: Arc::new(claims),
            texts: Arc::new(texts),
            citations: Arc::new(citations),
        };
        Ok(keys.iter().map(|k| (*k, value.clone())).collect())
    }
}

/// Articles matching `condition`, each with its translations, in one
/// statement (for a single article; a page of a list needs its `LIMIT` on
/// articles, not on joined rows).
pub async fn articles_with_texts(
    db: &impl sea_orm::ConnectionTrait,
    condition: sea_orm::Condition,
) -> Result<Vec<WithTexts<article::Model, article_translation::Model>>, DbErr> {
    let mut select = Query::select();
    select_all::<article::Entity>(&mut select, "A_");
    select_all::<article_translation::Entity>(&mut select, "B_");
    select
        .from(article::Entity)
        .left_join(
            article_translation::Entity,
            Expr::col((article_translation::Entity, article_translation::Column::ArticleId))
                .equals((article::Entity, article::Column::Id)),
        )
        .cond_where(condition)
        .order_by((article::Entity, article::Column::Id), Order::Asc);
    let statement = db.get_database_backend().build(&select);
    let mut rows = Vec::new();
    for row in db.query_all_raw(statement).await? {
        rows.push((
            required::<article::Entity>(&row, 0)?,
            optional::<article_translation::Entity>(&row, width::<article::Entity>())?,
        ));
    }
    Ok(fold(rows, |a, b| a.id == b.id))
}

/// A row with its texts in every locale.
pub type WithTexts<M, T> = (M, Vec<T>);

/// Folds `(parent, Option<text>)` rows, in order, into parents with texts.
fn fold<M, T>(rows: Vec<(M, Option<T>)>, same: impl Fn(&M, &M) -> bool) -> Vec<WithTexts<M, T>> {
    let mut out: Vec<WithTexts<M, T>> = Vec::new();
    for (parent, text) in rows {
        match out.last_mut() {
            Some((last, texts)) if same(last, &parent) => texts.extend(text),
            _ => out.push((parent, text.into_iter().collect())),
        }
    }
    out
}

/// The category with this id, with its texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CategoryOf(pub Uuid);

impl Loader<CategoryOf> for DbLoader {
    type Value = Arc<WithTexts<category::Model, category_translation::Model>>;
    type Error = LoadError;

    async fn load(&self, keys: &[CategoryOf]) -> Result<HashMap<CategoryOf, Self::Value>, Self::Error> {
        let mut select = Query::select();
        select_all::<category::Entity>(&mut select, "A_");
        select_all::<category_translation::Entity>(&mut select, "B_");
        select
            .from(category::Entity)
            .left_join(
                category_translation::Entity,
                Expr::col((category_translation::Entity, category_translation::Column::CategoryId))
                    .equals((category::Entity, category::Column::Id)),
            )
            .and_where(Expr::col((category::Entity, category::Column::Id)).is_in(keys.iter().map(|k| k.0)))
            .order_by((category::Entity, category::Column::Id), Order::Asc);
        let mut rows = Vec::new();
        for row in self.rows(&select).await? {
            rows.push((
                required::<category::Entity>(&row, 0).map_err(Arc::new)?,
                optional::<category_translation::Entity>(&row, width::<category::Entity>()).map_err(Arc::new)?,
            ));
        }
        Ok(fold(rows, |a, b| a.id == b.id)
            .into_iter()
            .map(|(c, texts)| (CategoryOf(c.id), Arc::new((c, texts))))
            .collect())
    }
}

/// The tags of an article, in listed order, with their texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TagRowsOf(pub Uuid);

impl Loader<TagRowsOf> for DbLoader {
    type Value = Arc<[WithTexts<tag::Model, tag_translation::Model>]>;
    type Error = LoadError;

    async fn load(&self, keys: &[TagRowsOf]) -> Result<HashMap<TagRowsOf, Self::Value>, Self::Error> {
        let mut select = Query::select();
        select_all::<article_tag::Entity>(&mut select, "A_");
        select_all::<tag::Entity>(&mut select, "B_");
        select_all::<tag_translation::Entity>(&mut select, "C_");
        select
            .from(article_tag::Entity)
            .inner_join(
                tag::Entity,
                Expr::col((tag::Entity, tag::Column::Id)).equals((article_tag::Entity, article_tag::Column::TagId)),
            )
            .left_join(
                tag_translation::Entity,
                Expr::col((tag_translation::Entity, tag_translation::Column::TagId))
                    .equals((tag::Entity, tag::Column::Id)),
            )
            .and_where(Expr::col((article_tag::Entity, article_tag::Column::ArticleId)).is_in(keys.iter().map(|k| k.0)))
            .order_by((article_tag::Entity, article_tag::Column::ArticleId), Order::Asc)
            .order_by((article_tag::Entity, article_tag::Column::Position), Order::Asc)
            // A tag's texts in consecutive rows, whatever the positions.
            .order_by((tag::Entity, tag::Column::Id), Order::Asc);
        let tag_at = width::<article_tag::Entity>();
        let text_at = tag_at + width::<tag::Entity>();
        let mut by_article: HashMap<Uuid, Vec<WithTexts<tag::Model, tag_translation::Model>>> = HashMap::new();
        for row in self.rows(&select).await? {
            // A tag repeats once per text and is decoded the first time only
            // (`article_tag.article_id` and `tag.id` lead their columns).
            let article_id: Uuid = row.try_get_by_index(0).map_err(Arc::new)?;
            let tag_id: Uuid = row.try_get_by_index(tag_at).map_err(Arc::new)?;
            let tags = by_article.entry(article_id).or_default();
            if tags.last().is_none_or(|(tag, _)| tag.id != tag_id) {
                tags.push((required::<tag::Entity>(&row, tag_at).map_err(Arc::new)?, Vec::new()));
            }
            let text = optional::<tag_translation::Entity>(&row, text_at).map_err(Arc::new)?;
            if let (Some(text), Some((_, texts))) = (text, tags.last_mut()) {
                texts.push(text);
            }
        }
        Ok(keys
            .iter()
            .map(|k| (*k, Arc::from(by_article.remove(&k.0).unwrap_or_default())))
            .collect())
    }
}

/// A contributor link, the person, and the person's profile texts.
pub type ContributorRow = (
    article_supervisor::Model,
    supervisor::Model,
    Vec<supervisor_translation::Model>,
);

/// The contributors of an article, in listed order, with their people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContributorRowsOf(pub Uuid);

impl Loader<ContributorRowsOf> for DbLoader {
    type Value = Arc<[ContributorRow]>;
    type Error = LoadError;

    async fn load(&self, keys: &[ContributorRowsOf]) -> Result<HashMap<ContributorRowsOf, Self::Value>, Self::Error> {
        let mut select = Query::select();
        select_all::<article_supervisor::Entity>(&mut select, "A_");
        select_all::<supervisor::Entity>(&mut select, "B_");
        select_all::<supervisor_translation::Entity>(&mut select, "C_");
        select
            .from(article_supervisor::Entity)
            .inner_join(
                supervisor::Entity,
                Expr::col((supervisor::Entity, supervisor::Column::Id))
                    .equals((article_supervisor::Entity, article_supervisor::Column::SupervisorId)),
            )
            .left_join(
                supervisor_translation::Entity,
                Expr::col((
                    supervisor_translation::Entity,
                    supervisor_translation::Column::SupervisorId,
                ))
                .equals((supervisor::Entity, supervisor::Column::Id)),
            )
            .and_where(
                Expr::col((article_supervisor::Entity, article_supervisor::Column::ArticleId))
                    .is_in(keys.iter().map(|k| k.0)),
            )
            .order_by(
                (article_supervisor::Entity, article_supervisor::Column::ArticleId),
                Order::Asc,
            )
            .order_by(
                (article_supervisor::Entity, article_supervisor::Column::Position),
                Order::Asc,
            )
            // A link's texts in consecutive rows, whatever the positions.
            .order_by(
                (article_supervisor::Entity, article_supervisor::Column::SupervisorId),
                Order::Asc,
            )
            .order_by(
                (article_supervisor::Entity, article_supervisor::Column::Role),
                Order::Asc,
            );
        let person_at = width::<article_supervisor::Entity>();
        let text_at = person_at + width::<supervisor::Entity>();
        let mut by_article: HashMap<Uuid, Vec<ContributorRow>> = HashMap::new();
        for row in self.rows(&select).await? {
            let link = required::<article_supervisor::Entity>(&row, 0).map_err(Arc::new)?;
            let text = optional::<supervisor_translation::Entity>(&row, text_at).map_err(Arc::new)?;
            let list = by_article.entry(link.article_id).or_default();
            // One entry per stored link (a person may hold several roles);
            // the person repeats once per text and is decoded once.
            match list
                .last_mut()
                .filter(|(last, _, _)| last.supervisor_id == link.supervisor_id && last.role == link.role)
            {
                Some((_, _, texts)) => texts.extend(text),
                None => {
                    let person = required::<supervisor::Entity>(&row, person_at).map_err(Arc::new)?;
                    list.push((link, person, text.into_iter().collect()));
                }
            }
        }
        Ok(keys
            .iter()
            .map(|k| (*k, Arc::from(by_article.remove(&k.0).unwrap_or_default())))
            .collect())
    }
}

/// The qualifications of a supervisor, in listed order, with their texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QualificationsOf(pub Uuid);

impl Loader<QualificationsOf> for DbLoader {
    type Value = Arc<[WithTexts<qualification::Model, qualification_translation::Model>]>;
    type Error = LoadError;

    async fn load(&self, keys: &[QualificationsOf]) -> Result<HashMap<QualificationsOf, Self::Value>, Self::Error> {
        let mut by_owner = self
            .owned_with_texts::<qualification::Entity, qualification_translation::Entity>(
                keys.iter().map(|k| k.0),
                Owned {
                    id: qualification::Column::Id,
                    owner: qualification::Column::SupervisorId,
                    position: qualification::Column::Position,
                    text_of: qualification_translation::Column::QualificationId,
                },
                |row| (row.supervisor_id, row.id),
            )
            .await?;
        Ok(keys
            .iter()
            .map(|k| (*k, Arc::from(by_owner.remove(&k.0).unwrap_or_default())))
            .collect())
    }
}

/// The career entries of a supervisor, in listed order, with their texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CareerOf(pub Uuid);

impl Loader<CareerOf> for DbLoader {
    type Value = Arc<[WithTexts<career_entry::Model, career_entry_translation::Model>]>;
    type Error = LoadError;

    async fn load(&self, keys: &[CareerOf]) -> Result<HashMap<CareerOf, Self::Value>, Self::Error> {
        let mut by_owner = self
            .owned_with_texts::<career_entry::Entity, career_entry_translation::Entity>(
                keys.iter().map(|k| k.0),
                Owned {
                    id: career_entry::Column::Id,
                    owner: career_entry::Column::SupervisorId,
                    position: career_entry::Column::Position,
                    text_of: career_entry_translation::Column::CareerEntryId,
                },
                |row| (row.supervisor_id, row.id),
            )
            .await?;
        Ok(keys
            .iter()
            .map(|k| (*k, Arc::from(by_owner.remove(&k.0).unwrap_or_default())))
            .collect())
    }
}

/// The columns that tie an owned row (a qualification, a career entry) to
/// its owner, its place among its siblings, and its texts.
struct Owned<P: EntityTrait, T: EntityTrait> {
    id: P::Column,
    owner: P::Column,
    position: P::Column,
    /// The column of `T` naming the row it translates.
    text_of: T::Column,
}

impl DbLoader {
    /// Rows of `P` belonging to `owners`, in position order, each with its
    /// texts from `T`, in one statement; `keys` gives a row's owner and id.
    async fn owned_with_texts<P, T>(
        &self,
        owners: impl IntoIterator<Item = Uuid>,
        columns: Owned<P, T>,
        keys: impl Fn(&P::Model) -> (Uuid, Uuid),
    ) -> Result<HashMap<Uuid, Vec<WithTexts<P::Model, T::Model>>>, LoadError>
    where
        P: EntityTrait,
        T: EntityTrait,
        P::Model: FromColumns,
        T::Model: FromColumns,
    {
        let mut select = Query::select();
        select_all::<P>(&mut select, "A_");
        select_all::<T>(&mut select, "B_");
        select
            .from(P::default())
            .left_join(
                T::default(),
                Expr::col((T::default(), columns.text_of)).equals((P::default(), columns.id)),
            )
            .and_where(Expr::col((P::default(), columns.owner)).is_in(owners))
            .order_by((P::default(), columns.owner), Order::Asc)
            .order_by((P::default(), columns.position), Order::Asc)
            // A row's texts in consecutive rows, whatever the positions.
            .order_by((P::default(), columns.id), Order::Asc);
        let mut by_owner = HashMap::<Uuid, Vec<_>>::new();
        for row in self.rows(&select).await? {
            let parent = required::<P>(&row, 0).map_err(Arc::new)?;
            let text = optional::<T>(&row, width::<P>()).map_err(Arc::new)?;
            by_owner.entry(keys(&parent).0).or_default().push((parent, text));
        }
        Ok(by_owner
            .into_iter()
            .map(|(owner, rows)| (owner, fold(rows, |a, b| keys(a).1 == keys(b).1)))
            .collect())
    }
}
