//! Webhooks for partners (Standard Webhooks): endpoints with their signing
//! secrets, and the outbox of deliveries.
//!
//! Deliveries come from the change log: a worker reads each endpoint's
//! partner feed from the endpoint's own cursor and writes the deliveries
//! and the new cursor in one transaction, so a crash between a commit and
//! a send loses nothing; senders claim due deliveries with a lease (and
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL), so instances share the work.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WebhookEndpoint::Table)
                .col(uuid(WebhookEndpoint::Id).primary_key())
                .col(uuid(WebhookEndpoint::PartnerId))
                .col(string_len(WebhookEndpoint::Url, 2000))
                // `whsec_…`: HMAC keys must be kept to sign with.
                .col(string_len(WebhookEndpoint::Secret, 100))
                .col(string_len_null(WebhookEndpoint::PreviousSecret, 100))
                .col(timestamp_with_time_zone_null(WebhookEndpoint::PreviousSecretUntil))
                // Only an ADMIN sets it, for testing against local receivers.
                .col(boolean(WebhookEndpoint::AllowPrivateNetwork).default(false))
                // The feed position the endpoint starts after, and its cursor
                // once deliveries were written.
                .col(big_integer(WebhookEndpoint::StartPosition))
                .col(text_null(WebhookEndpoint::Cursor))
                .col(timestamp_with_time_zone(WebhookEndpoint::CreatedAt))
                .col(timestamp_with_time_zone_null(WebhookEndpoint::DisabledAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(WebhookEndpoint::Table, WebhookEndpoint::PartnerId)
                        .to(Partner::Table, Partner::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookDelivery::Table)
                // The message id receivers de-duplicate by (`webhook-id`).
                .col(uuid(WebhookDelivery::Id).primary_key())
                .col(uuid(WebhookDelivery::EndpointId))
                .col(string_len(WebhookDelivery::EventType, 40))
                .col(text(WebhookDelivery::Payload))
                .col(big_integer(WebhookDelivery::Position))
                .col(timestamp_with_time_zone(WebhookDelivery::CreatedAt))
                .col(
                    string_len(WebhookDelivery::State, 12)
                        .check(Expr::col(WebhookDelivery::State).is_in(["PENDING", "DELIVERED", "DEAD"]))
                        .to_owned(),
                )
                .col(integer(WebhookDelivery::Attempts).default(0))
                .col(timestamp_with_time_zone(WebhookDelivery::NextAttemptAt))
                .col(timestamp_with_time_zone_null(WebhookDelivery::LeaseUntil))
                .col(integer_null(WebhookDelivery::LastStatus))
                .col(text_null(WebhookDelivery::LastError))
                .col(timestamp_with_time_zone_null(WebhookDelivery::LastAttemptAt))
                .col(timestamp_with_time_zone_null(WebhookDelivery::DeliveredAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(WebhookDelivery::Table, WebhookDelivery::EndpointId)
                        .to(WebhookEndpoint::Table, WebhookEndpoint::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_delivery_due")
                .table(WebhookDelivery::Table)
                .col(WebhookDelivery::State)
                .col(WebhookDelivery::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_delivery_endpoint")
                .table(WebhookDelivery::Table)
                .col(WebhookDelivery::EndpointId)
                .col(WebhookDelivery::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WebhookDelivery::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(WebhookEndpoint::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Partner {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookEndpoint {
    Table,
    Id,
    PartnerId,
    Url,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    AllowPrivateNetwork,
    StartPosition,
    Cursor,
    CreatedAt,
    DisabledAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDelivery {
    Table,
    Id,
    EndpointId,
    EventType,
    Payload,
    Position,
    CreatedAt,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastStatus,
    LastError,
    LastAttemptAt,
    DeliveredAt,
}
