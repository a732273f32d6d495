//! One revision of a physician's profile, kept whole.

use sea_orm::entity::prelude::*;

/// A numbered profile revision: the supervisor's document as it was saved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supervisor_profile")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub supervisor_id: Uuid,
    /// 1 for the profile as first saved, then one more per change of
    /// name, title, qualifications or career.
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i32,
    /// The profile as a JSON content document (the form of the YAML files).
    #[sea_orm(column_type = "Text")]
    pub document: String,
    pub saved_at: DateTimeUtc,
    /// The key's name, or `command line`.
    pub saved_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
