//! One of a supervisor's qualifications, in the order the profile lists them.

use crate::enums::QualificationKind;
use sea_orm::entity::prelude::*;

/// A qualification row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "qualification")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub supervisor_id: Uuid,
    pub position: i32,
    pub kind: QualificationKind,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(id, supervisor_id, position, kind);
