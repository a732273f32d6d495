//! An image's alt text and caption in one locale.

use sea_orm::entity::prelude::*;

/// Alt text and caption in one locale.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_text")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub media_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub locale: String,
    /// What the image shows, for readers who cannot see it.
    pub alt: String,
    pub caption: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
