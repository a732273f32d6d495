//! Partners and their licences: who may republish which articles, in which
//! locales, when, and on what terms. Only an ADMIN (or the command line)
//! changes them; each change is audited, and a licence's grant and
//! revocation are entries in the change log, from which the change feed
//! tells the partner what it gained or lost.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entity::{article, category, licence, licence_locale, partner};
use sea_orm::{ActiveValue, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::editorial::audit::{self, Actor};
use crate::error::{Error, Result};
use crate::locale::Locale;
use crate::store::changes::{Kind, Touched};
use crate::store::write::Followers;

/// What a licence covers.
#[derive(Debug, Clone)]
pub enum Covers {
    /// Every article of the category with this slug.
    Category(String),
    /// The article with this slug.
    Article(String),
}

/// A licence to grant.
#[derive(Debug, Clone)]
pub struct NewLicence {
    /// The partner's slug.
    pub partner: String,
    /// What it covers.
    pub covers: Covers,
    /// The locales it covers (at least one).
    pub locales: Vec<Locale>,
    /// From when; now when unset.
    pub starts_at: Option<DateTime<Utc>>,
    /// Until when; open-ended when unset.
    pub ends_at: Option<DateTime<Utc>>,
    /// What the partner must show beside the article.
    pub attribution: String,
    /// The terms of use.
    pub terms: String,
    /// Where the partner's copy must point as canonical (`{locale}` and
    /// `{slug}` are filled in); the clinic's own public URL when unset.
    pub canonical_url_template: Option<String>,
}

/// A licence with the locales it covers.
#[derive(Debug, Clone)]
pub struct Granted {
    /// The licence.
    pub licence: licence::Model,
    /// The locales it covers.
    pub locales: BTreeSet<String>,
}

impl Granted {
    /// Whether it covers article `article` of category `category`.
    pub fn covers(&self, article: Uuid, category: Uuid) -> bool {
        self.licence.article_id == Some(article) || self.licence.category_id == Some(category)
    }
}

/// Every licence of `partner`, with its locales, in force or not.
pub async fn of_partner(db: &impl sea_orm::ConnectionTrait, partner: Uuid) -> Result<Vec<Granted>, sea_orm::DbErr> {
    let licences = licence::Entity::find()
        .filter(licence::Column::PartnerId.eq(partner))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = licences.iter().map(|l| l.id).collect();
    let locales = if ids.is_empty() {
        Vec::new()
    } else {
        licence_locale::Entity::find()
            .filter(licence_locale::Column::LicenceId.is_in(ids))
            .all(db)
            .await?
    };
    Ok(licences
        .into_iter()
        .map(|licence| Granted {
            locales: locales
                .iter()
                .filter(|l| l.licence_id == licence.id)
                .map(|l| l.locale.clone())
                .collect(),
            licence,
        })
        .collect())
}

/// Creates a partner.
pub async fn create_partner(
    db: &DatabaseConnection,
    actor: Actor<'_>,
    slug: &str,
    name: &str,
) -> Result<partner::Model> {
    let slug = slug.trim();
    if slug.is_empty()
        || slug.len() > 64
        || !slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(Error::bad_input(
            "a partner slug is 1 to 64 characters of a-z, 0-9 and `-`",
        ));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::bad_input("a partner name is 1 to 200 characters"));
    }
    let txn = crate::store::db::begin_write(db).await?;
    if partner::Entity::find()
        .filter(partner::Column::Slug.eq(slug))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(Error::bad_input(format!("a partner `{slug}` exists already")));
    }
    let row = partner::Entity::insert(partner::ActiveModel {
        id: ActiveValue::Set(Uuid::now_v7()),
        slug: ActiveValue::Set(slug.to_owned()),
        name: ActiveValue::Set(name.to_owned()),
        created_at: ActiveValue::Set(crate::store::clock::stored_now()),
    })
    .exec_with_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "PARTNER_CREATE",
        &format!("partner:{slug}"),
        &format!("name {name}"),
    )
    .await?;
    // Nothing readers see changed.
    crate::store::write::commit(txn, Kind::LicenceGranted, &Touched::default(), &Followers::none()).await?;
    Ok(row)
}

/// Every partner, by slug.
pub async fn list_partners(db: &DatabaseConnection) -> Result<Vec<partner::Model>> {
    Ok(partner::Entity::find()
        .order_by_asc(partner::Column::Slug)
        .all(db)
        .await?)
}

/// The partner with this slug.
async fn partner_by_slug(db: &impl sea_orm::ConnectionTrait, slug: &str) -> Result<partner::Model> {
    partner::Entity::find()
        .filter(partner::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| Error::bad_input(format!("no partner `{slug}`")))
}

