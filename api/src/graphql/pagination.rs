//! Keyset pagination of articles: Relay connections with opaque cursors.
//!
//! A cursor encodes the sort key of the last row seen (timestamp and id), so
//! the next page is `WHERE (key, id) < (cursor)` on an index — stable under
//! inserts and as fast on page 1 000 as on page 1, unlike OFFSET. The cursor
//! also records the order it was made for; using it with another order is an
//! error rather than a silently wrong page.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::enums::Status;
use entity::{article, article_count, article_supervisor, article_tag, article_translation, category, supervisor, tag};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::article::Article;
use super::db;
use crate::delivery::locale::{Locale, Preference};
use crate::delivery::visibility;
use crate::error::{Error, Result};
use crate::store::clock::{EARLIEST, LATEST};

/// Page size when a client gives none.
pub const DEFAULT_PAGE: i32 = 20;

/// Largest page a client may ask for.
pub const MAX_PAGE: i32 = 100;

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
    pub updated_since: Option<DateTime<Utc>>,
}

impl ArticleFilter {
    /// The maintained count for this filter, when there is one.
    fn count_scope(&self) -> Option<CountScope> {
        let only_category = self.tag.is_none()
            && self.supervisor.is_none()
            && self.available_in.is_none()
            && self.updated_since.is_none();
        match &self.category {
            _ if !only_category => None,
            None => Some(CountScope::All),
            Some(slug) => Some(CountScope::Category(slug.clone())),
        }
    }

    fn condition(&self) -> Result<Condition> {
        let mut cond = Condition::all();
        if let Some(slug) = &self.category {
            let ids = Query::select()
                .column(category::Column::Id)
                .from(category::Entity)
                .and_where(Expr::col(category::Column::Slug).eq(slug.as_str()))
                .to_owned();
            cond = cond.add(Expr::col((article::Entity, article::Column::CategoryId)).in_subquery(ids));
        }
        if let Some(slug) = &self.tag {
            let tag_ids = Query::select()
                .column(tag::Column::Id)
                .from(tag::Entity)
                .and_where(Expr::col(tag::Column::Slug).eq(slug.as_str()))
                .to_owned();
            let article_ids = Query::select()
                .column(article_tag::Column::ArticleId)
                .from(article_tag::Entity)
                .and_where(Expr::col(article_tag::Column::TagId).in_subquery(tag_ids))
                .to_owned();
            cond = cond.add(Expr::col((article::Entity, article::Column::Id)).in_subquery(article_ids));
        }
        if let Some(slug) = &self.supervisor {
            let supervisor_ids = Query::select()
                .column(supervisor::Column::Id)
                .from(supervisor::Entity)
                .and_where(Expr::col(supervisor::Column::Slug).eq(slug.as_str()))
                .to_owned();
            let article_ids = Query::select()
                .column(article_supervisor::Column::ArticleId)
                .from(article_supervisor::Entity)
                .and_where(Expr::col(article_supervisor::Column::SupervisorId).in_subquery(supervisor_ids))
                .cond_where(visibility::vouching())
                .to_owned();
            cond = cond.add(Expr::col((article::Entity, article::Column::Id)).in_subquery(article_ids));
        }
        if let Some(locale) = &self.available_in {
            let translated = Query::select()
                .expr(Expr::val(1))
                .from(article_translation::Entity)
                .and_where(
                    Expr::col((article_translation::Entity, article_translation::Column::ArticleId))
                        .equals((article::Entity, article::Column::Id)),
                )
                .and_where(
                    Expr::col((article_translation::Entity, article_translation::Column::Locale)).eq(locale.as_str()),
                )
                .and_where(
                    Expr::col((article_translation::Entity, article_translation::Column::Status)).eq(Status::Published),
                )
                .to_owned();
            cond = cond.add(Expr::exists(translated));
        }
        if let Some(since) = self.updated_since {
            // Outside the stored range the comparison would be meaningless
            // (SQLite compares times as text) or refused by PostgreSQL.
            if !(EARLIEST..=LATEST).contains(&since) {
                return Err(Error::bad_input(format!(
                    "`updatedSince` must lie between {EARLIEST} and {LATEST}"
                )));
            }
            cond = cond.add(article::Column::UpdatedAt.gte(since));
        }
        Ok(cond)
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

impl ArticleOrder {
    fn code(self) -> &'static str {
        match self {
            Self::PublishedAtDesc => "pd",
            Self::PublishedAtAsc => "pa",
            Self::UpdatedAtDesc => "ud",
            Self::UpdatedAtAsc => "ua",
        }
    }

    fn column(self) -> article::Column {
        match self {
            Self::PublishedAtDesc | Self::PublishedAtAsc => article::Column::PublishedAt,
            Self::UpdatedAtDesc | Self::UpdatedAtAsc => article::Column::UpdatedAt,
        }
    }

    fn descending(self) -> bool {
        matches!(self, Self::PublishedAtDesc | Self::UpdatedAtDesc)
    }

    fn key(self, model: &article::Model) -> DateTime<Utc> {
        match self {
            Self::PublishedAtDesc | Self::PublishedAtAsc => model.published_at.unwrap_or(model.updated_at),
            Self::UpdatedAtDesc | Self::UpdatedAtAsc => model.updated_at,
        }
    }
}

/// The position of one row in one order.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    order: ArticleOrder,
    at: DateTime<Utc>,
    id: Uuid,
}

