//! The `search` query: ranked full-text search over published articles,
//! answered from this instance's index (`delivery::search`) and shown
//! through the same `Article` objects, visibility and licences as every
//! other read.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Object, SimpleObject};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use entity::{article, category, tag};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::article::Article;
use super::category::Category;
use super::pagination::PageInfo;
use super::{audience, db, preference};
use crate::delivery::search::query::{self, Grant, Request, Scope};
use crate::delivery::search::snippet;
use crate::delivery::visibility::{self, Audience};
use crate::error::{Error, Result};
use crate::locale::Locale;

/// Which articles a search may return; all criteria must hold.
#[derive(Debug, Default, InputObject)]
pub struct SearchFilter {
    /// Only articles in the category with this slug.
    #[graphql(validator(max_length = 200))]
    pub category: Option<String>,
    /// Only articles with every tag with these slugs.
    #[graphql(validator(max_items = 10))]
    pub tags: Option<Vec<String>>,
}

/// The search query.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Published articles whose text matches `query`, best first (BM25 over
    /// title, lead, headings, body, Q&A and claims), each with the passage
    /// that matched. Japanese is matched by character bigrams (a
    /// two-character word like 点滴 finds its section), other languages by
    /// stemmed words; every word must match.
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The search box's text: words separated by spaces, at most 200 characters.")] query: String,
        #[graphql(
            desc = "Locale whose text is searched and shown; defaults to Accept-Language, then the server default."
        )]
        locale: Option<Locale>,
        #[graphql(desc = "Page size, 0 to 50.", default = 10)] first: Option<i32>,
        #[graphql(
            desc = "Cursor after which the page starts (an `endCursor`).",
            validator(max_length = 100)
        )]
        after: Option<String>,
        #[graphql(desc = "Narrows the results; the category counts ignore its category.")] filter: Option<SearchFilter>,
    ) -> Result<SearchResults> {
        let pref = preference(ctx, locale)?;
        let first = usize::try_from(first.unwrap_or(10))
            .ok()
            .filter(|n| *n <= 50)
            .ok_or_else(|| Error::bad_input("`first` must be between 0 and 50"))?;
        let offset = match after.as_deref() {
            Some(cursor) => decode(cursor).ok_or_else(|| Error::bad_input("`after` is not a cursor of this search"))?,
            None => 0,
        };
        if offset.saturating_add(first) > query::MAX_DEPTH {
            return Err(Error::bad_input(format!(
                "a search reaches at most its first {} results",
                query::MAX_DEPTH
            )));
        }
        let mut stemmer = crate::delivery::search::analyzer::analyzer();
        if let Err(err) = query::parse(&query, &mut stemmer) {
            return Err(Error::bad_input(err.to_string()));
        }
        let db = db(ctx)?;
        let filter = filter.unwrap_or_default();
        let audience = audience(ctx);
        let now = Utc::now();
        // A filter naming what the caller cannot see finds nothing, as one
        // naming nothing at all does.
        let category = match &filter.category {
            Some(slug) => match category::Entity::find()
                .filter(category::Column::Slug.eq(slug.as_str()))
                .filter(visibility::category_for(audience, now))
                .one(db)
                .await?
            {
                Some(c) => Some(c.id),
                None => return Ok(SearchResults::empty(after)),
            },
            None => None,
        };
        let mut tags = Vec::new();
        for slug in filter.tags.unwrap_or_default() {
            match tag::Entity::find()
                .filter(tag::Column::Slug.eq(slug.as_str()))
                .filter(visibility::tag_for(audience, now))
                .one(db)
                .await?
            {
                Some(t) => tags.push(t.id),
                None => return Ok(SearchResults::empty(after)),
            }
        }
        let scope = match super::licensed(ctx).await? {
            Some(licensed) => Scope::Licensed(
                licensed
                    .grants()
                    .map(|g| Grant {
                        article: g.licence.article_id,
                        category: g.licence.category_id,
                        locales: g.locales.iter().cloned().collect(),
                    })
                    .collect(),
            ),
            None => Scope::Public,
        };
        let index = ctx
            .data_opt::<Arc<crate::delivery::search::SearchIndex>>()
            .ok_or_else(|| Error::Internal("schema has no search index".into()))?;
        let locale = pref.requested().as_str().to_owned();
        let found = index
            .search(Request {
                text: query,
                locale: locale.clone(),
                category,
                tags,
                scope,
                offset,
                limit: first,
            })
            .await
            .map_err(|err| Error::Internal(err.to_string()))?;
        // Any article change can change what a search finds.
        crate::delivery::tags::collection(ctx, "articles");
        // The index may be a moment behind another instance's write: the
        // articles are read again under the rules of this request, and one
        // no longer visible is left out.
        let ids: Vec<Uuid> = found.hits.iter().map(|h| h.article).collect();
        let rows = article::Entity::find()
            .filter(article::Column::Id.is_in(ids))
            .filter(article::Column::DraftOf.is_null())
            .filter(visibility::article_for(
                match audience {
                    Audience::Partner(_) => audience,
                    _ => Audience::Public,
                },
                now,
            ))
            .all(db)
            .await?;
        let hit_pref = crate::delivery::locale::Preference::new(&[Locale::trusted(&locale)], pref.requested(), &[]);
        let articles = Article::wrap_all(ctx, rows, &hit_pref, false).await?;
        let mut edges = Vec::with_capacity(found.hits.len());
        for (i, hit) in found.hits.into_iter().enumerate() {
            let Some(node) = articles
                .iter()
                .find(|a| a.model().id == hit.article && a.locale_str() == locale)
            else {
                continue;
            };
            edges.push(SearchEdge {
                cursor: encode(offset + i + 1),
                node: node.clone(),
                score: f64::from(hit.score),
                snippet: Snippet::from(hit.snippet),
            });
        }
        let category_rows = category::Entity::find()
            .filter(category::Column::Id.is_in(found.categories.iter().map(|c| c.0)))
            .filter(visibility::category_for(audience, now))
            .all(db)
            .await?;
        let wrapped = Category::wrap_all(ctx, category_rows, &pref).await?;
        let categories = found
            .categories
            .iter()
            .filter_map(|(id, count)| {
                let category = wrapped.iter().find(|c| c.uuid() == *id)?.clone();
                Some(CategoryCount {
                    category,
                    count: i32::try_from(*count).unwrap_or(i32::MAX),
                })
            })
            .collect();
        let end = offset + first;
        let page_info = PageInfo::new(
            end < found.total,
            offset > 0,
            edges.first().map(|e: &SearchEdge| e.cursor.clone()),
            edges.last().map(|e| e.cursor.clone()).or(after),
        );
        Ok(SearchResults {
            total_count: i32::try_from(found.total).unwrap_or(i32::MAX),
            edges,
            page_info,
            categories,
        })
    }
}

