//! Numbered revisions of an article, and the one way content changes.
//!
//! Every save makes the next revision and keeps it whole in
//! `article_revision`, as the content document it was saved from plus
//! when each text was last brought up to date. The live rows (what
//! delivery reads) hold `article.revision`:
//!
//! - an article readers have never seen (DRAFT, IN_REVIEW, APPROVED) has
//!   its live rows rewritten by every save, so previews read it through
//!   the delivery queries; a save sends it back to DRAFT, since what was
//!   reviewed or approved has changed;
//! - a PUBLISHED or ARCHIVED article keeps serving the published revision;
//!   the save only moves `head_revision` on, and publishing the head
//!   rewrites the live rows from its snapshot in one transaction.
//!
//! A sign-off names a revision (`sign_off`), so any save voids it for what
//! comes after: the next revision is not the one signed off.

use std::collections::{BTreeMap, HashMap};

use entity::enums::Status;
use entity::{article, article_revision, article_supervisor, section, sign_off};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::content::export::{self, SectionRevisions};
use crate::content::import::{self, Existing};
use crate::content::{ArticleDoc, SectionDoc};
use crate::editorial::audit::Actor;
use crate::error::{Error, Result};
use crate::store::changes::Touched;

/// The key under which the article-level texts' revisions are kept among
/// the sections' (no anchor is empty).
const ARTICLE_TEXTS: &str = "";

/// A revision as kept: the document, and per section anchor (and
/// [`ARTICLE_TEXTS`]) and locale, the source revision each text was made
/// from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The article as a content document.
    pub article: ArticleDoc,
    /// Source revision of each text, by anchor and locale.
    #[serde(default)]
    pub texts: SectionRevisions,
}

impl Snapshot {
    /// Reads a stored revision.
    pub fn parse(row: &article_revision::Model) -> Result<Self> {
        serde_json::from_str(&row.document)
            .map_err(|err| Error::Internal(format!("revision {} is unreadable: {err}", row.number)))
    }

    fn revision_of(&self, anchor: &str, locale: &str) -> i32 {
        self.texts
            .get(anchor)
            .and_then(|r| r.get(locale).copied())
            .or_else(|| self.article.translations.get(locale).map(|t| t.source_revision))
            .unwrap_or(self.article.revision)
    }
}

/// The article `slug`, locked for the transaction, if `base` is its newest
/// revision; `CONFLICT` with the newest one otherwise.
pub async fn lock(txn: &DatabaseTransaction, slug: &str, base: i32) -> Result<article::Model> {
    let mut find = article::Entity::find()
        .filter(article::Column::Slug.eq(slug))
        .filter(article::Column::DraftOf.is_null());
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        find = find.lock_exclusive();
    }
    let Some(found) = find.one(txn).await? else {
        return Err(Error::bad_input(format!("no article `{slug}`")));
    };
    if found.head_revision != base {
        return Err(Error::Conflict {
            message: format!(
                "revision {base} of `{slug}` is not the newest one ({}): reload it and apply the change again",
                found.head_revision
            ),
            current_revision: found.head_revision,
        });
    }
    Ok(found)
}

/// Revision `number` of `found`, if it was kept.
pub async fn stored<C: ConnectionTrait>(db: &C, found: &article::Model, number: i32) -> Result<Option<Snapshot>> {
    let row = article_revision::Entity::find_by_id((found.id, number)).one(db).await?;
    row.as_ref().map(Snapshot::parse).transpose()
}

/// The newest revision of `found`: kept, or (for an article imported and
/// not edited since) read from its live rows.
pub async fn head<C: ConnectionTrait>(db: &C, found: &article::Model) -> Result<Snapshot> {
    if let Some(kept) = stored(db, found, found.head_revision).await? {
        return Ok(kept);
    }
    let (mut article, texts) = export::document(db, found).await?;
    // A revision is content: who signed it off is kept in `sign_off`.
    without_sign_offs(&mut article);
    article.revision = found.head_revision;
    Ok(Snapshot { article, texts })
}