impl Cursor {
    /// v1 held nanoseconds since 1970 in an i64, which cannot hold times
    /// before 1677 or after 2262; v2 holds seconds and nanoseconds apart,
    /// which holds every time chrono (and so every backend) can.
    const VERSION: &'static str = "v2";

    fn encode(&self) -> String {
        let raw = format!(
            "{}:{}:{}.{:09}:{}",
            Self::VERSION,
            self.order.code(),
            self.at.timestamp(),
            self.at.timestamp_subsec_nanos(),
            self.id.simple()
        );
        URL_SAFE_NO_PAD.encode(raw)
    }

    fn decode(text: &str, order: ArticleOrder) -> Result<Self> {
        let malformed = || Error::bad_input("`after` is not a cursor returned by this API");
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| malformed())?;
        let raw = String::from_utf8(bytes).map_err(|_| malformed())?;
        let mut parts = raw.split(':');
        let (Some(version), Some(code), Some(at), Some(id), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        if version != Self::VERSION && version != "v1" {
            return Err(malformed());
        }
        if code != order.code() {
            return Err(Error::bad_input(
                "`after` was issued for a different `orderBy`; restart from the first page",
            ));
        }
        let at = match version {
            // v1 cursors, issued before v2, still work for the times they
            // could hold, so a client part-way through a sync goes on.
            "v1" => DateTime::from_timestamp_nanos(at.parse().map_err(|_| malformed())?),
            _ => {
                let (secs, nanos) = at.split_once('.').ok_or_else(malformed)?;
                if nanos.len() != 9 {
                    return Err(malformed());
                }
                let secs: i64 = secs.parse().map_err(|_| malformed())?;
                let nanos: u32 = nanos.parse().map_err(|_| malformed())?;
                DateTime::from_timestamp(secs, nanos).ok_or_else(malformed)?
            }
        };
        // Every stored time is in this range; a cursor outside it was not
        // issued here (and PostgreSQL would refuse some such times).
        if !(EARLIEST..=LATEST).contains(&at) {
            return Err(malformed());
        }
        let id = Uuid::try_parse(id).map_err(|_| malformed())?;
        Ok(Self { order, at, id })
    }

