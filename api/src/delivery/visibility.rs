//! What a public reader may see, as SQL conditions: the one place that
//! decides it for articles, and for the categories, tags and people around
//! them.
//!
//! An article is visible when it is published, its publication time has
//! come, and at least one translation is published; writers record when
//! that is in `article.visible_from`, so readers compare one column.
//! Categories, tags and supervisors are visible only while a visible
//! article uses them, or when
//! an editor has marked them public: a topic made for an unannounced column,
//! or the physician engaged for it, must not be announced by the taxonomy.

use chrono::{DateTime, Utc};
use entity::enums::Status;
use entity::{article, article_supervisor, article_tag, category, supervisor, tag};
use sea_orm::Condition;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};

/// Who a read is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// No key, or one that sees only what the public sees.
    Public,
    /// A preview or editorial key: drafts, scheduled and archived articles
    /// and unpublished translations too. Never cached or shared.
    Editorial,
    /// A PREVIEW key limited to one article: that article as an editorial
    /// key sees it (with its category, tags and people), everything else as
    /// the public does.
    Article(uuid::Uuid),
    /// A PARTNER key: the published articles its partner's licences in
    /// force cover, in their licensed locales, and only the categories,
    /// tags and people of those; nothing else, not even what the public
    /// sees.
    Partner(uuid::Uuid),
}

impl Audience {
    /// The audience of a request made by `principal`.
    pub fn of(principal: Option<&crate::editorial::auth::Principal>) -> Self {
        match principal {
            Some(crate::editorial::auth::Principal::Key {
                partner: Some(partner), ..
            }) => Self::Partner(*partner),
            Some(crate::editorial::auth::Principal::Key {
                role: entity::enums::Role::Partner,
                ..
            }) => Self::Partner(uuid::Uuid::nil()),
            Some(crate::editorial::auth::Principal::Key {
                article: Some(article), ..
            }) => Self::Article(*article),
            Some(crate::editorial::auth::Principal::Key { .. }) => Self::Editorial,
            _ => Self::Public,
        }
    }

    /// Whether drafts of article `id` are shown.
    pub fn covers(self, id: uuid::Uuid) -> bool {
        match self {
            Self::Public | Self::Partner(_) => false,
            Self::Editorial => true,
            Self::Article(only) => only == id,
        }
    }

    /// Whether a translation of article `article` in `status` may be shown.
    pub fn sees(self, article: uuid::Uuid, status: Status) -> bool {
        self.covers(article) || status == Status::Published
    }
}

/// The condition for an article row to be visible to `audience` at `now`.
pub fn article_for(audience: Audience, now: DateTime<Utc>) -> Condition {
    match audience {
        Audience::Public => article(now),
        Audience::Partner(partner) => licensed(partner, now),
        Audience::Editorial => Condition::all(),
        Audience::Article(id) => Condition::any()
            .add(article(now))
            .add(Expr::col((article::Entity, article::Column::Id)).eq(id))
            .add(Expr::col((article::Entity, article::Column::DraftOf)).eq(id)),
    }
}

/// The condition for a category row to be visible to `audience` at `now`.
pub fn category_for(audience: Audience, now: DateTime<Utc>) -> Condition {
    match audience {
        Audience::Public => category(now),
        Audience::Partner(partner) => Condition::all().add(Expr::exists(
            partner_articles(partner, now)
                .and_where(
                    Expr::col((article::Entity, article::Column::CategoryId))
                        .equals((category::Entity, category::Column::Id)),
                )
                .to_owned(),
        )),
        Audience::Editorial => Condition::all(),
        Audience::Article(id) => Condition::any().add(category(now)).add(
            Expr::col((category::Entity, category::Column::Id)).in_subquery(
                Query::select()
                    .column(article::Column::CategoryId)
                    .from(article::Entity)
                    .cond_where(previewed(id))
                    .to_owned(),
            ),
        ),
    }
}

