//! One webhook message to one endpoint, and how sending it went: the outbox.

use sea_orm::entity::prelude::*;

/// A delivery row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    /// The message id (`webhook-id`), the same on every attempt.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub endpoint_id: Uuid,
    /// `article.published`, `license.revoked`, …
    pub event_type: String,
    /// The JSON body sent.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// The change-log position of the change it tells of.
    pub position: i64,
    pub created_at: DateTimeUtc,
    /// `PENDING`, `DELIVERED` or `DEAD` (out of attempts).
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// While set and in the future, a sender holds it.
    pub lease_until: Option<DateTimeUtc>,
    /// The receiver's HTTP status on the last attempt.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
