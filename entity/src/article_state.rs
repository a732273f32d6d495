//! The latest `change_article` view of each article: the "before" of its
//! next change.

use sea_orm::entity::prelude::*;

/// An article's view as of its latest change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "article_state")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub article_id: Uuid,
    pub category_id: Option<Uuid>,
    pub status: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub locales: String,
    /// The change that left it so.
    pub position: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
