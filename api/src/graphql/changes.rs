//! The change feed: `changes(after:, first:)`, for incremental sync by
//! partners (under their licences) and by apps keeping offline copies.

use std::collections::HashMap;

use async_graphql::{Context, Enum, ID, Object, SimpleObject, Subscription};
use chrono::Utc;
use entity::article;
use futures_util::Stream;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::article::Article;
use super::db;
use super::scalars::Timestamp;
use crate::delivery::feed::{self, TombstoneReason};
use crate::delivery::ids::{Kind, global_id};
use crate::delivery::visibility::{self, Audience};
use crate::error::{Error, Result};
use crate::locale::Locale;

/// The change feed's root field.
#[derive(Default)]
pub struct ChangeQuery;

/// What happened to an article locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ChangeType {
    /// The article can be read in this locale: fetch it (or read `article`)
    /// and store it, replacing any copy.
    Upsert,
    /// The article can no longer be read in this locale: delete the copy.
    Tombstone,
}

/// One event of the feed.
#[derive(SimpleObject)]
pub struct ArticleChange {
    /// Pass as `after` to resume after this event.
    cursor: String,
    /// Upsert or tombstone.
    #[graphql(name = "type")]
    kind: ChangeType,
    /// Why, for a tombstone.
    reason: Option<TombstoneReason>,
    /// The article's global id, stable across revisions (`node(id:)`).
    article_id: ID,
    /// The locale the event is about.
    locale: Locale,
    /// When the change was committed.
    committed_at: Timestamp,
    /// For an upsert, the article as it reads now in `locale`; null for a
    /// tombstone, and when a later event has taken it away again.
    article: Option<Article>,
}

/// A page of the change feed.
#[derive(SimpleObject)]
pub struct ChangeFeed {
    /// The events, oldest first.
    nodes: Vec<ArticleChange>,
    /// Pass as `after` to read on; stored by a client between syncs. Also
    /// given when a page has no events, so polling resumes where it ended.
    end_cursor: String,
    /// Whether more events were waiting when this page was read: read on
    /// at once. When false, poll again later from `endCursor`.
    has_more: bool,
}

#[Object]
impl ChangeQuery {
    /// Every change to what the caller may read, in commit order: an upsert
    /// when an article locale became readable or changed, a tombstone when
    /// it stopped being readable (unpublished, archived, deleted, locale
    /// withdrawn, licence ended or revoked). A client that applies the feed
    /// from the start (no `after`) holds exactly what it may read now. A
    /// partner key reads the events of what its licences cover; others the
    /// public's.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A cursor from an earlier page (`endCursor` or an event's `cursor`); \
                          the start of the feed when left out.")]
        after: Option<String>,
        #[graphql(desc = "How many events, 1 to 1000.", default = 100)] first: i32,
    ) -> Result<ChangeFeed> {
        crate::delivery::tags::collection(ctx, crate::store::cache::FEED);
        let audience = super::audience(ctx);
        // Before the licences: see `feed::page`.
        let upto = crate::store::changes::latest(db(ctx)?).await?;
        let reader = match audience {
            Audience::Partner(partner) => {
                feed::Reader::Partner(crate::editorial::partners::of_partner(db(ctx)?, partner).await?)
            }
            _ => feed::Reader::Public,
        };
        let page = feed::page(db(ctx)?, &reader, after.as_deref(), first, upto).await?;
        let wanted = ctx.look_ahead().field("nodes").field("article").exists();
        let mut articles = if wanted {
            articles_of(ctx, audience, &page.events).await?
        } else {
            HashMap::new()
        };
        let mut nodes = Vec::with_capacity(page.events.len());
        for event in page.events {
            let locale = stored_locale(&event.at.locale)?;
            let article = match event.tombstone {
                None => articles.get(&(event.at.article, event.at.locale.clone())).cloned(),
                Some(_) => None,
            };
            nodes.push(ArticleChange {
                cursor: event.at.cursor(),
                kind: if event.tombstone.is_some() {
                    ChangeType::Tombstone
                } else {
                    ChangeType::Upsert
                },
                reason: event.tombstone,
                article_id: ID(global_id(Kind::Article, event.at.article)),
                locale,
                committed_at: Timestamp(event.time),
                article,
            });
        }
        articles.clear();
        Ok(ChangeFeed {
            nodes,
            end_cursor: page.end.cursor(),
            has_more: page.has_more,
        })
    }
}

impl ArticleChange {
    /// The event without its article (a subscription's: fetch it with
    /// `node(id:)`).
    fn bare(event: feed::Event) -> Result<Self> {
        Ok(Self {
            cursor: event.at.cursor(),
            kind: if event.tombstone.is_some() {
                ChangeType::Tombstone
            } else {
                ChangeType::Upsert
            },
            reason: event.tombstone,
            article_id: ID(global_id(Kind::Article, event.at.article)),
            locale: stored_locale(&event.at.locale)?,
            committed_at: Timestamp(event.time),
            article: None,
        })
    }
}

