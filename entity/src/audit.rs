//! One entry of the audit trail.

use sea_orm::entity::prelude::*;

/// An audit row: who did what to what, and when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    /// The key that acted; null for the command line on the server.
    pub key_id: Option<Uuid>,
    /// The key's name, or `command line`.
    pub actor: String,
    /// What was done, e.g. `SIGN_OFF`, `KEY_CREATE`, `IMPORT`.
    pub action: String,
    /// What it was done to, e.g. `article:exosome-effects-and-side-effects`.
    pub target: String,
    /// Particulars, e.g. `revision 1; locales ja; claims no`.
    pub detail: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
