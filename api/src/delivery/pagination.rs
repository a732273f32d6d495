//! Keyset pagination of articles: which rows a page holds, its cursors and
//! the count of the whole list, as the `articles` query serves them.
//!
//! A cursor encodes the sort key of the last row seen (timestamp and id), so
//! the next page is `WHERE (key, id) < (cursor)` on an index — stable under
//! inserts and as fast on page 1 000 as on page 1, unlike OFFSET. The cursor
//! also records the order it was made for; using it with another order is an
//! error rather than a silently wrong page.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::FromColumns;
use entity::enums::Status;
use entity::{article, article_count, article_supervisor, article_tag, article_translation, category, supervisor, tag};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order as SortOrder, PaginatorTrait, QueryFilter,
    QueryOrder, QueryResult, QuerySelect, QueryTrait,
};
use uuid::Uuid;

use crate::delivery::visibility;
use crate::error::{Error, Result};
use crate::locale::Locale;
use crate::store::clock::{EARLIEST, LATEST};
use crate::store::counts::category_scope_of_slug as count_scope_of_slug;

/// Page size when a client gives none.
pub const DEFAULT_PAGE: i32 = 20;

/// Largest page a client may ask for.
pub const MAX_PAGE: i32 = 100;

/// Which articles to list; all criteria must hold.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Only articles in the category with this slug.
    pub category: Option<String>,
    /// Only articles with the tag with this slug.
    pub tag: Option<String>,
    /// Only articles the supervisor with this slug contributed to, in any role.
    pub supervisor: Option<String>,
    /// Only articles with a published translation in exactly this locale.
    pub available_in: Option<Locale>,
    /// Only articles whose content changed at or after this time.
    pub updated_since: Option<DateTime<Utc>>,
}

