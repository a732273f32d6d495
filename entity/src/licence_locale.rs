//! A locale a licence covers.

use sea_orm::entity::prelude::*;

/// A licence's locale.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "licence_locale")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub licence_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub locale: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
