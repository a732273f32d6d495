//! How many articles have a `visible_from`, per scope (`all`,
//! `category:<uuid>`): `totalCount` without counting the corpus.

use sea_orm::entity::prelude::*;

/// A count row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "article_count")]
pub struct Model {
    /// `all`, or `category:` and the category's id (simple form).
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    /// Articles in the scope that are public or scheduled to become so.
    pub articles: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