impl Filter {
    /// The maintained count for this filter, when there is one.
    pub fn count_scope(&self) -> Option<CountScope> {
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

    /// The condition an article must meet, beside being visible.
    pub fn condition(&self) -> Result<Condition> {
        let mut cond = Condition::all();
        if let Some(slug) = &self.category {
            let ids = category_ids(slug);
            cond = cond.add(Expr::col((article::Entity, article::Column::CategoryId)).in_subquery(ids));
        }
        if let Some(slug) = &self.tag {
            let tag_ids = ids_with_slug::<tag::Entity>(tag::Column::Id, tag::Column::Slug, slug);
            let article_ids = Query::select()
                .column(article_tag::Column::ArticleId)
                .from(article_tag::Entity)
                .and_where(Expr::col(article_tag::Column::TagId).in_subquery(tag_ids))
                .to_owned();
            cond = cond.add(Expr::col((article::Entity, article::Column::Id)).in_subquery(article_ids));
        }
        if let Some(slug) = &self.supervisor {
            let supervisor_ids =
                ids_with_slug::<supervisor::Entity>(supervisor::Column::Id, supervisor::Column::Slug, slug);
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Newest publication first.
    #[default]
    PublishedAtDesc,
    /// Oldest publication first.
    PublishedAtAsc,
    /// Most recently changed first.
    UpdatedAtDesc,
    /// Least recently changed first.
    UpdatedAtAsc,
}

impl Order {
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
    order: Order,
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

    fn decode(text: &str, order: Order) -> Result<Self> {
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

/// Which maintained count answers `totalCount`, when one does.
#[derive(Debug, Clone)]
pub enum CountScope {
    /// Every article.
    All,
    /// The articles of the category with this slug.
    Category(String),
}

/// One page of a list: its rows in order, and where it stands.
pub struct Page {
    /// The articles of the page, at most `first`.
    pub rows: Vec<article::Model>,
    /// Whether another page follows.
    pub has_next_page: bool,
    /// Whether the page was asked for after a cursor.
    pub has_previous_page: bool,
    /// Every visible article the filter lists, on every page.
    pub listed: Condition,
    /// How many that is, when it was asked for and read with the page.
    pub total: Option<u64>,
}

/// The page of `first` visible articles after the cursor `after`, in
/// `order`. With `with_total`, the count of a list with a kept count (all
/// articles, or one category's) is read in the same statement (two scalar
/// subqueries; a round trip costs more than either).
pub async fn page(
    db: &impl ConnectionTrait,
    first: i32,
    after: Option<&str>,
    filter: &Filter,
    order: Order,
    with_total: bool,
    audience: visibility::Audience,
) -> Result<Page> {
    if !(0..=MAX_PAGE).contains(&first) {
        return Err(Error::bad_input(format!(
            "`first` must be between 0 and {MAX_PAGE}, got {first}"
        )));
    }
    let cursor = after.map(|a| Cursor::decode(a, order)).transpose()?;
    // Keys that see drafts list what the public lists; a partner lists
    // what its licences cover, which no kept count counts.
    let (visible, kept) = match audience {
        visibility::Audience::Partner(partner) => (
            visibility::licensed_in(partner, Utc::now(), filter.available_in.as_ref().map(|l| l.as_str())),
            false,
        ),
        _ => (visibility::article(Utc::now()), true),
    };
    let listed = Condition::all().add(visible).add(filter.condition()?);
    let mut query = article::Entity::find().filter(listed.clone());
    if let Some(cursor) = &cursor {
        query = query.filter(cursor.condition());
    }
    let direction = if order.descending() {
        SortOrder::Desc
    } else {
        SortOrder::Asc
    };
    let mut select = query
        .order_by(order.column(), direction.clone())
        .order_by(article::Column::Id, direction)
        .limit(first as u64 + 1)
        .into_query();
    let counted = match filter.count_scope().filter(|_| with_total && kept) {
        Some(CountScope::All) => Some(kept_count(Expr::val("all"), None)),
        Some(CountScope::Category(slug)) => {
            let key = count_scope_of_slug(db.get_database_backend(), &slug);
            let ids = category_ids(&slug);
            Some(kept_count(
                Expr::SubQuery(None, Box::new(key.into())),
                Some(Expr::col(article::Column::CategoryId).in_subquery(ids)),
            ))
        }
        None => None,
    };
    let is_counted = counted.is_some();
    if let Some((kept, scheduled)) = counted {
        select
            .expr_as(Expr::SubQuery(None, Box::new(kept.into())), TOTAL_KEPT)
            .expr_as(Expr::SubQuery(None, Box::new(scheduled.into())), TOTAL_SCHEDULED);
    }
    let found = db.query_all(&select).await?;
    let total = match found.first() {
        Some(row) if is_counted => Some(total_of(row, TOTAL_KEPT, TOTAL_SCHEDULED)?),
        _ => None,
    };
    let mut rows = found
        .iter()
        // The article's columns come first, in `Column::iter()` order.
        .map(|row| article::Model::from_columns(row, 0).map_err(DbErr::from))
        .collect::<Result<Vec<_>, _>>()?;
    let has_next_page = rows.len() > first as usize;
    rows.truncate(first as usize);
    Ok(Page {
        rows,
        has_next_page,
        has_previous_page: cursor.is_some(),
        listed,
        total,
    })
}

/// Column names of the count read with a page; no article column is
/// named so.
const TOTAL_KEPT: &str = "kiji_total_kept";
const TOTAL_SCHEDULED: &str = "kiji_total_scheduled";

/// The kept count of the scope `key` and, among what it counts, the
/// articles scheduled for later (of the categories `category` selects,
/// all when `None`).
fn kept_count(key: Expr, category: Option<Expr>) -> (SelectStatement, SelectStatement) {
    let kept = Query::select()
        .column(article_count::Column::Articles)
        .from(article_count::Entity)
        .and_where(Expr::col(article_count::Column::Scope).eq(key))
        .to_owned();
    let mut scheduled = Query::select()
        .expr(Expr::col(article::Column::Id).count())
        .from(article::Entity)
        .and_where(Expr::col(article::Column::VisibleFrom).gt(Utc::now()))
        .to_owned();
    if let Some(category) = category {
        scheduled.and_where(category);
    }
    (kept, scheduled)
}

/// The ids of the categories with this slug (one or none), as a subquery.
fn category_ids(slug: &str) -> SelectStatement {
    ids_with_slug::<category::Entity>(category::Column::Id, category::Column::Slug, slug)
}

/// `SELECT id FROM … WHERE slug = …` for a table with unique slugs, as a
/// subquery.
fn ids_with_slug<E: EntityTrait>(id: E::Column, slug_column: E::Column, slug: &str) -> SelectStatement {
    Query::select()
        .column(id)
        .from(E::default())
        .and_where(Expr::col(slug_column).eq(slug))
        .to_owned()
}

/// The kept count less the scheduled articles, from a row holding both.
fn total_of(row: &QueryResult, kept: &str, scheduled: &str) -> Result<u64> {
    let kept: Option<i64> = row.try_get("", kept)?;
    let scheduled: i64 = row.try_get("", scheduled)?;
    Ok(u64::try_from(kept.unwrap_or(0).saturating_sub(scheduled)).unwrap_or(0))
}

/// The cursor of `row` in `order`, for the next page's `after`.
pub fn cursor_of(order: Order, row: &article::Model) -> String {
    Cursor {
        order,
        at: order.key(row),
        id: row.id,
    }
    .encode()
}

/// How many articles `listed` holds across all pages: from the kept count
/// when `scope` names one, by index otherwise.
pub async fn total(db: &impl ConnectionTrait, scope: Option<&CountScope>, listed: &Condition) -> Result<u64> {
    let Some(scope) = scope else {
        // Other filters count by index over the matching articles.
        return Ok(article::Entity::find().filter(listed.clone()).count(db).await?);
    };
    // The maintained count of articles with a `visible_from`, less the
    // few scheduled for later: the same cost at any corpus size.
    let (key, category) = match scope {
        CountScope::All => (Expr::val("all"), None),
        CountScope::Category(slug) => {
            let Some(found) = category::Entity::find()
                .filter(category::Column::Slug.eq(slug.as_str()))
                .one(db)
                .await?
            else {
                return Ok(0);
            };
            let [_, key] = crate::store::counts::count_scopes(found.id);
            (
                Expr::val(key),
                Some(Expr::col(article::Column::CategoryId).eq(found.id)),
            )
        }
    };
    // Both numbers in one statement: a round trip costs more than either.
    let (kept, scheduled) = kept_count(key, category);
    let both = Query::select()
        .expr_as(Expr::SubQuery(None, Box::new(kept.into())), TOTAL_KEPT)
        .expr_as(Expr::SubQuery(None, Box::new(scheduled.into())), TOTAL_SCHEDULED)
        .to_owned();
    let Some(row) = db.query_one(&both).await? else {
        return Ok(0);
    };
    total_of(&row, TOTAL_KEPT, TOTAL_SCHEDULED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_other_orders() {
        let c = Cursor {
            order: Order::PublishedAtDesc,
            at: DateTime::from_timestamp_nanos(1_731_000_000_123_456_000),
            id: Uuid::now_v7(),
        };
        let text = c.encode();
        assert_eq!(Cursor::decode(&text, Order::PublishedAtDesc).ok(), Some(c.clone()));
        assert!(Cursor::decode(&text, Order::UpdatedAtAsc).is_err());
        assert!(Cursor::decode("not-a-cursor", Order::PublishedAtDesc).is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("v2:pd:x:y"), Order::PublishedAtDesc).is_err());
        for bad in ["0.1000000000", "0.5", "-99999999999.000000000"] {
            let raw = format!("v2:pd:{bad}:{}", Uuid::nil().simple());
            assert!(
                Cursor::decode(&URL_SAFE_NO_PAD.encode(raw), Order::PublishedAtDesc).is_err(),
                "{bad}"
            );
        }
        let v1 = format!("v1:pd:1731000000123456000:{}", c.id.simple());
        assert_eq!(
            Cursor::decode(&URL_SAFE_NO_PAD.encode(v1), Order::PublishedAtDesc).ok(),
            Some(c)
        );
    }

    #[test]
    fn cursors_keep_times_outside_the_i64_nanosecond_range() -> Result<(), chrono::ParseError> {
        for at in [
            "1000-01-01T00:00:00Z",
            "1650-06-01T12:00:00.000001Z",
            "1969-12-31T23:59:59.999999Z",
            "2300-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
        ] {
            let c = Cursor {
                order: Order::UpdatedAtAsc,
                at: at.parse()?,
                id: Uuid::now_v7(),
            };
            assert_eq!(Cursor::decode(&c.encode(), Order::UpdatedAtAsc).ok(), Some(c), "{at}");
        }
        Ok(())
    }
}
