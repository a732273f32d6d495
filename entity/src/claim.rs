//! A checkable statement made inside a section.

use crate::enums::{ClaimKind, EvidenceLevel};
use sea_orm::entity::prelude::*;

/// A claim row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "claim")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub section_id: Uuid,
    pub position: i32,
    pub kind: ClaimKind,
    pub evidence_level: EvidenceLevel,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(id, section_id, position, kind, evidence_level);
