//! A section of an article: one node of the heading tree.

use crate::enums::SectionKind;
use sea_orm::entity::prelude::*;

/// A section row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "section")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub article_id: Uuid,
    /// `None` for a top-level section.
    pub parent_id: Option<Uuid>,
    /// Order among siblings, from 0.
    pub position: i32,
    /// Fragment identifier, unique within the article.
    pub anchor: String,
    /// Heading level: 2 for top-level sections (the title is level 1).
    pub level: i32,
    pub kind: SectionKind,
    /// The article revision in which this section's source-locale text
    /// last changed.
    pub source_revision: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(
    id,
    article_id,
    parent_id,
    position,
    anchor,
    level,
    kind,
    source_revision
);
