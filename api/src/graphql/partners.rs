//! Partners, their licences and their webhook endpoints over GraphQL: an
//! ADMIN manages all of them; a PARTNER key registers and reads its own
//! endpoints and their delivery log.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::enums::Role;
use uuid::Uuid;

use super::scalars::Timestamp;
use crate::editorial::audit::Actor;
use crate::editorial::partners::{self, Covers, NewLicence};
use crate::editorial::principal::Principal;
use crate::editorial::webhooks;
use crate::error::{Error, Result};
use crate::locale::Locale;

/// Partner queries.
#[derive(Default)]
pub struct PartnerQuery;

/// Partner mutations.
#[derive(Default)]
pub struct PartnerMutation;

/// A partner clinic.
#[derive(SimpleObject)]
pub struct Partner {
    /// Its id.
    id: ID,
    /// How keys and licences name it.
    slug: String,
    /// Its name.
    name: String,
    /// Its licences, oldest first, in force or not.
    licenses: Vec<LicenseGrant>,
}

/// A licence as an ADMIN manages it.
#[derive(SimpleObject)]
pub struct LicenseGrant {
    /// Its id (for `revokeLicense`).
    id: ID,
    /// The category slug it covers, for a licence by category.
    category: Option<String>,
    /// The article slug it covers, for a licence by article.
    article: Option<String>,
    /// The locales it covers.
    locales: Vec<Locale>,
    /// From when; null: from its grant.
    valid_from: Option<Timestamp>,
    /// Until when; null: open-ended.
    valid_until: Option<Timestamp>,
    /// What the partner must show.
    attribution: String,
    /// The terms of use.
    terms: String,
    /// The partner's canonical-URL rule, if any.
    canonical_url_template: Option<String>,
    /// When it was revoked, if it was.
    revoked_at: Option<Timestamp>,
}

/// A webhook endpoint, without its secret.
#[derive(SimpleObject)]
pub struct WebhookEndpoint {
    /// Its id.
    id: ID,
    /// Where deliveries go.
    url: String,
    /// Whether it may be on a private network (set by an ADMIN, for tests).
    allow_private_network: bool,
    /// When it was registered.
    created_at: Timestamp,
    /// Its latest deliveries, newest first.
    deliveries: Vec<WebhookDelivery>,
}

/// A registered endpoint and its signing secret, shown only now.
#[derive(SimpleObject)]
pub struct RegisteredWebhook {
    /// The endpoint.
    endpoint: WebhookEndpoint,
    /// The `whsec_` secret to verify signatures with.
    secret: String,
}

/// One message to an endpoint and how sending it went.
#[derive(SimpleObject)]
pub struct WebhookDelivery {
    /// The message id (`webhook-id` is `msg_` and this without dashes).
    id: ID,
    /// `article.published`, `license.revoked`, …
    event_type: String,
    /// `PENDING`, `DELIVERED` or `DEAD`.
    state: String,
    /// Attempts so far.
    attempts: i32,
    /// The receiver's status on the last attempt.
    last_status: Option<i32>,
    /// Why the last attempt failed.
    last_error: Option<String>,
    /// When it was written.
    created_at: Timestamp,
    /// When the receiver took it.
    delivered_at: Option<Timestamp>,
    /// The JSON body sent.
    payload: String,
}

/// What one partner key read on one day (UTC).
#[derive(SimpleObject)]
pub struct UsageDay {
    /// The day.
    day: super::scalars::Date,
    /// The partner's slug.
    partner: String,
    /// The key's name.
    key_name: String,
    /// GraphQL requests answered to it (feeds and embeds included).
    requests: i64,
    /// Articles shown in those answers.
    articles: i64,
}

