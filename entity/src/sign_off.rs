//! A supervisor's sign-off of one revision of an article.

use sea_orm::entity::prelude::*;

/// Who signed off which revision, covering which locales and whether the claims.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_off")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub article_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub revision: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub supervisor_id: Uuid,
    /// Comma-separated canonical locale tags reviewed in that revision.
    pub locales: String,
    /// Whether the review covered the claims in those locales.
    pub claims: bool,
    pub signed_at: Option<DateTimeUtc>,
    /// The physician's profile revision when they signed.
    pub profile_revision: Option<i32>,
}

impl Model {
    /// The locales the sign-off covers.
    pub fn locales(&self) -> impl Iterator<Item = &str> {
        self.locales.split(',').filter(|l| !l.is_empty())
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