    /// Rows strictly after this cursor in its order.
    fn condition(&self) -> Condition {
        let col = self.order.column();
        if self.order.descending() {
            Condition::any().add(col.lt(self.at)).add(
                Condition::all()
                    .add(col.eq(self.at))
                    .add(article::Column::Id.lt(self.id)),
            )
        } else {
            Condition::any().add(col.gt(self.at)).add(
                Condition::all()
                    .add(col.eq(self.at))
                    .add(article::Column::Id.gt(self.id)),
            )
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
    if !(0..=MAX_PAGE).contains(&first) {
        return Err(Error::bad_input(format!(
            "`first` must be between 0 and {MAX_PAGE}, got {first}"
        )));
    }
    let cursor = after.as_deref().map(|a| Cursor::decode(a, order)).transpose()?;
    crate::delivery::tags::collection(ctx, "articles");
    let base = Condition::all()
        .add(visibility::article(Utc::now()))
        .add(filter.condition()?);
    let mut query = article::Entity::find().filter(base.clone());
    if let Some(cursor) = &cursor {
        query = query.filter(cursor.condition());
    }
    let direction = if order.descending() { Order::Desc } else { Order::Asc };
    let mut rows = query
        .order_by(order.column(), direction.clone())
        .order_by(article::Column::Id, direction)
        .limit(first as u64 + 1)
        .all(db(ctx)?)
        .await?;
    let has_next_page = rows.len() > first as usize;
    rows.truncate(first as usize);
    let edges: Vec<ArticleEdge> = Article::wrap_all(ctx, rows, &pref)
        .await?
        .into_iter()
        .map(|node| {
            let position = Cursor {
                order,
                at: order.key(node.model()),
                id: node.model().id,
            };
            ArticleEdge {
                cursor: position.encode(),
                node,
            }
        })
        .collect();
    let page_info = PageInfo {
        has_next_page,
        has_previous_page: cursor.is_some(),
        start_cursor: edges.first().map(|e| e.cursor.clone()),
        // An empty page (`first: 0`) ends where it started, so a client that
        // follows `endCursor` does not restart from the first page.
        end_cursor: edges.last().map(|e| e.cursor.clone()).or(after),
    };
    Ok(ArticleConnection {
        edges,
        page_info,
        count_scope: filter.count_scope(),
        filter: base,
    })
}

/// Which maintained count answers `totalCount`, when one does.
#[derive(Debug, Clone)]
enum CountScope {
    /// Every article.
    All,
    /// The articles of the category with this slug.
    Category(String),
}

/// One page of articles.
pub struct ArticleConnection {
    edges: Vec<ArticleEdge>,
    page_info: PageInfo,
    filter: Condition,
    count_scope: Option<CountScope>,
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

    /// Number of articles matching the filter across all pages (one extra
    /// query; ask only when needed).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let db = db(ctx)?;
        let Some(scope) = &self.count_scope else {
            // Other filters count by index over the matching articles.
            return Ok(article::Entity::find().filter(self.filter.clone()).count(db).await?);
        };
        // The maintained count of articles with a `visible_from`, less the
        // few scheduled for later: the same cost at any corpus size.
        let (key, category) = match scope {
            CountScope::All => ("all".to_owned(), None),
            CountScope::Category(slug) => {
                let Some(found) = category::Entity::find()
                    .filter(category::Column::Slug.eq(slug.as_str()))
                    .one(db)
                    .await?
                else {
                    return Ok(0);
                };
                (crate::store::counts::count_scopes(found.id)[1].clone(), Some(found.id))
            }
        };
        let maintained = article_count::Entity::find_by_id(key)
            .one(db)
            .await?
            .map_or(0, |row| row.articles);
        let mut scheduled = article::Entity::find().filter(article::Column::VisibleFrom.gt(Utc::now()));
        if let Some(category) = category {
            scheduled = scheduled.filter(article::Column::CategoryId.eq(category));
        }
        let scheduled = scheduled.count(db).await?;
        Ok(u64::try_from(maintained).unwrap_or(0).saturating_sub(scheduled))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_other_orders() {
        let c = Cursor {
            order: ArticleOrder::PublishedAtDesc,
            at: DateTime::from_timestamp_nanos(1_731_000_000_123_456_000),
            id: Uuid::now_v7(),
        };
        let text = c.encode();
        assert_eq!(Cursor::decode(&text, ArticleOrder::PublishedAtDesc).unwrap(), c);
        assert!(Cursor::decode(&text, ArticleOrder::UpdatedAtAsc).is_err());
        assert!(Cursor::decode("not-a-cursor", ArticleOrder::PublishedAtDesc).is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("v2:pd:x:y"), ArticleOrder::PublishedAtDesc).is_err());
        for bad in ["0.1000000000", "0.5", "-99999999999.000000000"] {
            let raw = format!("v2:pd:{bad}:{}", Uuid::nil().simple());
            assert!(
                Cursor::decode(&URL_SAFE_NO_PAD.encode(raw), ArticleOrder::PublishedAtDesc).is_err(),
                "{bad}"
            );
        }
        let v1 = format!("v1:pd:1731000000123456000:{}", c.id.simple());
        assert_eq!(
            Cursor::decode(&URL_SAFE_NO_PAD.encode(v1), ArticleOrder::PublishedAtDesc).unwrap(),
            c
        );
    }

    #[test]
    fn cursors_keep_times_outside_the_i64_nanosecond_range() {
        for at in [
            "1000-01-01T00:00:00Z",
            "1650-06-01T12:00:00.000001Z",
            "1969-12-31T23:59:59.999999Z",
            "2300-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
        ] {
            let c = Cursor {
                order: ArticleOrder::UpdatedAtAsc,
                at: at.parse().unwrap(),
                id: Uuid::now_v7(),
            };
            assert_eq!(
                Cursor::decode(&c.encode(), ArticleOrder::UpdatedAtAsc).unwrap(),
                c,
                "{at}"
            );
        }
    }
}