/// A licence to grant.
#[derive(InputObject)]
pub struct GrantLicenseInput {
    /// The partner's slug.
    #[graphql(validator(max_length = 64))]
    partner: String,
    /// Every published article of this category (or give `article`).
    #[graphql(validator(max_length = 200))]
    category: Option<String>,
    /// This article (or give `category`).
    #[graphql(validator(max_length = 200))]
    article: Option<String>,
    /// The locales it covers.
    #[graphql(validator(min_items = 1, max_items = 50))]
    locales: Vec<Locale>,
    /// From when; now when left out.
    valid_from: Option<Timestamp>,
    /// Until when; open-ended when left out.
    valid_until: Option<Timestamp>,
    /// What the partner must show beside the article.
    #[graphql(validator(max_length = 2000))]
    attribution: String,
    /// The terms of use.
    #[graphql(validator(max_length = 20000), default)]
    terms: String,
    /// Where the partner's copy must point as canonical (`{locale}`,
    /// `{slug}`); the clinic's own URL when left out.
    #[graphql(validator(max_length = 500))]
    canonical_url_template: Option<String>,
}

/// The key of the request, if it may manage partners (ADMIN) or its own
/// endpoints (PARTNER).
fn admin<'a>(ctx: &Context<'a>, what: &str) -> Result<&'a Principal> {
    super::require_role(ctx, &[Role::Admin], what)?;
    ctx.data_opt::<Principal>()
        .ok_or_else(|| Error::Internal("no principal".into()))
}

/// The partner a PARTNER key reads for.
fn own_partner(ctx: &Context<'_>) -> Option<Uuid> {
    match ctx.data_opt::<Principal>() {
        Some(Principal::Key {
            role: Role::Partner,
            partner,
            ..
        }) => *partner,
        _ => None,
    }
}

fn parse_id(id: &ID, what: &str) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| Error::bad_input(format!("`{what}` is not an id")))
}

async fn endpoint_view(ctx: &Context<'_>, row: entity::webhook_endpoint::Model, last: u64) -> Result<WebhookEndpoint> {
    let deliveries = webhooks::deliveries(super::pool(ctx)?, row.id, last)
        .await?
        .into_iter()
        .map(|d| WebhookDelivery {
            id: ID(d.id.to_string()),
            event_type: d.event_type,
            state: d.state,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: Timestamp(d.created_at),
            delivered_at: d.delivered_at.map(Timestamp),
            payload: d.payload,
        })
        .collect();
    Ok(WebhookEndpoint {
        id: ID(row.id.to_string()),
        url: row.url,
        allow_private_network: row.allow_private_network,
        created_at: Timestamp(row.created_at),
        deliveries,
    })
}

/// The endpoint `id`, if the request may manage it: any for an ADMIN, its
/// own for a partner; `NOT_FOUND` otherwise, the same as for none.
async fn manageable(ctx: &Context<'_>, id: &ID) -> Result<entity::webhook_endpoint::Model> {
    let id = parse_id(id, "id")?;
    let found = webhooks::endpoint(super::pool(ctx)?, id).await?;
    let admin = matches!(
        ctx.data_opt::<Principal>(),
        Some(Principal::Key { role: Role::Admin, .. })
    );
    if admin || own_partner(ctx) == Some(found.partner_id) {
        Ok(found)
    } else {
        Err(Error::NotFound(format!("no webhook endpoint `{id}`")))
    }
}

#[Object]
impl PartnerQuery {
    /// Every partner with its licences. Needs an ADMIN key.
    async fn partners(&self, ctx: &Context<'_>) -> Result<Vec<Partner>> {
        admin(ctx, "partners")?;
        let db = super::pool(ctx)?;
        let mut out = Vec::new();
        for found in partners::list_partners(db).await? {
            let mut licenses = Vec::new();
            for (_, granted) in partners::list_licences(db, Some(&found.slug)).await? {
                licenses.push(license_view(db, granted).await?);
            }
            out.push(Partner {
                id: ID(found.id.to_string()),
                slug: found.slug,
                name: found.name,
                licenses,
            });
        }
        Ok(out)
    }