/// The condition for a tag row to be visible to `audience` at `now`.
pub fn tag_for(audience: Audience, now: DateTime<Utc>) -> Condition {
    match audience {
        Audience::Public => tag(now),
        Audience::Partner(partner) => Condition::all().add(Expr::exists(
            partner_articles(partner, now)
                .inner_join(
                    article_tag::Entity,
                    Expr::col((article_tag::Entity, article_tag::Column::ArticleId))
                        .equals((article::Entity, article::Column::Id)),
                )
                .and_where(
                    Expr::col((article_tag::Entity, article_tag::Column::TagId)).equals((tag::Entity, tag::Column::Id)),
                )
                .to_owned(),
        )),
        Audience::Editorial => Condition::all(),
        Audience::Article(id) => Condition::any().add(tag(now)).add(
            Expr::col((tag::Entity, tag::Column::Id)).in_subquery(
                Query::select()
                    .column(article_tag::Column::TagId)
                    .from(article_tag::Entity)
                    .and_where(
                        Expr::col((article_tag::Entity, article_tag::Column::ArticleId)).in_subquery(previewed_ids(id)),
                    )
                    .to_owned(),
            ),
        ),
    }
}

/// The condition for a supervisor row to be visible to `audience` at `now`.
pub fn supervisor_for(audience: Audience, now: DateTime<Utc>) -> Condition {
    match audience {
        Audience::Public => supervisor(now),
        Audience::Partner(partner) => Condition::all().add(Expr::exists(
            partner_articles(partner, now)
                .inner_join(
                    article_supervisor::Entity,
                    Expr::col((article_supervisor::Entity, article_supervisor::Column::ArticleId))
                        .equals((article::Entity, article::Column::Id)),
                )
                .and_where(
                    Expr::col((article_supervisor::Entity, article_supervisor::Column::SupervisorId))
                        .equals((supervisor::Entity, supervisor::Column::Id)),
                )
                .cond_where(vouching())
                .to_owned(),
        )),
        Audience::Editorial => Condition::all(),
        Audience::Article(id) => Condition::any().add(supervisor(now)).add(
            Expr::col((supervisor::Entity, supervisor::Column::Id)).in_subquery(
                Query::select()
                    .column(article_supervisor::Column::SupervisorId)
                    .from(article_supervisor::Entity)
                    .and_where(
                        Expr::col((article_supervisor::Entity, article_supervisor::Column::ArticleId))
                            .in_subquery(previewed_ids(id)),
                    )
                    .to_owned(),
            ),
        ),
    }
}

/// The condition for an article row to be publicly visible at `now`: one
/// indexed comparison (see [`visible_from`]).
pub fn article(now: DateTime<Utc>) -> Condition {
    // Qualified: this condition is also used inside subqueries that join
    // other tables.
    Condition::all().add(Expr::col((article::Entity, article::Column::VisibleFrom)).lte(now))
}

/// The condition for an article row to be visible to partner `partner` at
/// `now`: publicly visible, and published in a locale that one of the
/// partner's licences in force covers (by the article or its category).
pub fn licensed(partner: uuid::Uuid, now: DateTime<Utc>) -> Condition {
    licensed_in(partner, now, None)
}

/// [`licensed`], in `locale` when one is given: what a partner lists when
/// it asks for articles available in a locale.
pub fn licensed_in(partner: uuid::Uuid, now: DateTime<Utc>, locale: Option<&str>) -> Condition {
    use entity::{article_translation, licence, licence_locale};
    let mut covering = Query::select()
        .expr(Expr::val(1))
        .from(licence::Entity)
        .inner_join(
            licence_locale::Entity,
            Expr::col((licence_locale::Entity, licence_locale::Column::LicenceId))
                .equals((licence::Entity, licence::Column::Id)),
        )
        .inner_join(
            article_translation::Entity,
            Expr::col((article_translation::Entity, article_translation::Column::Locale))
                .equals((licence_locale::Entity, licence_locale::Column::Locale)),
        )
        .and_where(
            Expr::col((article_translation::Entity, article_translation::Column::ArticleId))
                .equals((article::Entity, article::Column::Id)),
        )
        .and_where(Expr::col((article_translation::Entity, article_translation::Column::Status)).eq(Status::Published))
        .and_where(Expr::col((licence::Entity, licence::Column::PartnerId)).eq(partner))
        .cond_where(in_force(now))
        .cond_where(
            Condition::any()
                .add(
                    Expr::col((licence::Entity, licence::Column::CategoryId))
                        .equals((article::Entity, article::Column::CategoryId)),
                )
                .add(
                    Expr::col((licence::Entity, licence::Column::ArticleId))
                        .equals((article::Entity, article::Column::Id)),
                ),
        )
        .to_owned();
    if let Some(locale) = locale {
        covering.and_where(Expr::col((licence_locale::Entity, licence_locale::Column::Locale)).eq(locale));
    }
    Condition::all()
        .add(article(now))
        .add(Expr::col((article::Entity, article::Column::DraftOf)).is_null())
        .add(Expr::exists(covering))
}

