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
    QueryFilter,
};
use uuid::Uuid;

use super::{ArticleDoc, Bundle, Localized, SectionDoc};
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

/// Why an import was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The content is malformed; `at` says where.
    #[error("{at}: {message}")]
    Invalid {
        /// Path to the offending item, e.g. `article exosome › section what-is › claim 2`.
        at: String,
        /// What is wrong.
        message: String,
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

impl From<ImportError> for crate::error::Error {
    fn from(err: ImportError) -> Self {
        match err {
            ImportError::Database(db) => Self::from(db),
            other => Self::BadUserInput(other.to_string()),
        }
    }
}

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

pub(crate) fn invalid(at: impl Into<String>, message: impl Into<String>) -> ImportError {
    ImportError::Invalid {
        at: at.into(),
        message: message.into(),
    }
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
    Ok(Checked(rows))
}

/// What [`save_entity`] saved.
pub(crate) struct SavedEntity {
    /// `category`, `tag`, `supervisor` or `reference`.
    pub kind: &'static str,
    /// Its slug or key.
    pub key: String,
    /// Whether it is new.
    pub created: bool,
    /// What to append to the change log.
    pub touched: Touched,
}

/// Creates, or replaces in place (keeping its id, so articles keep
/// pointing at it), the one category, tag, supervisor or reference in
/// `bundle`, in `txn`, under the same checks as an import.
pub(crate) async fn save_entity<C: ConnectionTrait>(txn: &C, bundle: Bundle) -> Result<SavedEntity, ImportError> {
    let n = bundle.categories.len() + bundle.tags.len() + bundle.supervisors.len() + bundle.references.len();
    if n != 1 || !bundle.articles.is_empty() {
        return Err(invalid(
            "document",
            "give exactly one category, tag, supervisor or reference",
        ));
    }
    let (kind, key) = bundle
        .keys()
        .into_iter()
        .next()
        .ok_or_else(|| invalid("document", "nothing to save"))?;
    let mut taken = Taken::find(&bundle, txn).await?;
    let existing = match kind {
        "category" => taken.categories.remove(&key),
        "tag" => taken.tags.remove(&key),
        "supervisor" => taken.supervisors.remove(&key),
        _ => taken.references.remove(&key),
    };
    // Its own identifiers are not a duplicate of itself.
    taken.dois.retain(|_, owner| *owner != key);
    taken.pmids.retain(|_, owner| *owner != key);
    let now = stored_now();
    let mut rows = Rows::default();
    let mut known = Known::default();
    let mut problems = Problems::default();
    problems.note(rows.add_categories(&bundle, &taken, &mut known, now));
    problems.note(rows.add_tags(&bundle, &taken, &mut known));
    problems.note(rows.add_supervisors(&bundle, &taken, &mut known, now));
    problems.note(rows.add_references(&bundle, &taken, &mut known));
    problems.into_result()?;
    let Some(id) = existing else {
        rows.write(txn).await?;
        return Ok(SavedEntity {
            kind,
            touched: rows.touched(),
            key,
            created: true,
        });
    };
    rows.reuse_id(id);
    match kind {
        "category" => {
            if let Some(old) = category::Entity::find_by_id(id).one(txn).await? {
                for row in &mut rows.categories {
                    row.created_at = old.created_at;
                }
            }
            category_translation::Entity::delete_many()
                .filter(category_translation::Column::CategoryId.eq(id))
                .exec(txn)
                .await?;
            for row in &rows.categories {
                category::Entity::update(row.clone().into_active_model().reset_all())
                    .exec(txn)
                    .await?;
            }
            insert::<category_translation::Entity, _>(txn, &rows.category_texts).await?;
        }
        "tag" => {
            tag_translation::Entity::delete_many()
                .filter(tag_translation::Column::TagId.eq(id))
                .exec(txn)
                .await?;
            for row in &rows.tags {
                tag::Entity::update(row.clone().into_active_model().reset_all())
                    .exec(txn)
                    .await?;
            }
            insert::<tag_translation::Entity, _>(txn, &rows.tag_texts).await?;
        }
        "supervisor" => {
            // The profile's revision is the caller's to move on
            // (`profiles::save`): a replacement keeps what it had.
            if let Some(old) = supervisor::Entity::find_by_id(id).one(txn).await? {
                for row in &mut rows.supervisors {
                    row.created_at = old.created_at;
                    row.profile_revision = old.profile_revision;
                    row.confirmed_profile_revision = old.confirmed_profile_revision;
                }
            }
            supervisor_translation::Entity::delete_many()
                .filter(supervisor_translation::Column::SupervisorId.eq(id))
                .exec(txn)
                .await?;
            // Cascades to their translations.
            qualification::Entity::delete_many()
                .filter(qualification::Column::SupervisorId.eq(id))
                .exec(txn)
                .await?;
            career_entry::Entity::delete_many()
                .filter(career_entry::Column::SupervisorId.eq(id))
                .exec(txn)
                .await?;
            for row in &rows.supervisors {
                supervisor::Entity::update(row.clone().into_active_model().reset_all())
                    .exec(txn)
                    .await?;
            }
            insert::<supervisor_translation::Entity, _>(txn, &rows.supervisor_texts).await?;
            insert::<qualification::Entity, _>(txn, &rows.qualifications).await?;
            insert::<qualification_translation::Entity, _>(txn, &rows.qualification_texts).await?;
            insert::<career_entry::Entity, _>(txn, &rows.careers).await?;
            insert::<career_entry_translation::Entity, _>(txn, &rows.career_texts).await?;
        }
        _ => {
            for row in &rows.references {
                reference::Entity::update(row.clone().into_active_model().reset_all())
                    .exec(txn)
                    .await?;
            }
        }
    }
    Ok(SavedEntity {
        kind,
        touched: rows.touched(),
        key,
        created: false,
    })
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

/// A slug: lower-case ASCII letters and digits in hyphen-separated words.
fn check_slug(at: &str, slug: &str) -> Result<(), ImportError> {
    let ok = !slug.is_empty()
        && slug.len() <= 200
        && slug
            .split('-')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            at,
            format!("`{slug}` is not a slug (lower-case words joined by hyphens)"),
        ))
    }
}

