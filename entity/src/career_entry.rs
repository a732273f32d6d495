//! One step of a supervisor's career, in the order the profile lists them.

use sea_orm::entity::prelude::*;

/// A career entry row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "career_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub supervisor_id: Uuid,
    pub position: i32,
    /// Year (or year-month) the step began, where known.
    pub started: Option<String>,
    /// Year (or year-month) the step ended, where known.
    pub ended: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(id, supervisor_id, position, started, ended);
