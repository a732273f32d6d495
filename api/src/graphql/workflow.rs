//! The editorial workflow of an article: DRAFT → IN_REVIEW → APPROVED →
//! PUBLISHED → ARCHIVED (DESIGN.md, "Access"; issue "Editorial side").
//!
//! Every step names the revision it acts on and is refused with `CONFLICT`
//! when that is not the current one. In a medical category, approving and
//! publishing need a supervisor's sign-off of that very revision covering
//! the source locale. A step is one transaction: the article row (locked on
//! PostgreSQL), `visible_from`, the kept counts, the audit trail and the
//! change log change together, so readers and caches see a step whole.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, SubsecRound, Utc};
use entity::enums::{ContributorRole, Role, Status};
use entity::{article, article_supervisor, article_translation, category};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
};

use super::{db, require_role, visibility};
use crate::auth::Principal;
use crate::changes::{self, Touched};
use crate::content::import::spelled;
use crate::error::{Error, Result};

/// The workflow mutations.
#[derive(Default)]
pub struct WorkflowMutation;

/// A step on one revision of an article.
#[derive(InputObject)]
pub struct StepInput {
    /// The article's slug.
    #[graphql(validator(max_length = 200))]
    slug: String,
    /// The revision the step acts on: must be the current one.
    revision: i32,
}

/// Publishing one revision, now or at a set time.
#[derive(InputObject)]
pub struct PublishInput {
    /// The article's slug.
    #[graphql(validator(max_length = 200))]
    slug: String,
    /// The revision to publish: must be the current one.
    revision: i32,
    /// When readers may see it; now when left out. A later time schedules
    /// it: nothing has to run then, readers compare the time.
    publish_at: Option<DateTime<Utc>>,
}

/// Publishing or withdrawing one translation of a published article.
#[derive(InputObject)]
pub struct TranslationStepInput {
    /// The article's slug.
    #[graphql(validator(max_length = 200))]
    slug: String,
    /// The article's current revision.
    revision: i32,
    /// The translation's locale.
    locale: super::locale::Locale,
}

/// An article's state after a step.
#[derive(SimpleObject)]
pub struct ArticleState {
    /// The article's slug.
    slug: String,
    /// Its current revision.
    revision: i32,
    /// Its state.
    status: Status,
    /// When it is (or was) published.
    published_at: Option<DateTime<Utc>>,
    /// When readers may see it; null while they may not.
    visible_from: Option<DateTime<Utc>>,
}

/// Roles that move articles through review.
const EDITING: [Role; 2] = [Role::Editor, Role::Admin];

/// The article `slug` at `revision`, locked for the transaction.
pub(super) async fn current(txn: &DatabaseTransaction, slug: &str, revision: i32) -> Result<article::Model> {
    let mut find = article::Entity::find().filter(article::Column::Slug.eq(slug));
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        find = find.lock_exclusive();
    }
    let Some(found) = find.one(txn).await? else {
        return Err(Error::bad_input(format!("no article `{slug}`")));
    };
    if found.revision != revision {
        return Err(Error::Conflict {
            message: format!(
                "revision {revision} of `{slug}` is not the current one ({})",
                found.revision
            ),
            current_revision: found.revision,
        });
    }
    Ok(found)
}

