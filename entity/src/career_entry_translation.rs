//! A career step in one locale.

use sea_orm::entity::prelude::*;

/// A career entry translation row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "career_entry_translation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub career_entry_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub locale: String,
    /// The step as the profile states it.
    pub text: String,
    pub organization: Option<String>,
    pub role: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(career_entry_id, locale, text, organization, role);
