//! Webhook deliveries to partners, following the Standard Webhooks
//! specification.
//!
//! - **From the change log, through an outbox.** [`Worker::enqueue`] reads
//!   each endpoint's partner feed (`delivery::feed`) from the endpoint's own
//!   cursor and writes the deliveries and the new cursor in one
//!   transaction: a crash between a content commit and a send loses
//!   nothing, and a crash mid-way writes nothing twice. On PostgreSQL the
//!   endpoint row is taken `FOR UPDATE SKIP LOCKED`, so two instances never
//!   write one endpoint's deliveries twice.
//! - **Claimed with a lease.** [`Worker::dispatch`] claims due deliveries by
//!   setting a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), sends each
//!   in a task of its own, and records the outcome. A sender that dies
//!   leaves its lease to run out; another sends again: at least once, with
//!   the same `webhook-id` for de-duplication.
//! - **Retries** back off exponentially with jitter; after the last attempt
//!   a delivery is `DEAD` until an ADMIN replays it.
//! - **Isolation.** Each send has a timeout, an endpoint has at most
//!   [`PER_ENDPOINT`] sends in flight and the worker [`IN_FLIGHT`]; sends
//!   run beside the API, never in a request. A slow or dead receiver holds
//!   up only its own deliveries.
//! - **Where it may send.** Only to the registered URL: no redirects, no
//!   proxies, and no private, loopback or link-local address — checked on
//!   every address a name resolves to, and on literal addresses — unless an
//!   ADMIN allowed it for the endpoint (for testing).

pub mod sign;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{webhook_delivery, webhook_endpoint};
use sea_orm::{
    ActiveValue, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QuerySelect,
    Statement,
};
use serde_json::json;
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::feed::{self, Position, TombstoneReason};
use crate::delivery::ids::{Kind, global_id};
use crate::error::{Error, Result};

/// Sends in flight to one endpoint at most.
pub const PER_ENDPOINT: usize = 4;

/// Sends in flight from one worker at most.
pub const IN_FLIGHT: usize = 64;

/// Endpoints whose deliveries one worker writes at once.
pub const ENQUEUE_AT_ONCE: usize = 8;

/// How a worker sends and retries.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Attempts before a delivery is dead.
    pub max_attempts: i32,
    /// The wait after the first failed attempt; each next one is four
    /// times longer (with ±25 % jitter), up to six hours.
    pub retry_base: Duration,
    /// The longest a receiver may take to answer.
    pub timeout: Duration,
    /// How long a claimed delivery stays another sender's: longer than a
    /// send can take.
    pub lease: Duration,
    /// How often the worker looks for work.
    pub poll: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            retry_base: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(250),
        }
    }
}

/// Sends the deliveries of one process.
pub struct Worker {
    db: DatabaseConnection,
    settings: Settings,
    /// For endpoints on the public internet: refuses private addresses.
    public: reqwest::Client,
    /// For endpoints an ADMIN allowed on a private network.
    private: reqwest::Client,
    in_flight: Arc<Semaphore>,
    per_endpoint: Mutex<HashMap<Uuid, Arc<Semaphore>>>,
}

impl Worker {
    /// A worker on `db`.
    pub fn new(db: DatabaseConnection, settings: Settings) -> Result<Arc<Self>> {
        let client = |public: bool| {
            let mut builder = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .timeout(settings.timeout)
                .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
                .user_agent(concat!("Kiji-Webhooks/", env!("CARGO_PKG_VERSION")));
            if public {
                builder = builder.dns_resolver(Arc::new(PublicOnly));
            }
            builder
                .build()
                .map_err(|e| Error::Internal(format!("webhook client: {e}")))
        };
        Ok(Arc::new(Self {
            db,
            public: client(true)?,
            private: client(false)?,
            settings,
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
            per_endpoint: Mutex::new(HashMap::new()),
        }))
    }

    /// Runs until the process ends: writes and sends deliveries.
    pub async fn run(self: Arc<Self>) {
        loop {
            if let Err(err) = self.enqueue().await {
                tracing::warn!(error = %err, "writing webhook deliveries failed");
            }
            if let Err(err) = self.dispatch().await {
                tracing::warn!(error = %err, "sending webhook deliveries failed");
            }
            tokio::time::sleep(self.settings.poll).await;
        }
    }