/// The change feed as a subscription.
#[derive(Default)]
pub struct ChangeSubscription;

/// How often a subscription looks for new changes when it has none.
const SUBSCRIPTION_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// Root subscription: the change feed as it happens.
#[Subscription(name = "Subscription")]
impl ChangeSubscription {
    /// The change feed as it happens, over the `graphql-transport-ws`
    /// protocol at `/graphql/ws`: the events after `after` (from the start
    /// when left out), then each new one as it is committed. The same
    /// events as `changes`, for the key sent in `connection_init`
    /// (`{"Authorization": "Bearer …"}`); `article` is always null here:
    /// fetch it with `node(id:)`. Resume with the last event's `cursor`.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A cursor from an earlier event or page; the start of the feed when left out.")] after: Option<
            String,
        >,
    ) -> Result<impl Stream<Item = ArticleChange> + use<>> {
        use futures_util::StreamExt as _;
        if let Some(cursor) = &after {
            feed::Position::decode(cursor)?;
        }
        let db = ctx
            .data_opt::<sea_orm::DatabaseConnection>()
            .ok_or_else(|| Error::Internal("schema has no database".into()))?
            .clone();
        let partner = match super::audience(ctx) {
            Audience::Partner(partner) => Some(partner),
            _ => None,
        };
        let key = match ctx.data_opt::<crate::editorial::principal::Principal>() {
            Some(crate::editorial::principal::Principal::Key { id, .. }) => Some(*id),
            _ => None,
        };
        let pages = futures_util::stream::unfold((db, after), move |(db, mut after)| async move {
            loop {
                // A key revoked while subscribed ends its subscription.
                if let Some(key) = key {
                    let live = entity::api_key::Entity::find_by_id(key)
                        .one(&db)
                        .await
                        .ok()
                        .flatten()
                        .is_some_and(|k| k.revoked_at.is_none());
                    if !live {
                        return None;
                    }
                }
                let page = async {
                    let upto = crate::store::changes::latest(&db).await?;
                    let reader = match partner {
                        Some(partner) => {
                            feed::Reader::Partner(crate::editorial::partners::of_partner(&db, partner).await?)
                        }
                        None => feed::Reader::Public,
                    };
                    feed::page(&db, &reader, after.as_deref(), 100, upto).await
                }
                .await;
                match page {
                    Ok(page) => {
                        after = Some(page.end.cursor());
                        let events: Vec<ArticleChange> = page
                            .events
                            .into_iter()
                            .filter_map(|e| ArticleChange::bare(e).ok())
                            .collect();
                        if !events.is_empty() {
                            return Some((events, (db, after)));
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "a change subscription could not read the feed"),
                }
                tokio::time::sleep(SUBSCRIPTION_POLL).await;
            }
        });
        Ok(pages.flat_map(futures_util::stream::iter))
    }
}

/// The articles the upserts of `events` name, as the caller may read them
/// now, each in its event's locale.
async fn articles_of(
    ctx: &Context<'_>,
    audience: Audience,
    events: &[feed::Event],
) -> Result<HashMap<(Uuid, String), Article>> {
    let mut by_locale: HashMap<&str, Vec<Uuid>> = HashMap::new();
    for event in events.iter().filter(|e| e.tombstone.is_none()) {
        by_locale.entry(&event.at.locale).or_default().push(event.at.article);
    }
    let mut out = HashMap::new();
    for (locale, ids) in by_locale {
        let pref = super::preference(ctx, Some(stored_locale(locale)?))?;
        let rows = article::Entity::find()
            .filter(article::Column::Id.is_in(ids))
            .filter(article::Column::DraftOf.is_null())
            .filter(visibility::article_for(audience_for_feed(audience), Utc::now()))
            .all(db(ctx)?)
            .await?;
        for found in Article::wrap_all(ctx, rows, &pref, true).await? {
            // Only the locale asked for: a fallback is not what the event
            // says can be read.
            if found.locale_str() == locale {
                out.insert((found.model().id, locale.to_owned()), found);
            }
        }
    }
    Ok(out)
}

/// Keys that see drafts read the public's feed, and its articles as the
/// public reads them.
fn audience_for_feed(audience: Audience) -> Audience {
    match audience {
        Audience::Partner(_) => audience,
        _ => Audience::Public,
    }
}

/// A locale the log stored, which was valid when it was written.
fn stored_locale(tag: &str) -> Result<Locale> {
    Locale::parse(tag).map_err(|e| Error::Internal(format!("stored locale: {e}")))
}

/// Put in a WebSocket connection's data: queries and mutations sent there
/// are refused (`graphql::db` and `graphql::pool`), since they belong on
/// `/graphql`, where keys are rate-limited, failures counted, documents
/// checked and answers cached. The WebSocket serves subscriptions alone.
pub struct OverWebSocket;
