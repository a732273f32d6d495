//! Relay object identification: the `Node` interface, global ids, and the
//! `node(id:)` / `nodes(ids:)` queries that refetch any object by its id.
//!
//! A global id is the object's type and UUID, base64url-encoded
//! (`Article:0192…`): opaque to clients, stable across locales, releases and
//! databases holding the same content. Refetching applies the same
//! visibility rules as every other read: a hidden object is `null`, exactly
//! like one that does not exist.

use async_graphql::{Context, ID, Interface, Object};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use entity::{article, category, claim, claim_reference, reference, section, supervisor, tag};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::article::Article;
use super::category::{Category, Tag};
use super::claim::Claim;
use super::locale::{Locale, Preference};
use super::reference::Reference;
use super::section::{self as sections, Section};
use super::supervisor::Supervisor;
use super::{db, preference, visibility};
use crate::error::{Error, Result};

/// Most ids one `nodes` call may name.
pub const MAX_NODES: usize = 100;

/// The kinds of object a global id can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An article.
    Article,
    /// A section.
    Section,
    /// A claim.
    Claim,
    /// A reference.
    Reference,
    /// A supervisor.
    Supervisor,
    /// A category.
    Category,
    /// A tag.
    Tag,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::Article,
        Kind::Section,
        Kind::Claim,
        Kind::Reference,
        Kind::Supervisor,
        Kind::Category,
        Kind::Tag,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Article => "Article",
            Kind::Section => "Section",
            Kind::Claim => "Claim",
            Kind::Reference => "Reference",
            Kind::Supervisor => "Supervisor",
            Kind::Category => "Category",
            Kind::Tag => "Tag",
        }
    }
}

/// The global id of the object of `kind` with row id `id`.
pub fn global_id(kind: Kind, id: Uuid) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{}", kind.name(), id.simple())))
}

/// The kind and row id a global id names; `BAD_USER_INPUT` when it is not
/// an id this API issued.
pub fn decode(id: &str) -> Result<(Kind, Uuid)> {
    let invalid = || Error::bad_input("`id` is not an id issued by this API");
    if id.len() > 100 {
        return Err(invalid());
    }
    let raw = URL_SAFE_NO_PAD.decode(id.trim()).map_err(|_| invalid())?;
    let raw = std::str::from_utf8(&raw).map_err(|_| invalid())?;
    let (name, uuid) = raw.split_once(':').ok_or_else(invalid)?;
    let kind = Kind::ALL.into_iter().find(|k| k.name() == name).ok_or_else(invalid)?;
    Ok((kind, Uuid::try_parse(uuid).map_err(|_| invalid())?))
}

/// An object with a global id, which `node(id:)` refetches.
#[derive(Interface)]
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
        let (kind, id) = decode(&id)?;
        fetch(ctx, kind, id, &pref).await
    }

    /// The objects with these global ids, in the same order; null for each
    /// that does not exist or is not public. At most 100 ids.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, as objects' `id` give them.")] ids: Vec<ID>,
        #[graphql(desc = "Locale to read in; defaults to Accept-Language, then the server default.")] locale: Option<
            Locale,
        >,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(Error::bad_input(format!("`ids` may name at most {MAX_NODES} objects")));
        }
        let pref = preference(ctx, locale)?;
        let decoded = ids.iter().map(|id| decode(id)).collect::<Result<Vec<_>>>()?;
        let lookups = decoded.into_iter().map(|(kind, id)| fetch(ctx, kind, id, &pref));
        futures_util::future::try_join_all(lookups).await
    }
}