    /// Writes the deliveries of every endpoint whose partner feed moved;
    /// returns how many.
    pub async fn enqueue(&self) -> Result<usize> {
        use futures_util::StreamExt as _;
        let latest = crate::store::changes::latest(&self.db).await?;
        let endpoints = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::DisabledAt.is_null())
            .all(&self.db)
            .await?;
        let behind: Vec<Uuid> = endpoints
            .iter()
            .filter(|e| position_of(e).is_ok_and(|p| p < Position::whole(latest)))
            .map(|e| e.id)
            .collect();
        // Endpoints side by side: each is its own transaction, and one
        // endpoint's failure holds back none of the others.
        let written: Vec<Result<usize>> = futures_util::stream::iter(behind)
            .map(|id| async move {
                let mut written = 0;
                loop {
                    let (n, more) = self.enqueue_page(id).await?;
                    written += n;
                    if !more {
                        return Ok(written);
                    }
                }
            })
            .buffer_unordered(ENQUEUE_AT_ONCE)
            .collect()
            .await;
        let mut total = 0;
        for result in written {
            match result {
                Ok(n) => total += n,
                Err(err) => tracing::warn!(error = %err, "writing an endpoint's webhook deliveries failed"),
            }
        }
        Ok(total)
    }

    /// Writes one page of endpoint `id`'s deliveries; returns how many and
    /// whether its feed has more.
    async fn enqueue_page(&self, id: Uuid) -> Result<(usize, bool)> {
        let txn = crate::store::db::begin_write(&self.db).await?;
        let mut find = webhook_endpoint::Entity::find_by_id(id);
        if txn.get_database_backend() == DbBackend::Postgres {
            find = find.lock_with_behavior(
                sea_orm::sea_query::LockType::Update,
                sea_orm::sea_query::LockBehavior::SkipLocked,
            );
        }
        // Another instance is writing this endpoint's deliveries.
        let Some(endpoint) = find.one(&txn).await? else {
            txn.rollback().await?;
            return Ok((0, false));
        };
        // The log's position first, then the licences (see `feed::page`).
        let upto = crate::store::changes::latest(&txn).await?;
        let grants = crate::editorial::partners::of_partner(&txn, endpoint.partner_id).await?;
        let after = position_of(&endpoint)?.cursor();
        let page = feed::page(&txn, &feed::Reader::Partner(grants), Some(&after), 500, upto).await?;
        let now = crate::store::clock::stored_now();
        let messages = messages(&page.events);
        let count = messages.len();
        let rows: Vec<webhook_delivery::ActiveModel> = messages
            .into_iter()
            .map(|(kind, position, payload)| webhook_delivery::ActiveModel {
                id: ActiveValue::Set(Uuid::now_v7()),
                endpoint_id: ActiveValue::Set(endpoint.id),
                event_type: ActiveValue::Set(kind.to_owned()),
                payload: ActiveValue::Set(payload.to_string()),
                position: ActiveValue::Set(position),
                created_at: ActiveValue::Set(now),
                state: ActiveValue::Set("PENDING".to_owned()),
                attempts: ActiveValue::Set(0),
                next_attempt_at: ActiveValue::Set(now),
                lease_until: ActiveValue::Set(None),
                last_status: ActiveValue::Set(None),
                last_error: ActiveValue::Set(None),
                last_attempt_at: ActiveValue::Set(None),
                delivered_at: ActiveValue::Set(None),
            })
            .collect();
        for chunk in rows.chunks(200) {
            webhook_delivery::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        let mut row: webhook_endpoint::ActiveModel = endpoint.into();
        row.cursor = ActiveValue::Set(Some(page.end.cursor()));
        webhook_endpoint::Entity::update(row).exec(&txn).await?;
        txn.commit().await?;
        Ok((count, page.has_more))
    }

    /// Claims the deliveries that are due, as many as their endpoints have
    /// room for, and sends each in a task; returns how many it claimed.
    pub async fn dispatch(self: &Arc<Self>) -> Result<usize> {
        let now = crate::store::clock::stored_now();
        // The few oldest due deliveries of each endpoint, looked for
        // without the write lock (most passes find nothing): one endpoint's
        // backlog never hides another's work.
        let backend = self.db.get_database_backend();
        let sql = format!(
            "SELECT id, endpoint_id FROM (\
               SELECT id, endpoint_id, next_attempt_at, position, ROW_NUMBER() OVER (\
                 PARTITION BY endpoint_id ORDER BY next_attempt_at, position) AS n \
               FROM webhook_delivery WHERE state = 'PENDING' AND next_attempt_at <= {p1} \
               AND (lease_until IS NULL OR lease_until < {p1})) due \
             WHERE n <= {PER_ENDPOINT} ORDER BY next_attempt_at, position LIMIT 1000",
            p1 = if backend == DbBackend::Postgres { "$1" } else { "?1" },
        );
        let due: Vec<(Uuid, Uuid)> = self
            .db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, [now.into()]))
            .await?
            .iter()
            .map(|row| Ok((row.try_get_by_index::<Uuid>(0)?, row.try_get_by_index::<Uuid>(1)?)))
            .collect::<std::result::Result<_, sea_orm::DbErr>>()?;
        if due.is_empty() {
            return Ok(0);
        }
        let mut wanted = Vec::new();
        let mut room: HashMap<Uuid, usize> = HashMap::new();
        for (id, endpoint) in &due {
            let free = *room
                .entry(*endpoint)
                .or_insert_with(|| self.endpoint_permits(*endpoint).available_permits());
            if free > 0 && wanted.len() < self.in_flight.available_permits() {
                room.insert(*endpoint, free - 1);
                wanted.push(*id);
            }
        }
        let lease = now + chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::seconds(60));
        let claimed = self.claim(&wanted, now, lease).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let deliveries = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::Id.is_in(claimed.iter().copied()))
            .filter(webhook_delivery::Column::LeaseUntil.eq(lease))
            .all(&self.db)
            .await?;
        let endpoints: HashMap<Uuid, webhook_endpoint::Model> = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::Id.is_in(deliveries.iter().map(|d| d.endpoint_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let count = deliveries.len();
        for delivery in deliveries {
            let Some(endpoint) = endpoints.get(&delivery.endpoint_id).cloned() else {
                continue;
            };
            let (Ok(global), Ok(own)) = (
                self.in_flight.clone().try_acquire_owned(),
                self.endpoint_permits(endpoint.id).try_acquire_owned(),
            ) else {
                // Room was counted above; without it, the lease runs out
                // and the delivery is claimed again.
                continue;
            };
            let worker = self.clone();
            tokio::spawn(async move {
                let _permits = (global, own);
                let outcome = worker.send(&endpoint, &delivery).await;
                if let Err(err) = worker.record(&delivery, lease, outcome).await {
                    tracing::warn!(delivery = %delivery.id, error = %err, "recording a webhook delivery failed");
                }
            });
        }
        Ok(count)
    }

    fn endpoint_permits(&self, endpoint: Uuid) -> Arc<Semaphore> {
        let mut map = self.per_endpoint.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(endpoint)
            .or_insert_with(|| Arc::new(Semaphore::new(PER_ENDPOINT)))
            .clone()
    }

    /// Takes the lease of those of `ids` that are still due and that no
    /// one else holds, counting the attempt; returns them. The lease's time
    /// is the token its holder records the outcome with.
    async fn claim(&self, ids: &[Uuid], now: DateTime<Utc>, lease: DateTime<Utc>) -> Result<Vec<Uuid>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let backend = self.db.get_database_backend();
        let list = ids.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(",");
        let due = "state = 'PENDING' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2)";
        let sql = match backend {
            DbBackend::Postgres => format!(
                "UPDATE webhook_delivery SET lease_until = $1, attempts = attempts + 1, last_attempt_at = $2 \
                 WHERE id IN (SELECT id FROM webhook_delivery WHERE id IN ({list}) AND {due} \
                 FOR UPDATE SKIP LOCKED) RETURNING id"
            ),
            _ => format!(
                "UPDATE webhook_delivery SET lease_until = ?1, attempts = attempts + 1, last_attempt_at = ?2 \
                 WHERE id IN ({}) AND {} RETURNING id",
                (0..ids.len())
                    .map(|i| format!("?{}", i + 3))
                    .collect::<Vec<_>>()
                    .join(","),
                due.replace("$2", "?2")
            ),
        };
        let mut values: Vec<sea_orm::Value> = vec![lease.into(), now.into()];
        if backend != DbBackend::Postgres {
            values.extend(ids.iter().map(|id| sea_orm::Value::from(*id)));
        }
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        rows.iter()
            .map(|row| row.try_get_by_index::<Uuid>(0).map_err(Error::from))
            .collect()
    }

    /// Sends one delivery; the receiver's status, or why there was none.
    async fn send(&self, endpoint: &webhook_endpoint::Model, delivery: &webhook_delivery::Model) -> Outcome {
        let url = match reqwest::Url::parse(&endpoint.url) {
            Ok(url) => url,
            Err(e) => return Outcome::Failed(format!("not a URL: {e}")),
        };
        if !endpoint.allow_private_network
            && let Some(ip) = literal_ip(&url)
            && !is_public(ip)
        {
            return Outcome::Failed(format!("{ip} is not a public address"));
        }
        let id = format!("msg_{}", delivery.id.simple());
        let timestamp = Utc::now().timestamp();
        let mut secrets = vec![endpoint.secret.as_str()];
        if let (Some(previous), Some(until)) = (&endpoint.previous_secret, endpoint.previous_secret_until)
            && until > Utc::now()
        {
            secrets.push(previous);
        }
        let Some(signature) = sign::header(&secrets, &id, timestamp, &delivery.payload) else {
            return Outcome::Failed("the endpoint's secret cannot sign".to_owned());
        };
        let client = if endpoint.allow_private_network {
            &self.private
        } else {
            &self.public
        };
        let sent = client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.payload.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Outcome::Delivered(response.status().as_u16()),
            Ok(response) => Outcome::Refused(response.status().as_u16()),
            Err(e) => Outcome::Failed(describe(&e)),
        }
    }

    /// Records how an attempt went — delivered, due again later, or dead —
    /// if the lease taken for it is still this sender's (a sender that
    /// outlived its lease leaves the row to whoever holds it now).
    async fn record(&self, delivery: &webhook_delivery::Model, lease: DateTime<Utc>, outcome: Outcome) -> Result<()> {
        use sea_orm::sea_query::Expr;
        let now = crate::store::clock::stored_now();
        let (status, error) = match &outcome {
            Outcome::Delivered(status) => (Some(i32::from(*status)), None),
            Outcome::Refused(status) => (Some(i32::from(*status)), Some(format!("answered {status}"))),
            Outcome::Failed(why) => (None, Some(why.clone())),
        };
        let mut update = webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(webhook_delivery::Column::LastStatus, Expr::value(status))
            .col_expr(webhook_delivery::Column::LastError, Expr::value(error));
        update = if let Outcome::Delivered(_) = outcome {
            update
                .col_expr(webhook_delivery::Column::State, Expr::value("DELIVERED"))
                .col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(Some(now)))
        } else if delivery.attempts >= self.settings.max_attempts {
            update.col_expr(webhook_delivery::Column::State, Expr::value("DEAD"))
        } else {
            update.col_expr(
                webhook_delivery::Column::NextAttemptAt,
                Expr::value(now + backoff(self.settings.retry_base, delivery.attempts)),
            )
        };
        let txn = crate::store::db::begin_write(&self.db).await?;
        update
            .filter(webhook_delivery::Column::Id.eq(delivery.id))
            .filter(webhook_delivery::Column::LeaseUntil.eq(lease))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// What one attempt came to.
