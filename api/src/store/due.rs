//! The clock job: logs the changes the clock makes when they take effect —
//! an article scheduled for its first publication going public, a licence
//! starting or ending — so that everything following the change log (the
//! response caches, the change feed, webhooks) learns of them then, not when
//! they were scheduled.
//!
//! Every instance runs the job; the database elects who does each pass. On
//! PostgreSQL a pass holds a transaction-scoped advisory lock, taken with
//! `pg_try_advisory_xact_lock`: an instance that does not get it skips the
//! pass, since another is doing it. SQLite has one writer at a time. What
//! has been logged is recorded in the same transaction (`clock` for
//! articles, the licence's own positions for licences), so a pass that
//! fails logs nothing, and the next one picks up everything still due.

use chrono::{DateTime, Utc};
use entity::{article, clock, licence};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

use super::changes::{self, Kind, Touched};
use super::write::Followers;

/// The advisory lock of a pass ("kijiclck").
const PASS_LOCK: i64 = 0x6b69_6a69_636c_636b;

/// The `clock` row of article publications.
const PUBLICATIONS: &str = "publications";

/// What one pass logged.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Logged {
    /// Articles that went public.
    pub published: usize,
    /// Licences that started.
    pub started: usize,
    /// Licences that ended.
    pub ended: usize,
}

/// Logs everything that fell due by `now` and is not in the log yet, unless
/// another instance is doing so; wakes `followers` after the commit.
pub async fn log_due(db: &DatabaseConnection, followers: &Followers, now: DateTime<Utc>) -> Result<Logged, DbErr> {
    if !worth_a_pass(db, now).await? {
        return Ok(Logged::default());
    }
    let txn = super::db::begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        let won = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock($1)",
                [PASS_LOCK.into()],
            ))
            .await?
            .map(|row| row.try_get_by_index::<bool>(0))
            .transpose()?
            .unwrap_or(false);
        if !won {
            txn.rollback().await?;
            return Ok(Logged::default());
        }
    }
    // Licences the pass logs are locked before the log is, in the order a
    // revocation takes them (its licence row, then the log), so the two
    // never wait for each other.
    let mut lock_due = licence::Entity::find()
        .filter(licence::Column::GrantedPosition.is_not_null())
        .filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::Condition::all()
                        .add(licence::Column::StartedPosition.is_null())
                        .add(licence::Column::StartsAt.lte(now)),
                )
                .add(
                    sea_orm::Condition::all()
                        .add(licence::Column::EndedPosition.is_null())
                        .add(licence::Column::EndsAt.lte(now)),
                ),
        )
        .order_by_asc(licence::Column::Id);
    if txn.get_database_backend() == DbBackend::Postgres {
        lock_due = lock_due.lock_exclusive();
    }
    lock_due.all(&txn).await?;
    // Then the log, before anything is read: a writer whose publication
    // falls due now has either committed (and is read here) or appends
    // after this pass, recording then what readers see.
    changes::lock(&txn).await?;
    let mut logged = Logged::default();
    let mark = clock::Entity::find_by_id(PUBLICATIONS).one(&txn).await?;
    // Without a mark (the migration sets one), everything is looked at once;
    // what is logged already is skipped below.
    let since = mark.as_ref().map_or(super::clock::EARLIEST, |m| m.logged_until);
    {
        let due = article::Entity::find()
            .filter(article::Column::VisibleFrom.gt(since))
            .filter(article::Column::VisibleFrom.lte(now))
            .filter(article::Column::DraftOf.is_null())
            .order_by_asc(article::Column::VisibleFrom)
            .all(&txn)
            .await?;
        for found in due {
            // Published at once, its change is in the log already.
            if !super::states::changed(&txn, found.id, now).await? {
                continue;
            }
            let mut touched = changes::dependents(&txn, found.id).await?;
            touched.entity("article", found.id);
            changes::append_as_of(&txn, Kind::Clock, &touched, now).await?;
            logged.published += 1;
        }
    }
    // Only forward: a pass with an earlier clock (another instance's, or a
    // late one) must not make the next pass log again what is logged.
    if mark.is_none_or(|m| m.logged_until < now) {
        clock::Entity::insert(clock::ActiveModel {
            name: ActiveValue::Set(PUBLICATIONS.to_owned()),
            logged_until: ActiveValue::Set(now),
        })
        .on_conflict(
            OnConflict::column(clock::Column::Name)
                .update_column(clock::Column::LoggedUntil)
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    let starting = licence::Entity::find()
        .filter(licence::Column::GrantedPosition.is_not_null())
        .filter(licence::Column::StartedPosition.is_null())
        .filter(licence::Column::StartsAt.lte(now))
        .order_by_asc(licence::Column::StartsAt)
        .all(&txn)
        .await?;
    for found in starting {
        let mut touched = Touched::default();
        touched.entity("licence", found.id);
        changes::append_as_of(&txn, Kind::LicenceStarted, &touched, now).await?;
        logged.started += 1;
    }
    let ending = licence::Entity::find()
        .filter(licence::Column::GrantedPosition.is_not_null())
        .filter(licence::Column::EndedPosition.is_null())
        .filter(licence::Column::EndsAt.lte(now))
        .order_by_asc(licence::Column::EndsAt)
        .all(&txn)
        .await?;
    for found in ending {
        let mut touched = Touched::default();
        touched.entity("licence", found.id);
        changes::append_as_of(&txn, Kind::LicenceEnded, &touched, now).await?;
        logged.ended += 1;
    }
    super::write::commit(txn, Kind::Clock, &Touched::default(), followers).await?;
    Ok(logged)
}

/// The longest the publications mark stays behind when nothing falls due:
/// a pass reads the articles that went public since the mark, so an old
/// mark would make every pass read more.
const MARK_AGE: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Whether a pass has anything to log or a stale mark to move, read
/// without taking the write lock: most passes find nothing, and on SQLite
/// a write every second would queue behind (and hold up) real writers.
async fn worth_a_pass(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let Some(mark) = clock::Entity::find_by_id(PUBLICATIONS).one(db).await? else {
        return Ok(true);
    };
    if now - mark.logged_until >= MARK_AGE {
        return Ok(true);
    }
    let publication = article::Entity::find()
        .filter(article::Column::VisibleFrom.gt(mark.logged_until))
        .filter(article::Column::VisibleFrom.lte(now))
        .filter(article::Column::DraftOf.is_null())
        .one(db)
        .await?;
    let licence = licence::Entity::find()
        .filter(licence::Column::GrantedPosition.is_not_null())
        .filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::Condition::all()
                        .add(licence::Column::StartedPosition.is_null())
                        .add(licence::Column::StartsAt.lte(now)),
                )
                .add(
                    sea_orm::Condition::all()
                        .add(licence::Column::EndedPosition.is_null())
                        .add(licence::Column::EndsAt.lte(now)),
                ),
        )
        .one(db)
        .await?;
    Ok(publication.is_some() || licence.is_some())
}

