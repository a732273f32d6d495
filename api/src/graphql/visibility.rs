//! What a public reader may see, as SQL conditions: the one place that
//! decides it for articles, and for the categories, tags and people around
//! them.
//!
//! An article is visible when it is published, its publication time has
//! come, and at least one translation is published. Categories, tags and
//! supervisors are visible only while a visible article uses them, or when
//! an editor has marked them public: a topic made for an unannounced column,
//! or the physician engaged for it, must not be announced by the taxonomy.

use chrono::{DateTime, Utc};
use entity::enums::Status;
use entity::{article, article_supervisor, article_tag, article_translation, category, supervisor, tag};
use sea_orm::Condition;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};

/// The condition for an article row to be publicly visible at `now`.
pub fn article(now: DateTime<Utc>) -> Condition {
    let published_translation = Query::select()
        .expr(Expr::val(1))
        .from(article_translation::Entity)
        .and_where(
            Expr::col((article_translation::Entity, article_translation::Column::ArticleId))
                .equals((article::Entity, article::Column::Id)),
        )
        .and_where(Expr::col((article_translation::Entity, article_translation::Column::Status)).eq(Status::Published))
        .to_owned();
    // Qualified columns: this condition is also used inside subqueries that
    // join other tables.
    Condition::all()
        .add(Expr::col((article::Entity, article::Column::Status)).eq(Status::Published))
        .add(Expr::col((article::Entity, article::Column::PublishedAt)).lte(now))
        .add(Expr::exists(published_translation))
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
