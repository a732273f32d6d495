//! Loaders that bring a row together with its texts (and, for claims, its
//! citations) in one statement, with `LEFT JOIN`s: a page then costs one
//! statement per kind of thing it shows, not two.
//!
//! Rows are selected with every column named `{prefix}{column}` — the
//! naming SeaORM's own joins use — and decoded with each entity's
//! `FromQueryResult`, so both backends decode them alike. A joined row
//! repeats its parent once per child; the loaders fold them back.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{
    article, article_supervisor, article_tag, article_translation, career_entry, career_entry_translation, category,
    category_translation, claim, claim_reference, claim_translation, qualification, qualification_translation,
    reference, section, section_translation, supervisor, supervisor_translation, tag, tag_translation,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryFilter,
    QueryResult,
};
use uuid::Uuid;

use super::{DbLoader, Grouped, LoadError};
use crate::graphql::locale::Translation;

/// Selects every column of `E`, each named `{prefix}{column}`.
fn select_all<E: EntityTrait>(select: &mut SelectStatement, prefix: &str) {
    for column in E::Column::iter() {
        select.expr_as(
            Expr::col((E::default(), column)),
            Alias::new(format!("{prefix}{}", column.as_str())),
        );
    }
}

/// The row of `E` selected under `prefix`, `None` when a `LEFT JOIN` found
/// none.
fn optional<E: EntityTrait>(row: &QueryResult, prefix: &str) -> Result<Option<E::Model>, DbErr>
where
    E::Model: FromQueryResult,
{
    E::Model::from_query_result_optional(row, prefix)
}

fn required<E: EntityTrait>(row: &QueryResult, prefix: &str) -> Result<E::Model, DbErr>
where
    E::Model: FromQueryResult,
{
    E::Model::from_query_result(row, prefix)
}

impl DbLoader {
    async fn rows(&self, select: &SelectStatement) -> Result<Vec<QueryResult>, LoadError> {
        let statement = self.db.get_database_backend().build(select);
        self.db.query_all_raw(statement).await.map_err(Arc::new)
    }
}

/// The locales a request can show an article's texts in, sorted: the
/// request's chain and the article's source locale, among the locales the
/// article is visible in. Loaders read texts in full only in these; of the
/// other locales they read only the tag, which `availableLocales` needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Wanted(Arc<[Arc<str>]>);

impl Wanted {
    /// The set of `locales`, in any order, duplicates allowed.
    pub fn new(locales: impl IntoIterator<Item = Arc<str>>) -> Self {
        let mut list: Vec<Arc<str>> = locales.into_iter().collect();
        list.sort();
        list.dedup();
        Self(list.into())
    }

    fn contains(&self, locale: &str) -> bool {
        self.0.iter().any(|l| &**l == locale)
    }
}

/// Every locale wanted by any of `keys`: one statement serves them all.
fn union<'a>(keys: impl Iterator<Item = &'a Wanted>) -> Vec<String> {
    let mut all: Vec<String> = keys.flat_map(|w| w.0.iter().map(|l| l.to_string())).collect();
    all.sort();
    all.dedup();
    all
}

/// `(SELECT string_agg(locale, ',') FROM {table} WHERE {owner} = {parent}.id)`:
/// the tags of every text of a row, without reading the texts.
fn locales_of(backend: DbBackend, table: &str, owner: &str, parent: &str) -> Expr {
    let aggregate = match backend {
        DbBackend::Postgres => "string_agg",
        _ => "group_concat",
    };
    Expr::cust(format!(
        r#"(SELECT {aggregate}("kiji_l"."locale", ',') FROM "{table}" AS "kiji_l" WHERE "kiji_l"."{owner}" = "{parent}"."id")"#
    ))
}

/// Splits the `locales_of` column of a row.
fn split_locales(row: &QueryResult, column: &str) -> Result<Vec<Arc<str>>, DbErr> {
    let joined: Option<String> = row.try_get_by(column)?;
    Ok(joined
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|l| !l.is_empty())
        .map(Arc::from)
        .collect())
}

/// Texts of rows of one kind: in full in the wanted locales, and the tags of
/// all of them.
#[derive(Debug, Clone)]
pub struct Texts<T> {
    /// Texts read in full, by owner id.
    pub full: Grouped<Arc<T>>,
    /// Locales of every text, by owner id.
    pub locales: Grouped<Arc<str>>,
}

