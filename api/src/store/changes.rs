//! The change log: one table, appended in the same transaction as every
//! content change, read from a position by everything that must react —
//! response-cache invalidation in every instance, CDN purges, the change
//! feed (`delivery::feed`), and later webhooks (DESIGN.md, "The change
//! log"). With each change go the views of the articles it touched
//! (`store::states`), from which the feed answers every caller.
//!
//! Positions must become visible in order: a reader that has seen position
//! 7 must never later find a 6. PostgreSQL hands out sequence values before
//! commit, so two writers can commit 7 before 6. Each writer therefore takes
//! a transaction-scoped advisory lock just before it appends, held until it
//! commits or rolls back: writers append one at a time, in position order,
//! and readers, who take no lock, never wait. Content writes are rare next
//! to reads, so serializing them costs nothing that matters. Reading "below
//! the oldest transaction in flight" (with `pg_snapshot_xmin`) was the
//! alternative; it needs a transaction id per row and a subtler reader.
//! SQLite has one writer at a time anyway.
//!
//! On PostgreSQL the append also sends `NOTIFY kiji_changes` inside the
//! transaction, which PostgreSQL delivers only if, and when, it commits.

use std::collections::BTreeSet;

use entity::{article, change};
use sea_orm::{
    ActiveValue, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use uuid::Uuid;

/// The PostgreSQL channel every append notifies, with the position as payload.
pub const CHANNEL: &str = "kiji_changes";

/// The advisory lock key writers take before appending ("kijichng").
const APPEND_LOCK: i64 = 0x6b69_6a69_6368_6e67;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Content was imported from files.
    Import,
    /// A supervisor signed off a revision.
    SignOff,
    /// An article moved through the workflow (review, approval,
    /// publication, archiving).
    Workflow,
    /// An article's content was edited: a new revision was saved.
    Edit,
    /// The clock made a change: a scheduled first publication went live.
    Clock,
    /// An ADMIN granted a licence.
    LicenceGranted,
    /// An ADMIN revoked a licence.
    LicenceRevoked,
    /// A licence's start date came.
    LicenceStarted,
    /// A licence's end date came.
    LicenceEnded,
}

impl Kind {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Import => "IMPORT",
            Kind::SignOff => "SIGN_OFF",
            Kind::Workflow => "WORKFLOW",
            Kind::Edit => "EDIT",
            Kind::Clock => "CLOCK",
            Kind::LicenceGranted => "LICENCE_GRANTED",
            Kind::LicenceRevoked => "LICENCE_REVOKED",
            Kind::LicenceStarted => "LICENCE_STARTED",
            Kind::LicenceEnded => "LICENCE_ENDED",
        }
    }
}

/// The entities and locales one change touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    entities: BTreeSet<String>,
    locales: BTreeSet<String>,
}

impl Touched {
    /// Records an entity of `kind` (`article`, `supervisor`, `category`,
    /// `tag`, `reference`).
    pub fn entity(&mut self, kind: &str, id: Uuid) {
        self.entities.insert(entity_key(kind, id));
    }

    /// Records a locale whose text changed.
    pub fn locale(&mut self, locale: &str) {
        self.locales.insert(locale.to_owned());
    }

    /// Adds everything `other` touched.
    pub fn merge(&mut self, other: Touched) {
        self.entities.extend(other.entities);
        self.locales.extend(other.locales);
    }

    /// Whether nothing was touched.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// The touched entities, as `kind:uuid` keys.
    pub fn entities(&self) -> impl Iterator<Item = &str> {
        self.entities.iter().map(String::as_str)
    }

    /// The ids of the touched entities of `kind`.
    pub fn ids_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = Uuid> + 'a {
        self.entities.iter().filter_map(move |key| {
            key.strip_prefix(kind)
                .and_then(|rest| rest.strip_prefix(':'))
                .and_then(|id| Uuid::parse_str(id).ok())
        })
    }
}

/// The entities whose public visibility follows article `id`'s: its
/// category, tags and people. A category, tag or physician with no other
/// published article appears in (or leaves) the public lists when the
/// article does, so the change log names them too, and the cached lists and
/// CDN copies that show them are dropped with it.
pub async fn dependents(txn: &sea_orm::DatabaseTransaction, id: Uuid) -> Result<Touched, DbErr> {
    use entity::{article_supervisor, article_tag};
    let mut touched = Touched::default();
    if let Some(row) = article::Entity::find_by_id(id).one(txn).await? {
        touched.entity("category", row.category_id);
    }
    for link in article_tag::Entity::find()
        .filter(article_tag::Column::ArticleId.eq(id))
        .all(txn)
        .await?
    {
        touched.entity("tag", link.tag_id);
    }
    for link in article_supervisor::Entity::find()
        .filter(article_supervisor::Column::ArticleId.eq(id))
        .all(txn)
        .await?
    {
        touched.entity("supervisor", link.supervisor_id);
    }
    Ok(touched)
}

