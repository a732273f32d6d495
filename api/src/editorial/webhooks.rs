//! Webhook endpoints: registering one (with its signing secret), rotating
//! the secret, and replaying deliveries. The deliveries themselves are
//! written and sent by `delivery::webhooks`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use entity::{partner, webhook_delivery, webhook_endpoint};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::editorial::audit::{self, Actor};
use crate::error::{Error, Result};
use crate::store::changes::Touched;
use crate::store::write::Followers;

/// Endpoints one partner may register: each costs a write per change and
/// a share of the senders.
pub const MAX_ENDPOINTS: u64 = 10;

/// How long the secret before a rotation still signs deliveries, so a
/// receiver can switch at its own pace.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);

/// A new signing secret: `whsec_` and 32 random bytes in base64, as the
/// Standard Webhooks libraries read it.
fn new_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal(format!("no random bytes: {e}")))?;
    Ok(format!("whsec_{}", STANDARD.encode(bytes)))
}

/// Checks an endpoint URL: absolute http(s), no credentials in it, at most
/// 2000 characters. Where it may point is checked again at every send.
fn check_url(url: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url).map_err(|e| Error::bad_input(format!("`url` is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http")
        || parsed.host_str().is_none()
        || !parsed.username().is_empty()
        || parsed.password().is_some()
        || url.len() > 2000
    {
        return Err(Error::bad_input(
            "`url` must be an http(s) URL of at most 2000 characters, without credentials",
        ));
    }
    Ok(parsed)
}

/// Registers an endpoint for partner `partner` (by slug); returns it with
/// its secret. Deliveries start with the changes after this one.
/// `allow_private_network` lets it name a private or loopback address:
/// an ADMIN's choice, for testing.
pub async fn register(
    db: &DatabaseConnection,
    actor: Actor<'_>,
    partner: &str,
    url: &str,
    allow_private_network: bool,
) -> Result<webhook_endpoint::Model> {
    check_url(url)?;
    let txn = crate::store::db::begin_write(db).await?;
    let found = partner::Entity::find()
        .filter(partner::Column::Slug.eq(partner))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::bad_input(format!("no partner `{partner}`")))?;
    let registered = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::PartnerId.eq(found.id))
        .filter(webhook_endpoint::Column::DisabledAt.is_null())
        .count(&txn)
        .await?;
    if registered >= MAX_ENDPOINTS {
        return Err(Error::bad_input(format!(
            "`{partner}` has {registered} endpoints already, the most a partner may have"
        )));
    }
    let start = crate::store::changes::latest(&txn).await?;
    let row = webhook_endpoint::Entity::insert(webhook_endpoint::ActiveModel {
        id: ActiveValue::Set(Uuid::now_v7()),
        partner_id: ActiveValue::Set(found.id),
        url: ActiveValue::Set(url.to_owned()),
        secret: ActiveValue::Set(new_secret()?),
        previous_secret: ActiveValue::Set(None),
        previous_secret_until: ActiveValue::Set(None),
        allow_private_network: ActiveValue::Set(allow_private_network),
        start_position: ActiveValue::Set(start),
        cursor: ActiveValue::Set(None),
        created_at: ActiveValue::Set(crate::store::clock::stored_now()),
        disabled_at: ActiveValue::Set(None),
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "WEBHOOK_REGISTER",
        &format!("webhook:{}", row.id),
        &format!(
            "partner {partner}; url {url}{}",
            if allow_private_network {
                "; private network allowed"
            } else {
                ""
            }
        ),
    )
    .await?;
    crate::store::write::commit(
        txn,
        crate::store::changes::Kind::Edit,
        &Touched::default(),
        &Followers::none(),
    )
    .await?;
    Ok(row)
}

/// The endpoint with this id.
pub async fn endpoint(db: &DatabaseConnection, id: Uuid) -> Result<webhook_endpoint::Model> {
    webhook_endpoint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no webhook endpoint `{id}`")))
}

/// Every endpoint, of one partner (by id) or all, oldest first.
pub async fn endpoints(db: &DatabaseConnection, partner: Option<Uuid>) -> Result<Vec<webhook_endpoint::Model>> {
    let mut query = webhook_endpoint::Entity::find().order_by_asc(webhook_endpoint::Column::CreatedAt);
    if let Some(partner) = partner {
        query = query.filter(webhook_endpoint::Column::PartnerId.eq(partner));
    }
    Ok(query.all(db).await?)
}

/// Gives endpoint `id` a new secret; the old one still signs for
/// [`ROTATION_OVERLAP`]. Returns the endpoint with its new secret.
pub async fn rotate(db: &DatabaseConnection, actor: Actor<'_>, id: Uuid) -> Result<webhook_endpoint::Model> {
    let txn = crate::store::db::begin_write(db).await?;
    let mut find = webhook_endpoint::Entity::find_by_id(id);
    // Two rotations at once must not lose a secret.
    if sea_orm::ConnectionTrait::get_database_backend(&txn) == sea_orm::DbBackend::Postgres {
        find = find.lock_exclusive();
    }
    let found = find
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no webhook endpoint `{id}`")))?;
    let mut row: webhook_endpoint::ActiveModel = found.clone().into();
    row.previous_secret = ActiveValue::Set(Some(found.secret));
    row.previous_secret_until = ActiveValue::Set(Some(crate::store::clock::stored_now() + ROTATION_OVERLAP));
    row.secret = ActiveValue::Set(new_secret()?);
    let updated = webhook_endpoint::Entity::update(row).exec(&txn).await?;
    audit::record(
        &txn,
        actor,
        "WEBHOOK_ROTATE",
        &format!("webhook:{id}"),
        "secret rotated",
    )
    .await?;
    crate::store::write::commit(
        txn,
        crate::store::changes::Kind::Edit,
        &Touched::default(),
        &Followers::none(),
    )
    .await?;
    Ok(updated)
}

/// Sends the dead deliveries of endpoint `id` again (every delivery, with
/// `all`), from the first attempt; returns how many.
pub async fn replay(db: &DatabaseConnection, actor: Actor<'_>, id: Uuid, all: bool) -> Result<u64> {
    let txn = crate::store::db::begin_write(db).await?;
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::State, Expr::value("PENDING"))
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(0))
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::value(crate::store::clock::stored_now()),
        )
        .col_expr(
            webhook_delivery::Column::LeaseUntil,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .filter(webhook_delivery::Column::EndpointId.eq(id))
        // Not one a sender holds now: its outcome is still to come.
        .filter(
            sea_orm::Condition::any()
                .add(webhook_delivery::Column::LeaseUntil.is_null())
                .add(webhook_delivery::Column::LeaseUntil.lt(crate::store::clock::stored_now())),
        );
    if !all {
        update = update.filter(webhook_delivery::Column::State.eq("DEAD"));
    }
    let replayed = update.exec(&txn).await?.rows_affected;
    audit::record(
        &txn,
        actor,
        "WEBHOOK_REPLAY",
        &format!("webhook:{id}"),
        &format!("{replayed} deliveries{}", if all { " (all)" } else { " (dead)" }),
    )
    .await?;
    crate::store::write::commit(
        txn,
        crate::store::changes::Kind::Edit,
        &Touched::default(),
        &Followers::none(),
    )
    .await?;
    Ok(replayed)
}

/// The newest `limit` deliveries of endpoint `id`, newest first.
pub async fn deliveries(db: &DatabaseConnection, id: Uuid, limit: u64) -> Result<Vec<webhook_delivery::Model>> {
    Ok(webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(id))
        .order_by_desc(webhook_delivery::Column::CreatedAt)
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit.min(1000))
        .all(db)
        .await?)
}
