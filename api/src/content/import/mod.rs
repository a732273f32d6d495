//! Validation and transactional import of a [`Bundle`].
//!
//! Everything is checked before anything is written, and everything is
//! written in one transaction: an import either lands whole or leaves the
//! database untouched. Rows are inserted in batches per table, so importing
//! a long article costs a handful of statements, not one per section.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset, SubsecRound as _, Utc};
use entity::block::{Block, Blocks};
use entity::enums::Status;
use entity::{
    article, article_supervisor, article_tag, article_translation, career_entry, career_entry_translation, category,
    category_translation, claim, claim_reference, claim_translation, qualification, qualification_translation,
    reference, section, section_translation, supervisor, supervisor_translation, tag, tag_translation,
};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{ArticleDoc, Bundle, Localized, SectionDoc};
pub use crate::error::{ImportError, Location};
use crate::locale::Locale;
use crate::store::changes::Touched;
use crate::store::clock::{EARLIEST, LATEST, stored_now};

/// Deepest heading level a section may have (h2 is top level).
const MAX_LEVEL: i32 = 6;
/// Deepest nesting of lists inside one list block.
const MAX_LIST_DEPTH: usize = 4;
/// Longest text of one field (a paragraph, a heading, a claim): a long
/// column's longest paragraph is well under a tenth of it.
const MAX_TEXT: usize = 20_000;
/// Most sections one article may have.
const MAX_SECTIONS: usize = 1_000;
/// Rows per INSERT statement; well under PostgreSQL's 65 535 bind parameters.
const BATCH: usize = 500;

/// Problems found so far; validation goes on past one, so a file's
/// author sees them all at once.
#[derive(Default)]
pub(crate) struct Problems(Vec<ImportError>);

impl Problems {
    /// Keeps the error of `result`, if any.
    pub(crate) fn note<T>(&mut self, result: Result<T, ImportError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(ImportError::Several(more)) => {
                self.0.extend(more);
                None
            }
            Err(err) => {
                self.0.push(err);
                None
            }
        }
    }

    /// `Ok` when there were none; the one problem, or all of them.
    pub(crate) fn into_result(mut self) -> Result<(), ImportError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(self.0.remove(0)),
            _ => Err(ImportError::Several(self.0)),
        }
    }
}

/// What an import wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Articles created.
    pub articles: usize,
    /// Sections created.
    pub sections: usize,
    /// Claims created.
    pub claims: usize,
    /// References created.
    pub references: usize,
    /// Supervisors created.
    pub supervisors: usize,
    /// New revisions saved of articles that existed.
    pub revisions: usize,
    /// What the medical-advertising lint found in the articles written, one
    /// line each (`slug: RULE locale #anchor field「text」`), for the person
    /// importing; `lint` reads them in full.
    pub findings: Vec<String>,
}

/// An enum value as content files spell it (`UNSUPPORTED`, not `Unsupported`).
pub(crate) fn spelled<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "?".to_owned(),
    }
}

/// Content malformed at `at`.
pub(crate) fn invalid(at: &Location, message: impl Into<String>) -> ImportError {
    ImportError::invalid(at, message)
}

/// What [`write`] wrote.
pub struct Written {
    /// Counts, for the person importing.
    pub report: ImportReport,
    /// What the change log must name.
    pub touched: Touched,
    /// The articles written: slug, id and category id.
    pub articles: Vec<(String, Uuid, Uuid)>,
    /// The tables written, for [`analyze`].
    pub tables: Vec<&'static str>,
}

/// Validates `bundle` and writes it in `txn`; the caller records the change.
pub async fn write<C: ConnectionTrait>(txn: &C, bundle: &Bundle) -> Result<Written, ImportError> {
    let rows = Rows::build(bundle, txn).await?;
    rows.write(txn).await?;
    Ok(Written {
        report: rows.report.clone(),
        touched: rows.touched(),
        articles: rows
            .articles
            .iter()
            .map(|a| (a.slug.clone(), a.id, a.category_id))
            .collect(),
        tables: rows.tables(),
    })
}