fn canonical_locale(at: &str, tag: &str) -> Result<String, ImportError> {
    let locale = Locale::parse(tag).map_err(|err| invalid(at, err.to_string()))?;
    if locale.as_str() != tag {
        return Err(invalid(at, format!("write locale `{tag}` as `{locale}`")));
    }
    Ok(locale.as_str().to_owned())
}

/// Checks the keys of a localized map and that the source locale is present.
fn check_localized<T>(at: &str, map: &Localized<T>, source: &str) -> Result<(), ImportError> {
    for tag in map.keys() {
        canonical_locale(at, tag)?;
    }
    if !map.contains_key(source) {
        return Err(invalid(at, format!("missing the source locale `{source}`")));
    }
    Ok(())
}

fn check_text(at: &str, text: &str) -> Result<(), ImportError> {
    if text.trim().is_empty() {
        Err(invalid(at, "text is empty"))
    } else if text.chars().count() > MAX_TEXT {
        Err(invalid(
            at,
            format!("text is {} characters long; at most {MAX_TEXT}", text.chars().count()),
        ))
    } else {
        Ok(())
    }
}

fn check_blocks(at: &str, blocks: &[Block]) -> Result<(), ImportError> {
    for (i, block) in blocks.iter().enumerate() {
        let at = format!("{at} › block {}", i + 1);
        if let Block::List(list) = block {
            if list.items.is_empty() {
                return Err(invalid(&at, "a list needs at least one item"));
            }
            if list.depth() > MAX_LIST_DEPTH {
                return Err(invalid(&at, format!("lists nest at most {MAX_LIST_DEPTH} deep")));
            }
        }
        for text in block.texts() {
            check_text(&at, text)?;
        }
    }
    Ok(())
}

/// A time from a content file, in UTC and to the microsecond.
///
/// Why the range: SQLite stores times as ISO 8601 text and compares them as
/// text, which orders correctly only for four-digit years. Why microseconds:
/// PostgreSQL keeps no finer precision, and both backends must store, order
/// and page through the same value.
fn utc(at: &str, field: &str, value: Option<DateTime<FixedOffset>>) -> Result<Option<DateTime<Utc>>, ImportError> {
    let Some(value) = value else { return Ok(None) };
    let value = value.with_timezone(&Utc);
    if !(EARLIEST..=LATEST).contains(&value) {
        return Err(invalid(
            format!("{at} › {field}"),
            format!("{value} is outside the accepted range, {EARLIEST} to {LATEST}"),
        ));
    }
    Ok(Some(value.trunc_subsecs(6)))
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
}

/// An article already stored, being rewritten from a revision's document.
pub(crate) struct Existing {
    /// The article's id, which stays.
    pub id: Uuid,
    /// When it was first created.
    pub created_at: DateTime<Utc>,
    /// Ids of its sections by anchor: a section keeps its id.
    pub section_ids: HashMap<String, Uuid>,
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
            format!("{what} {key}"),
            format!("`{key}` is defined twice in this import"),
        ));
    }
    let id = Uuid::now_v7();
    known.insert(key.to_owned(), id);
    Ok(id)
}

