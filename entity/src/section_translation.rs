//! The heading and body blocks of a section in one locale.

use sea_orm::entity::prelude::*;

/// A section translation row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "section_translation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub section_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub locale: String,
    pub heading: String,
    /// The section's own blocks (before its subsections), as a JSON array.
    #[sea_orm(column_type = "Json")]
    pub blocks: crate::block::Blocks,
    /// The source revision this text was made from (for the source locale,
    /// the revision it last changed in).
    pub source_revision: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(section_id, locale, heading, blocks, source_revision);
