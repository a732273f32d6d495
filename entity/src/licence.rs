//! A licence: a partner may republish one category's or one article's
//! published articles, in some locales, for a while, on terms.

use sea_orm::entity::prelude::*;

/// A licence row; its locales are in `licence_locale`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "licence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub partner_id: Uuid,
    /// Set for a licence by category (exactly one of the two is set).
    pub category_id: Option<Uuid>,
    /// Set for a licence by article.
    pub article_id: Option<Uuid>,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    /// What the partner must show beside the article.
    #[sea_orm(column_type = "Text")]
    pub attribution: String,
    /// The terms of use, as written by the clinic.
    #[sea_orm(column_type = "Text")]
    pub terms: String,
    /// Where the partner's copy must point as canonical: a template with
    /// `{locale}` and `{slug}`; unset, the clinic's own public URL.
    #[sea_orm(column_type = "Text", nullable)]
    pub canonical_url_template: Option<String>,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    /// The change-log position of the grant.
    pub granted_position: Option<i64>,
    /// The position at which `starts_at` was logged as come.
    pub started_position: Option<i64>,
    /// The position at which `ends_at` was logged as come.
    pub ended_position: Option<i64>,
    /// The position of the revocation.
    pub revoked_position: Option<i64>,
}

impl Model {
    /// Whether the licence is in force at change-log position `at`: the
    /// feed's view, which moves only with the log.
    pub fn in_force_at(&self, at: i64) -> bool {
        self.granted_position.is_some_and(|p| p <= at)
            && self.revoked_position.is_none_or(|p| p > at)
            && (self.starts_at.is_none() || self.started_position.is_some_and(|p| p <= at))
            && (self.ends_at.is_none() || self.ended_position.is_none_or(|p| p > at))
    }

    /// Whether the licence is in force at time `now`: the delivery
    /// queries' view.
    pub fn in_force_now(&self, now: DateTimeUtc) -> bool {
        self.revoked_at.is_none() && self.starts_at.is_none_or(|at| at <= now) && self.ends_at.is_none_or(|at| at > now)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