impl Rows {
    /// Gives the one category, tag, supervisor or reference these rows
    /// create the id `id` of the stored one they replace.
    fn reuse_id(&mut self, id: Uuid) {
        for row in &mut self.categories {
            row.id = id;
        }
        for row in &mut self.category_texts {
            row.category_id = id;
        }
        for row in &mut self.tags {
            row.id = id;
        }
        for row in &mut self.tag_texts {
            row.tag_id = id;
        }
        for row in &mut self.supervisors {
            row.id = id;
        }
        for row in &mut self.supervisor_texts {
            row.supervisor_id = id;
        }
        for row in &mut self.qualifications {
            row.supervisor_id = id;
        }
        for row in &mut self.careers {
            row.supervisor_id = id;
        }
        for row in &mut self.references {
            row.id = id;
        }
    }

    async fn build<C: ConnectionTrait>(bundle: &Bundle, db: &C) -> Result<Self, ImportError> {
        let now = stored_now();
        let mut rows = Rows::default();
        let mut known = Known::default();
        let taken = Taken::find(bundle, db).await?;
        let mut problems = Problems::default();
        problems.note(rows.add_categories(bundle, &taken, &mut known, now));
        problems.note(rows.add_tags(bundle, &taken, &mut known));
        problems.note(rows.add_supervisors(bundle, &taken, &mut known, now));
        problems.note(rows.add_references(bundle, &taken, &mut known));
        problems.note(rows.resolve_existing(bundle, db, &mut known).await);
        let taken: HashSet<String> = article::Entity::find()
            .filter(article::Column::Slug.is_in(bundle.articles.iter().map(|a| a.slug.clone())))
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.slug)
            .collect();
        let mut seen = HashSet::new();
        for doc in &bundle.articles {
            if taken.contains(&doc.slug) {
                problems.note::<()>(Err(ImportError::Conflict {
                    what: "article",
                    key: doc.slug.clone(),
                }));
                continue;
            }
            if !seen.insert(doc.slug.as_str()) {
                problems.note::<()>(Err(invalid(
                    format!("article {}", doc.slug),
                    "slug appears twice in this import",
                )));
                continue;
            }
            problems.note(rows.add_article(doc, &known, now, None));
        }
        problems.into_result()?;
        Ok(rows)
    }

    fn add_categories(
        &mut self,
        bundle: &Bundle,
        taken: &Taken,
        known: &mut Known,
        now: DateTime<Utc>,
    ) -> Result<(), ImportError> {
        for doc in &bundle.categories {
            let at = format!("category {}", doc.slug);
            check_slug(&at, &doc.slug)?;
            let source = canonical_locale(&at, &doc.source_locale)?;
            check_localized(&format!("{at} › name"), &doc.name, &source)?;
            let id = new_id(&mut known.categories, &taken.categories, "category", &doc.slug)?;
            self.categories.push(category::Model {
                id,
                slug: doc.slug.clone(),
                position: doc.position,
                source_locale: source,
                is_public: doc.public,
                created_at: now,
                updated_at: now,
                medical: doc.medical,
                self_pay: doc.self_pay,
            });
            for (locale, name) in &doc.name {
                check_text(&at, name)?;
                self.category_texts.push(category_translation::Model {
                    category_id: id,
                    locale: locale.clone(),
                    name: name.clone(),
                    description: doc.description.get(locale).cloned(),
                });
            }
        }
        Ok(())
    }

    fn add_tags(&mut self, bundle: &Bundle, taken: &Taken, known: &mut Known) -> Result<(), ImportError> {
        for doc in &bundle.tags {
            let at = format!("tag {}", doc.slug);
            check_slug(&at, &doc.slug)?;
            let source = canonical_locale(&at, &doc.source_locale)?;
            check_localized(&format!("{at} › name"), &doc.name, &source)?;
            let id = new_id(&mut known.tags, &taken.tags, "tag", &doc.slug)?;
            self.tags.push(tag::Model {
                id,
                slug: doc.slug.clone(),
                source_locale: source,
                is_public: doc.public,
            });
            for (locale, name) in &doc.name {
                check_text(&at, name)?;
                self.tag_texts.push(tag_translation::Model {
                    tag_id: id,
                    locale: locale.clone(),
                    name: name.clone(),
                });
            }
        }
        Ok(())
    }

    fn add_supervisors(
        &mut self,
        bundle: &Bundle,
        taken: &Taken,
        known: &mut Known,
        now: DateTime<Utc>,
    ) -> Result<(), ImportError> {
        for doc in &bundle.supervisors {
            let at = format!("supervisor {}", doc.slug);
            check_slug(&at, &doc.slug)?;
            let source = canonical_locale(&at, &doc.source_locale)?;
            check_localized(&format!("{at} › profile"), &doc.profile, &source)?;
            let id = new_id(&mut known.supervisors, &taken.supervisors, "supervisor", &doc.slug)?;
            self.report.supervisors += 1;
            self.supervisors.push(supervisor::Model {
                id,
                slug: doc.slug.clone(),
                photo_url: doc.photo_url.clone(),
                source_locale: source.clone(),
                is_public: doc.public,
                created_at: now,
                updated_at: now,
                profile_revision: 1,
                // Imported profiles are the operator's record; a physician
                // created over the API confirms theirs by signing off.
                confirmed_profile_revision: 1,
            });
            self.profiles.push(entity::supervisor_profile::Model {
                supervisor_id: id,
                number: 1,
                document: serde_json::to_string(doc).unwrap_or_default(),
                saved_at: now,
                saved_by: "import".to_owned(),
            });
            for (locale, text) in &doc.profile {
                check_text(&at, &text.name)?;
                self.supervisor_texts.push(supervisor_translation::Model {
                    supervisor_id: id,
                    locale: locale.clone(),
                    name: text.name.clone(),
                    name_reading: text.name_reading.clone(),
                    title: text.title.clone(),
                    affiliation: text.affiliation.clone(),
                    bio: text.bio.clone(),
                });
            }
            for (position, q) in doc.qualifications.iter().enumerate() {
                let at = format!("{at} › qualification {}", position + 1);
                check_localized(&at, &q.name, &source)?;
                let qid = Uuid::now_v7();
                self.qualifications.push(qualification::Model {
                    id: qid,
                    supervisor_id: id,
                    position: position as i32,
                    kind: q.kind,
                });
                for (locale, name) in &q.name {
                    check_text(&at, name)?;
                    self.qualification_texts.push(qualification_translation::Model {
                        qualification_id: qid,
                        locale: locale.clone(),
                        name: name.clone(),
                    });
                }
            }
            for (position, c) in doc.career.iter().enumerate() {
                let at = format!("{at} › career {}", position + 1);
                check_localized(&at, &c.text, &source)?;
                let cid = Uuid::now_v7();
                self.careers.push(career_entry::Model {
                    id: cid,
                    supervisor_id: id,
                    position: position as i32,
                    started: c.started.clone(),
                    ended: c.ended.clone(),
                });
                for (locale, text) in &c.text {
                    check_text(&at, &text.text)?;
                    self.career_texts.push(career_entry_translation::Model {
                        career_entry_id: cid,
                        locale: locale.clone(),
                        text: text.text.clone(),
                        organization: text.organization.clone(),
                        role: text.role.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    fn add_references(&mut self, bundle: &Bundle, taken: &Taken, known: &mut Known) -> Result<(), ImportError> {
        // Identifiers are unique (DOIs case-insensitively): a second work
        // with the same one is a mistake in the file, said here rather than
        // by the database's constraint.
        let mut dois: HashMap<String, &str> = HashMap::new();
        let mut pmids: HashMap<&str, &str> = HashMap::new();
        for doc in &bundle.references {
            let at = format!("reference {}", doc.key);
            if let Some(doi) = &doc.doi {
                let owner = taken.dois.get(&doi.to_lowercase()).map(String::as_str);
                if let Some(other) = owner.or_else(|| dois.get(&doi.to_lowercase()).copied()) {
                    let place = if owner.is_some() {
                        "in the database"
                    } else {
                        "in this bundle"
                    };
                    return Err(invalid(
                        &at,
                        format!("DOI `{doi}` is already reference `{other}`'s ({place})"),
                    ));
                }
                dois.insert(doi.to_lowercase(), &doc.key);
            }
            if let Some(pmid) = &doc.pmid {
                let owner = taken.pmids.get(pmid).map(String::as_str);
                if let Some(other) = owner.or_else(|| pmids.get(pmid.as_str()).copied()) {
                    let place = if owner.is_some() {
                        "in the database"
                    } else {
                        "in this bundle"
                    };
                    return Err(invalid(
                        &at,
                        format!("PMID `{pmid}` is already reference `{other}`'s ({place})"),
                    ));
                }
                pmids.insert(pmid, &doc.key);
            }
        }
        for doc in &bundle.references {
            let at = format!("reference {}", doc.key);
            if doc.key.trim().is_empty() {
                return Err(invalid(&at, "key is empty"));
            }
            check_text(&at, &doc.title)?;
            if let Some(doi) = &doc.doi
                && (!doi.starts_with("10.") || !doi.contains('/'))
            {
                return Err(invalid(
                    &at,
                    format!("`{doi}` is not a DOI (10.prefix/suffix, without https://doi.org/)"),
                ));
            }
            if let Some(pmid) = &doc.pmid
                && (pmid.is_empty() || !pmid.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(invalid(&at, format!("`{pmid}` is not a PMID (digits only)")));
            }
            let id = new_id(&mut known.references, &taken.references, "reference", &doc.key)?;
            self.report.references += 1;
            self.references.push(reference::Model {
                id,
                key: doc.key.clone(),
                kind: doc.kind,
                title: doc.title.clone(),
                authors: serde_json::json!(doc.authors),
                authors_truncated: doc.et_al,
                container_title: doc.container_title.clone(),
                publisher: doc.publisher.clone(),
                year: doc.year,
                volume: doc.volume.clone(),
                issue: doc.issue.clone(),
                pages: doc.pages.clone(),
                doi: doc.doi.clone(),
                pmid: doc.pmid.clone(),
                url: doc.url.clone(),
                accessed_on: doc.accessed_on,
                evidence_level: doc.evidence,
            });
        }
        Ok(())
    }

    /// Looks up slugs and keys that articles cite but the bundle does not define.
    async fn resolve_existing<C: ConnectionTrait>(
        &self,
        bundle: &Bundle,
        db: &C,
        known: &mut Known,
    ) -> Result<(), ImportError> {
        let mut categories = HashSet::new();
        let mut tags = HashSet::new();
        let mut supervisors = HashSet::new();
        let mut references = HashSet::new();
        for doc in &bundle.articles {
            categories.insert(doc.category.clone());
            tags.extend(doc.tags.iter().cloned());
            supervisors.extend(doc.contributors.iter().map(|c| c.supervisor.clone()));
            let mut stack: Vec<&SectionDoc> = doc.sections.iter().collect();
            while let Some(section) = stack.pop() {
                for claim in &section.claims {
                    references.extend(claim.references.iter().map(|r| r.reference.clone()));
                }
                stack.extend(section.sections.iter());
            }
        }
        categories.retain(|s| !known.categories.contains_key(s));
        tags.retain(|s| !known.tags.contains_key(s));
        supervisors.retain(|s| !known.supervisors.contains_key(s));
        references.retain(|s| !known.references.contains_key(s));
        known
            .categories
            .extend(ids_by::<category::Entity, _>(db, category::Column::Slug, categories, |r| (r.slug, r.id)).await?);
        known
            .tags
            .extend(ids_by::<tag::Entity, _>(db, tag::Column::Slug, tags, |r| (r.slug, r.id)).await?);
        known.supervisors.extend(
            ids_by::<supervisor::Entity, _>(db, supervisor::Column::Slug, supervisors, |r| (r.slug, r.id)).await?,
        );
        known
            .references
            .extend(ids_by::<reference::Entity, _>(db, reference::Column::Key, references, |r| (r.key, r.id)).await?);
        Ok(())
    }

    fn add_article(
        &mut self,
        doc: &ArticleDoc,
        known: &Known,
        now: DateTime<Utc>,
        existing: Option<&Existing>,
    ) -> Result<(), ImportError> {
        let at = format!("article {}", doc.slug);
        check_slug(&at, &doc.slug)?;
        let source = canonical_locale(&at, &doc.source_locale)?;
        check_localized(&format!("{at} › translations"), &doc.translations, &source)?;
        let category_id = *known
            .categories
            .get(&doc.category)
            .ok_or_else(|| invalid(&at, format!("unknown category `{}`", doc.category)))?;
        if doc.revision < 1 {
            return Err(invalid(&at, "revision starts at 1"));
        }
        let published_at = utc(&at, "published_at", doc.published_at)?;
        let updated_at = utc(&at, "updated_at", doc.updated_at)?;
        if doc.status == Status::Published && published_at.is_none() {
            return Err(invalid(&at, "a published article needs published_at"));
        }
        // Publishing the article later must not bring out, unreviewed, a
        // translation that was marked published before it. (An archived
        // article keeps the translations it was published with.)
        if matches!(doc.status, Status::Draft | Status::InReview | Status::Approved)
            && let Some((locale, _)) = doc.translations.iter().find(|(_, t)| t.status == Status::Published)
        {
            return Err(invalid(
                format!("{at} › translations › {locale}"),
                format!(
                    "a translation can be PUBLISHED only once its article has been (the article is {})",
                    spelled(&doc.status)
                ),
            ));
        }
        let id = existing.map_or_else(Uuid::now_v7, |e| e.id);
        // A first import makes every source text current as of its
        // revision; a saved revision says when each last changed.
        let source_revision = match existing {
            Some(_) => doc
                .translations
                .get(&source)
                .map_or(doc.revision, |t| t.source_revision),
            None => doc.revision,
        };
        self.report.articles += 1;
        self.articles.push(article::Model {
            id,
            slug: doc.slug.clone(),
            category_id,
            source_locale: source.clone(),
            status: doc.status,
            revision: doc.revision,
            head_revision: doc.revision,
            source_revision,
            published_at,
            created_at: existing.map_or(now, |e| e.created_at),
            updated_at: updated_at.unwrap_or(now),
            visible_from: crate::store::counts::visible_from(
                doc.status,
                published_at,
                doc.translations.values().map(|t| t.status),
            ),
            draft_of: None,
            scheduled_revision: None,
            scheduled_at: None,
        });
        for (locale, text) in &doc.translations {
            let at = format!("{at} › translation {locale}");
            check_text(&at, &text.title)?;
            check_text(&at, &text.lead)?;
            check_blocks(&at, &text.intro)?;
            if text.source_revision < 1 || text.source_revision > doc.revision {
                return Err(invalid(
                    &at,
                    format!("source_revision must be between 1 and {}", doc.revision),
                ));
            }
            self.article_texts.push(article_translation::Model {
                article_id: id,
                locale: locale.clone(),
                title: text.title.clone(),
                lead: text.lead.clone(),
                intro: Blocks(text.intro.clone()),
                seo_title: text.seo_title.clone(),
                seo_description: text.seo_description.clone(),
                status: text.status,
                source_revision: if *locale == source {
                    source_revision
                } else {
                    text.source_revision
                },
                created_at: now,
                updated_at: now,
            });
        }
        let mut tag_ids = HashSet::new();
        for (position, slug) in doc.tags.iter().enumerate() {
            let tag_id = *known
                .tags
                .get(slug)
                .ok_or_else(|| invalid(&at, format!("unknown tag `{slug}`")))?;
            if !tag_ids.insert(tag_id) {
                return Err(invalid(&at, format!("tag `{slug}` listed twice")));
            }
            self.article_tags.push(article_tag::Model {
                article_id: id,
                tag_id,
                position: position as i32,
            });
        }
        let mut roles = HashSet::new();
        for (position, c) in doc.contributors.iter().enumerate() {
            let supervisor_id = *known
                .supervisors
                .get(&c.supervisor)
                .ok_or_else(|| invalid(&at, format!("unknown supervisor `{}`", c.supervisor)))?;
            if !roles.insert((supervisor_id, c.role)) {
                return Err(invalid(&at, format!("`{}` listed twice in one role", c.supervisor)));
            }
            if let Some(rev) = c.signed_off_revision
                && (rev < 1 || rev > doc.revision)
            {
                return Err(invalid(
                    &at,
                    format!("signed_off_revision must be between 1 and {}", doc.revision),
                ));
            }
            let who = format!("{at} › contributor {}", position + 1);
            let mut locales = Vec::new();
            for tag in &c.signed_off_locales {
                let locale = canonical_locale(&who, tag)?;
                if !doc.translations.contains_key(&locale) {
                    return Err(invalid(
                        &who,
                        format!("signed_off_locales names `{locale}`, which the article has no translation in"),
                    ));
                }
                locales.push(locale);
            }
            if c.signed_off_revision.is_none() && (!locales.is_empty() || c.signed_off_claims) {
                return Err(invalid(
                    &who,
                    "signed_off_locales and signed_off_claims need a signed_off_revision",
                ));
            }
            if c.signed_off_revision.is_some() && locales.is_empty() {
                locales.push(source.clone());
            }
            locales.sort();
            locales.dedup();
            self.contributors.push(article_supervisor::Model {
                article_id: id,
                supervisor_id,
                role: c.role,
                position: position as i32,
                signed_off_locales: locales.join(","),
                signed_off_claims: c.signed_off_claims,
                signed_off_revision: c.signed_off_revision,
                signed_off_at: utc(
                    &format!("{at} › contributor {}", position + 1),
                    "signed_off_at",
                    c.signed_off_at,
                )?,
                signed_off_profile_revision: None,
            });
        }
        let mut anchors = HashSet::new();
        let mut count = 0;
        let mut stack: Vec<&SectionDoc> = doc.sections.iter().collect();
        while let Some(section) = stack.pop() {
            count += 1;
            stack.extend(section.sections.iter());
        }
        if count > MAX_SECTIONS {
            return Err(invalid(&at, format!("{count} sections; at most {MAX_SECTIONS}")));
        }
        for (position, section) in doc.sections.iter().enumerate() {
            let place = Place {
                article_id: id,
                parent_id: None,
                position,
                level: 2,
                source: &source,
                existing,
            };
            self.add_section(&at, section, &place, doc, known, &mut anchors)?;
        }
        Ok(())
    }

    fn add_section(
        &mut self,
        at: &str,
        doc: &SectionDoc,
        place: &Place<'_>,
        article: &ArticleDoc,
        known: &Known,
        anchors: &mut HashSet<String>,
    ) -> Result<(), ImportError> {
        let Place {
            article_id,
            parent_id,
            position,
            level,
            source,
            existing,
        } = *place;
        let at = format!("{at} › section {}", doc.anchor);
        check_slug(&at, &doc.anchor)?;
        if !anchors.insert(doc.anchor.clone()) {
            return Err(invalid(&at, "anchor is used twice in this article"));
        }
        if level > MAX_LEVEL {
            return Err(invalid(&at, format!("sections nest at most to h{MAX_LEVEL}")));
        }
        check_localized(&format!("{at} › heading"), &doc.heading, source)?;
        for locale in doc.blocks.keys() {
            if !doc.heading.contains_key(locale) {
                return Err(invalid(
                    &at,
                    format!("blocks in `{locale}` but no heading in `{locale}`"),
                ));
            }
        }
        // A section keeps its id across revisions, so its node id and the
        // links readers keep to it stay valid.
        let id = existing
            .and_then(|e| e.section_ids.get(&doc.anchor).copied())
            .unwrap_or_else(Uuid::now_v7);
        let revisions = existing.and_then(|e| e.section_revisions.get(&doc.anchor));
        // Without a record of its own, a text is as current as its
        // article's translation in that locale.
        let revision_of = |locale: &str| {
            revisions
                .and_then(|r| r.get(locale).copied())
                .or_else(|| article.translations.get(locale).map(|t| t.source_revision))
                .unwrap_or(article.revision)
        };
        let section_source_revision = match existing {
            Some(_) => revision_of(source),
            None => article.revision,
        };
        self.report.sections += 1;
        self.sections.push(section::Model {
            id,
            article_id,
            parent_id,
            position: position as i32,
            anchor: doc.anchor.clone(),
            level,
            kind: doc.kind,
            source_revision: section_source_revision,
        });
        let empty = Vec::new();
        for (locale, heading) in &doc.heading {
            check_text(&at, heading)?;
            let blocks = doc.blocks.get(locale).unwrap_or(&empty);
            check_blocks(&format!("{at} › {locale}"), blocks)?;
            self.section_texts.push(section_translation::Model {
                section_id: id,
                locale: locale.clone(),
                heading: heading.clone(),
                blocks: Blocks(blocks.clone()),
                source_revision: if locale == source {
                    section_source_revision
                } else {
                    revision_of(locale)
                },
            });
        }
        for (i, c) in doc.claims.iter().enumerate() {
            let at = format!("{at} › claim {}", i + 1);
            check_localized(&at, &c.text, source)?;
            if c.evidence.requires_reference() && c.references.is_empty() {
                return Err(invalid(
                    &at,
                    format!("evidence level {} needs at least one reference", spelled(&c.evidence)),
                ));
            }
            if !c.evidence.requires_reference() && !c.references.is_empty() {
                return Err(invalid(
                    &at,
                    format!(
                        "a claim with references cannot be {}; give the level the references support",
                        spelled(&c.evidence)
                    ),
                ));
            }
            let cid = Uuid::now_v7();
            self.report.claims += 1;
            self.claims.push(claim::Model {
                id: cid,
                section_id: id,
                position: i as i32,
                kind: c.kind,
                evidence_level: c.evidence,
            });
            for (locale, text) in &c.text {
                check_text(&at, text)?;
                self.claim_texts.push(claim_translation::Model {
                    claim_id: cid,
                    locale: locale.clone(),
                    text: text.clone(),
                });
            }
            let mut cited = BTreeMap::new();
            for (position, citation) in c.references.iter().enumerate() {
                let reference_id = *known
                    .references
                    .get(&citation.reference)
                    .ok_or_else(|| invalid(&at, format!("unknown reference `{}`", citation.reference)))?;
                if cited.insert(reference_id, ()).is_some() {
                    return Err(invalid(&at, format!("reference `{}` cited twice", citation.reference)));
                }
                self.citations.push(claim_reference::Model {
                    claim_id: cid,
                    reference_id,
                    position: position as i32,
                    locator: citation.locator.clone(),
                });
            }
        }
        for (position, child) in doc.sections.iter().enumerate() {
            let place = Place {
                article_id,
                parent_id: Some(id),
                position,
                level: level + 1,
                source,
                existing,
            };
            self.add_section(&at, child, &place, article, known, anchors)?;
        }
        Ok(())
    }

    /// What this import touches, for the change log: every row it creates,
    /// and the existing categories, tags, supervisors and references its
    /// articles now use (whose public visibility may change with them).
    fn touched(&self) -> Touched {
        let mut touched = Touched::default();
        for row in &self.categories {
            touched.entity("category", row.id);
        }
        for row in &self.tags {
            touched.entity("tag", row.id);
        }
        for row in &self.supervisors {
            touched.entity("supervisor", row.id);
        }
        for row in &self.references {
            touched.entity("reference", row.id);
        }
        for row in &self.articles {
            touched.entity("article", row.id);
            touched.entity("category", row.category_id);
        }
        for row in &self.article_tags {
            touched.entity("tag", row.tag_id);
        }
        for row in &self.contributors {
            touched.entity("supervisor", row.supervisor_id);
        }
        for row in &self.citations {
            touched.entity("reference", row.reference_id);
        }
        let locales = self
            .article_texts
            .iter()
            .map(|t| &t.locale)
            .chain(self.category_texts.iter().map(|t| &t.locale))
            .chain(self.tag_texts.iter().map(|t| &t.locale))
            .chain(self.supervisor_texts.iter().map(|t| &t.locale));
        for locale in locales {
            touched.locale(locale);
        }
        touched
    }

    /// Adds the new articles that have a `visible_from` to `article_count`
    /// (see `crate::store::counts::count_scopes`).
    async fn count_articles<C: ConnectionTrait>(&self, db: &C) -> Result<(), DbErr> {
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        for row in self.articles.iter().filter(|a| a.visible_from.is_some()) {
            for scope in crate::store::counts::count_scopes(row.category_id) {
                *counts.entry(scope).or_default() += 1;
            }
        }
        for (scope, n) in counts {
            crate::store::counts::add_to_count(db, scope, n).await?;
        }
        Ok(())
    }

    /// The tables this import writes rows to.
    fn tables(&self) -> Vec<&'static str> {
        let written: [(&'static str, bool); 20] = [
            ("category", !self.categories.is_empty()),
            ("category_translation", !self.category_texts.is_empty()),
            ("tag", !self.tags.is_empty()),
            ("tag_translation", !self.tag_texts.is_empty()),
            ("supervisor", !self.supervisors.is_empty()),
            ("supervisor_translation", !self.supervisor_texts.is_empty()),
            ("qualification", !self.qualifications.is_empty()),
            ("qualification_translation", !self.qualification_texts.is_empty()),
            ("career_entry", !self.careers.is_empty()),
            ("career_entry_translation", !self.career_texts.is_empty()),
            ("reference", !self.references.is_empty()),
            ("article", !self.articles.is_empty()),
            ("article_translation", !self.article_texts.is_empty()),
            ("article_tag", !self.article_tags.is_empty()),
            ("article_supervisor", !self.contributors.is_empty()),
            ("section", !self.sections.is_empty()),
            ("section_translation", !self.section_texts.is_empty()),
            ("claim", !self.claims.is_empty()),
            ("claim_translation", !self.claim_texts.is_empty()),
            ("claim_reference", !self.citations.is_empty()),
        ];
        written.into_iter().filter(|(_, w)| *w).map(|(t, _)| t).collect()
    }

    /// Inserts everything, parents before children.
    async fn write<C: ConnectionTrait>(&self, db: &C) -> Result<(), DbErr> {
        insert::<category::Entity, _>(db, &self.categories).await?;
        insert::<category_translation::Entity, _>(db, &self.category_texts).await?;
        insert::<tag::Entity, _>(db, &self.tags).await?;
        insert::<tag_translation::Entity, _>(db, &self.tag_texts).await?;
        insert::<supervisor::Entity, _>(db, &self.supervisors).await?;
        insert::<supervisor_translation::Entity, _>(db, &self.supervisor_texts).await?;
        insert::<qualification::Entity, _>(db, &self.qualifications).await?;
        insert::<qualification_translation::Entity, _>(db, &self.qualification_texts).await?;
        insert::<career_entry::Entity, _>(db, &self.careers).await?;
        insert::<career_entry_translation::Entity, _>(db, &self.career_texts).await?;
        insert::<entity::supervisor_profile::Entity, _>(db, &self.profiles).await?;
        insert::<reference::Entity, _>(db, &self.references).await?;
        insert::<article::Entity, _>(db, &self.articles).await?;
        self.count_articles(db).await?;
        insert::<article_translation::Entity, _>(db, &self.article_texts).await?;
        insert::<article_tag::Entity, _>(db, &self.article_tags).await?;
        insert::<article_supervisor::Entity, _>(db, &self.contributors).await?;
        let sign_offs: Vec<entity::sign_off::Model> = self
            .contributors
            .iter()
            .filter(|c| c.role != entity::enums::ContributorRole::Author)
            .filter_map(|c| {
                Some(entity::sign_off::Model {
                    article_id: c.article_id,
                    revision: c.signed_off_revision?,
                    supervisor_id: c.supervisor_id,
                    locales: c.signed_off_locales.clone(),
                    claims: c.signed_off_claims,
                    signed_at: c.signed_off_at,
                    // Recorded in a file, not made through Kiji: no profile
                    // revision was shown to anyone.
                    profile_revision: None,
                })
            })
            .collect();
        insert::<entity::sign_off::Entity, _>(db, &sign_offs).await?;
        // Parents precede their children in `sections`, so the self-referencing
        // foreign key holds batch by batch.
        insert::<section::Entity, _>(db, &self.sections).await?;
        insert::<section_translation::Entity, _>(db, &self.section_texts).await?;
        insert::<claim::Entity, _>(db, &self.claims).await?;
        insert::<claim_translation::Entity, _>(db, &self.claim_texts).await?;
        insert::<claim_reference::Entity, _>(db, &self.citations).await?;
        Ok(())
    }
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
