//! The change feed: for one caller, in commit order, every article locale
//! that became or stayed readable (an upsert) or stopped being readable
//! (a tombstone), read from the views the change log recorded
//! (`store::states`). A caller that applies the feed from the start holds
//! exactly what it may read now; it never hears of an article it could
//! never read.
//!
//! A partner's view at a position is the public's view narrowed by its
//! licences in force at that position (`licence::Model::in_force_at`): the
//! log's positions, never the clocks of the instances, decide. A licence's
//! own change carries rows for the articles it covers, so gaining or losing
//! one is an upsert or tombstone for each.

use std::collections::{BTreeSet, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::{change, change_article};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::editorial::partners::Granted;
use crate::error::{Error, Result};
use crate::store::states::parse_locales;

/// The most events one page holds.
pub const MAX_PAGE: i32 = 1000;

/// Rows read per statement while filling a page: a partner may skip many
/// rows that concern others.
const BATCH: u64 = 2000;

/// The most rows one page reads before it answers (with fewer events and a
/// cursor past what it read): a partner far behind on a busy log gets
/// short pages, never a long request.
const SCAN_LIMIT: usize = 20_000;

/// Who reads the feed.
#[derive(Debug, Clone)]
pub enum Reader {
    /// The public: every published article in every published locale.
    Public,
    /// A partner, with every licence it ever held.
    Partner(Vec<Granted>),
}

impl Reader {
    fn covers(&self, category: Option<Uuid>, article: Uuid, locale: &str, at: i64) -> bool {
        match self {
            Self::Public => true,
            Self::Partner(grants) => category.is_some_and(|category| {
                grants
                    .iter()
                    .any(|g| g.covers(article, category) && g.locales.contains(locale) && g.licence.in_force_at(at))
            }),
        }
    }

    /// The licences whose rows the reader reads: none for the public.
    fn licence_ids(&self) -> Option<Vec<Uuid>> {
        match self {
            Self::Public => None,
            Self::Partner(grants) => Some(grants.iter().map(|g| g.licence.id).collect()),
        }
    }

    fn reads(&self, licence: Option<Uuid>) -> bool {
        match (self, licence) {
            (_, None) => true,
            (Self::Public, Some(_)) => false,
            (Self::Partner(grants), Some(id)) => grants.iter().any(|g| g.licence.id == id),
        }
    }
}

/// Why an article locale left the caller's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum TombstoneReason {
    /// The article is no longer published.
    Unpublished,
    /// The article was archived.
    Archived,
    /// The article was deleted.
    Deleted,
    /// This locale's translation was withdrawn; others may remain.
    LocaleWithdrawn,
    /// The licence that covered it ended on its date.
    LicenceEnded,
    /// The licence that covered it was revoked.
    LicenceRevoked,
    /// The article moved out of what the caller's licences cover.
    OutOfLicence,
}

/// One event of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Where it stands in the feed; a page's last event's cursor resumes.
    pub at: Position,
    /// When the change was committed.
    pub time: DateTime<Utc>,
    /// `None` for an upsert, the reason for a tombstone.
    pub tombstone: Option<TombstoneReason>,
    /// Whether the caller could read the article locale just before: an
    /// upsert with `was` is an update, one without a first appearance.
    pub was: bool,
    /// The licence whose change this event comes from, if any.
    pub licence: Option<Uuid>,
    /// The kind of the change, as the log spells it (`LICENCE_REVOKED`, …).
    pub kind: String,
}

/// A place in the feed: after this change's event for this article in
/// this locale.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// The change's position in the log.
    pub change: i64,
    /// The article.
    pub article: Uuid,
    /// The locale.
    pub locale: String,
}

impl Position {
    /// The opaque cursor of this place.
    pub fn cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("c1:{}:{}:{}", self.change, self.article.simple(), self.locale))
    }

    /// The place a cursor names.
    pub fn decode(cursor: &str) -> Result<Self> {
        let invalid = || Error::bad_input("`after` is not a cursor of the change feed");
        if cursor.len() > 200 {
            return Err(invalid());
        }
        let raw = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| invalid())?;
        let raw = std::str::from_utf8(&raw).map_err(|_| invalid())?;
        let mut parts = raw.splitn(4, ':');
        let (Some("c1"), Some(change), Some(article), Some(locale)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        Ok(Self {
            change: change.parse().map_err(|_| invalid())?,
            article: Uuid::try_parse(article).map_err(|_| invalid())?,
            locale: locale.to_owned(),
        })
    }

    /// Past every event of change `position`.
    pub fn whole(position: i64) -> Self {
        Self {
            change: position,
            article: Uuid::max(),
            locale: "~".to_owned(),
        }
    }

    /// The start of the feed.
    pub fn start() -> Self {
        Self {
            change: 0,
            article: Uuid::nil(),
            locale: String::new(),
        }
    }
}

/// One page of the feed.
#[derive(Debug, Clone)]
pub struct Page {
    /// The events, in feed order.
    pub events: Vec<Event>,
    /// Where to resume: the last event's place, or past the rows read.
    pub end: Position,
    /// Whether the log held more after `end` when the page was read.
    pub has_more: bool,
}

