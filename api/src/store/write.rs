//! The one write path. Every content change ends the same way: its entry
//! is appended to the change log, the transaction commits, and this
//! process's followers of the log (the response cache) catch up before the
//! writer returns, so no answer this process gives after a write is stale.
//!
//! [`commit`] takes the transaction itself: the append's advisory lock
//! (`store::changes`) must live until the commit, which is what keeps
//! positions committing in order, and a connection or pool could not hold
//! it.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::cache::ResponseCache;
use super::changes::{self, Kind, Touched};

/// What a commit brings up to date in this process before the writer
/// returns: the application's response cache, read from the log on its own
/// connection. A command-line write has none (the server hears of it by
/// `NOTIFY` or its next poll).
#[derive(Clone, Default)]
pub struct Followers {
    caches: Arc<[(Arc<ResponseCache>, DatabaseConnection)]>,
}

impl Followers {
    /// Nothing to wake: a process that serves no answers.
    pub fn none() -> Self {
        Self::default()
    }

    /// The response cache `cache`, which reads the log through `log`.
    pub fn cache(cache: Arc<ResponseCache>, log: DatabaseConnection) -> Self {
        Self {
            caches: Arc::from([(cache, log)]),
        }
    }

    /// Brings every follower up to date with the log.
    pub async fn wake(&self) {
        for (cache, log) in self.caches.iter() {
            cache.follow(log).await;
        }
    }
}

/// Appends what `touched` names (when it names anything) to the change log,
/// commits `txn`, and wakes `followers`; returns the change's position.
pub async fn commit(
    txn: DatabaseTransaction,
    kind: Kind,
    touched: &Touched,
    followers: &Followers,
) -> Result<Option<i64>, DbErr> {
    let position = if touched.is_empty() {
        None
    } else {
        Some(changes::append(&txn, kind, touched).await?)
    };
    txn.commit().await?;
    followers.wake().await;
    Ok(position)
}