/// In a medical category, refuses unless a supervisor signed off this
/// revision with the source locale among those reviewed.
async fn require_sign_off(txn: &DatabaseTransaction, found: &article::Model, step: &str) -> Result<()> {
    let medical = category::Entity::find_by_id(found.category_id)
        .one(txn)
        .await?
        .is_none_or(|c| c.medical);
    if !medical {
        return Ok(());
    }
    let signed = article_supervisor::Entity::find()
        .filter(article_supervisor::Column::ArticleId.eq(found.id))
        .filter(article_supervisor::Column::Role.eq(ContributorRole::Supervisor))
        .filter(article_supervisor::Column::SignedOffRevision.eq(found.revision))
        .all(txn)
        .await?
        .iter()
        .any(|link| link.signed_off_locales().any(|l| l == found.source_locale));
    if signed {
        Ok(())
    } else {
        Err(Error::bad_input(format!(
            "`{}` is in a medical category: to {step} it, a supervisor must first sign off revision {} \
             including its source locale `{}`",
            found.slug, found.revision, found.source_locale
        )))
    }
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
/// `visibility::count_scopes`).
async fn count(txn: &DatabaseTransaction, category: uuid::Uuid, delta: i64) -> Result<()> {
    for scope in visibility::count_scopes(category) {
        crate::content::import::add_to_count(txn, scope, delta).await?;
    }
    Ok(())
}

/// Stores the article's new state, keeps `visible_from` and the counts in
/// step, records the step, and commits.
async fn finish(
    txn: DatabaseTransaction,
    key: &Principal,
    before: article::Model,
    status: Status,
    published_at: Option<DateTime<Utc>>,
    action: &str,
) -> Result<ArticleState> {
    let statuses: Vec<Status> = article_translation::Entity::find()
        .filter(article_translation::Column::ArticleId.eq(before.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.status)
        .collect();
    let visible_from = visibility::visible_from(status, published_at, statuses);
    match (before.visible_from.is_some(), visible_from.is_some()) {
        (false, true) => count(&txn, before.category_id, 1).await?,
        (true, false) => count(&txn, before.category_id, -1).await?,
        _ => {}
    }
    let (id, slug, revision) = (before.id, before.slug.clone(), before.revision);
    let source_locale = before.source_locale.clone();
    let mut row = before.into_active_model();
    row.status = ActiveValue::Set(status);
    row.published_at = ActiveValue::Set(published_at);
    row.visible_from = ActiveValue::Set(visible_from);
    row.updated_at = ActiveValue::Set(crate::content::import::stored_now());
    article::Entity::update(row).exec(&txn).await?;
    let visible = visible_from.map_or_else(
        || "not visible".to_owned(),
        |at| format!("visible from {}", at.to_rfc3339()),
    );
    crate::audit::record(
        &txn,
        crate::audit::Actor::Key(key),
        action,
        &format!("article:{slug}"),
        &format!("revision {revision}; now {}; {visible}", spelled(&status)),
    )
    .await?;
    let mut touched = Touched::default();
    touched.entity("article", id);
    touched.locale(&source_locale);
    changes::append(&txn, changes::Kind::Workflow, &touched).await?;
    txn.commit().await?;
    crate::cache::changed().await;
    Ok(ArticleState {
        slug,
        revision,
        status,
        published_at,
        visible_from,
    })
}

#[Object]
impl WorkflowMutation {
    /// Sends a DRAFT to review. Needs an EDITOR or ADMIN key.
    async fn submit_for_review(&self, ctx: &Context<'_>, input: StepInput) -> Result<ArticleState> {
        let key = require_role(ctx, &EDITING, "submitForReview")?;
        let txn = crate::db::begin_write(db(ctx)?).await?;
        let found = current(&txn, &input.slug, input.revision).await?;
        require_status(&found, Status::Draft, "sent to review")?;
        let published_at = found.published_at;
        finish(txn, &key, found, Status::InReview, published_at, "SUBMIT_FOR_REVIEW").await
    }

    /// Approves an article IN_REVIEW; in a medical category only once a
    /// supervisor signed off this revision. Needs an EDITOR or ADMIN key.
    async fn approve(&self, ctx: &Context<'_>, input: StepInput) -> Result<ArticleState> {
        let key = require_role(ctx, &EDITING, "approve")?;
        let txn = crate::db::begin_write(db(ctx)?).await?;
        let found = current(&txn, &input.slug, input.revision).await?;
        require_status(&found, Status::InReview, "approved")?;
        require_sign_off(&txn, &found, "approve").await?;
        let published_at = found.published_at;
        finish(txn, &key, found, Status::Approved, published_at, "APPROVE").await
    }

    /// Publishes an APPROVED article, now or at `publishAt`, with its
    /// source-locale translation; other locales publish one by one. In a
    /// medical category the sign-off of this revision is checked again.
    /// Needs an ADMIN key.
    async fn publish(&self, ctx: &Context<'_>, input: PublishInput) -> Result<ArticleState> {
        let key = require_role(ctx, &[Role::Admin], "publish")?;
        let at = input
            .publish_at
            .map_or_else(crate::content::import::stored_now, |at| at.trunc_subsecs(6));
        if !(crate::content::import::EARLIEST..=crate::content::import::LATEST).contains(&at) {
            return Err(Error::bad_input("`publishAt` is outside the times Kiji stores"));
        }
        let txn = crate::db::begin_write(db(ctx)?).await?;
        let found = current(&txn, &input.slug, input.revision).await?;
        require_status(&found, Status::Approved, "published")?;
        require_sign_off(&txn, &found, "publish").await?;
        article_translation::Entity::update_many()
            .col_expr(article_translation::Column::Status, Expr::value(Status::Published))
            .col_expr(
                article_translation::Column::UpdatedAt,
                Expr::value(crate::content::import::stored_now()),
            )
            .filter(article_translation::Column::ArticleId.eq(found.id))
            .filter(article_translation::Column::Locale.eq(found.source_locale.as_str()))
            .exec(&txn)
            .await?;
        finish(txn, &key, found, Status::Published, Some(at), "PUBLISH").await
    }

    /// Withdraws a PUBLISHED article from readers, keeping it for the
    /// record. Needs an ADMIN key.
    async fn archive(&self, ctx: &Context<'_>, input: StepInput) -> Result<ArticleState> {
        let key = require_role(ctx, &[Role::Admin], "archive")?;
        let txn = crate::db::begin_write(db(ctx)?).await?;
        let found = current(&txn, &input.slug, input.revision).await?;
        require_status(&found, Status::Published, "archived")?;
        let published_at = found.published_at;
        finish(txn, &key, found, Status::Archived, published_at, "ARCHIVE").await
    }

    /// Publishes one translation of a PUBLISHED article: locales go out one
    /// by one. Readers see whether a supervisor reviewed it
    /// (`reviewedBySupervisor`). Needs an ADMIN key.
    async fn publish_translation(&self, ctx: &Context<'_>, input: TranslationStepInput) -> Result<ArticleState> {
        let key = require_role(ctx, &[Role::Admin], "publishTranslation")?;
        let txn = crate::db::begin_write(db(ctx)?).await?;
        let found = current(&txn, &input.slug, input.revision).await?;
        require_status(&found, Status::Published, "given a published translation")?;
        set_translation(&txn, &found, &input.locale, Status::Published).await?;
        let (status, published_at) = (found.status, found.published_at);
        finish(txn, &key, found, status, published_at, "PUBLISH_TRANSLATION").await
    }

    /// Takes one translation back to DRAFT (the source locale goes only
    /// with the article: archive it instead). Needs an ADMIN key.
    async fn withdraw_translation(&self, ctx: &Context<'_>, input: TranslationStepInput) -> Result<ArticleState> {
        let key = require_role(ctx, &[Role::Admin], "withdrawTranslation")?;
        let txn = crate::db::begin_write(db(ctx)?).await?;
        let found = current(&txn, &input.slug, input.revision).await?;
        if input.locale.as_str() == found.source_locale {
            return Err(Error::bad_input(format!(
                "`{}` is the source locale of `{}`: archive the article instead",
                input.locale, found.slug
            )));
        }
        set_translation(&txn, &found, &input.locale, Status::Draft).await?;
        let (status, published_at) = (found.status, found.published_at);
        finish(txn, &key, found, status, published_at, "WITHDRAW_TRANSLATION").await
    }
}

/// Sets the status of the `locale` translation of `found`.
async fn set_translation(
    txn: &DatabaseTransaction,
    found: &article::Model,
    locale: &super::locale::Locale,
    status: Status,
) -> Result<()> {
    let updated = article_translation::Entity::update_many()
        .col_expr(article_translation::Column::Status, Expr::value(status))
        .col_expr(
            article_translation::Column::UpdatedAt,
            Expr::value(crate::content::import::stored_now()),
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