/// The stored revisions of `found`, newest first, without their documents.
pub async fn list<C: ConnectionTrait>(db: &C, found: &article::Model) -> Result<Vec<article_revision::Model>> {
    let rows = article_revision::Entity::find()
        .select_only()
        .columns([
            article_revision::Column::ArticleId,
            article_revision::Column::Number,
            article_revision::Column::BaseRevision,
            article_revision::Column::SavedAt,
            article_revision::Column::SavedBy,
            article_revision::Column::Note,
        ])
        .expr_as(Expr::val(""), "document")
        .filter(article_revision::Column::ArticleId.eq(found.id))
        .order_by_desc(article_revision::Column::Number)
        .all(db)
        .await?;
    Ok(rows)
}

/// Clears the sign-offs a document carries: sign-offs are not content, and
/// are made with `signOff` and kept in `sign_off`.
fn without_sign_offs(doc: &mut ArticleDoc) {
    for c in &mut doc.contributors {
        c.signed_off_revision = None;
        c.signed_off_at = None;
        c.signed_off_locales.clear();
        c.signed_off_claims = false;
    }
}

/// What the newest revision says about who may sign it off and whether it
/// must be: its category's `medical` flag and its SUPERVISOR contributors.
/// A pending revision may have moved category or changed physicians, so
/// these come from it, not from the live rows.
pub struct HeadFacts {
    /// Whether publishing it needs a sign-off.
    pub medical: bool,
    /// The physicians it names as SUPERVISOR.
    pub supervisors: Vec<uuid::Uuid>,
    /// The physicians it names as REVIEWER: they may sign it off too, and
    /// readers see their names only once they have.
    pub reviewers: Vec<uuid::Uuid>,
}

/// The [`HeadFacts`] of `found`'s newest revision.
pub async fn head_facts<C: ConnectionTrait>(db: &C, found: &article::Model) -> Result<HeadFacts> {
    use entity::enums::ContributorRole;
    if found.head_revision == found.revision {
        let medical = entity::category::Entity::find_by_id(found.category_id)
            .one(db)
            .await?
            .is_none_or(|c| c.medical);
        let links = article_supervisor::Entity::find()
            .filter(article_supervisor::Column::ArticleId.eq(found.id))
            .all(db)
            .await?;
        let named = |role: ContributorRole| {
            links
                .iter()
                .filter(|link| link.role == role)
                .map(|link| link.supervisor_id)
                .collect()
        };
        return Ok(HeadFacts {
            medical,
            supervisors: named(ContributorRole::Supervisor),
            reviewers: named(ContributorRole::Reviewer),
        });
    }
    let doc = head(db, found).await?.article;
    let medical = entity::category::Entity::find()
        .filter(entity::category::Column::Slug.eq(doc.category.as_str()))
        .one(db)
        .await?
        .is_none_or(|c| c.medical);
    let ids: HashMap<String, uuid::Uuid> = entity::supervisor::Entity::find()
        .filter(entity::supervisor::Column::Slug.is_in(doc.contributors.iter().map(|c| c.supervisor.as_str())))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.slug, s.id))
        .collect();
    let named = |role: ContributorRole| {
        doc.contributors
            .iter()
            .filter(|c| c.role == role)
            .filter_map(|c| ids.get(&c.supervisor).copied())
            .collect()
    };
    Ok(HeadFacts {
        medical,
        supervisors: named(ContributorRole::Supervisor),
        reviewers: named(ContributorRole::Reviewer),
    })
}

/// What a save did.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The article after the save.
    pub article: article::Model,
    /// The new revision's number.
    pub revision: i32,
    /// What the save touched, for the caller to append to the change log
    /// last, just before it commits (the append holds a lock until then).
    pub touched: Touched,
    /// The revision's document, as kept.
    pub document: ArticleDoc,
}