/// Validates `bundle` against the database without writing anything.
pub async fn validate<C: ConnectionTrait>(db: &C, bundle: &Bundle) -> Result<(), ImportError> {
    Rows::build(bundle, db).await.map(|_| ())
}

/// One article's rows, validated, ready to replace what is stored.
pub(crate) struct Checked(Rows);

impl Checked {
    /// The article row as the document makes it.
    pub(crate) fn article(&self) -> Option<&article::Model> {
        self.0.articles.first()
    }

    /// Replaces the stored article's sections, claims, translations, tags
    /// and contributors with these rows. Contributors keep the sign-offs
    /// readers see: sign-offs are made by `signOff`, never by a document.
    /// The article row itself is the caller's to update.
    pub(crate) async fn replace<C: ConnectionTrait>(&self, txn: &C, article_id: Uuid) -> Result<(), DbErr> {
        let signed: HashMap<(Uuid, entity::enums::ContributorRole), article_supervisor::Model> =
            article_supervisor::Entity::find()
                .filter(article_supervisor::Column::ArticleId.eq(article_id))
                .all(txn)
                .await?
                .into_iter()
                .map(|row| ((row.supervisor_id, row.role), row))
                .collect();
        // Cascades to section texts, claims, their texts and citations.
        section::Entity::delete_many()
            .filter(section::Column::ArticleId.eq(article_id))
            .exec(txn)
            .await?;
        article_translation::Entity::delete_many()
            .filter(article_translation::Column::ArticleId.eq(article_id))
            .exec(txn)
            .await?;
        article_tag::Entity::delete_many()
            .filter(article_tag::Column::ArticleId.eq(article_id))
            .exec(txn)
            .await?;
        article_supervisor::Entity::delete_many()
            .filter(article_supervisor::Column::ArticleId.eq(article_id))
            .exec(txn)
            .await?;
        entity::article_media::Entity::delete_many()
            .filter(entity::article_media::Column::ArticleId.eq(article_id))
            .exec(txn)
            .await?;
        let rows = &self.0;
        let contributors: Vec<article_supervisor::Model> = rows
            .contributors
            .iter()
            .map(|c| {
                let kept = signed.get(&(c.supervisor_id, c.role));
                article_supervisor::Model {
                    signed_off_revision: kept.and_then(|k| k.signed_off_revision),
                    signed_off_at: kept.and_then(|k| k.signed_off_at),
                    signed_off_locales: kept.map(|k| k.signed_off_locales.clone()).unwrap_or_default(),
                    signed_off_claims: kept.is_some_and(|k| k.signed_off_claims),
                    signed_off_profile_revision: kept.and_then(|k| k.signed_off_profile_revision),
                    ..c.clone()
                }
            })
            .collect();
        insert::<article_translation::Entity, _>(txn, &rows.article_texts).await?;
        insert::<article_tag::Entity, _>(txn, &rows.article_tags).await?;
        insert::<article_supervisor::Entity, _>(txn, &contributors).await?;
        insert::<section::Entity, _>(txn, &rows.sections).await?;
        insert::<section_translation::Entity, _>(txn, &rows.section_texts).await?;
        insert::<claim::Entity, _>(txn, &rows.claims).await?;
        insert::<claim_translation::Entity, _>(txn, &rows.claim_texts).await?;
        insert::<claim_reference::Entity, _>(txn, &rows.citations).await?;
        insert::<entity::article_media::Entity, _>(txn, &rows.media_rows()).await?;
        Ok(())
    }
}

/// Validates `doc` as a revision of the stored article `existing`, looking
/// up what it cites through `db` (the writing transaction, so what it
/// finds is what the write will see).
pub(crate) async fn check<C: ConnectionTrait>(
    db: &C,
    doc: &ArticleDoc,
    existing: &Existing,
) -> Result<Checked, ImportError> {
    let bundle = Bundle {
        articles: vec![doc.clone()],
        ..Bundle::default()
    };
    let mut rows = Rows::default();
    let mut known = Known::default();
    rows.resolve_existing(&bundle, db, &mut known).await?;
    rows.add_article(doc, &known, stored_now(), Some(existing))?;
    rows.check_images(db).await?;
    Ok(Checked(rows))
}

