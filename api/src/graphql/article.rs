//! The `Article` object and the `article` / `articles` queries.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, Object};
use chrono::Utc;
use entity::enums::{ContributorRole, Status};
use entity::{
    article, article_translation, claim, claim_reference, claim_translation, reference, section, section_translation,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::block::{Block, filter_blocks};
use super::category::Category;
use super::claim::Claim;
use super::contributor::Contributor;
use super::localized::{HasLocale, LocaleFields, LocaleInfo};
use super::node::{Kind, global_id};
use super::pagination::{self, ArticleConnection, ArticleFilter, ArticleOrder};
use super::reference::Reference;
use super::scalars::Timestamp;
use super::section::{self as sections, Section, TocEntry};
use super::supervisor::Supervisor;
use super::tag::Tag;
use super::{db, loader, preference};
use crate::delivery::locale::{Locale, Localization, Preference};
use crate::delivery::visibility;
use crate::error::{Error, Result};
use crate::store::loaders::{
    CategoryOf, ChildrenOf, ClaimRows, ClaimRowsOf, ContributorRowsOf, DbLoader, Grouped, SectionRows, SectionTreeOf,
    TagRowsOf, TextsWithoutIntro,
};

/// What the children of an article need to resolve their own text: the
/// request's preference, the locales the article is visible in (a section
/// must not show text of a translation that is still a draft), and the
/// article's source locale, the last step of every fallback chain.
#[derive(Clone)]
pub struct Scope {
    /// The request's locale preference.
    pub pref: Preference,
    /// Locales of the article's visible translations.
    pub allowed: Arc<[String]>,
    /// The article's source locale.
    pub source: Arc<str>,
    /// The article.
    pub article_id: Uuid,
    /// The article's current revision.
    pub revision: i32,
    /// The article's rows, loaded once per request.
    rows: Arc<ArticleRows>,
}

/// An article's sections, claims and their texts, each loaded at most once
/// per request.
///
/// The DataLoader's cache only holds finished loads: a key asked for while
/// its first load is still in flight is loaded again. Sections at different
/// depths ask for the same article-wide rows at different moments, so
/// without this the number of statements would depend on timing and on the
/// size of the article. Each cell is still filled through the loader, so the
/// articles of a list keep being loaded in one batch.
#[derive(Default)]
struct ArticleRows {
    sections: OnceCell<SectionRows>,
    claims: OnceCell<ClaimRows>,
}

/// Fills `cell` from the loader once, however many resolvers ask at once.
async fn once<K, T>(cell: &OnceCell<T>, ctx: &Context<'_>, key: K) -> Result<T>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    T: Clone + Default + Send + Sync + 'static,
    DbLoader: Loader<K, Value = T, Error = crate::store::loaders::LoadError>,
{
    let value = cell
        .get_or_try_init(|| async { Ok::<T, Error>(loader(ctx)?.load_one(key).await?.unwrap_or_default()) })
        .await?;
    Ok(value.clone())
}

impl Scope {
    /// Every section of the article.
    pub async fn sections(&self, ctx: &Context<'_>) -> Result<Arc<[section::Model]>> {
        Ok(once(&self.rows.sections, ctx, SectionTreeOf(self.article_id))
            .await?
            .sections)
    }

    /// Section translations by section id.
    pub async fn section_texts(&self, ctx: &Context<'_>) -> Result<Grouped<Arc<section_translation::Model>>> {
        Ok(once(&self.rows.sections, ctx, SectionTreeOf(self.article_id))
            .await?
            .texts)
    }

    /// Claims by section id.
    pub async fn claims(&self, ctx: &Context<'_>) -> Result<Grouped<claim::Model>> {
        Ok(once(&self.rows.claims, ctx, ClaimRowsOf(self.article_id)).await?.claims)
    }

    /// Claim translations by claim id.
    pub async fn claim_texts(&self, ctx: &Context<'_>) -> Result<Grouped<Arc<claim_translation::Model>>> {
        Ok(once(&self.rows.claims, ctx, ClaimRowsOf(self.article_id)).await?.texts)
    }

    /// Cited references by claim id.
    pub async fn citations(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Grouped<(claim_reference::Model, Arc<reference::Model>)>> {
        Ok(once(&self.rows.claims, ctx, ClaimRowsOf(self.article_id))
            .await?
            .citations)
    }

    /// Whether a supervisor signed off the article's current revision with
    /// `locale` among the locales reviewed (and, for `claims`, the claims
    /// too): the one test behind every `reviewedBySupervisor`.
    pub async fn supervised(&self, ctx: &Context<'_>, locale: &str, claims: bool) -> Result<bool> {
        let rows = loader(ctx)?
            .load_one(ContributorRowsOf(self.article_id))
            .await?
            .unwrap_or_default();
        // The answer depends on each physician's profile: a change to it
        // must drop the cached answer (and a CDN's copy) too.
        for (_, person, _) in rows.iter() {
            crate::delivery::tags::entity(ctx, "supervisor", person.id);
        }
        // A physician whose profile changed since they last stood behind it
        // covers nothing: the name readers would see is not the one they
        // signed under.
        Ok(rows.iter().any(|(link, person, _)| {
            link.role == ContributorRole::Supervisor
                && crate::editorial::profiles::confirmed(person)
                && link.signed_off_revision == Some(self.revision)
                && (link.signed_off_claims || !claims)
                && link.signed_off_locales().any(|l| l == locale)
        }))
    }

    /// Keeps the translations in an allowed locale and chooses among them.
    pub fn localize<T: crate::delivery::locale::Translation + Clone>(&self, texts: &[T]) -> Option<Localization<T>> {
        let visible: Vec<T> = texts
            .iter()
            .filter(|t| self.allowed.iter().any(|a| a == t.locale()))
            .cloned()
            .collect();
        Localization::resolve(visible, &self.pref, &self.source)
    }
}

/// An article in the locale chosen for this request.
#[derive(Clone)]
pub struct Article {
    model: article::Model,
    l10n: Localization<article_translation::Model>,
    scope: Scope,
}

impl Article {
    /// Wraps visible articles, loading their translations in one batch; an
    /// article without a published translation is left out. Without
    /// `with_intro` (a list that does not show it) `intro` is left unread.
    pub(crate) async fn wrap_all(
        ctx: &Context<'_>,
        models: Vec<article::Model>,
        pref: &Preference,
        with_intro: bool,
    ) -> Result<Vec<Self>> {
        let ids = models.iter().map(|m| m.id);
        let mut texts: HashMap<Uuid, Arc<[article_translation::Model]>> = if with_intro {
            let keys = ids.map(ChildrenOf::<article_translation::Entity>::new);
            let found = loader(ctx)?.load_many(keys).await?;
            found.into_iter().map(|(key, rows)| (key.0, rows)).collect()
        } else {
            let found = loader(ctx)?.load_many(ids.map(TextsWithoutIntro)).await?;
            found.into_iter().map(|(key, rows)| (key.0, rows)).collect()
        };
        let audience = super::audience(ctx);
        let licensed = super::licensed(ctx).await?;
        let mut out = Vec::with_capacity(models.len());
        for model in models {
            crate::delivery::tags::entity(ctx, "article", model.id);
            // A preview copy is covered as the article it copies.
            let covered = model.draft_of.unwrap_or(model.id);
            let published: Vec<article_translation::Model> = texts
                .remove(&model.id)
                .map(|rows| {
                    rows.iter()
                        .filter(|t| audience.sees(covered, t.status))
                        .filter(|t| {
                            licensed
                                .as_ref()
                                .is_none_or(|l| l.allows(model.id, model.category_id, &t.locale))
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            let allowed: Arc<[String]> = published.iter().map(|t| t.locale.clone()).collect();
            let Some(l10n) = Localization::resolve(published, pref, &model.source_locale) else {
                continue;
            };
            let scope = Scope {
                pref: pref.clone(),
                allowed,
                source: Arc::from(model.source_locale.as_str()),
                article_id: model.id,
                revision: model.revision,
                rows: Arc::default(),
            };
            out.push(Self { model, l10n, scope });
        }
        Ok(out)
    }

    /// The locale the article is read in.
    pub(crate) fn locale_str(&self) -> &str {
        self.l10n.text().locale.as_str()
    }

    /// The article row.
    pub(crate) fn model(&self) -> &article::Model {
        &self.model
    }

    /// What the article's sections and claims resolve against.
    pub(crate) fn scope(&self) -> &Scope {
        &self.scope
    }

    pub(crate) fn text(&self) -> &article_translation::Model {
        self.l10n.text()
    }
}

/// An article: title, lead and body in one locale, with its sections,
/// claims, references and the physicians who supervised it.
#[Object]
impl Article {
    /// Global id; pass it to `node(id:)` to refetch this object.
    pub async fn id(&self) -> ID {
        global_id(Kind::Article, self.model.id)
    }

    /// URL slug, the same in every locale.
    async fn slug(&self) -> &str {
        // A preview copy is stored under `slug~draft`; it shows the
        // article's own.
        match self.model.draft_of {
            Some(_) => self.model.slug.strip_suffix("~draft").unwrap_or(&self.model.slug),
            None => &self.model.slug,
        }
    }

    /// `locale`, `isFallback` and `availableLocales`, in this place.
    #[graphql(flatten)]
    async fn localized(&self) -> LocaleFields<'_> {
        LocaleFields(&self.l10n)
    }

    /// The locale the article was written in; translations are made from it.
    async fn source_locale(&self) -> Locale {
        Locale::trusted(&self.model.source_locale)
    }

    /// The revision readers are shown (1 for the first).
    async fn revision(&self) -> i32 {
        self.model.revision
    }

    /// Publication state of the article. Public answers only ever hold
    /// PUBLISHED articles; a preview key also reads the others.
    async fn status(&self) -> Status {
        self.model.status
    }

    /// The newest saved revision, which edits name as `baseRevision`; higher
    /// than `revision` while edits wait to be published. Null for the public.
    async fn head_revision(&self, ctx: &Context<'_>) -> Option<i32> {
        super::audience(ctx)
            .covers(self.model.draft_of.unwrap_or(self.model.id))
            .then_some(self.model.head_revision)
    }

    /// The newer revision scheduled to replace this one, if any (`publish`
    /// with a later `publishAt`). Null for the public.
    async fn scheduled_revision(&self, ctx: &Context<'_>) -> Option<i32> {
        super::audience(ctx)
            .covers(self.model.id)
            .then_some(self.model.scheduled_revision)
            .flatten()
    }

    /// When `scheduledRevision` replaces this one. Null for the public.
    async fn scheduled_at(&self, ctx: &Context<'_>) -> Option<Timestamp> {
        super::audience(ctx)
            .covers(self.model.id)
            .then_some(self.model.scheduled_at)
            .flatten()
            .map(Timestamp)
    }

    /// Publication state of the translation shown.
    async fn translation_status(&self) -> Status {
        self.l10n.text().status
    }

    /// Revision of the source text this translation was made from. When it is
    /// lower than the revision the source text last changed in, the
    /// translation is out of date (`isOutdated`); its sections say which.
    async fn translated_from_revision(&self) -> i32 {
        self.text().source_revision
    }

    /// True when the source text changed after this translation was made.
    async fn is_outdated(&self) -> bool {
        self.text().source_revision < self.model.source_revision
    }

    /// Title.
    async fn title(&self) -> &str {
        &self.text().title
    }

    /// Teaser for lists and cards.
    async fn lead(&self) -> &str {
        &self.text().lead
    }

    /// Title for search engines (the title when none is set).
    async fn seo_title(&self) -> &str {
        self.text().seo_title.as_deref().unwrap_or(&self.text().title)
    }

    /// Meta description (the lead when none is set).
    async fn seo_description(&self) -> &str {
        self.text().seo_description.as_deref().unwrap_or(&self.text().lead)
    }

    /// Blocks before the first section.
    async fn intro(&self) -> Vec<Block<'_>> {
        let text = self.text();
        filter_blocks(&text.intro.0, None, &text.locale)
    }

    /// When the article was first published.
    async fn published_at(&self) -> Option<Timestamp> {
        self.model.published_at.map(Timestamp)
    }

    /// When the article's content last changed.
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.model.updated_at)
    }

    /// The series the article belongs to.
    pub(crate) async fn category(&self, ctx: &Context<'_>) -> Result<Category> {
        let row = loader(ctx)?.load_one(CategoryOf(self.model.category_id)).await?;
        row.and_then(|row| Category::from_texts(ctx, row.0.clone(), row.1.clone(), &self.scope.pref))
            .ok_or_else(|| Error::Internal(format!("article {} has no readable category", self.model.slug)))
    }

    /// Topic tags, in listed order.
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<Tag>> {
        let rows = loader(ctx)?
            .load_one(TagRowsOf(self.model.id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .iter()
            .filter_map(|(tag, texts)| Tag::from_texts(ctx, tag.clone(), texts.clone(), &self.scope.pref))
            .collect())
    }

    /// Supervising physicians, authors and reviewers, with the revision each
    /// signed off. `role` keeps only those in one role.
    pub(crate) async fn contributors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the contributors in this role; all when omitted.")] role: Option<ContributorRole>,
    ) -> Result<Vec<Contributor>> {
        let rows = loader(ctx)?
            .load_one(ContributorRowsOf(self.model.id))
            .await?
            .unwrap_or_default();
        // One contributor per stored link: a physician in two roles appears
        // twice, each time with that link's own role and sign-off; a person
        // without a readable profile drops only their own rows.
        // The public sees a supervisor or reviewer only once they signed
        // off the revision it reads: a physician assigned to an article is
        // not yet vouching for it, and one who signed an older revision does
        // not vouch for this one. Authors are who wrote it.
        let everyone = super::audience(ctx).covers(self.model.draft_of.unwrap_or(self.model.id));
        let revision = self.model.revision;
        Ok(rows
            .iter()
            .filter(|(link, _, _)| role.is_none_or(|r| link.role == r))
            .filter(|(link, _, _)| {
                everyone || link.role == ContributorRole::Author || link.signed_off_revision == Some(revision)
            })
            .filter_map(|(link, person, texts)| {
                let supervisor = Supervisor::from_texts(ctx, person.clone(), texts.clone(), &self.scope.pref)?;
                Some(Contributor {
                    role: link.role,
                    supervisor,
                    signed_off_revision: link.signed_off_revision,
                    signed_off_at: link.signed_off_at.map(Timestamp),
                    // Only locales this reader may read: a partner is not
                    // told of translations beyond its licence.
                    signed_off_locales: link
                        .signed_off_locales()
                        .filter(|l| everyone || self.scope.allowed.iter().any(|a| a == l))
                        .map(Locale::trusted)
                        .collect(),
                    signed_off_claims: link.signed_off_claims,
                    signed_off_profile_revision: link.signed_off_profile_revision,
                    profile_confirmed: crate::editorial::profiles::confirmed(person),
                    article_revision: self.model.revision,
                })
            })
            .collect())
    }

    /// True when a supervising physician signed off this very revision of
    /// the article with the text in this answer's locale among what they
    /// reviewed. False for a translation nobody supervised, and after any
    /// change since the sign-off.
    async fn reviewed_by_supervisor(&self, ctx: &Context<'_>) -> Result<bool> {
        self.scope
            .supervised(ctx, self.l10n.text().locale.as_str(), false)
            .await
    }

    /// Top-level sections in order; each has its `children`.
    async fn sections(&self, ctx: &Context<'_>) -> Result<Vec<Section>> {
        sections::children(ctx, &self.scope, None).await
    }

    /// Every section in reading order (depth first), for clients that render
    /// a flat list indented by `level`.
    async fn all_sections(&self, ctx: &Context<'_>) -> Result<Vec<Section>> {
        sections::all(ctx, &self.scope).await
    }

    /// Anchors and headings of the section tree.
    async fn table_of_contents(&self, ctx: &Context<'_>) -> Result<Vec<TocEntry>> {
        sections::table_of_contents(ctx, &self.scope).await
    }

    /// Every claim of the article in reading order.
    async fn claims(&self, ctx: &Context<'_>) -> Result<Vec<Claim>> {
        let sections = sections::all(ctx, &self.scope).await?;
        let mut out = Vec::new();
        for s in &sections {
            out.extend(Claim::of_section(ctx, &self.scope, s.uuid()).await?);
        }
        Ok(out)
    }

    /// `canonicalUrl`, `attribution` and `license`: what travels with the
    /// article when it is republished.
    #[graphql(flatten)]
    async fn syndication(&self) -> super::syndication::Syndication<'_> {
        super::syndication::Syndication(self)
    }

    /// `heroImage`, in this place.
    #[graphql(flatten)]
    async fn images(&self) -> super::image::ArticleImages<'_> {
        super::image::ArticleImages(self)
    }

    /// `readingMinutes` and `relatedArticles`: what a page shows around
    /// the text.
    #[graphql(flatten)]
    async fn reading(&self) -> super::reading::Reading<'_> {
        super::reading::Reading(self)
    }

    /// The article's bibliography: every cited reference once, in order of
    /// first citation.
    pub(crate) async fn references(&self, ctx: &Context<'_>) -> Result<Vec<Reference>> {
        let sections = sections::all(ctx, &self.scope).await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for s in &sections {
            for claim in Claim::of_section(ctx, &self.scope, s.uuid()).await? {
                for reference in claim.cited(ctx).await? {
                    if seen.insert(reference.id) {
                        out.push(Reference::new(reference));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Article queries.
#[derive(Default)]
pub struct ArticleQuery;

#[Object]
impl ArticleQuery {
    /// A published article by slug, or null when there is none.
    async fn article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "URL slug.", validator(max_length = 200))] slug: String,
        #[graphql(desc = "Locale to read in; defaults to Accept-Language, then the server default.")] locale: Option<
            Locale,
        >,
        #[graphql(
            desc = "For a key: the revision to read, the published one (`revision`) or the newest \
                    (`headRevision`) while it waits to be published. Readers only ever get the \
                    published one: another number is null for them."
        )]
        revision: Option<i32>,
    ) -> Result<Option<Article>> {
        let pref = preference(ctx, locale)?;
        crate::delivery::tags::collection(ctx, "articles");
        let audience = super::audience(ctx);
        // The article and its translations in one statement; the
        // translations go to the loader, where `wrap_all` finds them.
        let condition = sea_orm::Condition::all()
            .add(Expr::col((article::Entity, article::Column::Slug)).eq(&slug))
            .add(Expr::col((article::Entity, article::Column::DraftOf)).is_null())
            .add(visibility::article_for(audience, Utc::now()));
        let found = crate::store::loaders::articles_with_texts(db(ctx)?, condition).await?;
        let Some((mut model, mut texts)) = found.into_iter().next() else {
            return super::absent(ctx, || format!("article `{slug}`"));
        };
        match revision {
            Some(wanted) if wanted != model.revision => {
                if !audience.covers(model.id) {
                    return Ok(None);
                }
                if wanted != model.head_revision {
                    return Err(Error::bad_input(format!(
                        "revision {wanted} of `{}` is neither published ({}) nor the newest ({}): \
                         read it with articleRevision",
                        model.slug, model.revision, model.head_revision
                    )));
                }
                // The newest revision of a published article lives in its
                // hidden copy, which the loaders read like any article.
                let condition =
                    sea_orm::Condition::all().add(Expr::col((article::Entity, article::Column::DraftOf)).eq(model.id));
                let copy = crate::store::loaders::articles_with_texts(db(ctx)?, condition).await?;
                let Some(copy) = copy.into_iter().next() else {
                    return Err(Error::Internal(format!(
                        "revision {wanted} of `{}` has no preview copy",
                        model.slug
                    )));
                };
                (model, texts) = copy;
            }
            _ => {}
        }
        loader(ctx)?
            .feed_one(
                ChildrenOf::<article_translation::Entity>::new(model.id),
                Arc::from(texts),
            )
            .await;
        Ok(Article::wrap_all(ctx, vec![model], &pref, true).await?.pop())
    }

    /// Published articles, newest first by default, as a Relay connection
    /// with opaque cursors.
    async fn articles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 0 to 100.", default = 20)] first: Option<i32>,
        #[graphql(
            desc = "Cursor after which the page starts (an `endCursor`).",
            validator(max_length = 200)
        )]
        after: Option<String>,
        #[graphql(desc = "Which articles to list; all visible ones when omitted.")] filter: Option<ArticleFilter>,
        #[graphql(
            desc = "Sort order; ties are broken by id.",
            default_with = "Some(ArticleOrder::PublishedAtDesc)"
        )]
        order_by: Option<ArticleOrder>,
        #[graphql(desc = "Locale to read in; defaults to Accept-Language, then the server default.")] locale: Option<
            Locale,
        >,
    ) -> Result<ArticleConnection> {
        let pref = preference(ctx, locale)?;
        let first = first.unwrap_or(pagination::DEFAULT_PAGE);
        let order = order_by.unwrap_or_default();
        pagination::articles(ctx, first, after, filter.unwrap_or_default(), order, pref).await
    }
}

impl HasLocale for Article {
    fn localization(&self) -> &dyn LocaleInfo {
        &self.l10n
    }
}