/// The condition for a licence row to be in force at `now`.
pub fn in_force(now: DateTime<Utc>) -> Condition {
    use entity::licence;
    Condition::all()
        .add(Expr::col((licence::Entity, licence::Column::RevokedAt)).is_null())
        .add(
            Condition::any()
                .add(Expr::col((licence::Entity, licence::Column::StartsAt)).is_null())
                .add(Expr::col((licence::Entity, licence::Column::StartsAt)).lte(now)),
        )
        .add(
            Condition::any()
                .add(Expr::col((licence::Entity, licence::Column::EndsAt)).is_null())
                .add(Expr::col((licence::Entity, licence::Column::EndsAt)).gt(now)),
        )
}

/// `SELECT 1 FROM article WHERE <visible to partner>`.
fn partner_articles(partner: uuid::Uuid, now: DateTime<Utc>) -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(article::Entity)
        .cond_where(licensed(partner, now))
        .to_owned()
}

/// Article `id` and its preview copy: what a key limited to `id` previews.
fn previewed(id: uuid::Uuid) -> Condition {
    Condition::any()
        .add(Expr::col((article::Entity, article::Column::Id)).eq(id))
        .add(Expr::col((article::Entity, article::Column::DraftOf)).eq(id))
}

/// The ids of [`previewed`].
fn previewed_ids(id: uuid::Uuid) -> SelectStatement {
    Query::select()
        .column((article::Entity, article::Column::Id))
        .from(article::Entity)
        .cond_where(previewed(id))
        .to_owned()
}

/// The links that put a physician's name before readers: an author's, or a
/// supervisor's or reviewer's once they have signed off the revision
/// readers read (`article` must be in scope: joined, or the outer row).
pub fn vouching() -> Condition {
    Condition::any()
        .add(
            Expr::col((article_supervisor::Entity, article_supervisor::Column::Role))
                .eq(entity::enums::ContributorRole::Author),
        )
        .add(
            Expr::col((
                article_supervisor::Entity,
                article_supervisor::Column::SignedOffRevision,
            ))
            .equals((article::Entity, article::Column::Revision)),
        )
}

/// `SELECT 1 FROM article WHERE <visible> AND <link>`
fn visible_articles(now: DateTime<Utc>) -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(article::Entity)
        .cond_where(article(now))
        .to_owned()
}

/// The condition for a category row to be publicly visible at `now`.
pub fn category(now: DateTime<Utc>) -> Condition {
    let used = visible_articles(now)
        .and_where(
            Expr::col((article::Entity, article::Column::CategoryId)).equals((category::Entity, category::Column::Id)),
        )
        .to_owned();
    Condition::any()
        .add(Expr::col((category::Entity, category::Column::IsPublic)).eq(true))
        .add(Expr::exists(used))
}

/// The condition for a tag row to be publicly visible at `now`.
pub fn tag(now: DateTime<Utc>) -> Condition {
    let used = visible_articles(now)
        .inner_join(
            article_tag::Entity,
            Expr::col((article_tag::Entity, article_tag::Column::ArticleId))
                .equals((article::Entity, article::Column::Id)),
        )
        .and_where(Expr::col((article_tag::Entity, article_tag::Column::TagId)).equals((tag::Entity, tag::Column::Id)))
        .to_owned();
    Condition::any()
        .add(Expr::col((tag::Entity, tag::Column::IsPublic)).eq(true))
        .add(Expr::exists(used))
}

/// The condition for a supervisor row to be publicly visible at `now`.
pub fn supervisor(now: DateTime<Utc>) -> Condition {
    let used = visible_articles(now)
        .inner_join(
            article_supervisor::Entity,
            Expr::col((article_supervisor::Entity, article_supervisor::Column::ArticleId))
                .equals((article::Entity, article::Column::Id)),
        )
        .and_where(
            Expr::col((article_supervisor::Entity, article_supervisor::Column::SupervisorId))
                .equals((supervisor::Entity, supervisor::Column::Id)),
        )
        .cond_where(vouching())
        .to_owned();
    Condition::any()
        .add(Expr::col((supervisor::Entity, supervisor::Column::IsPublic)).eq(true))
        .add(Expr::exists(used))
}
