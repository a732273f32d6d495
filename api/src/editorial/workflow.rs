//! The editorial workflow of an article: DRAFT → IN_REVIEW → APPROVED →
//! PUBLISHED → ARCHIVED (DESIGN.md, "Access").
//!
//! Every step names the revision it acts on and is refused with `CONFLICT`
//! when that is not the current one. In a medical category, approving and
//! publishing need a supervisor's sign-off of that very revision covering
//! the source locale, and publishing needs the medical-advertising lint's
//! errors corrected or overridden. A step is one transaction: the article
//! row (locked on PostgreSQL), `visible_from`, the kept counts, the audit
//! trail and the change log change together, so readers and caches see a
//! step whole.

use chrono::{DateTime, SubsecRound, Utc};
use entity::enums::Status;
use entity::{article, article_translation, sign_off};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect,
};

use super::Writer;
use crate::content::import::spelled;
use crate::editorial::auth::Principal;
use crate::editorial::lint::Finding;
use crate::error::{Error, Result};
use crate::locale::Locale;
use crate::store::changes::Touched;

/// An article's state after a step.
#[derive(Debug, Clone)]
pub struct Step {
    /// The article's slug.
    pub slug: String,
    /// Its current revision.
    pub revision: i32,
    /// Its state.
    pub status: Status,
    /// When it is (or was) published.
    pub published_at: Option<DateTime<Utc>>,
    /// When readers may see it; `None` while they may not.
    pub visible_from: Option<DateTime<Utc>>,
    /// When the newest revision replaces the one readers read, if that is
    /// scheduled.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// What the medical-advertising lint finds in the revision a step moves
    /// forward; empty for the other steps.
    pub findings: Vec<Finding>,
}

/// A step on one revision of an article.
pub struct StepInput {
    /// The article's slug.
    pub slug: String,
    /// The revision the step acts on: must be the current one.
    pub revision: i32,
}

/// Publishing one revision, now or at a set time.
pub struct PublishInput {
    /// The article's slug.
    pub slug: String,
    /// The revision to publish: must be the current one.
    pub revision: i32,
    /// When readers may see it; now when left out.
    pub publish_at: Option<DateTime<Utc>>,
    /// Why the lint's errors do not hold it back, if they do not.
    pub lint_override_reason: Option<String>,
}

/// Publishing or withdrawing one translation of a published article.
pub struct TranslationStepInput {
    /// The article's slug.
    pub slug: String,
    /// The article's current revision.
    pub revision: i32,
    /// The translation's locale.
    pub locale: Locale,
    /// Why the lint's errors do not hold it back, if they do not.
    pub lint_override_reason: Option<String>,
}

/// The article `slug` at its newest revision `revision`, locked for the
/// transaction.
pub async fn current(txn: &DatabaseTransaction, slug: &str, revision: i32) -> Result<article::Model> {
    crate::editorial::revisions::lock(txn, slug, revision).await
}

/// In a medical category, refuses unless a supervisor signed off this
/// revision with the source locale among those reviewed.
async fn require_sign_off(txn: &DatabaseTransaction, found: &article::Model, step: &str) -> Result<()> {
    // The revision to be published decides: it may have moved category or
    // changed physicians since the live one.
    let facts = crate::editorial::revisions::head_facts(txn, found).await?;
    if !facts.medical {
        return Ok(());
    }
    // Only a physician the revision names as its supervisor counts: a
    // sign-off outlives their removal from the article, their name does not.
    let supervisors = facts.supervisors;
    let signed = sign_off::Entity::find()
        .filter(sign_off::Column::ArticleId.eq(found.id))
        .filter(sign_off::Column::Revision.eq(found.head_revision))
        .all(txn)
        .await?
        .iter()
        .any(|s| supervisors.contains(&s.supervisor_id) && s.locales().any(|l| l == found.source_locale));
    if signed {
        Ok(())
    } else {
        Err(Error::bad_input(format!(
            "`{}` is in a medical category: to {step} it, a supervisor must first sign off revision {} \
             including its source locale `{}`",
            found.slug, found.head_revision, found.source_locale
        )))
    }
}

