//! Requests and articles one partner key was served on one day (UTC).

use sea_orm::entity::prelude::*;

/// A day's usage of one key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_daily")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key_id: Uuid,
    pub partner_id: Uuid,
    /// GraphQL requests answered (feeds and embeds included).
    pub requests: i64,
    /// Articles shown in those answers.
    pub articles: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