#[derive(Debug)]
enum Outcome {
    /// A 2xx answer.
    Delivered(u16),
    /// Any other answer.
    Refused(u16),
    /// No answer: refused address, connection, timeout.
    Failed(String),
}

/// The wait after attempt `attempts` failed: `base` × 4^(attempts−1), at
/// most six hours, ±25 % so receivers that failed together are not
/// retried together.
pub fn backoff(base: Duration, attempts: i32) -> chrono::Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(16);
    let wait = base
        .saturating_mul(4u32.saturating_pow(exponent))
        .min(Duration::from_secs(6 * 3600));
    let mut byte = [0u8; 1];
    let jitter = if getrandom::fill(&mut byte).is_ok() {
        0.75 + f64::from(byte[0]) / 255.0 * 0.5
    } else {
        1.0
    };
    chrono::Duration::from_std(wait.mul_f64(jitter)).unwrap_or(chrono::Duration::hours(6))
}

/// The feed position endpoint `endpoint` has written deliveries up to.
fn position_of(endpoint: &webhook_endpoint::Model) -> Result<Position> {
    match &endpoint.cursor {
        Some(cursor) => Position::decode(cursor),
        None => Ok(Position::whole(endpoint.start_position)),
    }
}

/// The messages a page of partner feed events makes: one per article
/// locale, and one per licence change, naming the article locales it
/// brought or took away.
fn messages(events: &[feed::Event]) -> Vec<(&'static str, i64, serde_json::Value)> {
    let mut out: Vec<(&'static str, i64, serde_json::Value)> = Vec::new();
    let mut licence_at: HashMap<(i64, Uuid), usize> = HashMap::new();
    for event in events {
        let item = json!({
            "articleId": global_id(Kind::Article, event.at.article),
            "locale": event.at.locale,
        });
        if let Some(licence) = event.licence {
            let key = (event.at.change, licence);
            let at = *licence_at.entry(key).or_insert_with(|| {
                let (kind, reason) = match event.kind.as_str() {
                    "LICENCE_REVOKED" => ("license.revoked", Some("REVOKED")),
                    "LICENCE_ENDED" => ("license.revoked", Some("ENDED")),
                    _ => ("license.granted", None),
                };
                out.push((
                    kind,
                    event.at.change,
                    json!({
                        "type": kind,
                        "timestamp": event.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        "data": { "licenseId": licence, "reason": reason, "articles": [] },
                    }),
                ));
                out.len() - 1
            });
            if let Some(articles) = out[at].2["data"]["articles"].as_array_mut() {
                articles.push(item);
            }
            if let Some(data) = out[at].2["data"].as_object_mut() {
                data.insert("cursor".to_owned(), json!(event.at.cursor()));
                data.insert("position".to_owned(), json!(event.at.change));
            }
            continue;
        }
        let kind = match (event.tombstone, event.was) {
            (Some(_), _) => "article.unpublished",
            (None, true) => "article.updated",
            (None, false) => "article.published",
        };
        let mut data = item;
        if let Some(data) = data.as_object_mut() {
            data.insert("cursor".to_owned(), json!(event.at.cursor()));
            // Deliveries to one endpoint run side by side and retry on their
            // own: receivers order them by the change-log position.
            data.insert("position".to_owned(), json!(event.at.change));
            data.insert("reason".to_owned(), json!(event.tombstone.map(reason_name)));
        }
        out.push((
            kind,
            event.at.change,
            json!({
                "type": kind,
                "timestamp": event.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "data": data,
            }),
        ));
    }
    out
}

/// The schema's spelling of a tombstone's reason.
fn reason_name(reason: TombstoneReason) -> &'static str {
    match reason {
        TombstoneReason::Unpublished => "UNPUBLISHED",
        TombstoneReason::Archived => "ARCHIVED",
        TombstoneReason::Deleted => "DELETED",
        TombstoneReason::LocaleWithdrawn => "LOCALE_WITHDRAWN",
        TombstoneReason::LicenceEnded => "LICENCE_ENDED",
        TombstoneReason::LicenceRevoked => "LICENCE_REVOKED",
        TombstoneReason::OutOfLicence => "OUT_OF_LICENCE",
    }
}

