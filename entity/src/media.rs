//! An image: the uploaded original with its metadata stripped, its size,
//! focal point and placeholder.

use sea_orm::entity::prelude::*;

/// A stored image.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "media")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// SHA-256 of the stored bytes, hex: the same upload is stored once.
    #[sea_orm(unique)]
    pub sha256: String,
    /// `png`, `jpeg`, `webp` or `gif`, as sniffed from the bytes.
    pub format: String,
    pub width: i32,
    pub height: i32,
    /// The original, re-encoded without metadata (EXIF, GPS, XMP).
    pub bytes: Vec<u8>,
    /// ThumbHash of the image, base64: a blurred preview to show while it
    /// loads.
    pub placeholder: String,
    /// Where the subject is, from 0 to 1 across and down, for crops.
    pub focal_x: f64,
    pub focal_y: f64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