/// The key of one entity in the log, in surrogate keys and in caches.
pub fn entity_key(kind: &str, id: Uuid) -> String {
    format!("{kind}:{}", id.simple())
}

/// The collection an entity kind belongs to.
pub fn collection_of(kind: &str) -> Option<&'static str> {
    match kind {
        "article" => Some("articles"),
        "category" => Some("categories"),
        "tag" => Some("tags"),
        "supervisor" => Some("supervisors"),
        "reference" => Some("references"),
        _ => None,
    }
}

/// Appends one change in the writer's transaction `txn` and returns its
/// position; the lock it takes is held until `txn` ends. Writers go through
/// [`super::write::commit`], which appends last and commits at once; this
/// is public for the tests that hold a transaction open between the two.
pub async fn append(txn: &sea_orm::DatabaseTransaction, kind: Kind, touched: &Touched) -> Result<i64, DbErr> {
    lock(txn).await?;
    // Read after the lock: a writer that waited behind another must record
    // what readers see when its change lands, not when it began.
    append_as_of(txn, kind, touched, crate::store::clock::stored_now()).await
}

/// Takes the log's lock for the rest of `txn` (on PostgreSQL; SQLite has
/// one writer): no other change is appended until `txn` ends.
pub async fn lock(txn: &sea_orm::DatabaseTransaction) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [APPEND_LOCK.into()],
        ))
        .await?;
    }
    Ok(())
}

/// [`append`], recording what readers see of the touched articles as of
/// `as_of`: the clock job logs what fell due by the time it was asked
/// about, which a late pass must not take for later.
pub async fn append_as_of(
    txn: &sea_orm::DatabaseTransaction,
    kind: Kind,
    touched: &Touched,
    as_of: chrono::DateTime<chrono::Utc>,
) -> Result<i64, DbErr> {
    lock(txn).await?;
    let postgres = txn.get_database_backend() == DbBackend::Postgres;
    let now = crate::store::clock::stored_now();
    let row = change::ActiveModel {
        position: ActiveValue::NotSet,
        at: ActiveValue::Set(now),
        kind: ActiveValue::Set(kind.as_str().to_owned()),
        entities: ActiveValue::Set(serde_json::json!(touched.entities)),
        locales: ActiveValue::Set(serde_json::json!(touched.locales)),
    };
    let position = change::Entity::insert(row).exec(txn).await?.last_insert_id;
    let articles: Vec<Uuid> = touched.ids_of("article").collect();
    super::states::record(txn, position, &articles, as_of).await?;
    for licence in touched.ids_of("licence") {
        mark_licence(txn, kind, licence, position, as_of).await?;
        super::states::record_licence(txn, position, licence).await?;
    }
    if postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), position.to_string().into()],
        ))
        .await?;
    }
    Ok(position)
}

/// Records on licence `id` the position at which `kind` happened to it; a
/// grant whose start (or end) has already come records that too, so the
/// clock job does not log it again.
async fn mark_licence(
    txn: &sea_orm::DatabaseTransaction,
    kind: Kind,
    id: Uuid,
    position: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    use entity::licence;
    let Some(found) = licence::Entity::find_by_id(id).one(txn).await? else {
        return Ok(());
    };
    let mut row: licence::ActiveModel = found.clone().into();
    match kind {
        Kind::LicenceGranted => {
            row.granted_position = ActiveValue::Set(Some(position));
            if found.starts_at.is_some_and(|at| at <= now) {
                row.started_position = ActiveValue::Set(Some(position));
            }
            if found.ends_at.is_some_and(|at| at <= now) {
                row.ended_position = ActiveValue::Set(Some(position));
            }
        }
        Kind::LicenceRevoked => row.revoked_position = ActiveValue::Set(Some(position)),
        Kind::LicenceStarted => row.started_position = ActiveValue::Set(Some(position)),
        Kind::LicenceEnded => row.ended_position = ActiveValue::Set(Some(position)),
        _ => return Ok(()),
    }
    licence::Entity::update(row).exec(txn).await?;
    Ok(())
}

/// Up to `limit` changes after `position`, oldest first.
pub async fn after<C: ConnectionTrait>(db: &C, position: i64, limit: u64) -> Result<Vec<change::Model>, DbErr> {
    change::Entity::find()
        .filter(change::Column::Position.gt(position))
        .order_by_asc(change::Column::Position)
        .limit(limit)
        .all(db)
        .await
}

/// The position of the latest change, 0 when there is none.
pub async fn latest<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    let last = change::Entity::find()
        .order_by_desc(change::Column::Position)
        .one(db)
        .await?;
    Ok(last.map_or(0, |c| c.position))
}
