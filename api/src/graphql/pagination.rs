//! The `articles` list as GraphQL shows it: the filter and order a client
//! gives, and the Relay connection it gets (rules in
//! `crate::delivery::pagination`).

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};

use super::article::Article;
use super::db;
use super::scalars::Timestamp;
use crate::delivery::locale::Preference;
use crate::delivery::pagination::{self, CountScope, Filter, Order};
use crate::error::Result;
use crate::locale::Locale;

pub use crate::delivery::pagination::DEFAULT_PAGE;

/// Which articles to list; all criteria must hold.
#[derive(Debug, Default, InputObject)]
pub struct ArticleFilter {
    /// Only articles in the category with this slug.
    #[graphql(validator(max_length = 200))]
    pub category: Option<String>,
    /// Only articles with the tag with this slug.
    #[graphql(validator(max_length = 200))]
    pub tag: Option<String>,
    /// Only articles the supervisor with this slug contributed to, in any role.
    #[graphql(validator(max_length = 200))]
    pub supervisor: Option<String>,
    /// Only articles with a published translation in exactly this locale.
    pub available_in: Option<Locale>,
    /// Only articles whose content changed at or after this time (for
    /// incremental sync of offline copies).
    pub updated_since: Option<Timestamp>,
}

impl From<ArticleFilter> for Filter {
    fn from(f: ArticleFilter) -> Self {
        Self {
            category: f.category,
            tag: f.tag,
            supervisor: f.supervisor,
            available_in: f.available_in,
            updated_since: f.updated_since.map(|at| at.0),
        }
    }
}

/// Order of an article list. Ties are broken by id, so the order is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum ArticleOrder {
    /// Newest publication first.
    #[default]
    PublishedAtDesc,
    /// Oldest publication first.
    PublishedAtAsc,
    /// Most recently changed first.
    UpdatedAtDesc,
    /// Least recently changed first (for sync: combine with `updatedSince`).
    UpdatedAtAsc,
}

impl From<ArticleOrder> for Order {
    fn from(order: ArticleOrder) -> Self {
        match order {
            ArticleOrder::PublishedAtDesc => Self::PublishedAtDesc,
            ArticleOrder::PublishedAtAsc => Self::PublishedAtAsc,
            ArticleOrder::UpdatedAtDesc => Self::UpdatedAtDesc,
            ArticleOrder::UpdatedAtAsc => Self::UpdatedAtAsc,
        }
    }
}

/// Lists visible articles for the `articles` query.
pub(crate) async fn articles(
    ctx: &Context<'_>,
    first: i32,
    after: Option<String>,
    filter: ArticleFilter,
    order: ArticleOrder,
    pref: Preference,
) -> Result<ArticleConnection> {
    let (filter, order) = (Filter::from(filter), Order::from(order));
    // Asked for, the count comes with the page rather than after it.
    let ahead = ctx.look_ahead();
    let with_total = ahead.field("totalCount").exists();
    // A list seldom shows intros; they are read only when asked for.
    let with_intro =
        ahead.field("edges").field("node").field("intro").exists() || ahead.field("nodes").field("intro").exists();
    let audience = super::audience(ctx);
    let page = pagination::page(db(ctx)?, first, after.as_deref(), &filter, order, with_total, audience).await?;
    crate::delivery::tags::collection(ctx, "articles");
    let edges: Vec<ArticleEdge> = Article::wrap_all(ctx, page.rows, &pref, with_intro)
        .await?
        .into_iter()
        .map(|node| ArticleEdge {
            cursor: pagination::cursor_of(order, node.model()),
            node,
        })
        .collect();
    let page_info = PageInfo {
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
        start_cursor: edges.first().map(|e| e.cursor.clone()),
        // An empty page (`first: 0`) ends where it started, so a client that
        // follows `endCursor` does not restart from the first page.
        end_cursor: edges.last().map(|e| e.cursor.clone()).or(after),
    };
    Ok(ArticleConnection {
        edges,
        page_info,
        // A partner's count is its own: by index over what it may list.
        count_scope: filter
            .count_scope()
            .filter(|_| !matches!(audience, crate::delivery::visibility::Audience::Partner(_))),
        listed: page.listed,
        total: page.total,
    })
}

/// One page of articles.
pub struct ArticleConnection {
    edges: Vec<ArticleEdge>,
    page_info: PageInfo,
    listed: sea_orm::Condition,
    count_scope: Option<CountScope>,
    total: Option<u64>,
}

/// A page of articles with cursors (Relay connection).
#[Object]
impl ArticleConnection {
    /// The articles with their cursors.
    async fn edges(&self) -> &[ArticleEdge] {
        &self.edges
    }

    /// The articles, for clients that need no per-item cursor.
    async fn nodes(&self) -> Vec<&Article> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    /// Where this page is in the whole list.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// Number of articles matching the filter across all pages: read with
    /// the page when the list has no filter or only `category`, one more
    /// query otherwise (ask only when needed).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        match self.total {
            Some(total) => Ok(total),
            None => pagination::total(db(ctx)?, self.count_scope.as_ref(), &self.listed).await,
        }
    }
}

/// An article and its cursor.
#[derive(SimpleObject)]
pub struct ArticleEdge {
    /// Opaque position; pass as `after` for the next page.
    cursor: String,
    /// The article.
    node: Article,
}

/// Relay page information.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether another page follows.
    has_next_page: bool,
    /// Whether this page was requested with `after`.
    has_previous_page: bool,
    /// Cursor of the first edge.
    start_cursor: Option<String>,
    /// Cursor of the last edge; pass as `after` for the next page.
    end_cursor: Option<String>,
}

impl PageInfo {
    /// Page information from its four parts.
    pub(crate) fn new(
        has_next_page: bool,
        has_previous_page: bool,
        start_cursor: Option<String>,
        end_cursor: Option<String>,
    ) -> Self {
        Self {
            has_next_page,
            has_previous_page,
            start_cursor,
            end_cursor,
        }
    }
}
