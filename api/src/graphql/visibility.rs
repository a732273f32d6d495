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

/// When an article becomes public: its publication time, if it is
/// published with at least one published translation; never otherwise.
/// Every writer of an article or its translations stores this in
/// `article.visible_from`.
pub fn visible_from(
    status: Status,
    published_at: Option<DateTime<Utc>>,
    translation_statuses: impl IntoIterator<Item = Status>,
) -> Option<DateTime<Utc>> {
    let translated = translation_statuses.into_iter().any(|s| s == Status::Published);
    published_at.filter(|_| status == Status::Published && translated)
}

/// The `article_count` scopes an article with a `visible_from` counts in.
pub fn count_scopes(category: uuid::Uuid) -> [String; 2] {
    ["all".to_owned(), format!("category:{}", category.simple())]
}

/// The condition for an article row to be publicly visible at `now`: one
/// indexed comparison (see [`visible_from`]).
pub fn article(now: DateTime<Utc>) -> Condition {
    // Qualified: this condition is also used inside subqueries that join
    // other tables.
    Condition::all().add(Expr::col((article::Entity, article::Column::VisibleFrom)).lte(now))
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
        .to_owned();
    Condition::any()
        .add(Expr::col((supervisor::Entity, supervisor::Column::IsPublic)).eq(true))
        .add(Expr::exists(used))
}