/// Up to `first` events after `after`, for `reader`, from the changes up
/// to position `upto`.
///
/// `upto` must have been read before the reader's licences were: appends
/// commit in position order, so every change up to it is committed and
/// the licences read after it hold every grant, start, end and revocation
/// logged up to it. A page never reads past it, so a licence change that
/// commits while the page is read cannot be judged by half.
///
/// A cursor names an event the reader was given, or a whole position: it
/// never carries the id of an article the reader did not see.
pub async fn page(
    db: &impl ConnectionTrait,
    reader: &Reader,
    after: Option<&str>,
    first: i32,
    upto: i64,
) -> Result<Page> {
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(Error::bad_input(format!(
            "`first` must be between 1 and {MAX_PAGE}, got {first}"
        )));
    }
    let first = first as usize;
    let after = after.map(Position::decode).transpose()?.unwrap_or_else(Position::start);
    let mut events = Vec::new();
    let mut end = after.clone();
    let mut scanned = 0;
    let mut from = (after.change, after.article);
    let licences = reader.licence_ids();
    loop {
        let mut query = change_article::Entity::find()
            .filter(
                Expr::tuple([
                    Expr::col(change_article::Column::Position),
                    Expr::col(change_article::Column::ArticleId),
                ])
                .gte(Expr::tuple([Expr::val(from.0), Expr::val(from.1)])),
            )
            .filter(change_article::Column::Position.lte(upto));
        // Rows of other partners' licences are not read at all.
        query = match &licences {
            None => query.filter(change_article::Column::LicenceId.is_null()),
            Some(ids) => query.filter(
                sea_orm::Condition::any()
                    .add(change_article::Column::LicenceId.is_null())
                    .add(change_article::Column::LicenceId.is_in(ids.iter().copied())),
            ),
        };
        let rows = query
            .order_by_asc(change_article::Column::Position)
            .order_by_asc(change_article::Column::ArticleId)
            .limit(BATCH)
            .all(db)
            .await?;
        let exhausted = rows.len() < BATCH as usize;
        let times = times_of(db, &rows).await?;
        for row in &rows {
            // Every row of the position before is read: the page may end
            // there, and its cursor names only that position.
            if row.position > end.change && scanned > 0 {
                let whole = Position::whole(row.position - 1);
                if whole > end {
                    end = whole;
                }
                if scanned >= SCAN_LIMIT {
                    return Ok(Page {
                        events,
                        end,
                        has_more: true,
                    });
                }
            }
            scanned += 1;
            let Some((time, kind)) = times.get(&row.position) else {
                continue;
            };
            for (position, tombstone, was) in events_of(reader, row, kind) {
                if position <= after {
                    continue;
                }
                if events.len() == first {
                    return Ok(Page {
                        events,
                        end,
                        has_more: true,
                    });
                }
                end = position.clone();
                events.push(Event {
                    at: position,
                    time: *time,
                    tombstone,
                    was,
                    licence: row.licence_id,
                    kind: kind.clone(),
                });
            }
        }
        match rows.last() {
            Some(last) if !exhausted => from = (last.position, next_uuid(last.article_id)),
            _ => break,
        }
    }
    let whole = Position::whole(upto);
    if whole > end {
        end = whole;
    }
    Ok(Page {
        events,
        end,
        has_more: false,
    })
}

/// The uuid after `id`, for a keyset that resumes past a row.
fn next_uuid(id: Uuid) -> Uuid {
    Uuid::from_u128(id.as_u128().saturating_add(1))
}

/// The time and kind of each change the rows belong to.
async fn times_of(
    db: &impl ConnectionTrait,
    rows: &[change_article::Model],
) -> Result<HashMap<i64, (DateTime<Utc>, String)>> {
    let positions: BTreeSet<i64> = rows.iter().map(|r| r.position).collect();
    let (Some(low), Some(high)) = (positions.first(), positions.last()) else {
        return Ok(HashMap::new());
    };
    Ok(change::Entity::find()
        .filter(change::Column::Position.between(*low, *high))
        .all(db)
        .await?
        .into_iter()
        .filter(|c| positions.contains(&c.position))
        .map(|c| (c.position, (c.at, c.kind)))
        .collect())
}

/// The events one row gives `reader`, in locale order.
fn events_of(
    reader: &Reader,
    row: &change_article::Model,
    kind: &str,
) -> Vec<(Position, Option<TombstoneReason>, bool)> {
    if !reader.reads(row.licence_id) {
        return Vec::new();
    }
    let before = parse_locales(&row.prev_locales);
    let after = parse_locales(&row.locales);
    let locales: BTreeSet<&String> = before.iter().chain(after.iter()).collect();
    let mut out = Vec::new();
    for locale in locales {
        let was =
            before.contains(locale) && reader.covers(row.prev_category_id, row.article_id, locale, row.position - 1);
        let is = after.contains(locale) && reader.covers(row.category_id, row.article_id, locale, row.position);
        let tombstone = match (was, is) {
            (_, true) => None,
            (true, false) => {
                let covered_after = after
                    .iter()
                    .any(|l| reader.covers(row.category_id, row.article_id, l, row.position));
                Some(reason(row, kind, after.contains(locale), covered_after))
            }
            (false, false) => continue,
        };
        out.push((
            Position {
                change: row.position,
                article: row.article_id,
                locale: locale.clone(),
            },
            tombstone,
            was,
        ));
    }
    out
}

/// Why a locale the caller could read before `row` is gone after it, as
/// the caller sees it: `others_left` when it can still read the article in
/// another locale. A partner is not told of locales beyond its licence.
fn reason(row: &change_article::Model, kind: &str, still_public: bool, others_left: bool) -> TombstoneReason {
    match kind {
        "LICENCE_REVOKED" => return TombstoneReason::LicenceRevoked,
        "LICENCE_ENDED" => return TombstoneReason::LicenceEnded,
        _ => {}
    }
    match row.status.as_deref() {
        None => TombstoneReason::Deleted,
        Some("ARCHIVED") => TombstoneReason::Archived,
        _ if others_left => TombstoneReason::LocaleWithdrawn,
        // Still published in this locale, but no longer covered: it moved
        // out of what the caller's licences cover.
        _ if still_public => TombstoneReason::OutOfLicence,
        _ => TombstoneReason::Unpublished,
    }
}
