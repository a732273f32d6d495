//! A partner's webhook endpoint and its signing secrets.

use sea_orm::entity::prelude::*;

/// An endpoint row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoint")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub partner_id: Uuid,
    /// Where deliveries go; nowhere else (no redirects).
    pub url: String,
    /// The signing secret, `whsec_` and base64.
    pub secret: String,
    /// The secret before the last rotation, still signed with until
    /// `previous_secret_until`.
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    /// Whether the URL may name a private or loopback address (testing).
    pub allow_private_network: bool,
    /// The change-log position deliveries start after.
    pub start_position: i64,
    /// The partner feed's cursor up to which deliveries are written.
    #[sea_orm(column_type = "Text", nullable)]
    pub cursor: Option<String>,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
