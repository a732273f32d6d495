//! Who supervised, wrote or reviewed an article, and which revision they signed off.

use crate::enums::ContributorRole;
use sea_orm::entity::prelude::*;

/// An article–supervisor link row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "article_supervisor")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub article_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub supervisor_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub role: ContributorRole,
    pub position: i32,
    /// The article revision this person signed off, if any.
    pub signed_off_revision: Option<i32>,
    pub signed_off_at: Option<DateTimeUtc>,
    /// The locales reviewed in that revision, comma-separated canonical
    /// tags; empty without a sign-off.
    pub signed_off_locales: String,
    /// Whether the review covered the claims in those locales.
    pub signed_off_claims: bool,
    /// The physician's profile revision when they signed that revision off.
    pub signed_off_profile_revision: Option<i32>,
}

impl Model {
    /// The locales the sign-off covers.
    pub fn signed_off_locales(&self) -> impl Iterator<Item = &str> {
        self.signed_off_locales.split(',').filter(|l| !l.is_empty())
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::supervisor::Entity",
        from = "Column::SupervisorId",
        to = "super::supervisor::Column::Id"
    )]
    Supervisor,
}

impl Related<super::supervisor::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Supervisor.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(
    article_id,
    supervisor_id,
    role,
    position,
    signed_off_revision,
    signed_off_at,
    signed_off_locales,
    signed_off_claims,
    signed_off_profile_revision
);