/// The texts of one section in one locale, and for the source locale what
/// its claims assert and cite: what a translation of it follows.
fn section_unit<'a>(doc: &'a SectionDoc, locale: &str, source: bool) -> impl PartialEq + 'a {
    let claims: Vec<_> = doc
        .claims
        .iter()
        .map(|c| {
            let text = c.text.get(locale).cloned();
            if source {
                (text, Some((c.kind, c.evidence, c.references.clone())))
            } else {
                (text, None)
            }
        })
        .collect();
    (
        doc.heading.get(locale).cloned(),
        doc.blocks.get(locale).cloned(),
        claims,
        source.then_some(doc.kind),
    )
}

/// Whether the article-level texts of `locale` are the same in both.
fn same_article_texts(a: &ArticleDoc, b: &ArticleDoc, locale: &str) -> bool {
    match (a.translations.get(locale), b.translations.get(locale)) {
        (Some(x), Some(y)) => {
            (&x.title, &x.lead, &x.intro, &x.seo_title, &x.seo_description)
                == (&y.title, &y.lead, &y.intro, &y.seo_title, &y.seo_description)
        }
        (None, None) => true,
        _ => false,
    }
}

/// Every section of `sections`, by anchor, with its parent's anchor and
/// position: the tree's shape, to tell a move from no change.
fn flatten<'a>(
    sections: &'a [SectionDoc],
    parent: Option<&'a str>,
    out: &mut Vec<(&'a SectionDoc, Option<&'a str>, usize)>,
) {
    for (position, s) in sections.iter().enumerate() {
        out.push((s, parent, position));
        flatten(&s.sections, Some(&s.anchor), out);
    }
}

/// Works out, for the edited document, the source revision of every text:
/// a text changed in this save is made from revision `n`; an unchanged one
/// keeps what it had. Returns the snapshot to keep.
fn stamp(prev: &Snapshot, mut doc: ArticleDoc, n: i32) -> Snapshot {
    let source = doc.source_locale.clone();
    let mut before = Vec::new();
    flatten(&prev.article.sections, None, &mut before);
    let before: HashMap<&str, (&SectionDoc, Option<&str>, usize)> = before
        .into_iter()
        .map(|(s, p, i)| (s.anchor.as_str(), (s, p, i)))
        .collect();
    let mut after = Vec::new();
    flatten(&doc.sections, None, &mut after);
    let mut texts = SectionRevisions::new();
    let mut source_changed = after.len() != before.len();
    for (s, parent, position) in &after {
        let old = before.get(s.anchor.as_str());
        if old.is_none_or(|(_, p, i)| p != parent || i != position) {
            source_changed = true;
        }
        let mut at = BTreeMap::new();
        for locale in s.heading.keys() {
            let is_source = *locale == source;
            let same =
                old.is_some_and(|(o, _, _)| section_unit(o, locale, is_source) == section_unit(s, locale, is_source));
            if is_source && !same {
                source_changed = true;
            }
            let revision = if same { prev.revision_of(&s.anchor, locale) } else { n };
            at.insert(locale.clone(), revision);
        }
        texts.insert(s.anchor.clone(), at);
    }
    let mut at = BTreeMap::new();
    for locale in doc.translations.keys() {
        let same = same_article_texts(&prev.article, &doc, locale);
        if *locale == source && !same {
            source_changed = true;
        }
        let revision = if same {
            prev.revision_of(ARTICLE_TEXTS, locale)
        } else {
            n
        };
        at.insert(locale.clone(), revision);
    }
    texts.insert(ARTICLE_TEXTS.to_owned(), at);
    let source_revision = if source_changed {
        n
    } else {
        prev.article
            .translations
            .get(&source)
            .map_or(prev.article.revision, |t| t.source_revision)
    };
    // A translation as a whole is made from the newest source revision
    // when none of its texts lags its source text; else it keeps what it
    // had, and the sections that lag say which.
    let lags = |locale: &str| {
        texts.values().any(|at| {
            let source_at = at.get(&source).copied().unwrap_or(source_revision);
            at.get(locale).is_some_and(|mine| *mine < source_at)
        })
    };
    for (locale, text) in &mut doc.translations {
        text.source_revision = if *locale == source || !lags(locale) {
            source_revision
        } else {
            prev.article
                .translations
                .get(locale)
                .map_or(text.source_revision.min(n), |t| t.source_revision)
        };
    }
    doc.revision = n;
    Snapshot { article: doc, texts }
}