/// The lint's findings on `found`'s newest revision.
async fn lint(
    txn: &DatabaseTransaction,
    rules: &crate::editorial::lint::Rules,
    found: &article::Model,
) -> Result<Vec<crate::editorial::lint::Finding>> {
    let doc = crate::editorial::revisions::head(txn, found).await?.article;
    Ok(rules.run(txn, &doc).await?)
}

/// In a medical category, refuses to publish a revision with lint errors
/// unless an ADMIN overrode them: before (kept with the revision), or now
/// with `reason`, which is kept and audited.
async fn require_lint(
    txn: &DatabaseTransaction,
    actor: crate::editorial::audit::Actor<'_>,
    found: &article::Model,
    findings: &[crate::editorial::lint::Finding],
    locales: &[String],
    reason: Option<&str>,
) -> Result<()> {
    // Only the text readers will see decides: a draft translation's errors
    // hold back its own publication, not the article's.
    let errors: Vec<&crate::editorial::lint::Finding> = crate::editorial::lint::errors(findings)
        .filter(|f| locales.contains(&f.locale))
        .collect();
    if errors.is_empty() || !crate::editorial::revisions::head_facts(txn, found).await?.medical {
        return Ok(());
    }
    // An override covers the findings it was given for, not new ones.
    let errors = crate::editorial::lint::not_overridden(txn, found.id, found.head_revision, errors).await?;
    if errors.is_empty() {
        return Ok(());
    }
    let mut rules: Vec<&str> = errors.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
        return Err(Error::bad_input(format!(
            "revision {} of `{}` has {} medical-advertising lint error(s) ({}; see `lint`): correct the text, \
             or publish with `lintOverrideReason` saying why they do not apply",
            found.head_revision,
            found.slug,
            errors.len(),
            rules.join(", ")
        )));
    };
    Ok(
        crate::editorial::lint::record_override(
            txn,
            actor,
            found.id,
            &found.slug,
            found.head_revision,
            &errors,
            reason,
        )
        .await?,
    )
}

/// The locales readers read once `found` is published: its source locale
/// and the translations already published.
async fn public_locales(txn: &DatabaseTransaction, found: &article::Model) -> Result<Vec<String>> {
    let mut locales: Vec<String> = article_translation::Entity::find()
        .filter(article_translation::Column::ArticleId.eq(found.id))
        .filter(article_translation::Column::Status.eq(Status::Published))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| t.locale)
        .collect();
    if !locales.contains(&found.source_locale) {
        locales.push(found.source_locale.clone());
    }
    Ok(locales)
}

/// Refuses a translation step while the newest revision is not the one
/// readers read: the step names the newest, and would act on the older.
fn require_live(found: &article::Model) -> Result<()> {
    if found.head_revision == found.revision {
        return Ok(());
    }
    Err(Error::bad_input(format!(
        "revision {} of `{}` is not published yet (readers read revision {}): publish it first",
        found.head_revision, found.slug, found.revision
    )))
}

/// Refuses unless the article is in `from`.
fn require_status(found: &article::Model, from: Status, step: &str) -> Result<()> {
    if found.status == from {
        return Ok(());
    }
    Err(Error::bad_input(format!(
        "`{}` is {}; only a {} article can be {step}",
        found.slug,
        spelled(&found.status),
        spelled(&from)
    )))
}

/// Adds `delta` to the kept counts of `category` (see
/// `crate::store::counts::count_scopes`).
async fn count(txn: &DatabaseTransaction, category: uuid::Uuid, delta: i64) -> Result<()> {
    for scope in crate::store::counts::count_scopes(category) {
        crate::store::counts::add_to_count(txn, scope, delta).await?;
    }
    Ok(())
}