    /// What each partner key read, per day, newest first: requests and
    /// articles served (counts reach the database within seconds). Needs
    /// an ADMIN key.
    async fn partner_usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many days back, today included (1 to 366).", default = 30)] days: i32,
    ) -> Result<Vec<UsageDay>> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        admin(ctx, "partnerUsage")?;
        if !(1..=366).contains(&days) {
            return Err(Error::bad_input(format!(
                "`days` must be between 1 and 366, got {days}"
            )));
        }
        let db = super::pool(ctx)?;
        let since = chrono::Utc::now().date_naive() - chrono::Duration::days(i64::from(days) - 1);
        let rows = entity::usage_daily::Entity::find()
            .filter(entity::usage_daily::Column::Day.gte(since))
            .order_by_desc(entity::usage_daily::Column::Day)
            .order_by_desc(entity::usage_daily::Column::Requests)
            .all(db)
            .await?;
        let partners: std::collections::HashMap<Uuid, String> = partners::list_partners(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.slug))
            .collect();
        let keys: std::collections::HashMap<Uuid, String> = crate::editorial::auth::list_keys(db)
            .await?
            .into_iter()
            .map(|k| (k.id, k.name))
            .collect();
        Ok(rows
            .into_iter()
            .map(|row| UsageDay {
                day: super::scalars::Date(row.day),
                partner: partners.get(&row.partner_id).cloned().unwrap_or_default(),
                key_name: keys.get(&row.key_id).cloned().unwrap_or_default(),
                requests: row.requests,
                articles: row.articles,
            })
            .collect())
    }

    /// Webhook endpoints with their latest deliveries: a partner's own, or
    /// every partner's for an ADMIN.
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many deliveries of each, newest first (at most 200).", default = 20)] last: i32,
    ) -> Result<Vec<WebhookEndpoint>> {
        let partner = match own_partner(ctx) {
            Some(partner) => Some(partner),
            None => {
                admin(ctx, "webhookEndpoints")?;
                None
            }
        };
        let last = u64::try_from(last.clamp(0, 200)).unwrap_or(20);
        let mut out = Vec::new();
        for row in webhooks::endpoints(super::pool(ctx)?, partner).await? {
            out.push(endpoint_view(ctx, row, last).await?);
        }
        Ok(out)
    }
}

async fn license_view(db: &sea_orm::DatabaseConnection, granted: partners::Granted) -> Result<LicenseGrant> {
    use sea_orm::EntityTrait;
    let l = granted.licence;
    let category = match l.category_id {
        Some(id) => entity::category::Entity::find_by_id(id).one(db).await?.map(|c| c.slug),
        None => None,
    };
    let article = match l.article_id {
        Some(id) => entity::article::Entity::find_by_id(id).one(db).await?.map(|a| a.slug),
        None => None,
    };
    Ok(LicenseGrant {
        id: ID(l.id.to_string()),
        category,
        article,
        locales: granted.locales.iter().map(|t| Locale::trusted(t)).collect(),
        valid_from: l.starts_at.map(Timestamp),
        valid_until: l.ends_at.map(Timestamp),
        attribution: l.attribution,
        terms: l.terms,
        canonical_url_template: l.canonical_url_template,
        revoked_at: l.revoked_at.map(Timestamp),
    })
}

