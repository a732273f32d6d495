//! A GraphQL document registered ahead of time, by the SHA-256 of its text.

use sea_orm::entity::prelude::*;

/// A trusted document row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trusted_document")]
pub struct Model {
    /// Lower-case hex SHA-256 of `document`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    /// Where it came from, e.g. the file name.
    pub name: Option<String>,
    pub document: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