/// Refreshes the planner's statistics of the tables an import wrote.
///
/// After a bulk import PostgreSQL has none until autovacuum comes round,
/// and meanwhile plans sequential scans: one article page over 10,000
/// imported columns took 0.42 s, and 0.12 s after `ANALYZE`. SQLite's
/// planner uses `sqlite_stat1` the same way. A failure here costs speed,
/// not data, so it is logged rather than returned.
pub async fn analyze(db: &DatabaseConnection, tables: &[&'static str]) {
    if tables.is_empty() {
        return;
    }
    let statements: Vec<String> = match db.get_database_backend() {
        DbBackend::Postgres => vec![format!("ANALYZE {}", tables.join(", "))],
        _ => tables.iter().map(|t| format!("ANALYZE {t}")).collect(),
    };
    for statement in statements {
        if let Err(err) = db.execute_unprepared(&statement).await {
            tracing::warn!(error = %err, "ANALYZE after import failed");
        }
    }
}

/// All rows of an import, built and validated before the transaction opens.
#[derive(Default)]
struct Rows {
    report: ImportReport,
    categories: Vec<category::Model>,
    category_texts: Vec<category_translation::Model>,
    tags: Vec<tag::Model>,
    tag_texts: Vec<tag_translation::Model>,
    supervisors: Vec<supervisor::Model>,
    supervisor_texts: Vec<supervisor_translation::Model>,
    qualifications: Vec<qualification::Model>,
    qualification_texts: Vec<qualification_translation::Model>,
    careers: Vec<career_entry::Model>,
    career_texts: Vec<career_entry_translation::Model>,
    /// The first revision of each new supervisor's profile.
    profiles: Vec<entity::supervisor_profile::Model>,
    references: Vec<reference::Model>,
    articles: Vec<article::Model>,
    article_texts: Vec<article_translation::Model>,
    article_tags: Vec<article_tag::Model>,
    contributors: Vec<article_supervisor::Model>,
    sections: Vec<section::Model>,
    section_texts: Vec<section_translation::Model>,
    claims: Vec<claim::Model>,
    claim_texts: Vec<claim_translation::Model>,
    citations: Vec<claim_reference::Model>,
    /// The images each article's texts show, per locale, once each, with
    /// where each is first shown, for an error naming it.
    article_media: Vec<(entity::article_media::Model, Location)>,
    /// The rows of `article_media`, to keep each once.
    media_seen: HashSet<(Uuid, String, Uuid)>,
}

/// An article already stored, being rewritten from a revision's document.
pub(crate) struct Existing {
    /// The article's id, which stays.
    pub id: Uuid,
    /// When it was first created.
    pub created_at: DateTime<Utc>,
    /// Ids of its sections by anchor: a section keeps its id.
    pub section_ids: HashMap<String, Uuid>,
    /// Ids of its claims by section id and position: a claim in the same
    /// place keeps its id.
    pub claim_ids: HashMap<(Uuid, i32), Uuid>,
    /// Per section anchor and locale, the source revision its text was made
    /// from (for the source locale: the revision it last changed in).
    pub section_revisions: HashMap<String, BTreeMap<String, i32>>,
}

/// Where a section goes in its article's tree.
#[derive(Clone, Copy)]
struct Place<'a> {
    article_id: Uuid,
    parent_id: Option<Uuid>,
    position: usize,
    level: i32,
    /// The article's source locale.
    source: &'a str,
    existing: Option<&'a Existing>,
}

/// Ids of things an article may point at, whether new in this bundle or
/// already stored.
#[derive(Default)]
struct Known {
    categories: HashMap<String, Uuid>,
    tags: HashMap<String, Uuid>,
    supervisors: HashMap<String, Uuid>,
    references: HashMap<String, Uuid>,
}

/// Slugs and keys the bundle defines that are already stored.
struct Taken {
    categories: HashMap<String, Uuid>,
    tags: HashMap<String, Uuid>,
    supervisors: HashMap<String, Uuid>,
    references: HashMap<String, Uuid>,
    /// Stored references by lower-cased DOI (their keys).
    dois: HashMap<String, String>,
    /// Stored references by PMID (their keys).
    pmids: HashMap<String, String>,
}