/// Checks and saves `edited` as the next revision of `found` (locked by
/// [`lock`]), in `txn`; the caller appends `touched` to the change log. Workflow state is not the document's to change:
/// the article's and its translations' states, publication time and
/// sign-offs are kept; a new translation starts as a DRAFT.
///
/// `reason` is the editor's own account of the change (not a note Kiji
/// made up for them): an ADMIN's move out of a medical or self-pay category
/// needs one.
pub async fn save(
    txn: &DatabaseTransaction,
    actor: Actor<'_>,
    found: article::Model,
    mut edited: ArticleDoc,
    note: Option<String>,
    reason: Option<&str>,
) -> Result<Saved> {
    if edited.slug != found.slug {
        return Err(Error::bad_input(format!(
            "document.slug: `{}` is not `{}`; an article's slug does not change",
            edited.slug, found.slug
        )));
    }
    let source = crate::locale::Locale::parse(&edited.source_locale).map_err(|_| {
        Error::bad_input(format!(
            "document.source_locale: `{}` is not a locale",
            edited.source_locale
        ))
    })?;
    if source.as_str() != found.source_locale {
        return Err(Error::bad_input(format!(
            "document.source_locale: `{}` is not `{}`; an article's source locale does not change",
            edited.source_locale, found.source_locale
        )));
    }
    // Locales are keys as stored, canonically: a key spelled otherwise
    // (`EN`, `ja-u-ca-japanese`) could stand for, and overwrite, another.
    for tag in edited.translations.keys() {
        let locale = crate::locale::Locale::parse(tag)
            .map_err(|_| Error::bad_input(format!("document.translations.{tag}: not a locale")))?;
        if locale.as_str() != tag {
            return Err(Error::bad_input(format!(
                "document.translations.{tag}: write the locale as `{locale}`"
            )));
        }
    }
    edited.source_locale = found.source_locale.clone();
    let prev = head(txn, &found).await?;
    let moved_out = leaves_medical(txn, &prev.article.category, &edited.category).await?;
    if let Some(detail) = &moved_out {
        require_move(&actor, reason, detail)?;
    }
    if stored(txn, &found, found.head_revision).await?.is_none() {
        keep(txn, &found, found.head_revision, None, &prev, "import", None).await?;
    }
    let n = found.head_revision + 1;
    edited.status = found.status;
    edited.published_at = found.published_at.map(|at| at.fixed_offset());
    edited.updated_at = None;
    // An override is a decision about a revision, made with `publish`.
    edited.lint_override = None;
    without_sign_offs(&mut edited);
    for (locale, text) in &mut edited.translations {
        text.status = prev
            .article
            .translations
            .get(locale)
            .map_or(Status::Draft, |t| t.status);
    }
    // Saving what is already there makes no revision: re-importing an
    // unchanged file, or pressing save twice, leaves nothing to review.
    let mut before = prev.article.clone();
    before.revision = edited.revision;
    before.updated_at = None;
    without_sign_offs(&mut before);
    for (locale, text) in &mut before.translations {
        if let Some(new) = edited.translations.get(locale) {
            text.source_revision = new.source_revision;
        }
    }
    before.status = edited.status;
    before.published_at = edited.published_at;
    before.source = edited.source.clone();
    if before == edited {
        return Ok(Saved {
            article: found.clone(),
            revision: found.head_revision,
            touched: Touched::default(),
            document: prev.article,
        });
    }
    let snapshot = stamp(&prev, edited, n);
    let live = matches!(found.status, Status::Draft | Status::InReview | Status::Approved);
    let article = if live {
        let mut rewritten = materialize(txn, &found, &snapshot).await?;
        rewritten.status = Status::Draft;
        rewritten.head_revision = n;
        article::Entity::update(rewritten.clone().into_active_model().reset_all())
            .exec(txn)
            .await?;
        rewritten
    } else {
        write_draft_copy(txn, &found, &snapshot).await?;
        let mut row = found.clone().into_active_model();
        row.head_revision = ActiveValue::Set(n);
        // A scheduled replacement was the revision before this one.
        row.scheduled_revision = ActiveValue::Set(None);
        row.scheduled_at = ActiveValue::Set(None);
        article::Entity::update(row).exec(txn).await?
    };
    let (_, who) = actor.who();
    keep(txn, &found, n, Some(found.head_revision), &snapshot, &who, note.clone()).await?;
    if let Some(detail) = moved_out {
        crate::editorial::audit::record(
            txn,
            actor.clone(),
            "CATEGORY_MOVE",
            &format!("article:{}", found.slug),
            &format!(
                "revision {n}: {detail}; reason: {}",
                reason.unwrap_or("imported on the command line")
            ),
        )
        .await?;
    }
    crate::editorial::audit::record(
        txn,
        actor,
        "EDIT",
        &format!("article:{}", found.slug),
        &format!(
            "revision {n} from {}; changed {}{}",
            found.head_revision,
            changed_paths(&prev.article, &snapshot.article),
            note.map(|n| format!("; {n}")).unwrap_or_default()
        ),
    )
    .await?;
    // A save readers cannot see yet (a published article's next revision)
    // names the draft, so it drops no public answer from any cache.
    let mut touched = Touched::default();
    touched.entity(if live { "article" } else { "draft" }, found.id);
    for locale in snapshot.article.translations.keys() {
        touched.locale(locale);
    }
    Ok(Saved {
        article,
        revision: n,
        touched,
        document: snapshot.article,
    })
}

