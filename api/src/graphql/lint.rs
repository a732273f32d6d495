//! The medical-advertising lint for editors: `lint` on one article and
//! revision, `lintWork` over everything waiting for review or publication,
//! and `lintRules`, the rules in force with the guideline each rests on.

use async_graphql::{Context, Object, SimpleObject};
use entity::enums::{Role, Status};
use entity::{article, lint_override};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::scalars::Timestamp;
use super::{db, require_role, rules};
use crate::editorial::lint::{Finding, RuleInfo, Severity};
use crate::error::{Error, Result};

/// The root fields of the lint.
#[derive(Default)]
pub struct LintQuery;

/// An ADMIN's decision to publish a revision despite its errors.
#[derive(SimpleObject)]
pub struct LintOverride {
    /// Why.
    reason: String,
    /// Who (the key's name, or `command line`).
    by: String,
    /// When.
    at: Timestamp,
}

/// What the lint finds in one revision of an article.
#[derive(SimpleObject)]
pub struct LintReport {
    /// The article's slug.
    slug: String,
    /// The revision checked.
    revision: i32,
    /// The article's state.
    status: Status,
    /// Findings of severity `error`.
    errors: i32,
    /// Findings of severity `warning`.
    warnings: i32,
    /// Every finding, in every locale.
    findings: Vec<Finding>,
    /// The override that lets this revision be published despite its
    /// errors, if an ADMIN gave one.
    #[graphql(name = "override")]
    overridden: Option<LintOverride>,
}

/// Roles that see the lint.
const EDITORIAL: [Role; 5] = [
    Role::Preview,
    Role::Editor,
    Role::Translator,
    Role::Supervisor,
    Role::Admin,
];

/// Most reports `lintWork` lists.
const MAX_REPORTS: i32 = 100;

/// The report on revision `number` of `found`, whose document is `doc`.
async fn report(
    ctx: &Context<'_>,
    found: &article::Model,
    number: i32,
    doc: &crate::content::ArticleDoc,
) -> Result<LintReport> {
    let db = db(ctx)?;
    let findings = rules(ctx)?.run(db, doc).await?;
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count() as i32;
    let overridden = lint_override::Entity::find_by_id((found.id, number))
        .one(db)
        .await?
        .map(|o| LintOverride {
            reason: o.reason,
            by: o.actor,
            at: Timestamp(o.at),
        });
    Ok(LintReport {
        slug: found.slug.clone(),
        revision: number,
        status: found.status,
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        findings,
        overridden,
    })
}

#[Object]
impl LintQuery {
    /// What the medical-advertising lint finds in a revision of an article
    /// (the newest when `revision` is left out), in every locale. Needs a
    /// key (any role).
    async fn lint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article's URL slug.", validator(max_length = 200))] slug: String,
        #[graphql(desc = "The revision to check; the newest when left out.")] revision: Option<i32>,
    ) -> Result<LintReport> {
        require_role(ctx, &EDITORIAL, "lint")?;
        let found = super::revision::readable(ctx, &slug).await?;
        let number = revision.unwrap_or(found.head_revision);
        let snapshot = super::revision::revision_of(ctx, &slug, number).await?;
        report(ctx, &found, number, &snapshot.article).await
    }

    /// Articles waiting for review or publication (drafts, articles in
    /// review or approved, and published articles with a newer revision)
    /// whose newest revision has findings of at least `severity` (any when
    /// left out), most recently changed first. Needs an EDITOR, TRANSLATOR
    /// or ADMIN key.
    async fn lint_work(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many reports, 1 to 100; 20 when left out.")] first: Option<i32>,
        #[graphql(desc = "Only reports with a finding at least this serious.")] severity: Option<Severity>,
    ) -> Result<Vec<LintReport>> {
        require_role(ctx, &[Role::Editor, Role::Translator, Role::Admin], "lintWork")?;
        let first = first.unwrap_or(20);
        if !(1..=MAX_REPORTS).contains(&first) {
            return Err(Error::bad_input(format!(
                "`first` must be between 1 and {MAX_REPORTS}, got {first}"
            )));
        }
        let db = db(ctx)?;
        let waiting = article::Entity::find()
            .filter(article::Column::DraftOf.is_null())
            .filter(
                Condition::any()
                    .add(article::Column::Status.is_in([Status::Draft, Status::InReview, Status::Approved]))
                    .add(sea_orm::sea_query::Expr::col(article::Column::HeadRevision).binary(
                        sea_orm::sea_query::BinOper::NotEqual,
                        sea_orm::sea_query::Expr::col(article::Column::Revision),
                    )),
            )
            .order_by_desc(article::Column::UpdatedAt)
            .order_by_desc(article::Column::Id)
            // The queue of unpublished work, not the archive: bounded.
            .limit(1_000)
            .all(db)
            .await?;
        let mut out = Vec::new();
        for found in waiting {
            let head = crate::editorial::revisions::head(db, &found).await?;
            let r = report(ctx, &found, found.head_revision, &head.article).await?;
            let keep = match severity {
                Some(Severity::Error) => r.errors > 0,
                _ => r.errors + r.warnings > 0,
            };
            if keep {
                out.push(r);
                if out.len() == first as usize {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// The rules the lint runs, with the guideline wording each rests on.
    /// Needs a key (any role).
    async fn lint_rules(&self, ctx: &Context<'_>) -> Result<Vec<RuleInfo>> {
        require_role(ctx, &EDITORIAL, "lintRules")?;
        Ok(rules(ctx)?.list())
    }
}
