//! What readers could see of one article before and after one change.

use sea_orm::entity::prelude::*;

/// A change's view of one article. `locales` and `prev_locales` are JSON
/// arrays of the locales the public could read (empty when it could read
/// none); a partner's view narrows them by its licences.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_article")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub article_id: Uuid,
    /// Null once the article is deleted.
    pub category_id: Option<Uuid>,
    /// The article's status after the change; null once deleted.
    pub status: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub locales: String,
    pub prev_category_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub prev_locales: String,
    /// Set on the rows of a licence's change: they concern its partner only.
    pub licence_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
