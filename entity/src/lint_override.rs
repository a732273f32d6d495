//! An ADMIN's decision to publish one revision despite the lint's errors.

use sea_orm::entity::prelude::*;

/// Who overrode the medical-advertising lint for which revision, and why.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lint_override")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub article_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub revision: i32,
    /// Why the findings do not hold back publication.
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    /// The error findings overridden, as JSON (rule, locale, anchor, text).
    #[sea_orm(column_type = "Text")]
    pub findings: String,
    pub at: DateTimeUtc,
    /// The key's name, or `command line`.
    pub actor: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
