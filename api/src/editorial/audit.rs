//! The audit trail (DESIGN.md, "Access"): every write records who made it,
//! in the writer's own transaction, so the trail and the change agree.

use entity::audit;
use sea_orm::{ActiveValue, ConnectionTrait, DbErr, EntityTrait};

use crate::editorial::principal::Principal;

/// Who acted.
#[derive(Debug, Clone)]
pub enum Actor<'a> {
    /// A request with this key.
    Key(&'a Principal),
    /// A command run on the server (`kiji import`, `kiji keys …`).
    CommandLine,
    /// The server itself, publishing what was scheduled.
    Scheduler,
}

impl Actor<'_> {
    /// The key's id (none for the command line) and the name it is recorded under.
    pub fn who(&self) -> (Option<uuid::Uuid>, String) {
        match self {
            Actor::Key(Principal::Key { id, name, .. }) => (Some(*id), name.clone()),
            Actor::Key(Principal::Public) => (None, "public".to_owned()),
            Actor::CommandLine => (None, "command line".to_owned()),
            Actor::Scheduler => (None, "scheduler".to_owned()),
        }
    }
}

/// Records that `actor` did `action` to `target`, in `txn`.
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    actor: Actor<'_>,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), DbErr> {
    // An entry that does not say what changed is no record: a writer that
    // has nothing to say has a bug, and its transaction fails with it.
    if detail.trim().is_empty() {
        return Err(DbErr::Custom(format!(
            "the audit entry {action} on {target} does not say what changed"
        )));
    }
    let (key_id, name) = actor.who();
    audit::Entity::insert(audit::ActiveModel {
        id: ActiveValue::NotSet,
        at: ActiveValue::Set(crate::store::clock::stored_now()),
        key_id: ActiveValue::Set(key_id),
        actor: ActiveValue::Set(name.chars().take(120).collect()),
        action: ActiveValue::Set(action.to_owned()),
        target: ActiveValue::Set(target.chars().take(300).collect()),
        detail: ActiveValue::Set(detail.to_owned()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
