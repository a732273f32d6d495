//! A supervisor's name and profile in one locale.

use sea_orm::entity::prelude::*;

/// A supervisor translation row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervisor_translation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub supervisor_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub locale: String,
    pub name: String,
    /// Phonetic reading of the name (furigana), where it is known.
    pub name_reading: Option<String>,
    /// Job title, e.g. "院長".
    pub title: Option<String>,
    pub affiliation: Option<String>,
    pub bio: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(supervisor_id, locale, name, name_reading, title, affiliation, bio);