impl<T> Default for Texts<T> {
    fn default() -> Self {
        Self {
            full: Arc::default(),
            locales: Arc::default(),
        }
    }
}

impl DbLoader {
    /// Reads every text of `owners` in full. Needed only when a row has no
    /// text in any wanted locale: its last resort is then any text at all.
    async fn rescue<E>(
        &self,
        owner: E::Column,
        owners: Vec<Uuid>,
        owner_of: impl Fn(&E::Model) -> Uuid,
        full: &mut HashMap<Uuid, Vec<Arc<E::Model>>>,
    ) -> Result<(), LoadError>
    where
        E: EntityTrait,
        E::Model: Translation,
    {
        if owners.is_empty() {
            return Ok(());
        }
        let rows = E::find()
            .filter(owner.is_in(owners))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        for row in rows {
            let list = full.entry(owner_of(&row)).or_default();
            if !list.iter().any(|t| t.locale() == row.locale()) {
                list.push(Arc::new(row));
            }
        }
        Ok(())
    }
}

/// Owners in `rows` that have texts but none read in full in `wanted`.
fn unresolved<'a>(
    owners: impl Iterator<Item = Uuid> + 'a,
    wanted: &'a Wanted,
    full: &'a HashMap<Uuid, Vec<Arc<impl Translation>>>,
    locales: &'a HashMap<Uuid, Vec<Arc<str>>>,
) -> impl Iterator<Item = Uuid> + 'a {
    owners.filter(move |id| {
        locales.get(id).is_some_and(|l| !l.is_empty())
            && !full
                .get(id)
                .is_some_and(|texts| texts.iter().any(|t| wanted.contains(t.locale())))
    })
}

/// An article's sections (in position order) and their texts.
#[derive(Debug, Clone, Default)]
pub struct SectionRows {
    /// Every section of the article.
    pub sections: Arc<[section::Model]>,
    /// Texts by section id.
    pub texts: Texts<section_translation::Model>,
}

/// The sections of an article, with their texts in the wanted locales.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SectionTreeOf {
    /// The article.
    pub article: Uuid,
    /// The locales to read texts in.
    pub wanted: Wanted,
}

impl Loader<SectionTreeOf> for DbLoader {
    type Value = SectionRows;
    type Error = LoadError;

