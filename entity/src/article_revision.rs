//! One saved revision of an article, kept whole.

use sea_orm::entity::prelude::*;

/// A numbered revision: the article's document as it was saved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "article_revision")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub article_id: Uuid,
    /// 1 for the first revision, then one more per save.
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i32,
    /// The revision the edit started from; null for the first.
    pub base_revision: Option<i32>,
    /// The article as a JSON content document (the form of the YAML files).
    #[sea_orm(column_type = "Text")]
    pub document: String,
    pub saved_at: DateTimeUtc,
    /// The key's name, or `command line`.
    pub saved_by: String,
    /// What the editor said the change was, if anything.
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
