//! An API key: a role granted to whoever holds a random token.

use crate::enums::Role;
use sea_orm::entity::prelude::*;

/// An API key row. The token itself is never stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Who or what holds it, e.g. "ios-app" or "editor: column desk".
    pub name: String,
    pub role: Role,
    /// Lower-case hex SHA-256 of the token.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// The token's first characters, shown in listings.
    pub prefix: String,
    pub created_at: DateTimeUtc,
    /// Set when revoked; a revoked key authenticates nobody.
    pub revoked_at: Option<DateTimeUtc>,
    /// For a SUPERVISOR key, the physician it signs off for.
    pub supervisor_id: Option<Uuid>,
    /// For a PREVIEW key limited to one article: that article.
    pub article_id: Option<Uuid>,
    /// For a PARTNER key: the partner it reads for.
    pub partner_id: Option<Uuid>,
    /// A feed token: accepted only in feed and embed URLs, never by
    /// `/graphql`.
    pub feed_only: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
