//! API keys and the roles they carry (DESIGN.md, "Access").
//!
//! A token is `kiji_` followed by 32 random bytes in URL-safe base64: 256
//! bits a guess cannot reach. Only its SHA-256 is stored. A request names
//! its key in `Authorization: Bearer …`; without one it is the public role.
//! Tokens are looked up by hash (an index) and the stored hash is compared
//! again in constant time, so neither the lookup nor the comparison tells
//! an attacker how close a guess came. A plain hash is enough here: unlike
//! a password, a token has all the entropy it needs.

use std::num::NonZeroU32;
use std::time::Duration;

use base64::Engine as _;
use entity::api_key;
use entity::enums::Role;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sea_orm::{ActiveValue, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// The prefix of every token, so a leaked one is recognisable by scanners.
const TOKEN_PREFIX: &str = "kiji_";
/// The longest `Authorization` value looked at; anything longer is no token.
const MAX_TOKEN_LEN: usize = 128;

pub use super::principal::Principal;

/// Why a request's credentials were refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A missing, malformed, unknown or revoked key; one message for all, so
    /// a response never tells which. → `UNAUTHENTICATED`
    #[error("the API key is not valid; send `Authorization: Bearer <token>` with a current key, or no header at all")]
    Invalid,
    /// The key sent too many requests, or its address sent too many bad
    /// keys. → `RATE_LIMITED`
    #[error("too many requests with this key, or too many invalid keys from this address; retry after {retry_after} s")]
    RateLimited {
        /// Seconds until the next request is allowed.
        retry_after: u64,
    },
    /// The database could not be asked. → `INTERNAL`
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// A new token and its stored hash.
fn new_token() -> Result<(String, String), getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash(&token);
    Ok((token, hash))
}

/// Lower-case hex SHA-256 of a token.
fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The token of an `Authorization: Bearer …` value, if it looks like one.
fn bearer(value: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer")
        && token.len() <= MAX_TOKEN_LEN
        && token.starts_with(TOKEN_PREFIX)
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then_some(token)
}

/// Who sent a request with this `Authorization` value (`None`: no header).
pub async fn authenticate(db: &DatabaseConnection, authorization: Option<&[u8]>) -> Result<Principal, AuthError> {
    let Some(value) = authorization else {
        return Ok(Principal::Public);
    };
    let token = bearer(value).ok_or(AuthError::Invalid)?;
    let wanted = hash(token);
    let row = api_key::Entity::find()
        .filter(api_key::Column::TokenHash.eq(wanted.as_str()))
        .one(db)
        .await?
        .ok_or(AuthError::Invalid)?;
    let same: bool = row.token_hash.as_bytes().ct_eq(wanted.as_bytes()).into();
    if !same || row.revoked_at.is_some() {
        return Err(AuthError::Invalid);
    }
    Ok(Principal::Key {
        id: row.id,
        name: row.name,
        role: row.role,
        supervisor: row.supervisor_id,
        article: row.article_id,
        partner: row.partner_id,
        feed_only: row.feed_only,
    })
}

/// Requests per key and minute, with bursts up to the same number.
pub struct KeyLimits {
    limiter: Option<DefaultKeyedRateLimiter<Uuid>>,
}

