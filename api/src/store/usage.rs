//! What partners read, per key and day: counted in memory as requests are
//! answered, and added to `usage_daily` every few seconds (one upsert per
//! key and day, not one write per request). A crash loses at most the
//! counts of the last interval.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::NaiveDate;
use entity::usage_daily;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue, DatabaseConnection, DbErr, EntityTrait};
use uuid::Uuid;

/// How often counts are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// A day, a key and its partner.
type Slot = (NaiveDate, Uuid, Uuid);

/// Counts not yet written, by day, key and partner: requests, articles.
#[derive(Default)]
pub struct Usage {
    pending: Mutex<HashMap<Slot, (i64, i64)>>,
}

impl Usage {
    /// Counts one request by `key` of `partner` that showed `articles`
    /// articles.
    pub fn record(&self, key: Uuid, partner: Uuid, articles: usize) {
        let day = chrono::Utc::now().date_naive();
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let entry = pending.entry((day, key, partner)).or_default();
        entry.0 += 1;
        entry.1 += i64::try_from(articles).unwrap_or(i64::MAX);
    }

    /// Adds the pending counts to the database; on failure they are kept
    /// for the next try.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let taken: Vec<_> = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.drain().collect()
        };
        for (i, ((day, key, partner), (requests, articles))) in taken.iter().enumerate() {
            let added = usage_daily::Entity::insert(usage_daily::ActiveModel {
                day: ActiveValue::Set(*day),
                key_id: ActiveValue::Set(*key),
                partner_id: ActiveValue::Set(*partner),
                requests: ActiveValue::Set(*requests),
                articles: ActiveValue::Set(*articles),
            })
            .on_conflict(
                OnConflict::columns([usage_daily::Column::Day, usage_daily::Column::KeyId])
                    .value(
                        usage_daily::Column::Requests,
                        Expr::col((usage_daily::Entity, usage_daily::Column::Requests)).add(*requests),
                    )
                    .value(
                        usage_daily::Column::Articles,
                        Expr::col((usage_daily::Entity, usage_daily::Column::Articles)).add(*articles),
                    )
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await;
            if let Err(err) = added {
                // Put back what was not written.
                let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                for (at, counts) in taken.iter().skip(i) {
                    let entry = pending.entry(*at).or_default();
                    entry.0 += counts.0;
                    entry.1 += counts.1;
                }
                return Err(err);
            }
        }
        Ok(())
    }
}

/// Writes `usage` every [`FLUSH_EVERY`] for the life of the process.
pub async fn keep_writing(usage: std::sync::Arc<Usage>, db: DatabaseConnection) {
    loop {
        tokio::time::sleep(FLUSH_EVERY).await;
        if let Err(err) = usage.flush(&db).await {
            tracing::warn!(error = %err, "writing partner usage failed");
        }
    }
}