impl Taken {
    /// Looks up, one statement per table, which of the bundle's new slugs
    /// and keys exist already.
    async fn find<C: ConnectionTrait>(bundle: &Bundle, db: &C) -> Result<Self, DbErr> {
        let slugs = |items: Vec<&String>| items.into_iter().cloned().collect::<HashSet<String>>();
        Ok(Self {
            categories: ids_by::<category::Entity, _>(
                db,
                category::Column::Slug,
                slugs(bundle.categories.iter().map(|c| &c.slug).collect()),
                |r| (r.slug, r.id),
            )
            .await?,
            tags: ids_by::<tag::Entity, _>(
                db,
                tag::Column::Slug,
                slugs(bundle.tags.iter().map(|t| &t.slug).collect()),
                |r| (r.slug, r.id),
            )
            .await?,
            supervisors: ids_by::<supervisor::Entity, _>(
                db,
                supervisor::Column::Slug,
                slugs(bundle.supervisors.iter().map(|s| &s.slug).collect()),
                |r| (r.slug, r.id),
            )
            .await?,
            references: ids_by::<reference::Entity, _>(
                db,
                reference::Column::Key,
                slugs(bundle.references.iter().map(|r| &r.key).collect()),
                |r| (r.key, r.id),
            )
            .await?,
            dois: {
                let wanted: Vec<String> = bundle
                    .references
                    .iter()
                    .filter_map(|r| r.doi.as_ref().map(|d| d.to_lowercase()))
                    .collect();
                let mut found = HashMap::new();
                if !wanted.is_empty() {
                    let lower = sea_orm::sea_query::Func::lower(sea_orm::sea_query::Expr::col(reference::Column::Doi));
                    for row in reference::Entity::find()
                        .filter(sea_orm::sea_query::Expr::expr(lower).is_in(wanted))
                        .all(db)
                        .await?
                    {
                        if let Some(doi) = row.doi {
                            found.insert(doi.to_lowercase(), row.key);
                        }
                    }
                }
                found
            },
            pmids: {
                let wanted: Vec<String> = bundle.references.iter().filter_map(|r| r.pmid.clone()).collect();
                let mut found = HashMap::new();
                if !wanted.is_empty() {
                    for row in reference::Entity::find()
                        .filter(reference::Column::Pmid.is_in(wanted))
                        .all(db)
                        .await?
                    {
                        if let Some(pmid) = row.pmid {
                            found.insert(pmid, row.key);
                        }
                    }
                }
                found
            },
        })
    }
}

/// A new id for `key`, or a conflict when the key is stored already or
/// defined twice in the bundle.
fn new_id(
    known: &mut HashMap<String, Uuid>,
    taken: &HashMap<String, Uuid>,
    what: &'static str,
    key: &str,
) -> Result<Uuid, ImportError> {
    if taken.contains_key(key) {
        return Err(ImportError::Conflict {
            what,
            key: key.to_owned(),
        });
    }
    if known.contains_key(key) {
        return Err(invalid(
            &Location::item(format_args!("{what} {key}")),
            format!("`{key}` is defined twice in this import"),
        ));
    }
    let id = Uuid::now_v7();
    known.insert(key.to_owned(), id);
    Ok(id)
}

/// Ids of the stored rows of `E` whose `column` is one of `keys`, by key.
async fn ids_by<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    column: E::Column,
    keys: HashSet<String>,
    pair: impl Fn(E::Model) -> (String, Uuid),
) -> Result<HashMap<String, Uuid>, DbErr> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = E::find().filter(column.is_in(keys)).all(db).await?;
    Ok(rows.into_iter().map(pair).collect())
}

async fn insert<E, C>(db: &C, models: &[E::Model]) -> Result<(), DbErr>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Clone,
    C: ConnectionTrait,
{
    for chunk in models.chunks(BATCH) {
        E::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

mod articles;
mod checks;
mod entry;
mod persist;
mod references;

use checks::*;
pub(crate) use entry::save_entity;