impl KeyLimits {
    /// A limit of `per_minute` requests per key; 0 turns limiting off.
    pub fn new(per_minute: u32) -> Self {
        Self {
            limiter: NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n))),
        }
    }

    /// Counts one request of `principal`; the public role is bounded by
    /// `--max-in-flight` instead.
    pub fn check(&self, principal: &Principal) -> Result<(), AuthError> {
        let (Some(limiter), Principal::Key { id, .. }) = (&self.limiter, principal) else {
            return Ok(());
        };
        limiter.check_key(id).map_err(|not_until| {
            let wait: Duration = not_until.wait_time_from(DefaultClock::default().now());
            AuthError::RateLimited {
                retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }
}

/// Failed authentications per client address (`--auth-failure-limit` a
/// minute, in bursts of as many). An address past it gets `429` with
/// `Retry-After` for every request that sends a key this instance has not
/// seen authenticate lately, before the key is looked up: guessing costs
/// the guesser time, not the database lookups, while the editors who share
/// an address with a guesser (behind one proxy or NAT) keep working.
/// Requests without a key are never held back by it.
///
/// IPv6 addresses count by their /64 (one host usually holds a whole
/// prefix), so an attacker cannot reset the count by changing address.
pub struct AuthFailures {
    limiter: Option<DefaultKeyedRateLimiter<std::net::IpAddr>>,
    /// Addresses over the limit, and until when. Bounded, so a flood of
    /// addresses costs bounded memory; an evicted address is only let off
    /// early.
    blocked: moka::sync::Cache<std::net::IpAddr, std::time::Instant>,
    /// Hashes of tokens that authenticated lately: let through a block (and
    /// still looked up, so a revocation holds at once).
    known: moka::sync::Cache<String, ()>,
    /// Failures since the limiter's state was last pruned.
    since_prune: std::sync::atomic::AtomicU32,
}

/// Failures between two prunings of the limiter's per-address state.
const PRUNE_EVERY: u32 = 4096;

impl AuthFailures {
    /// A limit of `per_minute` failed authentications per address; 0 turns
    /// it off.
    pub fn new(per_minute: u32) -> Self {
        Self {
            limiter: NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            blocked: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
            known: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(24 * 60 * 60))
                .build(),
            since_prune: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// The address a limit counts: IPv6 by its /64.
    fn bucket(addr: std::net::IpAddr) -> std::net::IpAddr {
        match addr {
            std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => std::net::IpAddr::V4(v4),
                None => {
                    let mut octets = v6.octets();
                    octets[8..].fill(0);
                    std::net::IpAddr::V6(std::net::Ipv6Addr::from(octets))
                }
            },
            v4 => v4,
        }
    }

    /// Refuses a request with the `Authorization` value `presented` from
    /// `addr` while the address is over the limit, unless its token
    /// authenticated lately.
    pub fn check(&self, addr: std::net::IpAddr, presented: &[u8]) -> Result<(), AuthError> {
        if self.limiter.is_none() {
            return Ok(());
        }
        if bearer(presented).is_some_and(|token| self.known.contains_key(&hash(token))) {
            return Ok(());
        }
        match self.blocked.get(&Self::bucket(addr)) {
            Some(until) => {
                let left = until.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    Ok(())
                } else {
                    Err(AuthError::RateLimited {
                        retry_after: left.as_secs() + u64::from(left.subsec_nanos() > 0),
                    })
                }
            }
            None => Ok(()),
        }
    }

    /// Remembers that the token of `presented` authenticated.
    pub fn succeeded(&self, presented: &[u8]) {
        if self.limiter.is_some()
            && let Some(token) = bearer(presented)
        {
            self.known.insert(hash(token), ());
        }
    }

    /// Counts a failed authentication from `addr`; past the limit, the
    /// address is held back and the answer is `RateLimited`.
    pub fn failed(&self, addr: std::net::IpAddr) -> Result<(), AuthError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        let bucket = Self::bucket(addr);
        if self.since_prune.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= PRUNE_EVERY {
            self.since_prune.store(0, std::sync::atomic::Ordering::Relaxed);
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter.check_key(&bucket).map_err(|not_until| {
            let wait: Duration = not_until.wait_time_from(DefaultClock::default().now());
            self.blocked.insert(bucket, std::time::Instant::now() + wait);
            AuthError::RateLimited {
                retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }
}

/// Why a key could not be created or revoked.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The name is empty or too long.
    #[error("a key name must be 1 to 100 characters")]
    BadName,
    /// No key has this id or prefix.
    #[error("no key matches `{0}`")]
    NotFound(String),
    /// Several keys share this prefix; give more of it, or the id.
    #[error("`{0}` matches several keys; give the full id")]
    Ambiguous(String),
    /// A SUPERVISOR key names no physician, or another role names one.
    #[error("a SUPERVISOR key needs --supervisor SLUG (the physician it signs off for); other roles take none")]
    Supervisor,
    /// No supervisor has this slug.
    #[error("no supervisor `{0}`")]
    UnknownSupervisor(String),
    /// Only a PREVIEW key can be limited to one article.
    #[error("only a PREVIEW key can be limited to one article (--article)")]
    Article,
    /// A PARTNER key names no partner, or another role names one.
    #[error("a PARTNER key needs --partner SLUG (the partner it reads for); other roles take none")]
    Partner,
    /// No partner has this slug.
    #[error("no partner `{0}`")]
    UnknownPartner(String),
    /// No article has this slug.
    #[error("no article `{0}`")]
    UnknownArticle(String),
    /// The operating system's random source failed.
    #[error("no random bytes for a token: {0}")]
    Random(getrandom::Error),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

/// Creates a key and returns it with its token, which is shown only now.
pub async fn create_key(db: &DatabaseConnection, role: Role, name: &str) -> Result<(api_key::Model, String), KeyError> {
    create_key_for(db, role, name, None).await
}

/// Creates a key; a SUPERVISOR key names the physician (by slug) it signs
/// off for.
pub async fn create_key_for(
    db: &DatabaseConnection,
    role: Role,
    name: &str,
    supervisor: Option<&str>,
) -> Result<(api_key::Model, String), KeyError> {
    create_key_with(db, role, name, supervisor, None).await
}

/// Creates a key; a SUPERVISOR key names the physician (by slug) it signs
/// off for, and a PREVIEW key may name the one article (by slug) it previews.
pub async fn create_key_with(
    db: &DatabaseConnection,
    role: Role,
    name: &str,
    supervisor: Option<&str>,
    article: Option<&str>,
) -> Result<(api_key::Model, String), KeyError> {
    if role == Role::Partner {
        return Err(KeyError::Partner);
    }
    insert_key(db, role, name, supervisor, article, None, false).await
}

/// Creates a PARTNER key for the partner with slug `partner`.
pub async fn create_partner_key(
    db: &DatabaseConnection,
    name: &str,
    partner: &str,
) -> Result<(api_key::Model, String), KeyError> {
    let found = entity::partner::Entity::find()
        .filter(entity::partner::Column::Slug.eq(partner))
        .one(db)
        .await?
        .ok_or_else(|| KeyError::UnknownPartner(partner.to_owned()))?;
    insert_key(db, Role::Partner, name, None, None, Some(found), false).await
}

/// Creates a feed token for the partner with slug `partner`: a PARTNER key
/// that only the feed and embed URLs (`/partner/{token}/…`) accept, since
/// feed readers and `<iframe>`s send no headers and their URLs are seen.
pub async fn create_feed_token(db: &DatabaseConnection, partner: &str) -> Result<(api_key::Model, String), KeyError> {
    let found = entity::partner::Entity::find()
        .filter(entity::partner::Column::Slug.eq(partner))
        .one(db)
        .await?
        .ok_or_else(|| KeyError::UnknownPartner(partner.to_owned()))?;
    insert_key(db, Role::Partner, "feed token", None, None, Some(found), true).await
}

async fn insert_key(
    db: &DatabaseConnection,
    role: Role,
    name: &str,
    supervisor: Option<&str>,
    article: Option<&str>,
    partner: Option<entity::partner::Model>,
    feed_only: bool,
) -> Result<(api_key::Model, String), KeyError> {
    let article_id = match (role, article) {
        (_, None) => None,
        (Role::Preview, Some(slug)) => Some(
            entity::article::Entity::find()
                .filter(entity::article::Column::Slug.eq(slug))
                .filter(entity::article::Column::DraftOf.is_null())
                .one(db)
                .await?
                .ok_or_else(|| KeyError::UnknownArticle(slug.to_owned()))?
                .id,
        ),
        (_, Some(_)) => return Err(KeyError::Article),
    };
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(KeyError::BadName);
    }
    let supervisor_id = match (role, supervisor) {
        (Role::Supervisor, Some(slug)) => Some(
            entity::supervisor::Entity::find()
                .filter(entity::supervisor::Column::Slug.eq(slug))
                .one(db)
                .await?
                .ok_or_else(|| KeyError::UnknownSupervisor(slug.to_owned()))?
                .id,
        ),
        (Role::Supervisor, None) | (_, Some(_)) => return Err(KeyError::Supervisor),
        (_, None) => None,
    };
    let (token, token_hash) = new_token().map_err(KeyError::Random)?;
    let row = api_key::ActiveModel {
        id: ActiveValue::Set(Uuid::now_v7()),
        name: ActiveValue::Set(name.to_owned()),
        role: ActiveValue::Set(role),
        token_hash: ActiveValue::Set(token_hash),
        prefix: ActiveValue::Set(token.chars().take(12).collect()),
        created_at: ActiveValue::Set(crate::store::clock::stored_now()),
        revoked_at: ActiveValue::Set(None),
        supervisor_id: ActiveValue::Set(supervisor_id),
        article_id: ActiveValue::Set(article_id),
        partner_id: ActiveValue::Set(partner.as_ref().map(|p| p.id)),
        feed_only: ActiveValue::Set(feed_only),
    };
    let txn = crate::store::db::begin_write(db).await?;
    let model = api_key::Entity::insert(row).exec_with_returning(&txn).await?;
    crate::editorial::audit::record(
        &txn,
        crate::editorial::audit::Actor::CommandLine,
        "KEY_CREATE",
        &format!("key:{}", model.id),
        &format!(
            "role {}; name {}{}",
            model.role.as_str(),
            model.name,
            article
                .map(|a| format!("; article {a}"))
                .or(partner.map(|p| format!("; partner {}", p.slug)))
                .unwrap_or_default()
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((model, token))
}

/// Every key, oldest first (without secrets: none are stored).
pub async fn list_keys(db: &DatabaseConnection) -> Result<Vec<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .order_by_asc(api_key::Column::CreatedAt)
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await
}

/// Revokes the key with this id, or the one whose token starts with this
/// prefix as `keys list` shows it. Revoking twice is harmless.
pub async fn revoke_key(db: &DatabaseConnection, which: &str) -> Result<api_key::Model, KeyError> {
    let candidates: Vec<api_key::Model> = match Uuid::parse_str(which) {
        Ok(id) => api_key::Entity::find_by_id(id).all(db).await?,
        Err(_) => list_keys(db)
            .await?
            .into_iter()
            .filter(|k| !which.is_empty() && k.prefix.starts_with(which))
            .collect(),
    };
    let key = match <[api_key::Model; 1]>::try_from(candidates) {
        Ok([key]) => key,
        Err(found) if found.is_empty() => return Err(KeyError::NotFound(which.to_owned())),
        Err(_) => return Err(KeyError::Ambiguous(which.to_owned())),
    };
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut active: api_key::ActiveModel = key.into();
    active.revoked_at = ActiveValue::Set(Some(crate::store::clock::stored_now()));
    let txn = crate::store::db::begin_write(db).await?;
    let revoked = api_key::Entity::update(active).exec(&txn).await?;
    crate::editorial::audit::record(
        &txn,
        crate::editorial::audit::Actor::CommandLine,
        "KEY_REVOKE",
        &format!("key:{}", revoked.id),
        &format!("role {}; name {}", revoked.role.as_str(), revoked.name),
    )
    .await?;
    txn.commit().await?;
    Ok(revoked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_are_never_equal() -> Result<(), getrandom::Error> {
        let (a, hash_a) = new_token()?;
        let (b, _) = new_token()?;
        assert_ne!(a, b);
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43, "32 bytes in unpadded base64");
        assert_eq!(hash_a, hash(&a));
        assert_eq!(bearer(format!("Bearer {a}").as_bytes()), Some(a.as_str()));
        Ok(())
    }

    #[test]
    fn only_bearer_tokens_of_our_shape_are_read() {
        assert_eq!(bearer(b"bearer kiji_abc"), Some("kiji_abc"));
        for bad in [
            &b"Basic kiji_abc"[..],
            b"Bearer",
            b"Bearer abc",
            b"Bearer kiji_a b",
            b"Bearer kiji_\xff",
            b"Bearer kiji_'; DROP TABLE api_key",
        ] {
            assert_eq!(bearer(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        let long = format!("Bearer kiji_{}", "a".repeat(MAX_TOKEN_LEN));
        assert_eq!(bearer(long.as_bytes()), None);
    }
}