/// When the clock next makes a change: the next scheduled first
/// publication, scheduled revision, or licence start or end, if any.
pub async fn next_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, DbErr> {
    let publication = article::Entity::find()
        .filter(article::Column::VisibleFrom.gt(now))
        .filter(article::Column::DraftOf.is_null())
        .order_by_asc(article::Column::VisibleFrom)
        .one(db)
        .await?
        .and_then(|a| a.visible_from);
    let start = licence::Entity::find()
        .filter(licence::Column::GrantedPosition.is_not_null())
        .filter(licence::Column::StartedPosition.is_null())
        .filter(licence::Column::StartsAt.gt(now))
        .order_by_asc(licence::Column::StartsAt)
        .one(db)
        .await?
        .and_then(|l| l.starts_at);
    let end = licence::Entity::find()
        .filter(licence::Column::GrantedPosition.is_not_null())
        .filter(licence::Column::EndedPosition.is_null())
        .filter(licence::Column::EndsAt.gt(now))
        .order_by_asc(licence::Column::EndsAt)
        .one(db)
        .await?
        .and_then(|l| l.ends_at);
    let revision = article::Entity::find()
        .filter(article::Column::ScheduledAt.is_not_null())
        .filter(article::Column::DraftOf.is_null())
        .order_by_asc(article::Column::ScheduledAt)
        .one(db)
        .await?
        .and_then(|a| a.scheduled_at);
    Ok([publication, revision, start, end].into_iter().flatten().min())
}
