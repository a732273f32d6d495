//! An article: language-neutral data shared by all its translations.

use crate::enums::Status;
use sea_orm::entity::prelude::*;

/// An article row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "article")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// URL slug, one for all locales.
    #[sea_orm(unique)]
    pub slug: String,
    pub category_id: Uuid,
    /// The locale the article is written in; translations are made from it.
    pub source_locale: String,
    pub status: Status,
    /// The revision the live rows hold: what readers read. Starts at 1.
    pub revision: i32,
    pub published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// When the article becomes public: `published_at` if it is published
    /// with at least one published translation, else `None`. Kept by every
    /// writer; readers compare only this.
    pub visible_from: Option<DateTimeUtc>,
    /// The newest saved revision; edits, sign-offs and workflow steps name
    /// it. Greater than `revision` while a published article has edits
    /// that are not published yet.
    pub head_revision: i32,
    /// The revision in which the source-locale text last changed:
    /// translations made from an older one are outdated.
    pub source_revision: i32,
    pub updated_at: DateTimeUtc,
    /// Set on the hidden copy that shows editors the unpublished newest
    /// revision of a published article: the article it is a copy of.
    pub draft_of: Option<Uuid>,
    /// A newer revision of a published article, set to replace the live
    /// one at `scheduled_at`.
    pub scheduled_revision: Option<i32>,
    /// When `scheduled_revision` goes live.
    pub scheduled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::from_columns!(
    id,
    slug,
    category_id,
    source_locale,
    status,
    revision,
    published_at,
    created_at,
    visible_from,
    head_revision,
    source_revision,
    updated_at,
    draft_of,
    scheduled_revision,
    scheduled_at
);
