//! Relay object identification: the `Node` interface, and the `node(id:)` /
//! `nodes(ids:)` queries that refetch any object by its global id
//! (`crate::delivery::ids`). Refetching applies the same
//! visibility rules as every other read: a hidden object is `null`, exactly
//! like one that does not exist.

use async_graphql::{Context, ID, Interface, Object};
use chrono::Utc;
use entity::{article, category, claim, claim_reference, reference, section, supervisor, tag};
use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, JoinType, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::article::Article;
use super::category::Category;
use super::claim::Claim;
use super::reference::Reference;
use super::section::{self as sections, Section};
use super::supervisor::Supervisor;
use super::tag::Tag;
use super::{db, preference};
use crate::delivery::locale::{Locale, Preference};
use crate::delivery::visibility;
use crate::error::{Error, Result};

pub use crate::delivery::ids::{Kind, MAX_NODES, decode};

/// The global id of the object of `kind` with row id `id`.
pub fn global_id(kind: Kind, id: Uuid) -> ID {
    ID(crate::delivery::ids::global_id(kind, id))
}

/// An object with a global id, which `node(id:)` refetches.
#[derive(Interface, Clone)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Global id; pass it to `node(id:)` to refetch this object."
))]
pub enum Node {
    /// An article.
    Article(Article),
    /// A section.
    Section(Section),
    /// A claim.
    Claim(Claim),
    /// A reference.
    Reference(Reference),
    /// A supervisor.
    Supervisor(Supervisor),
    /// A category.
    Category(Category),
    /// A tag.
    Tag(Tag),
}

/// How many objects one request may still refetch: `node` and `nodes`
/// together, over all their aliases.
#[derive(Debug)]
pub struct NodeBudget(std::sync::atomic::AtomicUsize);

impl Default for NodeBudget {
    fn default() -> Self {
        Self(std::sync::atomic::AtomicUsize::new(MAX_NODES))
    }
}

impl NodeBudget {
    fn take(&self, n: usize) -> Result<()> {
        use std::sync::atomic::Ordering;
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(n))
            .map(|_| ())
            .map_err(|_| Error::bad_input(format!("one request may refetch at most {MAX_NODES} objects")))
    }
}

/// The `node` and `nodes` queries.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global id, or null when there is none or it is
    /// not public.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as any object's `id` gives it.")] id: ID,
        #[graphql(desc = "Locale to read in; defaults to Accept-Language, then the server default.")] locale: Option<
            Locale,
        >,
    ) -> Result<Option<Node>> {
        let pref = preference(ctx, locale)?;
        let id = decode(&id)?;
        budget(ctx, 1)?;
        match fetch(ctx, &[id], &pref).await?.pop().flatten() {
            Some(node) => Ok(Some(node)),
            None => super::absent(ctx, || "such object".to_owned()),
        }
    }

    /// The objects with these global ids, in the same order; null for each
    /// that does not exist or is not public. At most 100 ids per request.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, as objects' `id` give them.")] ids: Vec<ID>,
        #[graphql(desc = "Locale to read in; defaults to Accept-Language, then the server default.")] locale: Option<
            Locale,
        >,
    ) -> Result<Vec<Option<Node>>> {
        let pref = preference(ctx, locale)?;
        if ids.len() > MAX_NODES {
            return Err(Error::bad_input(format!("`ids` may name at most {MAX_NODES} objects")));
        }
        let decoded = ids.iter().map(|id| decode(id)).collect::<Result<Vec<_>>>()?;
        budget(ctx, decoded.len())?;
        fetch(ctx, &decoded, &pref).await
    }
}

fn budget(ctx: &Context<'_>, n: usize) -> Result<()> {
    match ctx.data_opt::<NodeBudget>() {
        Some(budget) => budget.take(n),
        None => Ok(()),
    }
}

