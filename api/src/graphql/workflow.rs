//! The workflow mutations and the state they answer; the rules they follow
//! are `editorial::workflow`'s.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use entity::enums::{Role, Status};

use super::scalars::Timestamp;
use super::{require_role, writer};
use crate::editorial::workflow::{self as rules, Step};
use crate::error::Result;

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
    publish_at: Option<Timestamp>,
    /// Publishes a medical article despite the errors the
    /// medical-advertising lint finds in this revision, for this reason
    /// (kept with the revision and in the audit trail).
    #[graphql(validator(max_length = 2000))]
    lint_override_reason: Option<String>,
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
    locale: crate::locale::Locale,
    /// Publishes the translation of a medical article despite the errors
    /// the medical-advertising lint finds in it, for this reason (kept
    /// with the revision and in the audit trail).
    #[graphql(validator(max_length = 2000))]
    lint_override_reason: Option<String>,
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
    published_at: Option<Timestamp>,
    /// When readers may see it; null while they may not.
    visible_from: Option<Timestamp>,
    /// When the newest revision replaces the one readers read, if that is
    /// scheduled.
    scheduled_at: Option<Timestamp>,
    /// What the medical-advertising lint finds in the revision a step moves
    /// forward (`submitForReview`, `approve`, `publish`), in every locale;
    /// empty for the other steps.
    findings: Vec<crate::editorial::lint::Finding>,
}

impl From<Step> for ArticleState {
    fn from(step: Step) -> Self {
        Self {
            slug: step.slug,
            revision: step.revision,
            status: step.status,
            published_at: step.published_at.map(Timestamp),
            visible_from: step.visible_from.map(Timestamp),
            scheduled_at: step.scheduled_at.map(Timestamp),
            findings: step.findings,
        }
    }
}

impl From<StepInput> for rules::StepInput {
    fn from(input: StepInput) -> Self {
        Self {
            slug: input.slug,
            revision: input.revision,
        }
    }
}

/// Roles that move articles through review.
const EDITING: [Role; 2] = [Role::Editor, Role::Admin];

#[Object]
impl WorkflowMutation {
    /// Sends a DRAFT to review. Needs an EDITOR or ADMIN key.
    async fn submit_for_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article, and the revision the step applies to.")] input: StepInput,
    ) -> Result<ArticleState> {
        let key = require_role(ctx, &EDITING, "submitForReview")?;
        Ok(rules::submit_for_review(&writer(ctx, &key)?, input.into())
            .await?
            .into())
    }

    /// Approves an article IN_REVIEW; in a medical category only once a
    /// supervisor signed off this revision. Needs an EDITOR or ADMIN key.
    async fn approve(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article, and the revision the step applies to.")] input: StepInput,
    ) -> Result<ArticleState> {
        let key = require_role(ctx, &EDITING, "approve")?;
        Ok(rules::approve(&writer(ctx, &key)?, input.into()).await?.into())
    }

    /// Publishes an APPROVED article, now or at `publishAt`, with its
    /// source-locale translation; other locales publish one by one. In a
    /// medical category the sign-off of this revision is checked again.
    /// Needs an ADMIN key.
    async fn publish(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article, the revision to publish, and when.")] input: PublishInput,
    ) -> Result<ArticleState> {
        let key = require_role(ctx, &[Role::Admin], "publish")?;
        let input = rules::PublishInput {
            slug: input.slug,
            revision: input.revision,
            publish_at: input.publish_at.map(|at| at.0),
            lint_override_reason: input.lint_override_reason,
        };
        Ok(rules::publish(&writer(ctx, &key)?, input).await?.into())
    }

    /// Withdraws a PUBLISHED article from readers, keeping it for the
    /// record. Needs an ADMIN key.
    async fn archive(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article, and the revision the step applies to.")] input: StepInput,
    ) -> Result<ArticleState> {
        let key = require_role(ctx, &[Role::Admin], "archive")?;
        Ok(rules::archive(&writer(ctx, &key)?, input.into()).await?.into())
    }

    /// Publishes one translation of a PUBLISHED article: locales go out one
    /// by one. Readers see whether a supervisor reviewed it
    /// (`reviewedBySupervisor`). Needs an ADMIN key.
    async fn publish_translation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article, the locale, and the revision the step applies to.")] input: TranslationStepInput,
    ) -> Result<ArticleState> {
        let key = require_role(ctx, &[Role::Admin], "publishTranslation")?;
        Ok(rules::publish_translation(&writer(ctx, &key)?, input.into())
            .await?
            .into())
    }

    /// Takes one translation back to DRAFT (the source locale goes only
    /// with the article: archive it instead). Needs an ADMIN key.
    async fn withdraw_translation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article, the locale, and the revision the step applies to.")] input: TranslationStepInput,
    ) -> Result<ArticleState> {
        let key = require_role(ctx, &[Role::Admin], "withdrawTranslation")?;
        Ok(rules::withdraw_translation(&writer(ctx, &key)?, input.into())
            .await?
            .into())
    }
}

impl From<TranslationStepInput> for rules::TranslationStepInput {
    fn from(input: TranslationStepInput) -> Self {
        Self {
            slug: input.slug,
            revision: input.revision,
            locale: input.locale,
            lint_override_reason: input.lint_override_reason,
        }
    }
}
