//! A series of articles, e.g. "regenerative medicine column".

use sea_orm::entity::prelude::*;

/// A category row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "category")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    /// Order in navigation; lower first.
    pub position: i32,
    pub source_locale: String,
    /// Shown to readers even while no visible article uses it.
    pub is_public: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Medical: publishing an article in it needs a supervisor's sign-off
    /// of the revision published.
    pub medical: bool,
    /// Self-pay (自由診療): its articles describe treatments outside public
    /// health insurance, which must state cost, risks and the usual course.
    pub self_pay: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(
    id,
    slug,
    position,
    source_locale,
    is_public,
    created_at,
    updated_at,
    medical,
    self_pay
);
