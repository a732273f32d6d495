//! A physician (or other contributor) who supervises articles.

use sea_orm::entity::prelude::*;

/// A supervisor row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervisor")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub photo_url: Option<String>,
    pub source_locale: String,
    /// Shown to readers even while no visible article uses it.
    pub is_public: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The profile's current revision: one more per change of name, title,
    /// qualifications or career.
    pub profile_revision: i32,
    /// The newest profile revision the physician's own key stood behind,
    /// by signing off or by confirming it.
    pub confirmed_profile_revision: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(
    id,
    slug,
    photo_url,
    source_locale,
    is_public,
    created_at,
    updated_at,
    profile_revision,
    confirmed_profile_revision
);