/// Most changed places an EDIT audit entry names before it counts the rest.
const NAMED_CHANGES: usize = 20;

/// The places where `after` differs from `before` (content only: not the
/// revision numbers and times that differ with every save), for the audit
/// trail; the revision diff has the values.
fn changed_paths(before: &ArticleDoc, after: &ArticleDoc) -> String {
    let value = |doc: &ArticleDoc| {
        let mut v = serde_json::to_value(doc).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("revision");
            o.remove("updated_at");
            if let Some(serde_json::Value::Object(texts)) = o.get_mut("translations") {
                for text in texts.values_mut() {
                    if let Some(t) = text.as_object_mut() {
                        t.remove("source_revision");
                    }
                }
            }
        }
        v
    };
    let paths: Vec<String> = crate::content::diff::changes(&value(before), &value(after))
        .into_iter()
        .map(|c| c.path)
        .collect();
    match paths.len() {
        0 => "nothing but revision data".to_owned(),
        n if n > NAMED_CHANGES => format!("{} and {} more", paths[..NAMED_CHANGES].join(", "), n - NAMED_CHANGES),
        _ => paths.join(", "),
    }
}

/// When moving an article from category `from` to `to` lifts a check its
/// publication is held to (a physician's sign-off, in a medical category;
/// the self-pay disclosures, in a self-pay one), what the move is:
/// `a (medical) → b (not medical)`.
async fn leaves_medical<C: ConnectionTrait>(db: &C, from: &str, to: &str) -> Result<Option<String>> {
    if from == to {
        return Ok(None);
    }
    // (medical, self-pay); a category that does not exist yet is medical.
    let flags = |slug: &str| {
        let slug = slug.to_owned();
        async move {
            Ok::<_, Error>(
                entity::category::Entity::find()
                    .filter(entity::category::Column::Slug.eq(slug.as_str()))
                    .one(db)
                    .await?
                    .map_or((true, false), |c| (c.medical, c.self_pay)),
            )
        }
    };
    let ((medical_from, self_pay_from), (medical_to, self_pay_to)) = (flags(from).await?, flags(to).await?);
    let mut lifted = Vec::new();
    if medical_from && !medical_to {
        lifted.push("medical → not medical");
    }
    if self_pay_from && !self_pay_to {
        lifted.push("self-pay → not self-pay");
    }
    if lifted.is_empty() {
        Ok(None)
    } else {
        Ok(Some(format!("category `{from}` → `{to}` ({})", lifted.join("; "))))
    }
}

