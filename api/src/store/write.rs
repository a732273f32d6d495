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

/// Something in this process that follows the change log: the response
/// cache, the search index.
#[async_trait::async_trait]
pub trait Follower: Send + Sync {
    /// Applies the changes after the last one applied, reading the log of
    /// `db`; answers whether it is up to date (a failure is logged).
    async fn follow(&self, db: &DatabaseConnection) -> bool;

    /// Told that a follower before it could not catch up: what it would
    /// keep now could be computed from that follower's stale state.
    fn behind_others(&self) {}
}

#[async_trait::async_trait]
impl Follower for ResponseCache {
    async fn follow(&self, db: &DatabaseConnection) -> bool {
        ResponseCache::follow(self, db).await;
        self.following()
    }

    fn behind_others(&self) {
        self.stop_keeping();
    }
}

/// What a commit brings up to date in this process before the writer
/// returns: the application's response cache and search index, each read
/// from the log on its own connection. A command-line write has none (the
/// server hears of it by `NOTIFY` or its next poll).
#[derive(Clone, Default)]
pub struct Followers {
    followers: Arc<[(Arc<dyn Follower>, DatabaseConnection)]>,
}

impl Followers {
    /// Nothing to wake: a process that serves no answers.
    pub fn none() -> Self {
        Self::default()
    }

    /// The response cache `cache`, which reads the log through `log`.
    pub fn cache(cache: Arc<ResponseCache>, log: DatabaseConnection) -> Self {
        Self::none().and(cache, log)
    }

    /// These followers and `follower`, which reads the log through `log`.
    pub fn and(&self, follower: Arc<dyn Follower>, log: DatabaseConnection) -> Self {
        let mut all = self.followers.to_vec();
        all.push((follower, log));
        Self {
            followers: Arc::from(all),
        }
    }

    /// Brings every follower up to date with the log, in the order they
    /// were added; answers whether all are. Once one fails, those after it
    /// are told, and stop keeping answers until all catch up.
    pub async fn wake(&self) -> bool {
        let mut all = true;
        for (follower, log) in self.followers.iter() {
            if all {
                all = follower.follow(log).await;
            } else {
                follower.behind_others();
            }
        }
        all
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
