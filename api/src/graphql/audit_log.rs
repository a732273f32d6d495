//! `auditLog`: the audit trail, newest first, for ADMIN keys.

use async_graphql::{Context, Object, SimpleObject};
use entity::audit;
use entity::enums::Role;
use sea_orm::{EntityTrait, QueryOrder, QuerySelect};

use super::db;
use super::scalars::Timestamp;
use crate::error::{Error, Result};

/// The root field `auditLog`.
#[derive(Default)]
pub struct AuditLogQuery;

/// Most entries one answer lists.
const MAX_ENTRIES: i32 = 200;

/// One entry of the audit trail.
#[derive(SimpleObject)]
pub struct AuditEntry {
    /// When.
    at: Timestamp,
    /// The key's name, or `command line` for a command run on the server.
    actor: String,
    /// The key's id; null for the command line.
    key_id: Option<String>,
    /// What was done: `IMPORT`, `KEY_CREATE`, `KEY_REVOKE`, `SIGN_OFF`.
    action: String,
    /// What it was done to, e.g. `article:exosome-effects-and-side-effects`.
    target: String,
    /// Particulars, e.g. `revision 1; locales ja; claims not reviewed`.
    detail: String,
}

#[Object]
impl AuditLogQuery {
    /// Who changed, signed off or published what and when, newest first.
    /// Needs an ADMIN key.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many entries, 1 to 200; 50 when left out.")] first: Option<i32>,
    ) -> Result<Vec<AuditEntry>> {
        super::require_role(ctx, &[Role::Admin], "auditLog")?;
        let first = first.unwrap_or(50);
        if !(1..=MAX_ENTRIES).contains(&first) {
            return Err(Error::bad_input(format!(
                "`first` must be between 1 and {MAX_ENTRIES}, got {first}"
            )));
        }
        let rows = audit::Entity::find()
            .order_by_desc(audit::Column::Id)
            .limit(first as u64)
            .all(db(ctx)?)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| AuditEntry {
                at: Timestamp(row.at),
                actor: row.actor,
                key_id: row.key_id.map(|id| id.to_string()),
                action: row.action,
                target: row.target,
                detail: row.detail,
            })
            .collect())
    }
}