/// Looks up objects of every kind, a few statements per kind whatever their
/// number, applying the visibility rules of each kind; `None` for each that
/// does not exist or is not public.
async fn fetch(ctx: &Context<'_>, ids: &[(Kind, Uuid)], pref: &Preference) -> Result<Vec<Option<Node>>> {
    let now = Utc::now();
    let db = db(ctx)?;
    // An id that is null now may name a public object after a change.
    for (kind, _) in ids {
        crate::delivery::tags::collection(ctx, kind.collection());
    }
    let of = |kind: Kind| -> Vec<Uuid> { ids.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect() };
    let mut found: HashMap<(Kind, Uuid), Node> = HashMap::new();

    // Sections and claims are visible only where their article's tree
    // shows them, so their articles are loaded with the articles asked for.
    let sections = section::Entity::find()
        .filter(section::Column::Id.is_in(of(Kind::Section)))
        .all(db)
        .await?;
    let claims = claim::Entity::find()
        .filter(claim::Column::Id.is_in(of(Kind::Claim)))
        .all(db)
        .await?;
    let claim_sections = section::Entity::find()
        .filter(section::Column::Id.is_in(claims.iter().map(|c| c.section_id)))
        .all(db)
        .await?;
    let citing = citing_articles(ctx, &of(Kind::Reference)).await?;
    let mut article_ids: Vec<Uuid> = of(Kind::Article);
    article_ids.extend(sections.iter().chain(&claim_sections).map(|s| s.article_id));
    article_ids.extend(citing.iter().map(|c| c.article));
    let rows = article::Entity::find()
        .filter(article::Column::Id.is_in(article_ids))
        .filter(visibility::article_for(super::audience(ctx), now))
        .all(db)
        .await?;
    let articles: HashMap<Uuid, Article> = Article::wrap_all(ctx, rows, pref, true)
        .await?
        .into_iter()
        .map(|a| (a.model().id, a))
        .collect();
    // Each article's visible sections, computed once.
    let mut trees: HashMap<Uuid, Vec<Section>> = HashMap::new();
    for (id, article) in &articles {
        trees.insert(*id, sections::all(ctx, article.scope()).await?);
    }
    let visible_section = |article: Uuid, section: Uuid| -> Option<&Section> {
        trees.get(&article)?.iter().find(|s| s.uuid() == section)
    };

    for id in of(Kind::Article) {
        if let Some(article) = articles.get(&id) {
            found.insert((Kind::Article, id), Node::Article(article.clone()));
        }
    }
    for row in &sections {
        if let Some(section) = visible_section(row.article_id, row.id) {
            found.insert((Kind::Section, row.id), Node::Section(section.clone()));
        }
    }
    for row in &claims {
        let Some(section) = claim_sections.iter().find(|s| s.id == row.section_id) else {
            continue;
        };
        let (Some(article), Some(_)) = (
            articles.get(&section.article_id),
            visible_section(section.article_id, section.id),
        ) else {
            continue;
        };
        let visible = Claim::of_section(ctx, article.scope(), section.id).await?;
        if let Some(claim) = visible.into_iter().find(|c| c.uuid() == row.id) {
            found.insert((Kind::Claim, row.id), Node::Claim(claim));
        }
    }
    // A reference is public when a visible claim of a visible article cites
    // it: one cited only by hidden content would reveal its topic.
    let mut public_references: Vec<Uuid> = Vec::new();
    for citation in &citing {
        if public_references.contains(&citation.reference) {
            continue;
        }
        let (Some(article), Some(_)) = (
            articles.get(&citation.article),
            visible_section(citation.article, citation.section),
        ) else {
            continue;
        };
        let visible = Claim::of_section(ctx, article.scope(), citation.section).await?;
        if visible.iter().any(|c| c.uuid() == citation.claim) {
            public_references.push(citation.reference);
        }
    }
    for row in reference::Entity::find()
        .filter(reference::Column::Id.is_in(public_references))
        .all(db)
        .await?
    {
        crate::delivery::tags::entity(ctx, "reference", row.id);
        found.insert((Kind::Reference, row.id), Node::Reference(Reference::new(row)));
    }
    let people = supervisor::Entity::find()
        .filter(supervisor::Column::Id.is_in(of(Kind::Supervisor)))
        .filter(visibility::supervisor_for(super::audience(ctx), now))
        .all(db)
        .await?;
    for person in Supervisor::wrap_all(ctx, people, pref).await? {
        found.insert((Kind::Supervisor, person.uuid()), Node::Supervisor(person));
    }
    let categories = category::Entity::find()
        .filter(category::Column::Id.is_in(of(Kind::Category)))
        .filter(visibility::category_for(super::audience(ctx), now))
        .all(db)
        .await?;
    for category in Category::wrap_all(ctx, categories, pref).await? {
        found.insert((Kind::Category, category.uuid()), Node::Category(category));
    }
    let tags = tag::Entity::find()
        .filter(tag::Column::Id.is_in(of(Kind::Tag)))
        .filter(visibility::tag_for(super::audience(ctx), now))
        .all(db)
        .await?;
    for tag in Tag::wrap_all(ctx, tags, pref).await? {
        found.insert((Kind::Tag, tag.uuid()), Node::Tag(tag));
    }
    Ok(ids.iter().map(|key| found.get(key).cloned()).collect())
}

/// A claim of a visible article citing a reference.
struct Citing {
    reference: Uuid,
    claim: Uuid,
    section: Uuid,
    article: Uuid,
}

/// The claims of visible articles citing any of `references`, in one
/// statement.
async fn citing_articles(ctx: &Context<'_>, references: &[Uuid]) -> Result<Vec<Citing>> {
    if references.is_empty() {
        return Ok(Vec::new());
    }
    let rows = claim_reference::Entity::find()
        .select_only()
        .column(claim_reference::Column::ReferenceId)
        .column(claim_reference::Column::ClaimId)
        .column_as(Expr::col((section::Entity, section::Column::Id)), "section_id")
        .column_as(Expr::col((section::Entity, section::Column::ArticleId)), "article_id")
        .join(
            JoinType::InnerJoin,
            claim_reference::Entity::belongs_to(claim::Entity)
                .from(claim_reference::Column::ClaimId)
                .to(claim::Column::Id)
                .into(),
        )
        .join(
            JoinType::InnerJoin,
            claim::Entity::belongs_to(section::Entity)
                .from(claim::Column::SectionId)
                .to(section::Column::Id)
                .into(),
        )
        .join(
            JoinType::InnerJoin,
            section::Entity::belongs_to(article::Entity)
                .from(section::Column::ArticleId)
                .to(article::Column::Id)
                .into(),
        )
        .filter(claim_reference::Column::ReferenceId.is_in(references.iter().copied()))
        .filter(visibility::article_for(super::audience(ctx), Utc::now()))
        .into_tuple::<(Uuid, Uuid, Uuid, Uuid)>()
        .all(db(ctx)?)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(reference, claim, section, article)| Citing {
            reference,
            claim,
            section,
            article,
        })
        .collect())
}