    async fn load(&self, keys: &[SectionTreeOf]) -> Result<HashMap<SectionTreeOf, Self::Value>, Self::Error> {
        let mut select = Query::select();
        select_all::<section::Entity>(&mut select, "A_");
        select_all::<section_translation::Entity>(&mut select, "B_");
        select.expr_as(
            locales_of(
                self.db.get_database_backend(),
                "section_translation",
                "section_id",
                "section",
            ),
            Alias::new("L_locales"),
        );
        select
            .from(section::Entity)
            .left_join(
                section_translation::Entity,
                Expr::col((section_translation::Entity, section_translation::Column::SectionId))
                    .equals((section::Entity, section::Column::Id))
                    .and(
                        Expr::col((section_translation::Entity, section_translation::Column::Locale))
                            .is_in(union(keys.iter().map(|k| &k.wanted))),
                    ),
            )
            .and_where(Expr::col((section::Entity, section::Column::ArticleId)).is_in(keys.iter().map(|k| k.article)))
            .order_by((section::Entity, section::Column::Position), Order::Asc)
            .order_by((section::Entity, section::Column::Id), Order::Asc);
        let mut sections: HashMap<Uuid, Vec<section::Model>> = HashMap::new();
        let mut full: HashMap<Uuid, Vec<Arc<section_translation::Model>>> = HashMap::new();
        let mut locales: HashMap<Uuid, Vec<Arc<str>>> = HashMap::new();
        let mut last: Option<Uuid> = None;
        for row in self.rows(&select).await? {
            // A section's rows are adjacent (one per text): decode it once.
            let id: Uuid = row.try_get_by("A_id").map_err(Arc::new)?;
            if last != Some(id) {
                let section = required::<section::Entity>(&row, "A_").map_err(Arc::new)?;
                sections.entry(section.article_id).or_default().push(section);
                locales.insert(id, split_locales(&row, "L_locales").map_err(Arc::new)?);
                last = Some(id);
            }
            if let Some(text) = optional::<section_translation::Entity>(&row, "B_").map_err(Arc::new)? {
                full.entry(id).or_default().push(Arc::new(text));
            }
        }
        let mut missing = Vec::new();
        for key in keys {
            let owners = sections.get(&key.article).into_iter().flatten().map(|s| s.id);
            missing.extend(unresolved(owners, &key.wanted, &full, &locales));
        }
        self.rescue::<section_translation::Entity>(
            section_translation::Column::SectionId,
            missing,
            |t| t.section_id,
            &mut full,
        )
        .await?;
        let texts = Texts {
            full: Arc::new(full),
            locales: Arc::new(locales),
        };
        Ok(keys
            .iter()
            .map(|k| {
                let rows = SectionRows {
                    sections: Arc::from(sections.remove(&k.article).unwrap_or_default()),
                    texts: texts.clone(),
                };
                (k.clone(), rows)
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
    pub texts: Texts<claim_translation::Model>,
    /// Cited references by claim id, in citation order.
    pub citations: Grouped<(claim_reference::Model, Arc<reference::Model>)>,
}

/// The claims of an article, with their texts in the wanted locales and
/// their citations.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClaimRowsOf {
    /// The article.
    pub article: Uuid,
    /// The locales to read texts in.
    pub wanted: Wanted,
}

impl Loader<ClaimRowsOf> for DbLoader {
    type Value = ClaimRows;
    type Error = LoadError;

    async fn load(&self, keys: &[ClaimRowsOf]) -> Result<HashMap<ClaimRowsOf, Self::Value>, Self::Error> {
        let mut select = Query::select();
        select_all::<claim::Entity>(&mut select, "A_");
        select_all::<claim_translation::Entity>(&mut select, "B_");
        select_all::<claim_reference::Entity>(&mut select, "C_");
        select_all::<reference::Entity>(&mut select, "D_");
        select.expr_as(
            Expr::col((section::Entity, section::Column::ArticleId)),
            Alias::new("S_article_id"),
        );
        select.expr_as(
            locales_of(self.db.get_database_backend(), "claim_translation", "claim_id", "claim"),
            Alias::new("L_locales"),
        );
        select
            .from(claim::Entity)
            .inner_join(
                section::Entity,
                Expr::col((section::Entity, section::Column::Id)).equals((claim::Entity, claim::Column::SectionId)),
            )
            .left_join(
                claim_translation::Entity,
                Expr::col((claim_translation::Entity, claim_translation::Column::ClaimId))
                    .equals((claim::Entity, claim::Column::Id))
                    .and(
                        Expr::col((claim_translation::Entity, claim_translation::Column::Locale))
                            .is_in(union(keys.iter().map(|k| &k.wanted))),
                    ),
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
            .and_where(Expr::col((section::Entity, section::Column::ArticleId)).is_in(keys.iter().map(|k| k.article)))
            .order_by((claim::Entity, claim::Column::Position), Order::Asc)
            .order_by((claim::Entity, claim::Column::Id), Order::Asc)
            .order_by((claim_reference::Entity, claim_reference::Column::Position), Order::Asc);
        let mut claims: HashMap<Uuid, Vec<claim::Model>> = HashMap::new();
        let mut full: HashMap<Uuid, Vec<Arc<claim_translation::Model>>> = HashMap::new();
        let mut locales: HashMap<Uuid, Vec<Arc<str>>> = HashMap::new();
        let mut by_article: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        let mut citations: HashMap<Uuid, Vec<(claim_reference::Model, Arc<reference::Model>)>> = HashMap::new();
        let mut references: HashMap<Uuid, Arc<reference::Model>> = HashMap::new();
        for row in self.rows(&select).await? {
            // A claim repeats once per text and citation, and a reference
            // once per claim citing it: each is decoded the first time only.
            let claim_id: Uuid = row.try_get_by("A_id").map_err(Arc::new)?;
            if !locales.contains_key(&claim_id) {
                let claim = required::<claim::Entity>(&row, "A_").map_err(Arc::new)?;
                claims.entry(claim.section_id).or_default().push(claim);
                locales.insert(claim_id, split_locales(&row, "L_locales").map_err(Arc::new)?);
                let article: Uuid = row.try_get_by("S_article_id").map_err(Arc::new)?;
                by_article.entry(article).or_default().push(claim_id);
            }
            if let Some(locale) = row.try_get_by::<Option<String>, _>("B_locale").map_err(Arc::new)? {
                let list = full.entry(claim_id).or_default();
                if !list.iter().any(|t| t.locale == locale) {
                    list.push(Arc::new(
                        required::<claim_translation::Entity>(&row, "B_").map_err(Arc::new)?,
                    ));
                }
            }
            if let Some(reference_id) = row.try_get_by::<Option<Uuid>, _>("D_id").map_err(Arc::new)? {
                let list = citations.entry(claim_id).or_default();
                if !list.iter().any(|(_, cited)| cited.id == reference_id) {
                    let link = required::<claim_reference::Entity>(&row, "C_").map_err(Arc::new)?;
                    let cited = match references.get(&reference_id) {
                        Some(cited) => cited.clone(),
                        None => {
                            let cited = Arc::new(required::<reference::Entity>(&row, "D_").map_err(Arc::new)?);
                            references.insert(reference_id, cited.clone());
                            cited
                        }
                    };
                    list.push((link, cited));
                }
            }
        }
        let mut missing = Vec::new();
        for key in keys {
            let owners = by_article.get(&key.article).into_iter().flatten().copied();
            missing.extend(unresolved(owners, &key.wanted, &full, &locales));
        }
        self.rescue::<claim_translation::Entity>(
            claim_translation::Column::ClaimId,
            missing,
            |t| t.claim_id,
            &mut full,
        )
        .await?;
        let value = ClaimRows {
            claims: Arc::new(claims),
            texts: Texts {
                full: Arc::new(full),
                locales: Arc::new(locales),
            },
            citations: Arc::new(citations),
        };
        Ok(keys.iter().map(|k| (k.clone(), value.clone())).collect())
    }
}

/// Articles matching `condition`, each with its translations, in one
/// statement (for a single article; a page of a list needs its `LIMIT` on
/// articles, not on joined rows).
pub async fn articles_with_texts(
    db: &sea_orm::DatabaseConnection,
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
            required::<article::Entity>(&row, "A_")?,
            optional::<article_translation::Entity>(&row, "B_")?,
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
                required::<category::Entity>(&row, "A_").map_err(Arc::new)?,
                optional::<category_translation::Entity>(&row, "B_").map_err(Arc::new)?,
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
            .order_by((article_tag::Entity, article_tag::Column::Position), Order::Asc);
        let mut by_article: HashMap<Uuid, Vec<(tag::Model, Option<tag_translation::Model>)>> = HashMap::new();
        for row in self.rows(&select).await? {
            let link = required::<article_tag::Entity>(&row, "A_").map_err(Arc::new)?;
            by_article.entry(link.article_id).or_default().push((
                required::<tag::Entity>(&row, "B_").map_err(Arc::new)?,
                optional::<tag_translation::Entity>(&row, "C_").map_err(Arc::new)?,
            ));
        }
        Ok(keys
            .iter()
            .map(|k| {
                let rows = by_article.remove(&k.0).unwrap_or_default();
                (*k, Arc::from(fold(rows, |a, b| a.id == b.id)))
            })
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
            );
        let mut by_article: HashMap<Uuid, Vec<ContributorRow>> = HashMap::new();
        for row in self.rows(&select).await? {
            let link = required::<article_supervisor::Entity>(&row, "A_").map_err(Arc::new)?;
            let person = required::<supervisor::Entity>(&row, "B_").map_err(Arc::new)?;
            let text = optional::<supervisor_translation::Entity>(&row, "C_").map_err(Arc::new)?;
            let list = by_article.entry(link.article_id).or_default();
            // One entry per stored link (a person may hold several roles).
            match list
                .last_mut()
                .filter(|(last, _, _)| last.supervisor_id == link.supervisor_id && last.role == link.role)
            {
                Some((_, _, texts)) => texts.extend(text),
                None => list.push((link, person, text.into_iter().collect())),
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
        P::Model: FromQueryResult,
        T::Model: FromQueryResult,
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
            .order_by((P::default(), columns.position), Order::Asc);
        let mut by_owner = HashMap::<Uuid, Vec<_>>::new();
        for row in self.rows(&select).await? {
            let parent = required::<P>(&row, "A_").map_err(Arc::new)?;
            let text = optional::<T>(&row, "B_").map_err(Arc::new)?;
            by_owner.entry(keys(&parent).0).or_default().push((parent, text));
        }
        Ok(by_owner
            .into_iter()
            .map(|(owner, rows)| (owner, fold(rows, |a, b| keys(a).1 == keys(b).1)))
            .collect())
    }
}