/// Looks up one object, applying the visibility rules of its kind.
async fn fetch(ctx: &Context<'_>, kind: Kind, id: Uuid, pref: &Preference) -> Result<Option<Node>> {
    let now = Utc::now();
    let db = db(ctx)?;
    Ok(match kind {
        Kind::Article => article_by_id(ctx, id, pref).await?.map(Node::Article),
        Kind::Section => {
            let Some(row) = section::Entity::find_by_id(id).one(db).await? else {
                return Ok(None);
            };
            let Some(article) = article_by_id(ctx, row.article_id, pref).await? else {
                return Ok(None);
            };
            // Visible only where the tree shows it: under visible parents.
            sections::all(ctx, article.scope())
                .await?
                .into_iter()
                .find(|s| s.uuid() == id)
                .map(Node::Section)
        }
        Kind::Claim => {
            let Some(row) = claim::Entity::find_by_id(id).one(db).await? else {
                return Ok(None);
            };
            let Some(section) = section::Entity::find_by_id(row.section_id).one(db).await? else {
                return Ok(None);
            };
            let Some(article) = article_by_id(ctx, section.article_id, pref).await? else {
                return Ok(None);
            };
            let visible = sections::all(ctx, article.scope())
                .await?
                .iter()
                .any(|s| s.uuid() == section.id);
            if !visible {
                return Ok(None);
            }
            Claim::of_section(ctx, article.scope(), section.id)
                .await?
                .into_iter()
                .find(|c| c.uuid() == id)
                .map(Node::Claim)
        }
        Kind::Reference => reference_by_id(ctx, id, pref).await?.map(Node::Reference),
        Kind::Supervisor => {
            let rows = supervisor::Entity::find_by_id(id)
                .filter(visibility::supervisor(now))
                .all(db)
                .await?;
            Supervisor::wrap_all(ctx, rows, pref).await?.pop().map(Node::Supervisor)
        }
        Kind::Category => {
            let rows = category::Entity::find_by_id(id)
                .filter(visibility::category(now))
                .all(db)
                .await?;
            Category::wrap_all(ctx, rows, pref).await?.pop().map(Node::Category)
        }
        Kind::Tag => {
            let rows = tag::Entity::find_by_id(id).filter(visibility::tag(now)).all(db).await?;
            Tag::wrap_all(ctx, rows, pref).await?.pop().map(Node::Tag)
        }
    })
}

/// A visible article by row id.
async fn article_by_id(ctx: &Context<'_>, id: Uuid, pref: &Preference) -> Result<Option<Article>> {
    let rows = article::Entity::find_by_id(id)
        .filter(visibility::article(Utc::now()))
        .all(db(ctx)?)
        .await?;
    Ok(Article::wrap_all(ctx, rows, pref).await?.pop())
}

/// Articles consulted to decide whether a reference is public; one that
/// cites it visibly is almost always among the first.
const REFERENCE_ARTICLES: u64 = 20;

/// A reference, when a visible claim of a visible article cites it: a
/// reference cited only by hidden content would reveal its topic.
async fn reference_by_id(ctx: &Context<'_>, id: Uuid, pref: &Preference) -> Result<Option<Reference>> {
    let db = db(ctx)?;
    let Some(model) = reference::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let citing = Query::select()
        .column((section::Entity, section::Column::ArticleId))
        .from(claim_reference::Entity)
        .inner_join(
            claim::Entity,
            Expr::col((claim::Entity, claim::Column::Id))
                .equals((claim_reference::Entity, claim_reference::Column::ClaimId)),
        )
        .inner_join(
            section::Entity,
            Expr::col((section::Entity, section::Column::Id)).equals((claim::Entity, claim::Column::SectionId)),
        )
        .and_where(Expr::col((claim_reference::Entity, claim_reference::Column::ReferenceId)).eq(id))
        .to_owned();
    let articles = article::Entity::find()
        .filter(visibility::article(Utc::now()))
        .filter(article::Column::Id.in_subquery(citing))
        .limit(REFERENCE_ARTICLES)
        .all(db)
        .await?;
    for article in Article::wrap_all(ctx, articles, pref).await? {
        for section in sections::all(ctx, article.scope()).await? {
            for claim in Claim::of_section(ctx, article.scope(), section.uuid()).await? {
                if claim.cited(ctx).await?.iter().any(|r| r.id == id) {
                    return Ok(Some(Reference::new(model)));
                }
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_reject_anything_else() {
        let id = Uuid::now_v7();
        for kind in Kind::ALL {
            assert_eq!(decode(&global_id(kind, id)).unwrap(), (kind, id));
        }
        for bad in [
            "",
            "nope",
            &URL_SAFE_NO_PAD.encode("Article:xyz"),
            &URL_SAFE_NO_PAD.encode(format!("Nope:{}", id.simple())),
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
        assert!(decode(&id.to_string()).is_err(), "a bare UUID is not a global id");
    }
}
