//! A partner's licences in force, as one request reads them: which locales
//! of which article the partner may read. The SQL side of the same rule is
//! `visibility::licensed`; this side narrows the translations of the
//! articles that rule let through.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::editorial::partners::Granted;

/// The licences of one partner in force at one time.
#[derive(Debug, Clone, Default)]
pub struct Licensed {
    grants: Vec<Granted>,
}

impl Licensed {
    /// The licences of `partner` in force at `now`.
    pub async fn load(db: &impl ConnectionTrait, partner: Uuid, now: DateTime<Utc>) -> Result<Self, DbErr> {
        let all = crate::editorial::partners::of_partner(db, partner).await?;
        Ok(Self {
            grants: all.into_iter().filter(|g| g.licence.in_force_now(now)).collect(),
        })
    }

    /// The licences in force.
    pub fn grants(&self) -> impl Iterator<Item = &Granted> {
        self.grants.iter()
    }

    /// Whether the partner may read article `article` (of `category`) in
    /// `locale`.
    pub fn allows(&self, article: Uuid, category: Uuid, locale: &str) -> bool {
        self.grants
            .iter()
            .any(|g| g.covers(article, category) && g.locales.contains(locale))
    }

    /// The licence that lets the partner read article `article` (of
    /// `category`) in `locale`: one by article before one by category,
    /// then the oldest.
    pub fn grant_for(&self, article: Uuid, category: Uuid, locale: &str) -> Option<&Granted> {
        self.grants
            .iter()
            .filter(|g| g.covers(article, category) && g.locales.contains(locale))
            .min_by_key(|g| (g.licence.article_id.is_none(), g.licence.created_at, g.licence.id))
    }
}