/// Moving an article out of a medical category lifts the sign-off its
/// publication needs: only an ADMIN does it, and says why in the note
/// (the command line is the server's operator, and is recorded as such).
fn require_move(actor: &Actor<'_>, note: Option<&str>, detail: &str) -> Result<()> {
    use entity::enums::Role;
    match actor {
        Actor::Key(crate::editorial::auth::Principal::Key { role: Role::Admin, .. }) => {
            if note.is_none_or(|n| n.trim().is_empty()) {
                return Err(Error::bad_input(format!(
                    "{detail}: give the reason in `note`; it is kept in the audit trail"
                )));
            }
            Ok(())
        }
        Actor::Key(_) => Err(Error::Forbidden(format!(
            "{detail}: moving an article out of a medical or self-pay category lifts what its publication \
             is held to, and needs an ADMIN key"
        ))),
        Actor::CommandLine | Actor::Scheduler => Ok(()),
    }
}

/// Stores `snapshot` as revision `number`.
pub async fn keep(
    txn: &DatabaseTransaction,
    found: &article::Model,
    number: i32,
    base: Option<i32>,
    snapshot: &Snapshot,
    who: &str,
    note: Option<String>,
) -> Result<()> {
    let document = serde_json::to_string(snapshot)
        .map_err(|err| Error::Internal(format!("revision does not serialize: {err}")))?;
    article_revision::Entity::insert(article_revision::ActiveModel {
        article_id: ActiveValue::Set(found.id),
        number: ActiveValue::Set(number),
        base_revision: ActiveValue::Set(base),
        document: ActiveValue::Set(document),
        saved_at: ActiveValue::Set(crate::store::clock::stored_now()),
        saved_by: ActiveValue::Set(who.chars().take(120).collect()),
        note: ActiveValue::Set(note.map(|n| n.chars().take(500).collect())),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// What the rewrite of article `id`'s rows keeps: its id, its sections'
/// ids, and its claims' ids.
async fn existing(
    txn: &DatabaseTransaction,
    id: uuid::Uuid,
    created_at: chrono::DateTime<chrono::Utc>,
    snapshot: &Snapshot,
) -> Result<Existing> {
    let sections = section::Entity::find()
        .filter(section::Column::ArticleId.eq(id))
        .all(txn)
        .await?;
    let claim_ids = entity::claim::Entity::find()
        .filter(entity::claim::Column::SectionId.is_in(sections.iter().map(|s| s.id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|c| ((c.section_id, c.position), c.id))
        .collect();
    let section_ids = sections.into_iter().map(|s| (s.anchor, s.id)).collect();
    Ok(Existing {
        id,
        created_at,
        section_ids,
        claim_ids,
        section_revisions: snapshot.texts.clone(),
    })
}

/// The hidden copy showing editors the unpublished newest revision of the
/// published article `id`, if it has one.
pub async fn draft_copy<C: ConnectionTrait>(db: &C, id: uuid::Uuid) -> Result<Option<article::Model>> {
    Ok(article::Entity::find()
        .filter(article::Column::DraftOf.eq(id))
        .one(db)
        .await?)
}

/// Writes revision `snapshot` of the published `found` into its hidden
/// copy (created on first use), checking it as if it went live: previews
/// read it through the delivery queries, readers never (it has no
/// `visible_from`), and publishing it later cannot fail on what the editor
/// could have been told today.
async fn write_draft_copy(txn: &DatabaseTransaction, found: &article::Model, snapshot: &Snapshot) -> Result<()> {
    let now = crate::store::clock::stored_now();
    let copy = match draft_copy(txn, found.id).await? {
        Some(copy) => copy,
        None => {
            let copy = article::Model {
                id: uuid::Uuid::now_v7(),
                slug: format!("{}~draft", found.slug),
                status: Status::Draft,
                published_at: None,
                visible_from: None,
                created_at: now,
                updated_at: now,
                draft_of: Some(found.id),
                scheduled_revision: None,
                scheduled_at: None,
                ..found.clone()
            };
            article::Entity::insert(copy.clone().into_active_model())
                .exec_without_returning(txn)
                .await?;
            copy
        }
    };
    let mut doc = snapshot.article.clone();
    live_states(txn, found, &mut doc).await?;
    let checked = import::check(txn, &doc, &existing(txn, copy.id, copy.created_at, snapshot).await?).await?;
    checked.replace(txn, copy.id).await?;
    let Some(row) = checked.article() else {
        return Err(Error::Internal("a checked article has no row".into()));
    };
    let stored = article::Model {
        category_id: row.category_id,
        revision: row.revision,
        head_revision: row.revision,
        source_revision: row.source_revision,
        updated_at: now,
        ..copy
    };
    article::Entity::update(stored.into_active_model().reset_all())
        .exec(txn)
        .await?;
    show_sign_offs(txn, found.id, row.revision, Some(copy.id)).await
}

/// Gives `doc` the workflow states of the live `found`: translation states
/// are workflow, not content.
async fn live_states(txn: &DatabaseTransaction, found: &article::Model, doc: &mut ArticleDoc) -> Result<()> {
    let states: HashMap<String, Status> = entity::article_translation::Entity::find()
        .filter(entity::article_translation::Column::ArticleId.eq(found.id))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| (t.locale, t.status))
        .collect();
    for (locale, text) in &mut doc.translations {
        text.status = states.get(locale).copied().unwrap_or(Status::Draft);
    }
    doc.status = found.status;
    doc.published_at = found.published_at.map(|at| at.fixed_offset());
    Ok(())
}

/// Replaces the live rows of `found` with `snapshot`; returns the article
/// row to store (the caller sets the workflow columns and writes it).
/// Translation states are the live ones: they are workflow, not content.
pub async fn materialize(
    txn: &DatabaseTransaction,
    found: &article::Model,
    snapshot: &Snapshot,
) -> Result<article::Model> {
    let mut doc = snapshot.article.clone();
    live_states(txn, found, &mut doc).await?;
    let checked = import::check(txn, &doc, &existing(txn, found.id, found.created_at, snapshot).await?).await?;
    checked.replace(txn, found.id).await?;
    let Some(row) = checked.article() else {
        return Err(Error::Internal("a checked article has no row".into()));
    };
    Ok(article::Model {
        slug: found.slug.clone(),
        status: found.status,
        published_at: found.published_at,
        visible_from: found.visible_from,
        created_at: found.created_at,
        updated_at: crate::store::clock::stored_now(),
        head_revision: found.head_revision,
        ..row.clone()
    })
}

/// Makes the sign-offs readers of article `onto` (default: `article_id`
/// itself; else its hidden draft copy) see those of revision `number` of
/// `article_id`, for the supervisors who signed it off; the others keep
/// theirs, which name an older revision and so no longer cover what is read.
pub async fn show_sign_offs(
    txn: &DatabaseTransaction,
    article_id: uuid::Uuid,
    number: i32,
    onto: Option<uuid::Uuid>,
) -> Result<()> {
    let signed = sign_off::Entity::find()
        .filter(sign_off::Column::ArticleId.eq(article_id))
        .filter(sign_off::Column::Revision.eq(number))
        .all(txn)
        .await?;
    for s in signed {
        article_supervisor::Entity::update_many()
            .col_expr(article_supervisor::Column::SignedOffRevision, Expr::value(Some(number)))
            .col_expr(article_supervisor::Column::SignedOffAt, Expr::value(s.signed_at))
            .col_expr(
                article_supervisor::Column::SignedOffLocales,
                Expr::value(s.locales.clone()),
            )
            .col_expr(article_supervisor::Column::SignedOffClaims, Expr::value(s.claims))
            .col_expr(
                article_supervisor::Column::SignedOffProfileRevision,
                Expr::value(s.profile_revision),
            )
            .filter(article_supervisor::Column::ArticleId.eq(onto.unwrap_or(article_id)))
            .filter(article_supervisor::Column::SupervisorId.eq(s.supervisor_id))
            .filter(article_supervisor::Column::Role.ne(entity::enums::ContributorRole::Author))
            .exec(txn)
            .await?;
    }
    Ok(())
}
