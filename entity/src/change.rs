//! One content change in the change log: what was touched, and when.

use sea_orm::entity::prelude::*;

/// A change log row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change")]
pub struct Model {
    /// Position in the log; later changes have higher positions, and
    /// positions become visible in order (see `api::changes`).
    #[sea_orm(primary_key)]
    pub position: i64,
    pub at: DateTimeUtc,
    /// What happened, e.g. `IMPORT`.
    pub kind: String,
    /// The entities touched, as `kind:uuid` strings (`article:…`).
    pub entities: Json,
    /// The locales whose text changed.
    pub locales: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
