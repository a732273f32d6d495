//! What every writer keeps in step with an article's visibility: when it
//! becomes public (`article.visible_from`, so a read compares one column)
//! and the kept counts per scope (`article_count`, so `totalCount` reads
//! one row).

use chrono::{DateTime, Utc};
use entity::enums::Status;
use entity::{article_count, category};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

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

/// The `article_count` scope of the category with `slug`, as a statement
/// yielding the same key [`count_scopes`] builds, for a read that knows the
/// category by its slug only (one statement rather than two).
pub fn category_scope_of_slug(backend: DbBackend, slug: &str) -> SelectStatement {
    // The key is `category:` and the id's 32 hex digits; the id is a `uuid`
    // on PostgreSQL and 16 bytes on SQLite.
    let digits = match backend {
        DbBackend::Postgres => r#"replace(CAST("category"."id" AS text), '-', '')"#,
        _ => r#"lower(hex("category"."id"))"#,
    };
    Query::select()
        .expr(Expr::cust(format!("'category:' || {digits}")))
        .from(category::Entity)
        .and_where(Expr::col((category::Entity, category::Column::Slug)).eq(slug))
        .to_owned()
}

/// Adds `n` (which may be negative) to the kept count of `scope`, creating
/// it when missing; every writer that changes which articles are visible
/// calls it in its own transaction.
pub async fn add_to_count<C: ConnectionTrait>(db: &C, scope: String, n: i64) -> Result<(), DbErr> {
    let upsert = sea_orm::sea_query::Query::insert()
        .into_table(article_count::Entity)
        .columns([article_count::Column::Scope, article_count::Column::Articles])
        .values_panic([scope.into(), n.into()])
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(article_count::Column::Scope)
                .value(
                    article_count::Column::Articles,
                    Expr::col((article_count::Entity, article_count::Column::Articles))
                        .add(Expr::col((Alias::new("excluded"), article_count::Column::Articles))),
                )
                .to_owned(),
        )
        .to_owned();
    db.execute(&upsert).await?;
    Ok(())
}
