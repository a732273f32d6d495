//! Links a claim to a reference that supports it.

use sea_orm::entity::prelude::*;

/// A claim–reference link row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "claim_reference")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub claim_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub reference_id: Uuid,
    pub position: i32,
    /// Where in the work the support is, e.g. "p. 12" or "Table 2".
    pub locator: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::reference::Entity",
        from = "Column::ReferenceId",
        to = "super::reference::Column::Id"
    )]
    Reference,
}

impl Related<super::reference::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Reference.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(claim_id, reference_id, position, locator);
