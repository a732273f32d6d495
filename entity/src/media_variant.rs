//! A resized copy of an image, made on first request and kept.

use sea_orm::entity::prelude::*;

/// One width in one format.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media_variant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub media_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub width: i32,
    /// `webp` or `jpeg`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub format: String,
    pub bytes: Vec<u8>,
    /// The strong entity tag of `bytes`.
    pub etag: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