/// Stores the article's new state, keeps `visible_from` and the counts in
/// step, records the step, and commits. `touched` holds what the step
/// changed besides the article as it now stands (the category, tags and
/// people of a revision it replaced).
#[allow(clippy::too_many_arguments)]
async fn finish(
    txn: DatabaseTransaction,
    actor: crate::editorial::audit::Actor<'_>,
    before: article::Model,
    status: Status,
    published_at: Option<DateTime<Utc>>,
    action: &str,
    mut touched: Touched,
    followers: &crate::store::write::Followers,
) -> Result<Step> {
    let statuses: Vec<Status> = article_translation::Entity::find()
        .filter(article_translation::Column::ArticleId.eq(before.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.status)
        .collect();
    let visible_from = crate::store::counts::visible_from(status, published_at, statuses);
    match (before.visible_from.is_some(), visible_from.is_some()) {
        (false, true) => count(&txn, before.category_id, 1).await?,
        (true, false) => count(&txn, before.category_id, -1).await?,
        _ => {}
    }
    let (id, slug, revision) = (before.id, before.slug.clone(), before.head_revision);
    let source_locale = before.source_locale.clone();
    let mut row = before.into_active_model();
    row.status = ActiveValue::Set(status);
    row.published_at = ActiveValue::Set(published_at);
    row.visible_from = ActiveValue::Set(visible_from);
    row.updated_at = ActiveValue::Set(crate::store::clock::stored_now());
    // Any step supersedes a scheduled replacement: it was set for the
    // article as it stood.
    row.scheduled_revision = ActiveValue::Set(None);
    row.scheduled_at = ActiveValue::Set(None);
    article::Entity::update(row).exec(&txn).await?;
    let visible = visible_from.map_or_else(
        || "not visible".to_owned(),
        |at| format!("visible from {}", at.to_rfc3339()),
    );
    crate::editorial::audit::record(
        &txn,
        actor,
        action,
        &format!("article:{slug}"),
        &format!("revision {revision}; now {}; {visible}", spelled(&status)),
    )
    .await?;
    touched.entity("article", id);
    touched.merge(crate::store::changes::dependents(&txn, id).await?);
    touched.locale(&source_locale);
    crate::store::write::commit(txn, crate::store::changes::Kind::Workflow, &touched, followers).await?;
    Ok(Step {
        slug,
        revision,
        status,
        published_at,
        visible_from,
        scheduled_at: None,
        findings: Vec::new(),
    })
}

/// Sends a DRAFT to review. Needs an EDITOR or ADMIN key.
pub async fn submit_for_review(w: &Writer<'_>, input: StepInput) -> Result<Step> {
    let txn = crate::store::db::begin_write(w.db).await?;
    let found = current(&txn, &input.slug, input.revision).await?;
    require_status(&found, Status::Draft, "sent to review")?;
    review_step(w, txn, found, Status::InReview, "SUBMIT_FOR_REVIEW").await
}

/// Moves `found` to `to` on the way to publication, with the lint's
/// findings reported, not enforced: reviewers read them with the text.
async fn review_step(
    w: &Writer<'_>,
    txn: DatabaseTransaction,
    found: article::Model,
    to: Status,
    action: &str,
) -> Result<Step> {
    let findings = lint(&txn, w.rules, &found).await?;
    let published_at = found.published_at;
    let mut state = finish(
        txn,
        w.actor(),
        found,
        to,
        published_at,
        action,
        Touched::default(),
        w.followers,
    )
    .await?;
    state.findings = findings;
    Ok(state)
}

/// Approves an article IN_REVIEW; in a medical category only once a
/// supervisor signed off this revision. Needs an EDITOR or ADMIN key.
pub async fn approve(w: &Writer<'_>, input: StepInput) -> Result<Step> {
    let txn = crate::store::db::begin_write(w.db).await?;
    let found = current(&txn, &input.slug, input.revision).await?;
    require_status(&found, Status::InReview, "approved")?;
    require_sign_off(&txn, &found, "approve").await?;
    review_step(w, txn, found, Status::Approved, "APPROVE").await
}

/// Publishes an APPROVED article, now or at `publishAt`, with its
/// source-locale translation; other locales publish one by one. In a
/// medical category the sign-off of this revision is checked again.
/// Needs an ADMIN key.
pub async fn publish(w: &Writer<'_>, input: PublishInput) -> Result<Step> {
    let at = input
        .publish_at
        .map_or_else(crate::store::clock::stored_now, |at| at.trunc_subsecs(6));
    if !(crate::store::clock::EARLIEST..=crate::store::clock::LATEST).contains(&at) {
        return Err(Error::bad_input("`publishAt` is outside the times Kiji stores"));
    }
    let txn = crate::store::db::begin_write(w.db).await?;
    let mut found = current(&txn, &input.slug, input.revision).await?;
    let republish = matches!(found.status, Status::Published | Status::Archived);
    // A new revision of an article being read keeps its first
    // publication date; `updatedAt` tells readers it changed.
    let now = crate::store::clock::stored_now();
    let first_published = found
        .published_at
        .filter(|_| found.status == Status::Published && found.visible_from.is_some_and(|v| v <= now));
    if !republish {
        require_status(&found, Status::Approved, "published")?;
    }
    require_sign_off(&txn, &found, "publish").await?;
    let findings = lint(&txn, w.rules, &found).await?;
    let locales = public_locales(&txn, &found).await?;
    crate::editorial::media::require_alt(&txn, found.draft_of.unwrap_or(found.id), &locales).await?;
    require_lint(
        &txn,
        w.actor(),
        &found,
        &findings,
        &locales,
        input.lint_override_reason.as_deref(),
    )
    .await?;
    if first_published.is_some() && at > now && found.head_revision != found.revision {
        let mut state = schedule(txn, w.key, found, at, w.followers).await?;
        state.findings = findings;
        return Ok(state);
    }
    let mut replaced = Touched::default();
    if republish {
        replaced = crate::store::changes::dependents(&txn, found.id).await?;
        found = publish_head(&txn, found).await?;
    }
    article_translation::Entity::update_many()
        .col_expr(article_translation::Column::Status, Expr::value(Status::Published))
        .col_expr(
            article_translation::Column::UpdatedAt,
            Expr::value(crate::store::clock::stored_now()),
        )
        .filter(article_translation::Column::ArticleId.eq(found.id))
        .filter(article_translation::Column::Locale.eq(found.source_locale.as_str()))
        .exec(&txn)
        .await?;
    let mut state = finish(
        txn,
        w.actor(),
        found,
        Status::Published,
        first_published.or(Some(at)),
        "PUBLISH",
        replaced,
        w.followers,
    )
    .await?;
    state.findings = findings;
    Ok(state)
}

/// Withdraws a PUBLISHED article from readers, keeping it for the
/// record. Needs an ADMIN key.
pub async fn archive(w: &Writer<'_>, input: StepInput) -> Result<Step> {
    let txn = crate::store::db::begin_write(w.db).await?;
    let found = current(&txn, &input.slug, input.revision).await?;
    require_status(&found, Status::Published, "archived")?;
    let published_at = found.published_at;
    finish(
        txn,
        w.actor(),
        found,
        Status::Archived,
        published_at,
        "ARCHIVE",
        Touched::default(),
        w.followers,
    )
    .await
}

/// Publishes one translation of a PUBLISHED article: locales go out one
/// by one. Readers see whether a supervisor reviewed it
/// (`reviewedBySupervisor`). Needs an ADMIN key.
pub async fn publish_translation(w: &Writer<'_>, input: TranslationStepInput) -> Result<Step> {
    let txn = crate::store::db::begin_write(w.db).await?;
    let found = current(&txn, &input.slug, input.revision).await?;
    require_live(&found)?;
    require_status(&found, Status::Published, "given a published translation")?;
    crate::editorial::media::require_alt(&txn, found.id, &[input.locale.as_str().to_owned()]).await?;
    let findings = lint(&txn, w.rules, &found).await?;
    require_lint(
        &txn,
        w.actor(),
        &found,
        &findings,
        &[input.locale.as_str().to_owned()],
        input.lint_override_reason.as_deref(),
    )
    .await?;
    set_translation(&txn, &found, &input.locale, Status::Published).await?;
    let (status, published_at) = (found.status, found.published_at);
    finish(
        txn,
        w.actor(),
        found,
        status,
        published_at,
        "PUBLISH_TRANSLATION",
        Touched::default(),
        w.followers,
    )
    .await
}

/// Takes one translation back to DRAFT (the source locale goes only
/// with the article: archive it instead). Needs an ADMIN key.
pub async fn withdraw_translation(w: &Writer<'_>, input: TranslationStepInput) -> Result<Step> {
    let txn = crate::store::db::begin_write(w.db).await?;
    let found = current(&txn, &input.slug, input.revision).await?;
    require_live(&found)?;
    if input.locale.as_str() == found.source_locale {
        return Err(Error::bad_input(format!(
            "`{}` is the source locale of `{}`: archive the article instead",
            input.locale, found.slug
        )));
    }
    set_translation(&txn, &found, &input.locale, Status::Draft).await?;
    let (status, published_at) = (found.status, found.published_at);
    finish(
        txn,
        w.actor(),
        found,
        status,
        published_at,
        "WITHDRAW_TRANSLATION",
        Touched::default(),
        w.followers,
    )
    .await
}

/// Brings the newest revision of a PUBLISHED or ARCHIVED article live:
/// its live rows are rewritten from the kept revision, and the sign-offs
/// readers see become that revision's. Returns the article as rewritten.
async fn publish_head(txn: &DatabaseTransaction, found: article::Model) -> Result<article::Model> {
    if found.head_revision == found.revision {
        if found.status == Status::Published {
            return Err(Error::bad_input(format!(
                "revision {} of `{}` is already published",
                found.revision, found.slug
            )));
        }
        return Ok(found);
    }
    let Some(snapshot) = crate::editorial::revisions::stored(txn, &found, found.head_revision).await? else {
        return Err(Error::Internal(format!(
            "revision {} of `{}` was not kept",
            found.head_revision, found.slug
        )));
    };
    // The preview copy has served its purpose: the revision goes live.
    article::Entity::delete_many()
        .filter(article::Column::DraftOf.eq(found.id))
        .exec(txn)
        .await?;
    let mut rewritten = crate::editorial::revisions::materialize(txn, &found, &snapshot).await?;
    rewritten.revision = found.head_revision;
    // Readers of the category it leaves, or joins, count it there.
    if rewritten.category_id != found.category_id && found.visible_from.is_some() {
        count(txn, found.category_id, -1).await?;
        count(txn, rewritten.category_id, 1).await?;
    }
    let stored = article::Entity::update(rewritten.into_active_model().reset_all())
        .exec(txn)
        .await?;
    crate::editorial::revisions::show_sign_offs(txn, stored.id, stored.revision, None).await?;
    Ok(stored)
}

/// Sets the newest revision of an article being read to replace the live
/// one at `at`; checked now (its sign-off included), published then by
/// [`publish_due`]. The schedule is in the article row, so a restart in
/// between loses nothing; an edit or any other step cancels it.
async fn schedule(
    txn: DatabaseTransaction,
    key: &Principal,
    found: article::Model,
    at: DateTime<Utc>,
    followers: &crate::store::write::Followers,
) -> Result<Step> {
    let (id, slug, revision) = (found.id, found.slug.clone(), found.head_revision);
    let state = Step {
        slug: found.slug.clone(),
        revision,
        status: found.status,
        published_at: found.published_at,
        visible_from: found.visible_from,
        scheduled_at: Some(at),
        findings: Vec::new(),
    };
    let source_locale = found.source_locale.clone();
    let mut row = found.into_active_model();
    row.scheduled_revision = ActiveValue::Set(Some(revision));
    row.scheduled_at = ActiveValue::Set(Some(at));
    article::Entity::update(row).exec(&txn).await?;
    crate::editorial::audit::record(
        &txn,
        crate::editorial::audit::Actor::Key(key),
        "SCHEDULE",
        &format!("article:{slug}"),
        &format!("revision {revision} replaces the published one at {}", at.to_rfc3339()),
    )
    .await?;
    // Nothing readers see changed yet: the entry names the draft, so no
    // public answer is dropped for it.
    let mut touched = Touched::default();
    touched.entity("draft", id);
    touched.locale(&source_locale);
    crate::store::write::commit(txn, crate::store::changes::Kind::Workflow, &touched, followers).await?;
    Ok(state)
}

/// Publishes every scheduled revision due by `now`, each in its own
/// transaction, checked again as when it was scheduled; returns how many
/// went live. The server runs it at start and then periodically.
pub async fn publish_due(
    db: &sea_orm::DatabaseConnection,
    rules: &crate::editorial::lint::Rules,
    followers: &crate::store::write::Followers,
    now: DateTime<Utc>,
) -> Result<usize> {
    let due = article::Entity::find()
        .filter(article::Column::ScheduledAt.lte(now))
        .filter(article::Column::DraftOf.is_null())
        .all(db)
        .await?;
    let mut published = 0;
    for candidate in due {
        // One article's failure holds back none of the others.
        match publish_one_due(db, rules, followers, candidate.id, now).await {
            Ok(true) => published += 1,
            Ok(false) => {}
            Err(err) => tracing::warn!(article = %candidate.slug, error = %err, "scheduled revision not published"),
        }
    }
    Ok(published)
}

/// Publishes the scheduled revision of article `id` if it is due by
/// `now`; drops a schedule that no longer holds, saying why in the audit
/// trail. Whether it went live.
async fn publish_one_due(
    db: &sea_orm::DatabaseConnection,
    rules: &crate::editorial::lint::Rules,
    followers: &crate::store::write::Followers,
    id: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    let txn = crate::store::db::begin_write(db).await?;
    let mut find = article::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        find = find.lock_exclusive();
    }
    // Another instance may have published it meanwhile.
    let Some(found) = find.one(&txn).await? else {
        return Ok(false);
    };
    let (Some(revision), Some(at)) = (found.scheduled_revision, found.scheduled_at) else {
        return Ok(false);
    };
    if at > now {
        return Ok(false);
    }
    let refused = if revision != found.head_revision || found.status != Status::Published {
        Some("the article changed since it was scheduled".to_owned())
    } else {
        match require_sign_off(&txn, &found, "publish").await {
            Err(err) => Some(err.to_string()),
            // Checked again: the rules in force may have changed since.
            Ok(()) => {
                let findings = lint(&txn, rules, &found).await?;
                let locales = public_locales(&txn, &found).await?;
                require_lint(
                    &txn,
                    crate::editorial::audit::Actor::Scheduler,
                    &found,
                    &findings,
                    &locales,
                    None,
                )
                .await
                .err()
                .map(|e| e.to_string())
            }
        }
    };
    if let Some(why) = refused {
        // Dropped, not retried: publishing days later, whenever a sign-off
        // turns up, is not what was scheduled.
        let slug = found.slug.clone();
        let mut row = found.into_active_model();
        row.scheduled_revision = ActiveValue::Set(None);
        row.scheduled_at = ActiveValue::Set(None);
        article::Entity::update(row).exec(&txn).await?;
        crate::editorial::audit::record(
            &txn,
            crate::editorial::audit::Actor::Scheduler,
            "SCHEDULE_DROPPED",
            &format!("article:{slug}"),
            &format!("revision {revision} due {}: {why}", at.to_rfc3339()),
        )
        .await?;
        // Nothing readers see changed: no entry in the change log.
        crate::store::write::commit(
            txn,
            crate::store::changes::Kind::Workflow,
            &Touched::default(),
            followers,
        )
        .await?;
        return Ok(false);
    }
    let published_at = found.published_at;
    let replaced = crate::store::changes::dependents(&txn, found.id).await?;
    let found = publish_head(&txn, found).await?;
    finish(
        txn,
        crate::editorial::audit::Actor::Scheduler,
        found,
        Status::Published,
        published_at,
        "PUBLISH",
        replaced,
        followers,
    )
    .await?;
    Ok(true)
}

/// Sets the status of the `locale` translation of `found`.
async fn set_translation(
    txn: &DatabaseTransaction,
    found: &article::Model,
    locale: &Locale,
    status: Status,
) -> Result<()> {
    let updated = article_translation::Entity::update_many()
        .col_expr(article_translation::Column::Status, Expr::value(status))
        .col_expr(
            article_translation::Column::UpdatedAt,
            Expr::value(crate::store::clock::stored_now()),
        )
        .filter(article_translation::Column::ArticleId.eq(found.id))
        .filter(article_translation::Column::Locale.eq(locale.as_str()))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(Error::bad_input(format!(
            "`{}` has no translation in `{locale}`",
            found.slug
        )));
    }
    Ok(())
}
