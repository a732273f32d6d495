//! The text of an article in one locale.

use crate::enums::Status;
use sea_orm::entity::prelude::*;

/// An article translation row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "article_translation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub article_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub locale: String,
    pub title: String,
    /// Teaser shown in lists and used as the default meta description.
    pub lead: String,
    /// Blocks before the first section, as a JSON array of blocks.
    #[sea_orm(column_type = "Json")]
    pub intro: crate::block::Blocks,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// A translation is published on its own schedule.
    pub status: Status,
    /// Revision of the source text this translation was made from.
    pub source_revision: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(
    article_id,
    locale,
    title,
    lead,
    intro,
    seo_title,
    seo_description,
    status,
    source_revision,
    created_at,
    updated_at
);