/// A failed send, said without the URL's query (which may hold a token).
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_redirect() {
        "redirected (not followed)"
    } else {
        "failed"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    let mut detail = String::new();
    while let Some(inner) = source {
        detail = inner.to_string();
        source = inner.source();
    }
    if detail.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {detail}")
    }
}

/// The address a URL names literally, if it does.
fn literal_ip(url: &reqwest::Url) -> Option<IpAddr> {
    url.host_str()?.trim_matches(['[', ']']).parse().ok()
}

/// Whether `ip` is on the public internet: not loopback, private,
/// link-local, shared (CGNAT), unspecified, multicast, documentation or
/// benchmarking, nor an IPv6 form of one.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let segments = v6.segments();
            let embedded = |high: u16, low: u16| {
                IpAddr::V4(std::net::Ipv4Addr::new(
                    (high >> 8) as u8,
                    high as u8,
                    (low >> 8) as u8,
                    low as u8,
                ))
            };
            // Prefixes that carry an IPv4 address reach it: NAT64
            // (64:ff9b::/96) and 6to4 (2002::/16) are as public as the
            // address inside; Teredo (2001::/32) tunnels anywhere.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public(embedded(segments[6], segments[7]));
            }
            if segments[0] == 0x2002 {
                return is_public(embedded(segments[1], segments[2]));
            }
            if segments[0] == 0x2001 && segments[1] == 0 {
                return false;
            }
            let first = segments[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

/// A resolver that answers only public addresses, so a name that resolves
/// to an internal address (or is made to, later) reaches nothing inside.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = found.filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{} resolves to no public address", name.as_str()).into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2002:7f00:1::",
            "2001:0:4136:e378::1",
            "192.0.0.8",
        ] {
            assert!(
                !is_public(private.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]))),
                "{private}"
            );
        }
        for public in ["93.184.216.34", "2606:4700::1111"] {
            assert!(
                is_public(public.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]))),
                "{public}"
            );
        }
    }

    #[test]
    fn retries_back_off_four_times_longer_with_jitter_and_a_ceiling() {
        let base = Duration::from_secs(5);
        for attempts in 1..=10 {
            let wait = backoff(base, attempts).num_milliseconds() as f64;
            let nominal = (5000.0 * 4f64.powi(attempts - 1)).min(6.0 * 3600.0 * 1000.0);
            assert!(wait >= nominal * 0.74 && wait <= nominal * 1.26, "{attempts}: {wait}");
        }
    }
}
