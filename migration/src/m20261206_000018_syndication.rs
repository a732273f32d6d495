//! Partner syndication, resting on the change log:
//!
//! - `partner`, its `licence`s (by category or by article, per locale in
//!   `licence_locale`, with optional start and end) and `api_key.partner_id`
//!   for PARTNER keys;
//! - `change_article`: for every article a change touched, what readers
//!   could see of it before and after (its category and visible locales).
//!   The change feed answers every caller from these rows, so a feed never
//!   re-reads history; `article_state` holds each article's latest row, the
//!   "before" of the next one;
//! - `clock`: how far the clock job has logged the changes the clock makes
//!   (a scheduled first publication going live, a licence starting or
//!   ending).
//!
//! An existing database gets one `BASELINE` change whose rows name every
//! article readers can see now, so a feed replayed from the start holds
//! what was published before the log recorded states.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

use crate::checks::set_allowed;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ROLES: &[&str] = &["PREVIEW", "EDITOR", "TRANSLATOR", "SUPERVISOR", "ADMIN"];
const WITH_PARTNER: &[&str] = &["PREVIEW", "EDITOR", "TRANSLATOR", "SUPERVISOR", "ADMIN", "PARTNER"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Partner::Table)
                .col(uuid(Partner::Id).primary_key())
                .col(string_len_uniq(Partner::Slug, 64))
                .col(string_len(Partner::Name, 200))
                .col(timestamp_with_time_zone(Partner::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Licence::Table)
                .col(uuid(Licence::Id).primary_key())
                .col(uuid(Licence::PartnerId))
                .col(uuid_null(Licence::CategoryId))
                .col(uuid_null(Licence::ArticleId))
                .col(timestamp_with_time_zone_null(Licence::StartsAt))
                .col(timestamp_with_time_zone_null(Licence::EndsAt))
                .col(text(Licence::Attribution))
                .col(text(Licence::Terms))
                .col(text_null(Licence::CanonicalUrlTemplate))
                .col(timestamp_with_time_zone(Licence::CreatedAt))
                .col(timestamp_with_time_zone_null(Licence::RevokedAt))
                // Positions in the change log at which the licence took and
                // lost effect: the feed judges a partner's view at a
                // position by these, never by clocks.
                .col(big_integer_null(Licence::GrantedPosition))
                .col(big_integer_null(Licence::StartedPosition))
                .col(big_integer_null(Licence::EndedPosition))
                .col(big_integer_null(Licence::RevokedPosition))
                .check(
                    Expr::col(Licence::CategoryId)
                        .is_null()
                        .ne(Expr::col(Licence::ArticleId).is_null()),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Licence::Table, Licence::PartnerId)
                        .to(Partner::Table, Partner::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("licence_partner")
                .table(Licence::Table)
                .col(Licence::PartnerId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LicenceLocale::Table)
                .col(uuid(LicenceLocale::LicenceId))
                .col(string_len(LicenceLocale::Locale, 35))
                .primary_key(Index::create().col(LicenceLocale::LicenceId).col(LicenceLocale::Locale))
                .foreign_key(
                    ForeignKey::create()
                        .from(LicenceLocale::Table, LicenceLocale::LicenceId)
                        .to(Licence::Table, Licence::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApiKey::Table)
                .add_column(uuid_null(ApiKey::PartnerId))
                .to_owned(),
        )
        .await?;
        set_allowed(m, "api_key", "role", ROLES, WITH_PARTNER).await?;
        m.create_table(
            Table::create()
                .table(ChangeArticle::Table)
                .col(big_integer(ChangeArticle::Position))
                .col(uuid(ChangeArticle::ArticleId))
                // Null once the article is gone.
                .col(uuid_null(ChangeArticle::CategoryId))
                .col(string_len_null(ChangeArticle::Status, 16))
                // JSON array of the locales readers could read, sorted.
                .col(text(ChangeArticle::Locales))
                .col(uuid_null(ChangeArticle::PrevCategoryId))
                .col(text(ChangeArticle::PrevLocales))
                // Set on the rows a licence's change writes for the articles
                // it covers: they concern that licence's partner only.
                .col(uuid_null(ChangeArticle::LicenceId))
                .primary_key(
                    Index::create()
                        .col(ChangeArticle::Position)
                        .col(ChangeArticle::ArticleId),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ArticleState::Table)
                .col(uuid(ArticleState::ArticleId).primary_key())
                .col(uuid_null(ArticleState::CategoryId))
                .col(string_len_null(ArticleState::Status, 16))
                .col(text(ArticleState::Locales))
                .col(big_integer(ArticleState::Position))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("article_state_category")
                .table(ArticleState::Table)
                .col(ArticleState::CategoryId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Clock::Table)
                .col(string_len(Clock::Name, 32).primary_key())
                .col(timestamp_with_time_zone(Clock::LoggedUntil))
                .to_owned(),
        )
        .await?;
        baseline(m).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DELETE FROM api_key WHERE role = 'PARTNER'")
            .await?;
        set_allowed(m, "api_key", "role", WITH_PARTNER, ROLES).await?;
        m.alter_table(
            Table::alter()
                .table(ApiKey::Table)
                .drop_column(ApiKey::PartnerId)
                .to_owned(),
        )
        .await?;
        for table in [
            Clock::Table.into_iden(),
            ArticleState::Table.into_iden(),
            ChangeArticle::Table.into_iden(),
            LicenceLocale::Table.into_iden(),
            Licence::Table.into_iden(),
            Partner::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

/// One `BASELINE` change naming every article readers can see now, and
/// the clock job's mark at the same time: what falls due later is the job's.
async fn baseline(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    let backend = db.get_database_backend();
    // To the microsecond, as Kiji stores every time (SQLite compares text).
    let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6);
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql(
            backend,
            "INSERT INTO clock (name, logged_until) VALUES ('publications', $1)",
        ),
        [Value::from(now)],
    ))
    .await?;
    let visible = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql(
                backend,
                "SELECT a.id, a.category_id, a.status, t.locale FROM article a \
             JOIN article_translation t ON t.article_id = a.id AND t.status = 'PUBLISHED' \
             WHERE a.draft_of IS NULL AND a.visible_from IS NOT NULL AND a.visible_from <= $1 \
             ORDER BY a.id, t.locale",
            ),
            [Value::from(now)],
        ))
        .await?;
    if visible.is_empty() {
        return Ok(());
    }
    let insert =
        "INSERT INTO change (at, kind, entities, locales) VALUES ($1, 'BASELINE', '[]', '[]') RETURNING position";
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql(backend, insert),
            [Value::from(now)],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the baseline change has no position".into()))?;
    let position: i64 = row.try_get_by_index(0)?;
    let mut states: Vec<(uuid::Uuid, uuid::Uuid, String, Vec<String>)> = Vec::new();
    for row in visible {
        let id: uuid::Uuid = row.try_get_by_index(0)?;
        let category: uuid::Uuid = row.try_get_by_index(1)?;
        let status: String = row.try_get_by_index(2)?;
        let locale: String = row.try_get_by_index(3)?;
        match states.last_mut() {
            Some(last) if last.0 == id => last.3.push(locale),
            _ => states.push((id, category, status, vec![locale])),
        }
    }
    for (id, category, status, locales) in states {
        let locales = format!(
            "[{}]",
            locales.iter().map(|l| format!("\"{l}\"")).collect::<Vec<_>>().join(",")
        );
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            sql(
                backend,
                "INSERT INTO change_article (position, article_id, category_id, status, locales, prev_category_id, prev_locales, licence_id) \
                 VALUES ($1, $2, $3, $4, $5, NULL, '[]', NULL)",
            ),
            [
                position.into(),
                id.into(),
                category.into(),
                status.clone().into(),
                locales.clone().into(),
            ],
        ))
        .await?;
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            sql(
                backend,
                "INSERT INTO article_state (article_id, category_id, status, locales, position) VALUES ($1, $2, $3, $4, $5)",
            ),
            [id.into(), category.into(), status.into(), locales.into(), position.into()],
        ))
        .await?;
    }
    Ok(())
}

/// `sql` with SQLite's placeholders when `backend` is SQLite (the
/// parameters are numbered in the order they appear).
fn sql(backend: DatabaseBackend, sql: &str) -> String {
    if backend == DatabaseBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(DeriveIden, Clone, Copy)]
enum Partner {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Licence {
    Table,
    Id,
    PartnerId,
    CategoryId,
    ArticleId,
    StartsAt,
    EndsAt,
    Attribution,
    Terms,
    CanonicalUrlTemplate,
    CreatedAt,
    RevokedAt,
    GrantedPosition,
    StartedPosition,
    EndedPosition,
    RevokedPosition,
}

#[derive(DeriveIden, Clone, Copy)]
enum LicenceLocale {
    Table,
    LicenceId,
    Locale,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKey {
    Table,
    PartnerId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ChangeArticle {
    Table,
    Position,
    ArticleId,
    CategoryId,
    Status,
    Locales,
    PrevCategoryId,
    PrevLocales,
    LicenceId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ArticleState {
    Table,
    ArticleId,
    CategoryId,
    Status,
    Locales,
    Position,
}

#[derive(DeriveIden, Clone, Copy)]
enum Clock {
    Table,
    Name,
    LoggedUntil,
}