#[Object]
impl PartnerMutation {
    /// Creates a partner clinic. Needs an ADMIN key.
    async fn create_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How keys and licences name it: a-z, 0-9 and `-`.",
            validator(max_length = 64)
        )]
        slug: String,
        #[graphql(desc = "Its name.", validator(max_length = 200))] name: String,
    ) -> Result<Partner> {
        let key = admin(ctx, "createPartner")?;
        let row = partners::create_partner(super::pool(ctx)?, Actor::Key(key), &slug, &name).await?;
        Ok(Partner {
            id: ID(row.id.to_string()),
            slug: row.slug,
            name: row.name,
            licenses: Vec::new(),
        })
    }

    /// Grants a partner a licence; it takes effect (and enters the partner's
    /// change feed and webhooks) at once, or at `validFrom`. Needs an ADMIN key.
    async fn grant_license(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner, what the licence covers, in which locales, when and on what terms.")]
        input: GrantLicenseInput,
    ) -> Result<LicenseGrant> {
        let key = admin(ctx, "grantLicense")?;
        let covers = match (input.category, input.article) {
            (Some(slug), None) => Covers::Category(slug),
            (None, Some(slug)) => Covers::Article(slug),
            _ => return Err(Error::bad_input("give exactly one of `category` and `article`")),
        };
        let db = super::pool(ctx)?;
        let row = partners::grant(
            db,
            super::followers(ctx)?,
            Actor::Key(key),
            NewLicence {
                partner: input.partner,
                covers,
                locales: input.locales,
                starts_at: input.valid_from.map(|t| t.0),
                ends_at: input.valid_until.map(|t| t.0),
                attribution: input.attribution,
                terms: input.terms,
                canonical_url_template: input.canonical_url_template,
            },
        )
        .await?;
        let granted = partners::of_partner(db, row.partner_id)
            .await?
            .into_iter()
            .find(|g| g.licence.id == row.id)
            .ok_or_else(|| Error::Internal("a granted licence vanished".into()))?;
        license_view(db, granted).await
    }

    /// Revokes a licence at once: the partner's feed gets tombstones and its
    /// endpoints `license.revoked`. Needs an ADMIN key.
    async fn revoke_license(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The licence's id.")] id: ID,
    ) -> Result<LicenseGrant> {
        let key = admin(ctx, "revokeLicense")?;
        let db = super::pool(ctx)?;
        let row = partners::revoke(db, super::followers(ctx)?, Actor::Key(key), parse_id(&id, "id")?).await?;
        let granted = partners::of_partner(db, row.partner_id)
            .await?
            .into_iter()
            .find(|g| g.licence.id == row.id)
            .ok_or_else(|| Error::Internal("a revoked licence vanished".into()))?;
        license_view(db, granted).await
    }

    /// Registers a webhook endpoint and returns its signing secret, once.
    /// A PARTNER key registers its own; an ADMIN names the partner, and may
    /// allow a private-network URL (for testing only).
    async fn register_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where deliveries go (http or https).", validator(max_length = 2000))] url: String,
        #[graphql(desc = "For an ADMIN: the partner's slug.", validator(max_length = 64))] partner: Option<String>,
        #[graphql(desc = "For an ADMIN: allow a private or loopback address.", default = false)]
        allow_private_network: bool,
    ) -> Result<RegisteredWebhook> {
        let db = super::pool(ctx)?;
        let row = match (own_partner(ctx), ctx.data_opt::<Principal>()) {
            (Some(own), Some(key)) => {
                if partner.is_some() || allow_private_network {
                    return Err(Error::bad_input(
                        "a partner key registers its own endpoint, on the public internet",
                    ));
                }
                let slug = partners::list_partners(db)
                    .await?
                    .into_iter()
                    .find(|p| p.id == own)
                    .map(|p| p.slug)
                    .ok_or_else(|| Error::NotFound("no such partner".into()))?;
                webhooks::register(db, Actor::Key(key), &slug, &url, false).await?
            }
            _ => {
                let key = admin(ctx, "registerWebhook")?;
                let slug = partner.ok_or_else(|| Error::bad_input("name the `partner`"))?;
                webhooks::register(db, Actor::Key(key), &slug, &url, allow_private_network).await?
            }
        };
        let secret = row.secret.clone();
        Ok(RegisteredWebhook {
            endpoint: endpoint_view(ctx, row, 0).await?,
            secret,
        })
    }

    /// Gives an endpoint a new secret, returned once; the old one still
    /// signs for 24 hours.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
    ) -> Result<RegisteredWebhook> {
        let found = manageable(ctx, &id).await?;
        let key = ctx
            .data_opt::<Principal>()
            .ok_or_else(|| Error::Internal("no principal".into()))?;
        let row = webhooks::rotate(super::pool(ctx)?, Actor::Key(key), found.id).await?;
        let secret = row.secret.clone();
        Ok(RegisteredWebhook {
            endpoint: endpoint_view(ctx, row, 0).await?,
            secret,
        })
    }

    /// Sends an endpoint's dead deliveries again (every delivery with
    /// `all`); returns how many. Needs an ADMIN key.
    async fn replay_webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
        #[graphql(desc = "Every delivery, not only the dead ones.", default = false)] all: bool,
    ) -> Result<i32> {
        let key = admin(ctx, "replayWebhookDeliveries")?;
        let found = manageable(ctx, &id).await?;
        let n = webhooks::replay(super::pool(ctx)?, Actor::Key(key), found.id, all).await?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}