/// Grants a licence; its grant is an entry in the change log.
pub async fn grant(
    db: &DatabaseConnection,
    followers: &Followers,
    actor: Actor<'_>,
    grant: NewLicence,
) -> Result<licence::Model> {
    if grant.locales.is_empty() {
        return Err(Error::bad_input("a licence covers at least one locale"));
    }
    if let (Some(start), Some(end)) = (grant.starts_at, grant.ends_at)
        && end <= start
    {
        return Err(Error::bad_input("a licence must end after it starts"));
    }
    let attribution = grant.attribution.trim();
    if attribution.is_empty() || attribution.chars().count() > 2000 {
        return Err(Error::bad_input("the attribution is 1 to 2000 characters"));
    }
    if grant.terms.chars().count() > 20_000 {
        return Err(Error::bad_input("the terms are at most 20000 characters"));
    }
    if let Some(template) = &grant.canonical_url_template {
        crate::content::urls::UrlTemplate::parse(template).map_err(Error::bad_input)?;
    }
    let txn = crate::store::db::begin_write(db).await?;
    let partner = partner_by_slug(&txn, &grant.partner).await?;
    let (category_id, article_id, target) = match &grant.covers {
        Covers::Category(slug) => {
            let found = category::Entity::find()
                .filter(category::Column::Slug.eq(slug.as_str()))
                .one(&txn)
                .await?
                .ok_or_else(|| Error::bad_input(format!("no category `{slug}`")))?;
            (Some(found.id), None, format!("category {slug}"))
        }
        Covers::Article(slug) => {
            let found = article::Entity::find()
                .filter(article::Column::Slug.eq(slug.as_str()))
                .filter(article::Column::DraftOf.is_null())
                .one(&txn)
                .await?
                .ok_or_else(|| Error::bad_input(format!("no article `{slug}`")))?;
            (None, Some(found.id), format!("article {slug}"))
        }
    };
    let id = Uuid::now_v7();
    let row = licence::Entity::insert(licence::ActiveModel {
        id: ActiveValue::Set(id),
        partner_id: ActiveValue::Set(partner.id),
        category_id: ActiveValue::Set(category_id),
        article_id: ActiveValue::Set(article_id),
        starts_at: ActiveValue::Set(grant.starts_at),
        ends_at: ActiveValue::Set(grant.ends_at),
        attribution: ActiveValue::Set(attribution.to_owned()),
        terms: ActiveValue::Set(grant.terms.trim().to_owned()),
        canonical_url_template: ActiveValue::Set(grant.canonical_url_template.clone()),
        created_at: ActiveValue::Set(crate::store::clock::stored_now()),
        revoked_at: ActiveValue::Set(None),
        granted_position: ActiveValue::Set(None),
        started_position: ActiveValue::Set(None),
        ended_position: ActiveValue::Set(None),
        revoked_position: ActiveValue::Set(None),
    })
    .exec_with_returning(&txn)
    .await?;
    let mut locales: Vec<&str> = grant.locales.iter().map(Locale::as_str).collect();
    locales.sort_unstable();
    locales.dedup();
    licence_locale::Entity::insert_many(locales.iter().map(|l| licence_locale::ActiveModel {
        licence_id: ActiveValue::Set(id),
        locale: ActiveValue::Set((*l).to_owned()),
    }))
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "LICENCE_GRANT",
        &format!("licence:{id}"),
        &format!(
            "partner {}; {target}; locales {}; from {}; until {}",
            partner.slug,
            locales.join(","),
            grant.starts_at.map_or("now".to_owned(), |at| at.to_rfc3339()),
            grant.ends_at.map_or("open-ended".to_owned(), |at| at.to_rfc3339()),
        ),
    )
    .await?;
    let mut touched = Touched::default();
    touched.entity("licence", id);
    crate::store::write::commit(txn, Kind::LicenceGranted, &touched, followers).await?;
    Ok(licence::Entity::find_by_id(id).one(db).await?.unwrap_or(row))
}

/// Revokes licence `id` at once; revoking twice is harmless.
pub async fn revoke(
    db: &DatabaseConnection,
    followers: &Followers,
    actor: Actor<'_>,
    id: Uuid,
) -> Result<licence::Model> {
    let txn = crate::store::db::begin_write(db).await?;
    let found = licence::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::bad_input(format!("no licence `{id}`")))?;
    if found.revoked_at.is_some() {
        return Ok(found);
    }
    let mut row: licence::ActiveModel = found.into();
    row.revoked_at = ActiveValue::Set(Some(crate::store::clock::stored_now()));
    licence::Entity::update(row).exec(&txn).await?;
    audit::record(&txn, actor, "LICENCE_REVOKE", &format!("licence:{id}"), "revoked").await?;
    let mut touched = Touched::default();
    touched.entity("licence", id);
    crate::store::write::commit(txn, Kind::LicenceRevoked, &touched, followers).await?;
    licence::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal(format!("licence {id} vanished")))
}

/// The licences of the partner with slug `partner` (every partner's when
/// `None`), oldest first, with their locales.
pub async fn list_licences(db: &DatabaseConnection, partner: Option<&str>) -> Result<Vec<(partner::Model, Granted)>> {
    let partners = match partner {
        Some(slug) => vec![partner_by_slug(db, slug).await?],
        None => list_partners(db).await?,
    };
    let mut out = Vec::new();
    for p in partners {
        let mut grants = of_partner(db, p.id).await?;
        grants.sort_by_key(|g| (g.licence.created_at, g.licence.id));
        out.extend(grants.into_iter().map(|g| (p.clone(), g)));
    }
    Ok(out)
}