fn encode(position: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("search:{position}"))
}

fn decode(cursor: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix("search:")?
        .parse()
        .ok()
        .filter(|at: &usize| *at <= query::MAX_DEPTH)
}

/// A page of search results.
#[derive(SimpleObject)]
pub struct SearchResults {
    /// Articles that match, in all.
    total_count: i32,
    /// The page, best first.
    edges: Vec<SearchEdge>,
    /// Where the page is.
    page_info: PageInfo,
    /// Matching articles per category (ignoring the category filter), most
    /// first: the facet counts of a search page.
    categories: Vec<CategoryCount>,
}

impl SearchResults {
    fn empty(after: Option<String>) -> Self {
        Self {
            total_count: 0,
            edges: Vec::new(),
            page_info: PageInfo::new(false, after.is_some(), None, after),
            categories: Vec::new(),
        }
    }
}

/// One article found.
#[derive(SimpleObject)]
pub struct SearchEdge {
    /// Pass as `after` for the results after this one.
    cursor: String,
    /// The article, in the locale searched.
    node: Article,
    /// Its relevance (BM25); only the order means anything.
    score: f64,
    /// The passage that matched best.
    snippet: Snippet,
}

/// The passage of an article that matched, to show under its title.
#[derive(SimpleObject)]
pub struct Snippet {
    /// The passage as plain text, with `…` where it was cut.
    text: String,
    /// The passage as HTML: escaped text with each match in `<mark>`.
    html: String,
    /// Where the matches are in `text`, in UTF-16 code units (the unit of
    /// JavaScript, Java/Kotlin and Swift's `NSString`).
    highlights: Vec<TextRange>,
    /// The anchor of the section the passage is in, to link to
    /// (`…#anchor`); null when it is the lead.
    section_anchor: Option<String>,
    /// That section's heading.
    section_heading: Option<String>,
}

/// A range of a text: `start` inclusive, `end` exclusive.
#[derive(SimpleObject)]
pub struct TextRange {
    /// First unit.
    start: i32,
    /// One past the last unit.
    end: i32,
}

impl From<snippet::Snippet> for Snippet {
    fn from(s: snippet::Snippet) -> Self {
        let utf16 = |byte: usize| i32::try_from(s.text[..byte].encode_utf16().count()).unwrap_or(i32::MAX);
        let mut html = String::with_capacity(s.text.len() + 32);
        let mut at = 0;
        for (from, to) in &s.highlights {
            html.push_str(&crate::content::html::escape(&s.text[at..*from]));
            html.push_str("<mark>");
            html.push_str(&crate::content::html::escape(&s.text[*from..*to]));
            html.push_str("</mark>");
            at = *to;
        }
        html.push_str(&crate::content::html::escape(&s.text[at..]));
        Self {
            highlights: s
                .highlights
                .iter()
                .map(|(a, b)| TextRange {
                    start: utf16(*a),
                    end: utf16(*b),
                })
                .collect(),
            html,
            text: s.text,
            section_anchor: s.anchor,
            section_heading: s.heading,
        }
    }
}

/// How many matching articles one category holds.
#[derive(SimpleObject)]
pub struct CategoryCount {
    /// The category.
    category: Category,
    /// Matching articles in it.
    count: i32,
}
